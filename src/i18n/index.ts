import i18next, { type TFunction } from 'i18next';
import { catalogues, type Catalogue } from './catalogues.js';

/** The languages the bot speaks, as Discord names them. Every other locale gets English. */
export const LANGUAGES = ['en-US', 'zh-CN', 'es-ES', 'es-419'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Which catalogue each language reads; both Spanish locales share one. */
export const CATALOGUE_OF: Record<Language, keyof typeof catalogues> = { 'en-US': 'en-US', 'zh-CN': 'zh-CN', 'es-ES': 'es', 'es-419': 'es' };

const PLURAL_SUFFIX = /_(zero|one|two|few|many|other)$/;

type StripPlural<K extends string> = K extends `${infer Base}_${'zero' | 'one' | 'two' | 'few' | 'many' | 'other'}` ? Base : K;
type Paths<T> = {
  [K in keyof T & string]: T[K] extends string ? StripPlural<K> : `${K}.${Paths<T[K]>}`;
}[keyof T & string];

/** Every key of the English catalogue, plural forms folded into one key (pass `count`). */
export type MessageKey = Paths<Catalogue>;
export type MessageParams = Readonly<Record<string, string | number>>;

/** Something to say, not yet said: rendered in the reader's language where it is shown. */
export interface Message {
  key: MessageKey;
  params?: MessageParams | undefined;
}

export const message = (key: MessageKey, params?: MessageParams): Message => ({ key, params });

const instance = i18next.createInstance();
void instance.init({
  // The catalogues are in memory: initialise synchronously so `t` works from the first line.
  initAsync: false,
  lng: 'en-US',
  fallbackLng: 'en-US',
  supportedLngs: [...LANGUAGES],
  resources: Object.fromEntries(LANGUAGES.map((lng) => [lng, { translation: catalogues[CATALOGUE_OF[lng]] }])),
  // Replies are Discord markdown, not HTML: user text is escaped where it is inserted, by us.
  interpolation: { escapeValue: false },
  returnNull: false,
});

/** The bot's language for a Discord locale: one of ours, or English. */
export function languageOf(locale: string | null | undefined): Language {
  return (LANGUAGES as readonly string[]).includes(locale ?? '') ? (locale as Language) : 'en-US';
}

/** Says things in one language, with numbers, money and durations formatted for it. */
export interface Translator {
  readonly language: Language;
  t(key: MessageKey, params?: MessageParams): string;
  render(message: Message): string;
  /** A price in US dollars: cents for sums over 10 cents, tenths of a cent below. */
  usd(amount: number): string;
  number(value: number, options?: Intl.NumberFormatOptions): string;
  /** A wait as people say it: "45 s", "3 min", "2 h". */
  duration(ms: number): string;
  /** "a, b and c" in the language's own way. */
  list(items: readonly string[]): string;
  /** A UTC calendar day (YYYY-MM-DD) as the language writes a date. */
  day(isoDay: string): string;
}

const cache = new Map<Language, Translator>();
/** Rendered texts each language keeps (a few hundred keys, and values that recur), and the longest key+values kept. */
const SAID_KEPT = 1024;
const SAID_KEY_MAX = 160;

export function translator(locale: string | null | undefined): Translator {
  const language = languageOf(locale);
  let t = cache.get(language);
  if (!t) {
    t = createTranslator(language);
    cache.set(language, t);
  }
  return t;
}

/** English, for logs, the command definitions' source text and anything with no reader yet. */
export const en: Translator = translator('en-US');

function createTranslator(language: Language): Translator {
  const fixed: TFunction = instance.getFixedT(language);
  // i18next takes about 10 µs a lookup and a result message makes dozens (its buttons, its
  // menu): what was said once is said again from a map. The catalogues never change while the
  // bot runs. Texts with short values are kept too, since most of those recur (image numbers,
  // counts), but not long ones (most prompts), nor NaN or Infinity, which JSON writes alike as
  // null; the map starts over when full.
  const said = new Map<string, string>();
  const say = (key: MessageKey, params?: MessageParams): string => {
    const memo = params === undefined ? key : `${key}\u0000${JSON.stringify(params)}`;
    const kept = said.get(memo);
    if (kept !== undefined) return kept;
    const text = fixed(key, params ?? {});
    if (memo.length <= SAID_KEY_MAX && (params === undefined || Object.values(params).every((v) => typeof v === 'string' || Number.isFinite(v)))) {
      if (said.size >= SAID_KEPT) said.clear();
      said.set(memo, text);
    }
    return text;
  };
  const cents = new Intl.NumberFormat(language, { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const mills = new Intl.NumberFormat(language, { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 3 });
  const lists = new Intl.ListFormat(language, { style: 'long', type: 'conjunction' });
  const days = new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeZone: 'UTC' });
  // Building an Intl.NumberFormat costs far more than formatting with one, and queue updates
  // format numbers on every message: one formatter per set of options, made once.
  const numbers = new Map<string, Intl.NumberFormat>();
  const numberFormat = (options: Intl.NumberFormatOptions | undefined): Intl.NumberFormat => {
    const key = options === undefined ? '' : JSON.stringify(options);
    let format = numbers.get(key);
    if (!format) {
      format = new Intl.NumberFormat(language, options);
      numbers.set(key, format);
    }
    return format;
  };
  return {
    language,
    t: say,
    render: (m) => say(m.key, m.params),
    usd: (amount) => (amount < 0.1 ? mills : cents).format(amount),
    number: (value, options) => numberFormat(options).format(value),
    duration(ms) {
      // Rounded as people say a wait: "45 s", "3 min", "2 h". The units are catalogue text
      // (with plural forms), since Intl's short units differ from what the bot has always said.
      const s = Math.max(1, Math.round(ms / 1000));
      if (s < 60) return say('common.duration.seconds', { count: s });
      if (s < 3600) return say('common.duration.minutes', { count: Math.round(s / 60) });
      if (s < 86_400) return say('common.duration.hours', { count: Math.round(s / 3600) });
      return say('common.duration.days', { count: Math.round(s / 86_400) });
    },
    list: (items) => lists.format(items),
    day: (isoDay) => days.format(new Date(`${isoDay}T00:00:00Z`)),
  };
}

/** For the catalogue test: a key's plural family, as i18next stores it. */
export const pluralBase = (key: string): string => key.replace(PLURAL_SUFFIX, '');

/**
 * The locale of what everyone in the channel reads: the language the admins chose with
 * `/settings language`, else the server's own (`guild_locale`), else, outside a server, the
 * requester's. What only the requester reads follows their `locale` instead.
 */
export function publicLocaleOf(interaction: { guildLocale: string | null; locale: string }, chosen: string | undefined): string {
  return chosen ?? interaction.guildLocale ?? interaction.locale;
}
