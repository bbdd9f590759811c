import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ApplicationIntegrationType,
  ChannelType,
  InteractionContextType,
  PermissionFlagsBits,
  type APIApplicationCommandChannelOption,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import { en } from '../../src/i18n/index.js';

/** The value of the `/settings language` choice that clears the server's language. */
export const SERVER_DEFAULT_LANGUAGE = 'default';

const channelOption = (description: string): APIApplicationCommandChannelOption => ({
  type: ApplicationCommandOptionType.Channel,
  name: 'channel',
  description,
  channel_types: [ChannelType.GuildText, ChannelType.GuildAnnouncement, ChannelType.PublicThread, ChannelType.PrivateThread],
});

const choice = <V extends string>(value: V, name: string) => ({ name, value });

// The English text is the catalogue's; every other language is added by localizeCommand at registration.
export const settingsData = {
  type: ApplicationCommandType.ChatInput,
  name: 'settings',
  description: en.t('settings.command.description'),
  // Hidden from everyone but admins; the handler checks the permission again at run time.
  default_member_permissions: String(PermissionFlagsBits.ManageGuild),
  contexts: [InteractionContextType.Guild],
  integration_types: [ApplicationIntegrationType.GuildInstall],
  options: [
    { type: ApplicationCommandOptionType.Subcommand, name: 'show', description: en.t('settings.command.options.show.description') },
    {
      type: ApplicationCommandOptionType.Subcommand,
      name: 'models',
      description: en.t('settings.command.options.models.description'),
      options: [
        { type: ApplicationCommandOptionType.String, name: 'default', description: en.t('settings.command.options.models.options.default.description'), autocomplete: true, max_length: 100 },
        { type: ApplicationCommandOptionType.String, name: 'allowed', description: en.t('settings.command.options.models.options.allowed.description'), max_length: 1000 },
        channelOption(en.t('settings.command.options.models.options.channel.description')),
      ],
    },
    {
      type: ApplicationCommandOptionType.Subcommand,
      name: 'limits',
      description: en.t('settings.command.options.limits.description'),
      options: [
        { type: ApplicationCommandOptionType.Integer, name: 'max_variants', description: en.t('settings.command.options.limits.options.max_variants.description'), min_value: 1, max_value: 4 },
        { type: ApplicationCommandOptionType.Integer, name: 'cooldown_seconds', description: en.t('settings.command.options.limits.options.cooldown_seconds.description'), min_value: 0, max_value: 86_400 },
        { type: ApplicationCommandOptionType.Number, name: 'user_daily_budget', description: en.t('settings.command.options.limits.options.user_daily_budget.description'), min_value: -1, max_value: 10_000 },
        { type: ApplicationCommandOptionType.Number, name: 'server_daily_budget', description: en.t('settings.command.options.limits.options.server_daily_budget.description'), min_value: -1, max_value: 100_000 },
        { type: ApplicationCommandOptionType.Integer, name: 'daily_images', description: en.t('settings.command.options.limits.options.daily_images.description'), min_value: -1, max_value: 100_000 },
        channelOption(en.t('settings.command.options.limits.options.channel.description')),
      ],
    },
    {
      type: ApplicationCommandOptionType.Subcommand,
      name: 'nsfw',
      description: en.t('settings.command.options.nsfw.description'),
      options: [
        { type: ApplicationCommandOptionType.Boolean, name: 'allow', description: en.t('settings.command.options.nsfw.options.allow.description'), required: true },
        channelOption(en.t('settings.command.options.nsfw.options.channel.description')),
      ],
    },
    {
      type: ApplicationCommandOptionType.Subcommand,
      name: 'banned',
      description: en.t('settings.command.options.banned.description'),
      options: [
        {
          type: ApplicationCommandOptionType.String,
          name: 'action',
          description: en.t('settings.command.options.banned.options.action.description'),
          required: true,
          choices: [
            choice('add', en.t('settings.command.options.banned.options.action.choices.add')),
            choice('remove', en.t('settings.command.options.banned.options.action.choices.remove')),
            choice('list', en.t('settings.command.options.banned.options.action.choices.list')),
            choice('clear', en.t('settings.command.options.banned.options.action.choices.clear')),
          ],
        },
        { type: ApplicationCommandOptionType.String, name: 'pattern', description: en.t('settings.command.options.banned.options.pattern.description'), max_length: 200 },
      ],
    },
    {
      type: ApplicationCommandOptionType.Subcommand,
      name: 'negative_prompt',
      description: en.t('settings.command.options.negative_prompt.description'),
      options: [
        { type: ApplicationCommandOptionType.String, name: 'text', description: en.t('settings.command.options.negative_prompt.options.text.description'), max_length: 1000 },
        channelOption(en.t('settings.command.options.negative_prompt.options.channel.description')),
      ],
    },
    {
      type: ApplicationCommandOptionType.Subcommand,
      name: 'watermark',
      description: en.t('settings.command.options.watermark.description'),
      options: [
        { type: ApplicationCommandOptionType.Boolean, name: 'allow_hide', description: en.t('settings.command.options.watermark.options.allow_hide.description'), required: true },
        channelOption(en.t('settings.command.options.watermark.options.channel.description')),
      ],
    },
    {
      type: ApplicationCommandOptionType.Subcommand,
      name: 'role',
      description: en.t('settings.command.options.role.description'),
      options: [
        { type: ApplicationCommandOptionType.Role, name: 'role', description: en.t('settings.command.options.role.options.role.description'), required: true },
        { type: ApplicationCommandOptionType.Integer, name: 'daily_images', description: en.t('settings.command.options.role.options.daily_images.description'), min_value: -1, max_value: 100_000 },
        { type: ApplicationCommandOptionType.Number, name: 'daily_budget', description: en.t('settings.command.options.role.options.daily_budget.description'), min_value: -1, max_value: 10_000 },
        { type: ApplicationCommandOptionType.Integer, name: 'max_variants', description: en.t('settings.command.options.role.options.max_variants.description'), min_value: 1, max_value: 4 },
        { type: ApplicationCommandOptionType.Integer, name: 'cooldown_seconds', description: en.t('settings.command.options.role.options.cooldown_seconds.description'), min_value: 0, max_value: 86_400 },
        { type: ApplicationCommandOptionType.String, name: 'models', description: en.t('settings.command.options.role.options.models.description'), max_length: 1000 },
        { type: ApplicationCommandOptionType.Boolean, name: 'remove', description: en.t('settings.command.options.role.options.remove.description') },
      ],
    },
    {
      type: ApplicationCommandOptionType.Subcommand,
      name: 'block',
      description: en.t('settings.command.options.block.description'),
      options: [
        { type: ApplicationCommandOptionType.Mentionable, name: 'who', description: en.t('settings.command.options.block.options.who.description'), required: true },
        { type: ApplicationCommandOptionType.Boolean, name: 'unblock', description: en.t('settings.command.options.block.options.unblock.description') },
      ],
    },
    {
      type: ApplicationCommandOptionType.Subcommand,
      name: 'userinstall',
      description: en.t('settings.command.options.userinstall.description'),
      options: [{ type: ApplicationCommandOptionType.Boolean, name: 'allow', description: en.t('settings.command.options.userinstall.options.allow.description'), required: true }],
    },
    {
      type: ApplicationCommandOptionType.Subcommand,
      name: 'modlog',
      description: en.t('settings.command.options.modlog.description'),
      options: [channelOption(en.t('settings.command.options.modlog.options.channel.description'))],
    },
    {
      type: ApplicationCommandOptionType.Subcommand,
      name: 'review',
      description: en.t('settings.command.options.review.description'),
      options: [
        { type: ApplicationCommandOptionType.Boolean, name: 'enabled', description: en.t('settings.command.options.review.options.enabled.description'), required: true },
        channelOption(en.t('settings.command.options.review.options.channel.description')),
        {
          type: ApplicationCommandOptionType.Channel,
          name: 'review_channel',
          description: en.t('settings.command.options.review.options.review_channel.description'),
          channel_types: [ChannelType.GuildText],
        },
        { type: ApplicationCommandOptionType.Integer, name: 'timeout_hours', description: en.t('settings.command.options.review.options.timeout_hours.description'), min_value: 1, max_value: 720 },
      ],
    },
    {
      type: ApplicationCommandOptionType.Subcommand,
      name: 'gallery',
      description: en.t('settings.command.options.gallery.description'),
      options: [
        {
          type: ApplicationCommandOptionType.Channel,
          name: 'channel',
          description: en.t('settings.command.options.gallery.options.channel.description'),
          channel_types: [ChannelType.GuildText, ChannelType.GuildForum],
        },
        { type: ApplicationCommandOptionType.Integer, name: 'stars', description: en.t('settings.command.options.gallery.options.stars.description'), min_value: 1, max_value: 100 },
      ],
    },
    {
      type: ApplicationCommandOptionType.Subcommand,
      name: 'language',
      description: en.t('settings.command.options.language.description'),
      options: [
        {
          type: ApplicationCommandOptionType.String,
          name: 'language',
          description: en.t('settings.command.options.language.options.language.description'),
          required: true,
          choices: [
            choice('en-US', en.t('settings.command.options.language.options.language.choices.en-US')),
            choice('zh-CN', en.t('settings.command.options.language.options.language.choices.zh-CN')),
            choice('es-ES', en.t('settings.command.options.language.options.language.choices.es-ES')),
            choice('es-419', en.t('settings.command.options.language.options.language.choices.es-419')),
            choice(SERVER_DEFAULT_LANGUAGE, en.t('settings.command.options.language.options.language.choices.default')),
          ],
        },
      ],
    },
  ],
} satisfies RESTPostAPIChatInputApplicationCommandsJSONBody;
