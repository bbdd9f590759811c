import { ChannelType, InteractionContextType, type Interaction } from 'discord.js';
import { settingsChannels } from '../../src/discord/channels.js';
import type { CommandContext } from '../../src/discord/command.js';
import { AdmissionRefused } from '../../src/jobs/admission.js';
import { isBlocked, memberRoleIds, memberRules } from '../../src/jobs/member-rules.js';
import { DEFAULT_SETTINGS, type EffectiveSettings } from '../../src/store/settings.js';

/** Whose rules a request runs under, and what the bot can do where it was asked. */
export interface RequestScope {
  /** The settings in effect for this member here, their role rule applied. */
  settings: EffectiveSettings;
  /** The server whose rules and budgets apply; null outside any server the bot is in (DMs, user installs). */
  guildId: string | null;
  /** False where the bot is not a member (a user install in a foreign server, a group DM): only the interaction can answer. */
  canPostInChannel: boolean;
  roleIds: string[];
}

/** Whether any budget would have to count this request: the member's, the server's, the operator's. */
export function budgetsApply(scope: RequestScope, ctx: CommandContext): boolean {
  if (ctx.operator.dailyBudgetUsd !== undefined) return true;
  // Outside a server the operator's DM budget always applies.
  if (scope.guildId === null) return true;
  return scope.settings.userDailyBudgetUsd !== undefined || scope.settings.guildDailyBudgetUsd !== undefined;
}

/**
 * Decides the scope of a request. In a server that has the bot, its rules apply to everyone
 * there, user-installed use included (which its admins may refuse); elsewhere (DMs, group
 * DMs, servers without the bot) only the operator's limits do, and safe mode stays on.
 */
/**
 * Settings as autocomplete reads them: about five seconds old at most. Suggestions come on every
 * keystroke and must not wait behind the store's writes (the jobs' charges and settles hold its
 * one SQLite connection, or a PostgreSQL round trip away); the command itself reads them fresh.
 */
const SUGGESTION_SETTINGS_MS = 5_000;
const SUGGESTION_SETTINGS_MAX = 1_000;
const suggestionSettings = new Map<string, { at: number; settings: EffectiveSettings; refreshing: boolean }>();

async function settingsForSuggestions(guildId: string, channelIds: readonly string[], ctx: CommandContext): Promise<EffectiveSettings> {
  const key = `${guildId}/${channelIds.join('/')}`;
  const cached = suggestionSettings.get(key);
  const read = async () => {
    const settings = await ctx.store.settings.effective(guildId, channelIds);
    suggestionSettings.delete(key);
    if (suggestionSettings.size >= SUGGESTION_SETTINGS_MAX) suggestionSettings.delete(suggestionSettings.keys().next().value!);
    suggestionSettings.set(key, { at: ctx.now(), settings, refreshing: false });
    return settings;
  };
  if (!cached) return read();
  // Old ones are still answered at once, while a fresh copy is read for the next keystroke.
  if (!cached.refreshing && ctx.now() - cached.at >= SUGGESTION_SETTINGS_MS) {
    cached.refreshing = true;
    read().catch((err: unknown) => {
      cached.refreshing = false;
      ctx.log.debug({ err }, 'could not refresh the settings for suggestions');
    });
  }
  return cached.settings;
}

export async function requestScope(interaction: Interaction, ctx: CommandContext): Promise<RequestScope> {
  const guildId = interaction.guildId;
  const roleIds = memberRoleIds(interaction);
  if (guildId === null || !ctx.isBotInGuild(guildId)) {
    // The bot can write in its own DM with the member, not in a group DM or a server it is not in.
    // A DM between two members (a user install, context 2) is a DM channel too, but not the bot's.
    const botDm = interaction.context === InteractionContextType.BotDM || (interaction.context === null && interaction.channel?.type === ChannelType.DM);
    return { settings: { ...DEFAULT_SETTINGS }, guildId: null, canPostInChannel: guildId === null && botDm, roleIds };
  }
  const settings = interaction.isAutocomplete()
    ? await settingsForSuggestions(guildId, settingsChannels(interaction), ctx)
    : await ctx.store.settings.effective(guildId, settingsChannels(interaction));
  // Key "0" (the server's install) absent and key "1" present: only the member's own install authorised this.
  const owners = interaction.authorizingIntegrationOwners;
  const viaUserInstall = owners.guildId === null && owners.userId !== null;
  if (viaUserInstall && !settings.allowUserInstall) {
    throw new AdmissionRefused('user-install', 'imagine.scope.userInstallRefused');
  }
  if (isBlocked(settings, interaction.user.id, roleIds)) {
    throw new AdmissionRefused('blocked', 'imagine.scope.blocked');
  }
  const rules = memberRules(settings, roleIds);
  return {
    settings: {
      ...settings,
      maxVariants: rules.maxVariants,
      allowedModels: rules.allowedModels,
      cooldownSeconds: rules.cooldownSeconds,
      userDailyBudgetUsd: rules.dailyBudgetUsd,
      userDailyImages: rules.dailyImages,
    },
    guildId,
    canPostInChannel: true,
    roleIds,
  };
}
