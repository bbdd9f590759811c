import { ChannelType, PermissionFlagsBits, type ChatInputCommandInteraction } from 'discord.js';
import { settingsChannels } from '../../src/discord/channels.js';
import type { Command, CommandContext } from '../../src/discord/command.js';
import { NO_MENTIONS } from '../../src/discord/replies.js';
import { UserError } from '../../src/errors.js';
import { LANGUAGES, languageOf, publicLocaleOf, translator, type Language, type Translator } from '../../src/i18n/index.js';
import { describeBannedPatternProblem } from '../../src/jobs/policy.js';
import type { Settings, SettingsPatch } from '../../src/store/settings.js';
import { suggestModels } from '../imagine/imagine.autocomplete.js';
import { settingsData } from './settings.data.js';
import { languageName, renderBannedList, renderSettings } from './settings.view.js';

function requireAdmin(interaction: ChatInputCommandInteraction): string {
  if (!interaction.inGuild()) throw new UserError('settings.errors.notInGuild');
  if (interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild) !== true) throw new UserError('settings.errors.notAdmin');
  return interaction.guildId;
}

function knownModel(ctx: CommandContext, id: string): string {
  const snapshot = ctx.catalog.current();
  const model = snapshot.byId.get(id) ?? snapshot.models.find((m) => m.name.toLowerCase() === id.toLowerCase());
  if (!model) throw new UserError('settings.errors.unknownModel', { model: id.slice(0, 60) });
  return model.id;
}

/** A key and value only when the option was given (null); undefined (from -1) clears it. */
function optional<K extends string>(key: K, value: number | undefined | null): Partial<Record<K, number>> {
  return value === null || value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}

/** A role's limit: absent when not given, null (no limit) for -1, else the value. */
function roleLimit<K extends string>(key: K, value: number | null): Partial<Record<K, number | null>> {
  if (value === null) return {};
  return { [key]: value < 0 ? null : value } as Record<K, number | null>;
}

/** Tells the moderator log, which everyone in its channel reads: in the server's public language. */
async function notifyModlog(ctx: CommandContext, interaction: ChatInputCommandInteraction, guildId: string, say: (t: Translator) => string): Promise<void> {
  const settings = await ctx.store.settings.effective(guildId, []);
  if (!settings.modLogChannelId) return;
  const text = say(translator(publicLocaleOf(interaction, settings.language)));
  await ctx.postToChannel(settings.modLogChannelId, text).catch((err: unknown) => ctx.log.warn({ err }, 'could not post to the moderator log'));
}

/** A `/settings language` choice as a language, or undefined for "server default". */
const chosenLanguage = (value: string): Language | undefined => LANGUAGES.find((l) => l === value);

/** A budget of -1 means "no limit" (Discord cannot send an empty number). */
const budget = (v: number | null): number | undefined | null => (v === null ? null : v < 0 ? undefined : v);

async function execute(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const guildId = requireAdmin(interaction);
  // Every answer here is ephemeral: it speaks the member's own language.
  const t = translator(interaction.locale);
  const o = interaction.options;
  const sub = o.getSubcommand(true);
  const channel = o.getChannel('channel');
  const scope = { guildId, channelId: channel?.id };
  const patch: SettingsPatch = {};
  /** For a change to a list (banned patterns, role rules, blocks): built from the list as it is when written. */
  let build: ((current: Settings) => SettingsPatch) | undefined;
  let note = '';

  switch (sub) {
    case 'show': {
      const channelId = interaction.channelId;
      const embed = renderSettings(t, await ctx.store.settings.effective(guildId, settingsChannels(interaction)), await ctx.store.settings.channel(channelId), channelId, { apiMode: ctx.apiMode, guildLocale: interaction.guildLocale });
      await interaction.editReply({ embeds: [embed], allowedMentions: NO_MENTIONS });
      return;
    }
    case 'models': {
      const def = o.getString('default');
      const allowed = o.getString('allowed');
      if (def === null && allowed === null) throw new UserError('settings.errors.modelsNothingGiven');
      if (def !== null) patch.defaultModel = def.trim().toLowerCase() === 'none' ? undefined : knownModel(ctx, def.trim());
      if (allowed !== null) {
        const ids = allowed.trim().toLowerCase() === 'all' ? [] : allowed.split(',').map((s) => s.trim()).filter(Boolean).map((id) => knownModel(ctx, id));
        patch.allowedModels = ids.length > 0 ? ids : undefined;
      }
      break;
    }
    case 'limits': {
      const maxVariants = o.getInteger('max_variants');
      const cooldown = o.getInteger('cooldown_seconds');
      const user = budget(o.getNumber('user_daily_budget'));
      const server = budget(o.getNumber('server_daily_budget'));
      const images = budget(o.getInteger('daily_images'));
      if (maxVariants === null && cooldown === null && user === null && server === null && images === null) throw new UserError('settings.errors.limitsNothingGiven');
      if (images !== null) patch.userDailyImages = images;
      if (server !== null && channel) throw new UserError('settings.errors.serverBudgetPerChannel');
      if (maxVariants !== null) patch.maxVariants = maxVariants;
      if (cooldown !== null) patch.cooldownSeconds = cooldown;
      if (user !== null) patch.userDailyBudgetUsd = user;
      if (server !== null) patch.guildDailyBudgetUsd = server;
      break;
    }
    case 'nsfw': {
      const allow = o.getBoolean('allow', true);
      const target = channel ?? interaction.channel;
      if (!target) throw new UserError('settings.errors.nsfwNoChannel');
      scope.channelId = target.id;
      patch.allowUnsafe = allow;
      const nsfw = 'nsfw' in target && target.nsfw === true;
      if (allow && !nsfw) note = t.t('settings.notes.notAgeRestricted', { channelId: target.id });
      break;
    }
    case 'banned': {
      const action = o.getString('action', true);
      const pattern = o.getString('pattern')?.trim();
      scope.channelId = undefined;
      if (action === 'list') {
        const listed = (await ctx.store.settings.guild(guildId)).bannedPatterns ?? [];
        await interaction.editReply({ content: renderBannedList(t, listed), allowedMentions: NO_MENTIONS });
        return;
      }
      if (action === 'clear') patch.bannedPatterns = undefined;
      else {
        if (!pattern) throw new UserError('settings.errors.patternMissing');
        if (action === 'add') {
          const problem = describeBannedPatternProblem(t, pattern);
          if (problem) throw new UserError('settings.errors.patternRefused', { problem });
        }
        build = (settings) => {
          const current = settings.bannedPatterns ?? [];
          if (action === 'add') {
            if (current.length >= 100) throw new UserError('settings.errors.bannedFull');
            return { bannedPatterns: current.includes(pattern) ? current : [...current, pattern] };
          }
          if (!current.includes(pattern)) throw new UserError('settings.errors.patternNotListed');
          const next = current.filter((p) => p !== pattern);
          return { bannedPatterns: next.length > 0 ? next : undefined };
        };
      }
      break;
    }
    case 'negative_prompt': {
      const text = o.getString('text')?.trim();
      patch.negativePrompt = text ? text : undefined;
      break;
    }
    case 'watermark':
      patch.allowHideWatermark = o.getBoolean('allow_hide', true);
      break;
    case 'role': {
      scope.channelId = undefined;
      const role = o.getRole('role', true);
      const others = (settings: Settings) => (settings.roleRules ?? []).filter((r) => r.roleId !== role.id);
      if (o.getBoolean('remove') === true) {
        build = (settings) => {
          const rules = others(settings);
          return { roleRules: rules.length > 0 ? rules : undefined };
        };
        break;
      }
      const models = o.getString('models');
      const rule = {
        roleId: role.id,
        ...roleLimit('dailyImages', o.getInteger('daily_images')),
        ...roleLimit('dailyBudgetUsd', o.getNumber('daily_budget')),
        ...optional('maxVariants', o.getInteger('max_variants')),
        ...optional('cooldownSeconds', o.getInteger('cooldown_seconds')),
        ...(models === null || models.trim().toLowerCase() === 'all' ? {} : { allowedModels: models.split(',').map((m) => m.trim()).filter(Boolean).map((id) => knownModel(ctx, id)) }),
      };
      build = (settings) => ({ roleRules: [...others(settings), rule] });
      note = t.t('settings.notes.roleRule', { roleId: role.id });
      break;
    }
    case 'block': {
      scope.channelId = undefined;
      // The option's own value is the id; Discord resolves it as a role or a user.
      const who = o.get('who', true);
      const isRole = who.role !== undefined && who.role !== null;
      const id = String(who.value);
      const unblock = o.getBoolean('unblock') === true;
      build = (current) => {
        const list = new Set(isRole ? (current.blockedRoleIds ?? []) : (current.blockedUserIds ?? []));
        if (unblock) list.delete(id);
        else list.add(id);
        const next = list.size > 0 ? [...list] : undefined;
        return isRole ? { blockedRoleIds: next } : { blockedUserIds: next };
      };
      const name = isRole ? `<@&${id}>` : `<@${id}>`;
      note = unblock ? t.t('settings.notes.unblocked', { who: name }) : t.t('settings.notes.blocked', { who: name });
      if (!unblock) await notifyModlog(ctx, interaction, guildId, (pt) => pt.t('settings.modlog.blocked', { who: name, moderatorId: interaction.user.id }));
      break;
    }
    case 'userinstall':
      scope.channelId = undefined;
      patch.allowUserInstall = o.getBoolean('allow', true);
      break;
    case 'modlog':
      scope.channelId = undefined;
      patch.modLogChannelId = channel?.id;
      break;
    case 'review': {
      // Whether results wait is per server or per channel; where they wait, and how long, is the server's.
      const enabled = o.getBoolean('enabled', true);
      const reviewChannel = o.getChannel('review_channel');
      const hours = o.getInteger('timeout_hours');
      if (reviewChannel && reviewChannel.type !== ChannelType.GuildText) throw new UserError('review.settings.reviewChannelNotText');
      const server: Partial<Record<keyof Settings, unknown>> = {};
      if (reviewChannel) server.reviewChannelId = reviewChannel.id;
      if (hours !== null) server.reviewTimeoutHours = hours;
      const current = await ctx.store.settings.guild(guildId);
      if (enabled && !reviewChannel && !current.reviewChannelId) throw new UserError('review.errors.noReviewChannel');
      if (channel) {
        if (Object.keys(server).length > 0) await ctx.store.transaction((tx) => tx.settings.update({ guildId }, server), { lock: 'settings' });
        patch.reviewEnabled = enabled;
      } else Object.assign(patch, server, { reviewEnabled: enabled });
      break;
    }
    case 'gallery': {
      scope.channelId = undefined;
      const stars = o.getInteger('stars');
      if (channel && channel.type !== ChannelType.GuildText && channel.type !== ChannelType.GuildForum) throw new UserError('review.settings.galleryNotTextOrForum');
      patch.galleryChannelId = channel?.id;
      if (stars !== null) patch.galleryStars = stars;
      break;
    }
    case 'language': {
      // The language of what everyone reads is the server's; a member's own answers follow their Discord.
      scope.channelId = undefined;
      const language = chosenLanguage(o.getString('language', true));
      patch.language = language;
      note = language
        ? t.t('settings.notes.languageSet', { language: languageName(t, language) })
        : t.t('settings.notes.languageCleared', { language: languageName(t, languageOf(interaction.guildLocale)) });
      break;
    }
    default:
      throw new UserError('settings.errors.unknownSubcommand');
  }

  // Read and written back in one transaction, under the settings lock: an admin changing
  // something else at the same moment (on any process) cannot undo this change.
  const changes = build;
  await ctx.store.transaction((tx) => tx.settings.update(scope, changes ? (current) => ({ ...patch, ...changes(current) }) : patch), { lock: 'settings' });
  ctx.log.info({ sub, scope, keys: Object.keys(patch) }, 'settings changed');
  const saved = scope.channelId ? t.t('settings.saved.channel', { channelId: scope.channelId }) : t.t('settings.saved.server');
  await interaction.editReply({ content: note ? `${saved}\n${note}` : saved, allowedMentions: NO_MENTIONS });
}

export const settingsCommand: Command = {
  data: settingsData,
  defer: { ephemeral: true },
  autocomplete(interaction, ctx) {
    const focused = interaction.options.getFocused(true);
    return focused.name === 'default' ? suggestModels(translator(interaction.locale), ctx.catalog.current(), String(focused.value)) : [];
  },
  execute,
};
