import type { APIEmbed } from 'discord.js';
import type { ApiMode } from '../../src/discord/command.js';
import type { EffectiveSettings, Settings } from '../../src/store/settings.js';
import { formatUsd } from '../../src/venice/models.js';

const orNone = (v: string | undefined) => v ?? 'none';

/** The effective settings of a channel, marking which ones the channel overrides. */
/** What the OpenAI-compatible endpoint cannot be made to honour, said where the rules are shown. */
export const OPENAI_MODE_LIMITS =
  'This bot uses the **OpenAI-compatible** endpoint, which cannot honour everything above: the added negative prompt is not sent (the endpoint has no negative prompt), and budgets count only models Venice lists a price for (other endpoints publish none, so their images count as $0). Allowed models, variants, cooldowns, banned rules and safe mode are enforced.';

export function renderSettings(effective: EffectiveSettings, channelOverrides: Settings, channelId: string, apiMode: ApiMode = 'native'): APIEmbed {
  const mark = (key: keyof Settings) => (channelOverrides[key] !== undefined ? ' *(this channel)*' : '');
  const lines = [
    `**Default model:** ${orNone(effective.defaultModel)}${mark('defaultModel')}`,
    `**Allowed models:** ${effective.allowedModels.length > 0 ? effective.allowedModels.map((m) => `\`${m}\``).join(', ') : 'all'}${mark('allowedModels')}`,
    `**Max variants:** ${effective.maxVariants}${mark('maxVariants')}`,
    `**Safe mode may be turned off:** ${effective.allowUnsafe ? 'yes, if the channel is age-restricted' : 'no'}${mark('allowUnsafe')}`,
    `**Banned rules:** ${effective.bannedPatterns.length}${mark('bannedPatterns')}`,
    `**Added negative prompt:** ${effective.negativePrompt ? `\`${effective.negativePrompt.slice(0, 200)}\`` : 'none'}${mark('negativePrompt')}`,
    `**Hide watermark allowed:** ${effective.allowHideWatermark ? 'yes' : 'no'}${mark('allowHideWatermark')}`,
    `**Cooldown:** ${effective.cooldownSeconds > 0 ? `${effective.cooldownSeconds} s` : 'none'}${mark('cooldownSeconds')}`,
    `**Daily budget per user:** ${effective.userDailyBudgetUsd !== undefined ? formatUsd(effective.userDailyBudgetUsd) : 'no limit'}${mark('userDailyBudgetUsd')}`,
    `**Daily budget for the server:** ${effective.guildDailyBudgetUsd !== undefined ? formatUsd(effective.guildDailyBudgetUsd) : 'no limit'}`,
    `**Moderator log:** ${effective.modLogChannelId ? `<#${effective.modLogChannelId}>` : 'off'}`,
    `**Images per member a day:** ${effective.userDailyImages !== undefined ? effective.userDailyImages : 'no limit'}`,
    ...effective.roleRules.map(
      (r) =>
        `**Rule for <@&${r.roleId}>:** ${[
          r.dailyImages === null ? 'no image limit' : r.dailyImages !== undefined ? `${r.dailyImages} images a day` : '',
          r.dailyBudgetUsd === null ? 'no budget limit' : r.dailyBudgetUsd !== undefined ? `${formatUsd(r.dailyBudgetUsd)} a day` : '',
          r.maxVariants !== undefined ? `up to ${r.maxVariants} variants` : '',
          r.cooldownSeconds !== undefined ? `${r.cooldownSeconds} s cooldown` : '',
          r.allowedModels ? `models ${r.allowedModels.map((m) => `\`${m}\``).join(', ')}` : '',
        ]
          .filter(Boolean)
          .join(', ') || 'the default limits'}`,
    ),
    `**Blocked:** ${[...effective.blockedRoleIds.map((id) => `<@&${id}>`), ...effective.blockedUserIds.map((id) => `<@${id}>`)].join(', ') || 'nobody'}`,
    `**Members’ own installs of the app:** ${effective.allowUserInstall ? 'allowed here' : 'refused here'}`,
  ];
  const caveat = apiMode === 'openai' ? `\n\n${OPENAI_MODE_LIMITS}` : '';
  return { title: 'Image bot settings', description: `In <#${channelId}>:\n${lines.join('\n')}${caveat}` };
}

export function renderBannedList(patterns: readonly string[]): string {
  if (patterns.length === 0) return 'No banned rules.';
  const text = patterns.map((p, i) => `${i + 1}. \`${p.replace(/`/g, 'ˋ')}\``).join('\n');
  return text.length > 1900 ? `${text.slice(0, 1899)}…` : text;
}
