import type { APIEmbed } from 'discord.js';
import type { ApiMode } from '../../src/discord/command.js';
import { languageOf, type Language, type Translator } from '../../src/i18n/index.js';
import type { EffectiveSettings, Settings } from '../../src/store/settings.js';

/** A language's name as the reader's language says it ("Simplified Chinese", "英语"). */
export const languageName = (t: Translator, language: Language): string => t.t(`settings.languages.${language}`);

/** The plain values a setting can show, each `settings.show.values.<name>`. */
type ValueName = 'none' | 'all' | 'yes' | 'no' | 'unsafeAllowed' | 'noLimit' | 'off' | 'nobody' | 'installAllowed' | 'installRefused';

export interface SettingsViewOptions {
  apiMode?: ApiMode;
  /** The server's own locale (`guild_locale`), which public results follow when no language is chosen. */
  guildLocale?: string | null;
}

/** The effective settings of a channel, marking which ones the channel overrides. */
export function renderSettings(t: Translator, effective: EffectiveSettings, channelOverrides: Settings, channelId: string, options: SettingsViewOptions = {}): APIEmbed {
  const mark = (key: keyof Settings) => (channelOverrides[key] !== undefined ? t.t('settings.show.thisChannel') : '');
  const v = (key: ValueName) => t.t(`settings.show.values.${key}`);
  const sep = t.t('settings.show.separator');
  const code = (ids: readonly string[]) => ids.map((m) => `\`${m}\``).join(sep);
  const seconds = (n: number) => t.t('settings.show.values.seconds', { seconds: t.number(n) });
  const limit = (n: number | undefined, show: (n: number) => string) => (n !== undefined ? show(n) : v('noLimit'));
  const language = effective.language ? languageName(t, effective.language) : t.t('settings.show.values.languageDefault', { language: languageName(t, languageOf(options.guildLocale)) });
  const lines = [
    t.t('settings.show.lines.defaultModel', { value: effective.defaultModel ?? v('none'), mark: mark('defaultModel') }),
    t.t('settings.show.lines.allowedModels', { value: effective.allowedModels.length > 0 ? code(effective.allowedModels) : v('all'), mark: mark('allowedModels') }),
    t.t('settings.show.lines.maxVariants', { value: t.number(effective.maxVariants), mark: mark('maxVariants') }),
    t.t('settings.show.lines.allowUnsafe', { value: effective.allowUnsafe ? v('unsafeAllowed') : v('no'), mark: mark('allowUnsafe') }),
    t.t('settings.show.lines.bannedPatterns', { value: t.number(effective.bannedPatterns.length), mark: mark('bannedPatterns') }),
    t.t('settings.show.lines.negativePrompt', { value: effective.negativePrompt ? `\`${effective.negativePrompt.slice(0, 200)}\`` : v('none'), mark: mark('negativePrompt') }),
    t.t('settings.show.lines.allowHideWatermark', { value: effective.allowHideWatermark ? v('yes') : v('no'), mark: mark('allowHideWatermark') }),
    t.t('settings.show.lines.cooldown', { value: effective.cooldownSeconds > 0 ? seconds(effective.cooldownSeconds) : v('none'), mark: mark('cooldownSeconds') }),
    t.t('settings.show.lines.userDailyBudget', { value: limit(effective.userDailyBudgetUsd, (n) => t.usd(n)), mark: mark('userDailyBudgetUsd') }),
    t.t('settings.show.lines.guildDailyBudget', { value: limit(effective.guildDailyBudgetUsd, (n) => t.usd(n)) }),
    t.t('settings.show.lines.modLog', { value: effective.modLogChannelId ? `<#${effective.modLogChannelId}>` : v('off') }),
    t.t('settings.show.lines.userDailyImages', { value: limit(effective.userDailyImages, (n) => t.number(n)) }),
    ...effective.roleRules.map((r) =>
      t.t('settings.show.lines.roleRule', {
        roleId: r.roleId,
        value:
          [
            r.dailyImages === null ? t.t('settings.show.role.noImageLimit') : r.dailyImages !== undefined ? t.t('settings.show.role.imagesADay', { count: r.dailyImages }) : '',
            r.dailyBudgetUsd === null ? t.t('settings.show.role.noBudgetLimit') : r.dailyBudgetUsd !== undefined ? t.t('settings.show.role.budgetADay', { amount: t.usd(r.dailyBudgetUsd) }) : '',
            r.maxVariants !== undefined ? t.t('settings.show.role.upToVariants', { count: r.maxVariants }) : '',
            r.cooldownSeconds !== undefined ? t.t('settings.show.role.cooldown', { seconds: t.number(r.cooldownSeconds) }) : '',
            r.allowedModels ? t.t('settings.show.role.models', { models: code(r.allowedModels) }) : '',
          ]
            .filter(Boolean)
            .join(sep) || t.t('settings.show.role.defaultLimits'),
      }),
    ),
    t.t('settings.show.lines.blocked', { value: [...effective.blockedRoleIds.map((id) => `<@&${id}>`), ...effective.blockedUserIds.map((id) => `<@${id}>`)].join(sep) || v('nobody') }),
    t.t('settings.show.lines.userInstall', { value: effective.allowUserInstall ? v('installAllowed') : v('installRefused') }),
    t.t('settings.show.lines.language', { value: language }),
    effective.reviewEnabled && effective.reviewChannelId
      ? t.t('review.settings.reviewOn', { channel: `<#${effective.reviewChannelId}>`, hours: t.number(effective.reviewTimeoutHours), mark: mark('reviewEnabled') })
      : t.t('review.settings.reviewOff', { mark: mark('reviewEnabled') }),
    effective.galleryChannelId ? t.t('review.settings.galleryOn', { channel: `<#${effective.galleryChannelId}>`, count: t.number(effective.galleryStars) }) : t.t('review.settings.galleryOff'),
  ];
  // What the OpenAI-compatible endpoint cannot be made to honour, said where the rules are shown.
  const caveat = options.apiMode === 'openai' ? `\n\n${t.t('settings.show.openaiLimits')}` : '';
  return { title: t.t('settings.show.title'), description: `${t.t('settings.show.intro', { channelId })}\n${lines.join('\n')}${caveat}` };
}


export function renderBannedList(t: Translator, patterns: readonly string[]): string {
  if (patterns.length === 0) return t.t('settings.show.noBannedRules');
  const text = patterns.map((p, i) => `${t.number(i + 1)}. \`${p.replace(/`/g, 'ˋ')}\``).join('\n');
  return text.length > 1900 ? `${text.slice(0, 1899)}…` : text;
}
