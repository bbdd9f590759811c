import { PermissionFlagsBits, type ChatInputCommandInteraction } from 'discord.js';
import { settingsChannels } from '../../src/discord/channels.js';
import type { Command, CommandContext } from '../../src/discord/command.js';
import { NO_MENTIONS } from '../../src/discord/replies.js';
import { UserError } from '../../src/errors.js';
import { describeBannedPatternProblem } from '../../src/jobs/policy.js';
import type { Settings } from '../../src/store/settings.js';
import { suggestModels } from '../imagine/imagine.autocomplete.js';
import { settingsData } from './settings.data.js';
import { renderBannedList, renderSettings } from './settings.view.js';

function requireAdmin(interaction: ChatInputCommandInteraction): string {
  if (!interaction.inGuild()) throw new UserError('Settings belong to a server: run `/settings` in one.');
  if (interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild) !== true) {
    throw new UserError('Only members with the Manage Server permission can change the image bot’s settings.');
  }
  return interaction.guildId;
}

function knownModel(ctx: CommandContext, id: string): string {
  const snapshot = ctx.catalog.current();
  const model = snapshot.byId.get(id) ?? snapshot.models.find((m) => m.name.toLowerCase() === id.toLowerCase());
  if (!model) throw new UserError(`There is no image model called \`${id.slice(0, 60)}\`.`);
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

async function notifyModlog(ctx: CommandContext, guildId: string, text: string): Promise<void> {
  const channel = ctx.store.settings.effective(guildId, []).modLogChannelId;
  if (channel) await ctx.postToChannel(channel, text).catch((err: unknown) => ctx.log.warn({ err }, 'could not post to the moderator log'));
}

/** A budget of -1 means "no limit" (Discord cannot send an empty number). */
const budget = (v: number | null): number | undefined | null => (v === null ? null : v < 0 ? undefined : v);

async function execute(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const guildId = requireAdmin(interaction);
  const o = interaction.options;
  const sub = o.getSubcommand(true);
  const channel = o.getChannel('channel');
  const scope = { guildId, channelId: channel?.id };
  const patch: Partial<Record<keyof Settings, unknown>> = {};
  let note = '';

  switch (sub) {
    case 'show': {
      const channelId = interaction.channelId;
      await interaction.editReply({ embeds: [renderSettings(ctx.store.settings.effective(guildId, settingsChannels(interaction)), ctx.store.settings.channel(channelId), channelId, ctx.apiMode)], allowedMentions: NO_MENTIONS });
      return;
    }
    case 'models': {
      const def = o.getString('default');
      const allowed = o.getString('allowed');
      if (def === null && allowed === null) throw new UserError('Give `default`, `allowed`, or both.');
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
      if (maxVariants === null && cooldown === null && user === null && server === null && images === null) throw new UserError('Give at least one limit to change.');
      if (images !== null) patch.userDailyImages = images;
      if (server !== null && channel) throw new UserError('The server’s daily budget covers the whole server; set it without `channel`.');
      if (maxVariants !== null) patch.maxVariants = maxVariants;
      if (cooldown !== null) patch.cooldownSeconds = cooldown;
      if (user !== null) patch.userDailyBudgetUsd = user;
      if (server !== null) patch.guildDailyBudgetUsd = server;
      break;
    }
    case 'nsfw': {
      const allow = o.getBoolean('allow', true);
      const target = channel ?? interaction.channel;
      if (!target) throw new UserError('Name the channel with the `channel` option.');
      scope.channelId = target.id;
      patch.allowUnsafe = allow;
      const nsfw = 'nsfw' in target && target.nsfw === true;
      if (allow && !nsfw) note = `\nNote: <#${target.id}> is not age-restricted, so safe mode stays on there until it is.`;
      break;
    }
    case 'banned': {
      const action = o.getString('action', true);
      const pattern = o.getString('pattern')?.trim();
      const current = ctx.store.settings.guild(guildId).bannedPatterns ?? [];
      scope.channelId = undefined;
      if (action === 'list') {
        await interaction.editReply({ content: renderBannedList(current), allowedMentions: NO_MENTIONS });
        return;
      }
      if (action === 'clear') patch.bannedPatterns = undefined;
      else {
        if (!pattern) throw new UserError('Give the `pattern` to add or remove.');
        if (action === 'add') {
          const problem = describeBannedPatternProblem(pattern);
          if (problem) throw new UserError(`That rule was not added. ${problem}`);
          if (current.length >= 100) throw new UserError('The list holds at most 100 rules; remove some first.');
          patch.bannedPatterns = current.includes(pattern) ? current : [...current, pattern];
        } else {
          if (!current.includes(pattern)) throw new UserError('That rule is not on the list (`/settings banned action:list` shows it).');
          const next = current.filter((p) => p !== pattern);
          patch.bannedPatterns = next.length > 0 ? next : undefined;
        }
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
      const rules = (ctx.store.settings.guild(guildId).roleRules ?? []).filter((r) => r.roleId !== role.id);
      if (o.getBoolean('remove') === true) {
        patch.roleRules = rules.length > 0 ? rules : undefined;
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
      patch.roleRules = [...rules, rule];
      note = `\nMembers with <@&${role.id}> now get this rule (the most generous of their roles counts).`;
      break;
    }
    case 'block': {
      scope.channelId = undefined;
      // The option's own value is the id; Discord resolves it as a role or a user.
      const who = o.get('who', true);
      const isRole = who.role !== undefined && who.role !== null;
      const id = String(who.value);
      const current = ctx.store.settings.guild(guildId);
      const list = new Set(isRole ? (current.blockedRoleIds ?? []) : (current.blockedUserIds ?? []));
      const unblock = o.getBoolean('unblock') === true;
      if (unblock) list.delete(id);
      else list.add(id);
      const next = list.size > 0 ? [...list] : undefined;
      if (isRole) patch.blockedRoleIds = next;
      else patch.blockedUserIds = next;
      const name = isRole ? `<@&${id}>` : `<@${id}>`;
      note = unblock ? `\n${name} may use the bot again.` : `\n${name} is blocked from the bot in this server.`;
      if (!unblock) await notifyModlog(ctx, guildId, `⛔ ${name} was blocked from the image bot by <@${interaction.user.id}>.`);
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
    default:
      throw new UserError('Unknown settings subcommand.');
  }

  ctx.store.settings.update(scope, patch);
  ctx.log.info({ sub, scope, keys: Object.keys(patch) }, 'settings changed');
  const where = scope.channelId ? `<#${scope.channelId}>` : 'this server';
  await interaction.editReply({ content: `Saved for ${where}.${note}`, allowedMentions: NO_MENTIONS });
}

export const settingsCommand: Command = {
  data: settingsData,
  defer: { ephemeral: true },
  autocomplete(interaction, ctx) {
    const focused = interaction.options.getFocused(true);
    return focused.name === 'default' ? suggestModels(ctx.catalog.current(), String(focused.value)) : [];
  },
  execute,
};
