import type { AutocompleteChoice } from '../../src/discord/command.js';
import type { CatalogSnapshot } from '../../src/venice/catalog.js';
import { formatUsd, lowestPrice, type ImageModel } from '../../src/venice/models.js';
import { sizeForRatio } from '../../src/venice/request-builder.js';

const LIMIT = 25;

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

export function modelLabel(model: ImageModel): string {
  const price = lowestPrice(model);
  const marks = [model.fast ? '⚡ fast' : '', model.uncensored ? '🔓 uncensored' : '', model.deprecated ? '⚠️ deprecated' : ''].filter(Boolean);
  const priceText = price === undefined ? '' : ` · ${model.resolutions.length > 0 || model.qualities.length > 0 ? 'from ' : ''}${formatUsd(price)}/image`;
  const suffix = `${priceText}${marks.length ? ` · ${marks.join(' ')}` : ''}`;
  // Discord cuts choice names at 100 characters: shorten the name, never the price or marks.
  const room = 100 - suffix.length;
  const name = model.name.length > room ? `${model.name.slice(0, room - 1)}…` : model.name;
  return `${name}${suffix}`;
}

export function suggestModels(catalog: CatalogSnapshot, typed: string, allowed?: ReadonlySet<string>): AutocompleteChoice[] {
  // Deprecated models stay offered (people reproduce old seeds) but sort last.
  const ordered = [...catalog.models.filter((m) => !m.deprecated), ...catalog.models.filter((m) => m.deprecated)].filter((m) => !allowed || allowed.has(m.id));
  // Filtering ranks prefix matches first, which would lift a deprecated prefix match above live models.
  const matches = filterByText(ordered, typed, (m) => [m.id, m.name]);
  return [...matches.filter((m) => !m.deprecated), ...matches.filter((m) => m.deprecated)].map((m) => ({ name: modelLabel(m), value: m.id }));
}

export function suggestStyles(catalog: CatalogSnapshot, typed: string): AutocompleteChoice[] {
  return filterByText(catalog.styles, typed, (s) => [s]).map((s) => ({ name: s, value: s }));
}

const PIXEL_RATIOS: Array<[string, number, number, string]> = [
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

/** Sizes for the model already chosen in the same command: its ratios, or pixel sizes on its divisor. */
export function suggestSizes(model: ImageModel | undefined, typed: string): AutocompleteChoice[] {
  if (!model) return [];
  if (model.sizing === 'aspect') {
    return filterByText(model.aspectRatios, typed, (r) => [r]).map((r) => ({ name: r === model.defaultAspectRatio ? `${r} (default)` : r, value: r }));
  }
  const sizes = PIXEL_RATIOS.map(([ratio, w, h, label]) => {
    const s = sizeForRatio(w, h, model.divisor);
    return { name: `${s.width}x${s.height} · ${ratio} ${label}`, value: `${s.width}x${s.height}` };
  });
  const exact = /^(\d{2,4})\s*[x×*]\s*(\d{2,4})$/i.exec(typed.trim());
  if (exact) {
    const snap = (v: number) => Math.min(1280, Math.max(model.divisor, Math.floor(v / model.divisor) * model.divisor));
    const value = `${snap(Number(exact[1]))}x${snap(Number(exact[2]))}`;
    return [{ name: `${value} (fits ${model.name}: multiples of ${model.divisor}, at most 1280)`, value }];
  }
  return filterByText(sizes, typed, (s) => [s.name]);
}

export function suggestResolutions(model: ImageModel | undefined, typed: string): AutocompleteChoice[] {
  if (!model) return [];
  return filterByText(model.resolutions, typed, (r) => [r]).map((r) => ({ name: r === model.defaultResolution ? `${r} (default)` : r, value: r }));
}

export function suggestQualities(model: ImageModel | undefined, typed: string): AutocompleteChoice[] {
  if (!model) return [];
  return filterByText(model.qualities, typed, (q) => [q]).map((q) => ({ name: q === model.defaultQuality ? `${q} (default)` : q, value: q }));
}
