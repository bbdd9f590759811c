import type { AutocompleteChoice } from '../../src/discord/command.js';
import { LANGUAGES, en, translator, type Language, type Translator } from '../../src/i18n/index.js';
import type { CatalogSnapshot } from '../../src/venice/catalog.js';
import { lowestPrice, type ImageModel } from '../../src/venice/models.js';
import { sizeForRatio } from '../../src/venice/request-builder.js';

const LIMIT = 25;
/** Discord cuts choice names at 100 characters. */
const NAME_MAX = 100;
/** The largest side Venice takes for a pixel size. */
const SIDE_MAX = 1280;

type Shape = 'square' | 'landscape' | 'widescreen' | 'cinema' | 'portrait' | 'phone';

const PIXEL_RATIOS: ReadonlyArray<readonly [string, number, number, Shape]> = [
  ['1:1', 1, 1, 'square'],
  ['3:2', 3, 2, 'landscape'],
  ['4:3', 4, 3, 'landscape'],
  ['16:9', 16, 9, 'widescreen'],
  ['21:9', 21, 9, 'cinema'],
  ['2:3', 2, 3, 'portrait'],
  ['3:4', 3, 4, 'portrait'],
  ['4:5', 4, 5, 'portrait'],
  ['9:16', 9, 16, 'phone'],
];

/** The words autocomplete adds to Venice's names, looked up once per language, not per keystroke. */
interface Words {
  marks: { fast: string; uncensored: string; deprecated: string };
  /** "16:9 widescreen", per ratio, in PIXEL_RATIOS's order. */
  ratioLabels: readonly string[];
}

const WORDS: ReadonlyMap<Language, Words> = new Map(
  LANGUAGES.map((language) => {
    const t = translator(language);
    const words: Words = {
      marks: { fast: t.t('imagine.autocomplete.fast'), uncensored: t.t('imagine.autocomplete.uncensored'), deprecated: t.t('imagine.autocomplete.deprecated') },
      ratioLabels: PIXEL_RATIOS.map(([ratio, , , shape]) => `${ratio} ${t.t(`imagine.autocomplete.shapes.${shape}`)}`),
    };
    return [language, words];
  }),
);

const wordsOf = (t: Translator): Words => WORDS.get(t.language) ?? (WORDS.get('en-US') as Words);

/** A choice name Discord accepts, however long the model's name or the language's words. */
const fitName = (name: string): string => (name.length > NAME_MAX ? `${name.slice(0, NAME_MAX - 1)}…` : name);

/** Ranks prefix matches before substring matches, keeping the list's own order within each. */
function filterByText<T>(items: readonly T[], typed: string, keys: (item: T) => string[]): T[] {
  const q = typed.trim().toLowerCase();
  if (q === '') return items.slice(0, LIMIT);
  const starts: T[] = [];
  const contains: T[] = [];
  for (const item of items) {
    const ks = keys(item).map((k) => k.toLowerCase());
    if (ks.some((k) => k.startsWith(q))) starts.push(item);
    else if (ks.some((k) => k.includes(q))) contains.push(item);
    if (starts.length >= LIMIT) break;
  }
  return [...starts, ...contains].slice(0, LIMIT);
}

/** A model as autocomplete offers it: Venice's name, then our price ("from $0.02/image") and marks, in the reader's language. */
export function modelLabel(t: Translator, model: ImageModel): string {
  const price = lowestPrice(model);
  const { marks: words } = wordsOf(t);
  const marks = [model.fast ? words.fast : '', model.uncensored ? words.uncensored : '', model.deprecated ? words.deprecated : ''].filter(Boolean);
  const varies = model.resolutions.length > 0 || model.qualities.length > 0;
  const priceText = price === undefined ? '' : ` · ${t.t(varies ? 'imagine.autocomplete.fromPerImage' : 'imagine.autocomplete.perImage', { price: t.usd(price) })}`;
  const suffix = `${priceText}${marks.length ? ` · ${marks.join(' ')}` : ''}`;
  // Discord cuts choice names at 100 characters: shorten the name, never the price or marks.
  const room = NAME_MAX - suffix.length;
  const name = model.name.length > room ? `${model.name.slice(0, room - 1)}…` : model.name;
  return `${name}${suffix}`;
}

export function suggestModels(t: Translator, catalog: CatalogSnapshot, typed: string, allowed?: ReadonlySet<string>): AutocompleteChoice[] {
  // Deprecated models stay offered (people reproduce old seeds) but sort last.
  const ordered = [...catalog.models.filter((m) => !m.deprecated), ...catalog.models.filter((m) => m.deprecated)].filter((m) => !allowed || allowed.has(m.id));
  // Filtering ranks prefix matches first, which would lift a deprecated prefix match above live models.
  const matches = filterByText(ordered, typed, (m) => [m.id, m.name]);
  return [...matches.filter((m) => !m.deprecated), ...matches.filter((m) => m.deprecated)].map((m) => ({ name: modelLabel(t, m), value: m.id }));
}

export function suggestStyles(catalog: CatalogSnapshot, typed: string): AutocompleteChoice[] {
  return filterByText(catalog.styles, typed, (s) => [s]).map((s) => ({ name: s, value: s }));
}

/** "1:1 (default)" for the model's default, the bare value for the rest. */
const markDefault = (t: Translator, value: string, defaultValue: string | undefined): string => (value === defaultValue ? t.t('imagine.autocomplete.default', { value }) : value);

/** Sizes for the model already chosen in the same command: its ratios, or pixel sizes on its divisor. */
export function suggestSizes(t: Translator, model: ImageModel | undefined, typed: string): AutocompleteChoice[] {
  if (!model) return [];
  if (model.sizing === 'aspect') {
    return filterByText(model.aspectRatios, typed, (r) => [r]).map((r) => ({ name: markDefault(t, r, model.defaultAspectRatio), value: r }));
  }
  const exact = /^(\d{2,4})\s*[x×*]\s*(\d{2,4})$/i.exec(typed.trim());
  if (exact) {
    const snap = (v: number) => Math.min(SIDE_MAX, Math.max(model.divisor, Math.floor(v / model.divisor) * model.divisor));
    const value = `${snap(Number(exact[1]))}x${snap(Number(exact[2]))}`;
    return [{ name: fitName(t.t('imagine.autocomplete.fitted', { size: value, model: model.name, divisor: model.divisor, max: SIDE_MAX })), value }];
  }
  const { ratioLabels } = wordsOf(t);
  const english = wordsOf(en).ratioLabels;
  const sizes = PIXEL_RATIOS.map(([, w, h], i) => {
    const s = sizeForRatio(w, h, model.divisor);
    // i18n-exempt: a pixel size and the shape's label, already in the reader's language
    return { name: `${s.width}x${s.height} · ${ratioLabels[i] ?? ''}`, value: `${s.width}x${s.height}`, english: english[i] ?? '' };
  });
  // "portrait" finds the portrait sizes in every language, as the reader's own word does.
  return filterByText(sizes, typed, (s) => [s.name, s.english]).map(({ name, value }) => ({ name, value }));
}

export function suggestResolutions(t: Translator, model: ImageModel | undefined, typed: string): AutocompleteChoice[] {
  if (!model) return [];
  return filterByText(model.resolutions, typed, (r) => [r]).map((r) => ({ name: markDefault(t, r, model.defaultResolution), value: r }));
}

export function suggestQualities(t: Translator, model: ImageModel | undefined, typed: string): AutocompleteChoice[] {
  if (!model) return [];
  return filterByText(model.qualities, typed, (q) => [q]).map((q) => ({ name: markDefault(t, q, model.defaultQuality), value: q }));
}
