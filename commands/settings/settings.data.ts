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

const channelOption = (description: string): APIApplicationCommandChannelOption => ({
  type: ApplicationCommandOptionType.Channel,
  name: 'channel',
  description,
  channel_types: [ChannelType.GuildText, ChannelType.GuildAnnouncement, ChannelType.PublicThread, ChannelType.PrivateThread],
});
const forChannel = channelOption('Set it for this channel only (overrides the server setting)');

export const settingsData = {
  type: ApplicationCommandType.ChatInput,
  name: 'settings',
  description: "Decide what the image bot may do in this server",
  // Hidden from everyone but admins; the handler checks the permission again at run time.
  default_member_permissions: String(PermissionFlagsBits.ManageGuild),
  contexts: [InteractionContextType.Guild],
  integration_types: [ApplicationIntegrationType.GuildInstall],
  options: [
    { type: ApplicationCommandOptionType.Subcommand, name: 'show', description: 'Show the settings in effect in this channel' },
    {
      type: ApplicationCommandOptionType.Subcommand,
      name: 'models',
      description: 'Default model and which models may be used',
      options: [
        { type: ApplicationCommandOptionType.String, name: 'default', description: 'Model used when none is chosen ("none" to clear)', autocomplete: true, max_length: 100 },
        { type: ApplicationCommandOptionType.String, name: 'allowed', description: 'Comma-separated model ids, or "all"', max_length: 1000 },
        forChannel,
      ],
    },
    {
      type: ApplicationCommandOptionType.Subcommand,
      name: 'limits',
      description: 'Variants, cooldown and daily budgets',
      options: [
        { type: ApplicationCommandOptionType.Integer, name: 'max_variants', description: 'Most images per request (1-4)', min_value: 1, max_value: 4 },
        { type: ApplicationCommandOptionType.Integer, name: 'cooldown_seconds', description: 'Seconds a user waits between requests (0 = none)', min_value: 0, max_value: 86_400 },
        { type: ApplicationCommandOptionType.Number, name: 'user_daily_budget', description: 'USD each user may spend a day (-1 = no limit)', min_value: -1, max_value: 10_000 },
        { type: ApplicationCommandOptionType.Number, name: 'server_daily_budget', description: 'USD the whole server may spend a day (-1 = no limit)', min_value: -1, max_value: 100_000 },
        { type: ApplicationCommandOptionType.Integer, name: 'daily_images', description: 'Images each member may make a day (-1 = no limit)', min_value: -1, max_value: 100_000 },
        forChannel,
      ],
    },
    {
      type: ApplicationCommandOptionType.Subcommand,
      name: 'nsfw',
      description: 'Whether safe mode may be turned off (only ever in age-restricted channels)',
      options: [
        { type: ApplicationCommandOptionType.Boolean, name: 'allow', description: 'Allow safe_mode:false here', required: true },
        channelOption('The channel (default: this one)'),
      ],
    },
    {
      type: ApplicationCommandOptionType.Subcommand,
      name: 'banned',
      description: 'Words or /regular expressions/ refused in prompts',
      options: [
        {
          type: ApplicationCommandOptionType.String,
          name: 'action',
          description: 'What to do',
          required: true,
          choices: [
            { name: 'add', value: 'add' },
            { name: 'remove', value: 'remove' },
            { name: 'list', value: 'list' },
            { name: 'clear', value: 'clear' },
          ],
        },
        { type: ApplicationCommandOptionType.String, name: 'pattern', description: 'A word or phrase, or /regex/flags', max_length: 200 },
      ],
    },
    {
      type: ApplicationCommandOptionType.Subcommand,
      name: 'negative_prompt',
      description: 'Text appended to every negative prompt',
      options: [{ type: ApplicationCommandOptionType.String, name: 'text', description: 'Leave empty to clear', max_length: 1000 }, forChannel],
    },
    {
      type: ApplicationCommandOptionType.Subcommand,
      name: 'watermark',
      description: 'Whether users may hide the Venice watermark',
      options: [{ type: ApplicationCommandOptionType.Boolean, name: 'allow_hide', description: 'Allow hide_watermark', required: true }, forChannel],
    },
    {
      type: ApplicationCommandOptionType.Subcommand,
      name: 'role',
      description: 'Limits for members with a role (each member gets their most generous role)',
      options: [
        { type: ApplicationCommandOptionType.Role, name: 'role', description: 'The role', required: true },
        { type: ApplicationCommandOptionType.Integer, name: 'daily_images', description: 'Images a day (-1 = no limit)', min_value: -1, max_value: 100_000 },
        { type: ApplicationCommandOptionType.Number, name: 'daily_budget', description: 'USD a day (-1 = no limit)', min_value: -1, max_value: 10_000 },
        { type: ApplicationCommandOptionType.Integer, name: 'max_variants', description: 'Most images per request (1-4)', min_value: 1, max_value: 4 },
        { type: ApplicationCommandOptionType.Integer, name: 'cooldown_seconds', description: 'Seconds between requests', min_value: 0, max_value: 86_400 },
        { type: ApplicationCommandOptionType.String, name: 'models', description: 'Comma-separated model ids, or "all"', max_length: 1000 },
        { type: ApplicationCommandOptionType.Boolean, name: 'remove', description: 'Remove this role’s rule' },
      ],
    },
    {
      type: ApplicationCommandOptionType.Subcommand,
      name: 'block',
      description: 'Block a member or a role from the bot, or unblock',
      options: [
        { type: ApplicationCommandOptionType.Mentionable, name: 'who', description: 'A member or a role', required: true },
        { type: ApplicationCommandOptionType.Boolean, name: 'unblock', description: 'Lift the block instead' },
      ],
    },
    {
      type: ApplicationCommandOptionType.Subcommand,
      name: 'userinstall',
      description: 'Whether members may use their own installed copy of the bot here',
      options: [{ type: ApplicationCommandOptionType.Boolean, name: 'allow', description: 'Allow user-installed use in this server', required: true }],
    },
    {
      type: ApplicationCommandOptionType.Subcommand,
      name: 'modlog',
      description: 'Channel that receives content violations, budget refusals and deprecations',
      options: [channelOption('Leave empty to turn the log off')],
    },
  ],
} satisfies RESTPostAPIChatInputApplicationCommandsJSONBody;
