import type { EditModelWire, Quality } from './schemas.js';

/** An edit model as the bot reasons about it, from the spec's Inpaint Model Constraints. */
export interface EditModel {
  id: string;
  name: string;
  /** `auto` and the ratios the model takes; empty when it lists none. */
  aspectRatios: string[];
  resolutions: string[];
  defaultResolution: string | undefined;
  qualities: Quality[];
  promptLimit: number;
  /** How many images one request may carry, the base included. */
  maxInputImages: number;
  uncensored: boolean;
  pricing: NonNullable<EditModelWire['model_spec']['pricing']>;
}

/** The spec caps an edit prompt at 32,768 characters whatever the model allows. */
export const EDIT_PROMPT_LIMIT = 32_768;

export function toEditModel(wire: EditModelWire): EditModel | undefined {
  const spec = wire.model_spec;
  if (spec.offline === true) return undefined;
  const c = spec.constraints ?? {};
  // The spec: "Absent means the default of 3 (or 1 when combineImages is false)".
  const maxInputImages = c.maxInputImages ?? (c.combineImages === false ? 1 : 3);
  return {
    id: wire.id,
    name: spec.name ?? wire.id,
    aspectRatios: c.aspectRatios ?? [],
    resolutions: c.resolutions ?? [],
    defaultResolution: c.defaultResolution ?? c.resolutions?.[0],
    qualities: c.qualities ?? [],
    promptLimit: Math.min(c.promptCharacterLimit ?? EDIT_PROMPT_LIMIT, EDIT_PROMPT_LIMIT),
    maxInputImages,
    uncensored: spec.uncensored === true,
    pricing: spec.pricing ?? {},
  };
}

/**
 * USD for one edit: the resolution's (or quality's) price, else the flat one, plus what
 * Venice charges per input image beyond those included. Undefined when Venice lists none.
 */
export function editPrice(model: EditModel, choice: { resolution?: string | undefined; quality?: Quality | undefined; inputs: number }): number | undefined {
  const p = model.pricing;
  const resolution = choice.resolution ?? model.defaultResolution;
  let base: number | undefined;
  if (p.quality && resolution && choice.quality) base = p.quality[resolution]?.[choice.quality]?.usd;
  if (base === undefined && p.resolutions && resolution) base = p.resolutions[resolution]?.usd;
  base ??= p.inpaint?.usd;
  if (base === undefined) return undefined;
  const extra = p.inputImages ? Math.max(0, choice.inputs - p.inputImages.included) * p.inputImages.additional.usd : 0;
  return Math.round((base + extra) * 1e6) / 1e6;
}
