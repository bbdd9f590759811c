import type { ImageModelWire, Quality } from './schemas.js';

/** An image model as the bot reasons about it: one sizing idiom, limits resolved. */
export interface ImageModel {
  id: string;
  name: string;
  /** `pixels`: width/height snapped to `divisor`; `aspect`: one of `aspectRatios`. */
  sizing: 'pixels' | 'aspect';
  divisor: number;
  aspectRatios: string[];
  defaultAspectRatio: string | undefined;
  resolutions: string[];
  defaultResolution: string | undefined;
  qualities: Quality[];
  defaultQuality: Quality | undefined;
  promptLimit: number;
  steps: { default: number; max: number } | undefined;
  uncensored: boolean;
  fast: boolean;
  deprecated: { date: string | undefined; replacement: string | undefined } | undefined;
  supportsWebSearch: boolean;
  traits: string[];
  pricing: NonNullable<ImageModelWire['model_spec']['pricing']>;
}

/** The spec caps `prompt` and `negative_prompt` at 7,500 whatever the model allows. */
export const SPEC_PROMPT_LIMIT = 7500;

/**
 * Turns a listed model into one the bot can use, or undefined for models that cannot make
 * an image from a prompt (offline ones, background removers without a prompt limit).
 */
export function toImageModel(wire: ImageModelWire): ImageModel | undefined {
  const spec = wire.model_spec;
  const c = spec.constraints;
  if (spec.offline === true || c?.promptCharacterLimit === undefined) return undefined;
  const aspectRatios = c.aspectRatios ?? [];
  const traits = spec.traits ?? [];
  return {
    id: wire.id,
    name: spec.name ?? wire.id,
    sizing: aspectRatios.length > 0 ? 'aspect' : 'pixels',
    divisor: c.widthHeightDivisor ?? 1,
    aspectRatios,
    defaultAspectRatio: c.defaultAspectRatio ?? aspectRatios[0],
    resolutions: c.resolutions ?? [],
    defaultResolution: c.defaultResolution ?? c.resolutions?.[0],
    qualities: c.qualities ?? [],
    defaultQuality: c.defaultQuality ?? c.qualities?.[0],
    promptLimit: Math.min(c.promptCharacterLimit, SPEC_PROMPT_LIMIT),
    steps: c.steps,
    uncensored: spec.uncensored === true,
    fast: traits.includes('fastest'),
    deprecated: spec.deprecation ? { date: spec.deprecation.date, replacement: spec.deprecation.replacementModelId } : undefined,
    supportsWebSearch: spec.capabilities?.supportsWebSearch === true,
    traits,
    pricing: spec.pricing ?? {},
  };
}

/** USD per image for the chosen resolution and quality, or undefined when Venice lists no price. */
export function pricePerImage(model: ImageModel, choice: { resolution?: string | undefined; quality?: Quality | undefined }): number | undefined {
  const p = model.pricing;
  const resolution = choice.resolution ?? model.defaultResolution;
  const quality = choice.quality ?? model.defaultQuality;
  if (p.quality && resolution && quality) {
    const v = p.quality[resolution]?.[quality]?.usd;
    if (v !== undefined) return v;
  }
  if (p.resolutions && resolution) {
    const v = p.resolutions[resolution]?.usd;
    if (v !== undefined) return v;
  }
  return p.generation?.usd;
}

/** The cheapest price a model is listed at, for autocomplete labels. */
export function lowestPrice(model: ImageModel): number | undefined {
  const all: number[] = [];
  if (model.pricing.generation) all.push(model.pricing.generation.usd);
  for (const v of Object.values(model.pricing.resolutions ?? {})) all.push(v.usd);
  for (const row of Object.values(model.pricing.quality ?? {})) for (const v of Object.values(row)) if (v) all.push(v.usd);
  return all.length > 0 ? Math.min(...all) : undefined;
}

export function formatUsd(usd: number): string {
  return usd < 0.1 ? `$${usd.toFixed(3).replace(/0$/, '')}` : `$${usd.toFixed(2)}`;
}
