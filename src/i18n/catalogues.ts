import enUSCatalogue from './locales/en-US.json' with { type: 'json' };
import esCatalogue from './locales/es.json' with { type: 'json' };
import zhCNCatalogue from './locales/zh-CN.json' with { type: 'json' };

/**
 * The message catalogues, one JSON file per language, a section per part of the bot. English
 * is the source; Spanish is shared by es-ES and es-419 (they differ in formats, which Intl
 * handles, not in the bot's wording).
 */
export const enUS = enUSCatalogue;
export type Catalogue = typeof enUS;

// Each must have the English catalogue's shape; the catalogue test checks that every key is
// in every language with the same placeholders, and the plural forms each language needs.
export const catalogues = {
  'en-US': enUS,
  'zh-CN': zhCNCatalogue,
  es: esCatalogue,
} satisfies Record<string, DeepPartialStrings<Catalogue>>;

type DeepPartialStrings<T> = { [K in keyof T]?: T[K] extends string ? string : DeepPartialStrings<T[K]> };
