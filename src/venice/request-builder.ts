import { UserError } from '../errors.js';
import type { CatalogSnapshot } from './catalog.js';
import { pricePerImage, type ImageModel } from './models.js';
import { QUALITIES, type Quality } from './schemas.js';
import type { GenerateImageBody, ImageFormat } from './types.js';

/** What the user asked for, after Discord parsed the options. Every field but the prompt is optional. */
export interface ImagineOptions {
  prompt: string;
  model?: string | undefined;
  style?: string | undefined;
  negative_prompt?: string | undefined;
  /** A ratio such as `16:9`, or for pixel models also a size such as `1024x768`. */
  aspect_ratio?: string | undefined;
  resolution?: string | undefined;
  quality?: string | undefined;
  variants?: number | undefined;
  seed?: number | undefined;
  cfg_scale?: number | undefined;
  steps?: number | undefined;
  format?: ImageFormat | undefined;
  hide_watermark?: boolean | undefined;
  safe_mode?: boolean | undefined;
  enhance_prompt?: boolean | undefined;
  web_search?: boolean | undefined;
}

export interface RequestContext {
  /** An age-restricted channel (`nsfw: true`), or a thread whose parent is one. DMs are not. */
  ageRestricted: boolean;
  /** The seed to start from when the user gave none; passed in so the builder stays pure. */
  randomSeed: number;
  defaultModelId: string | undefined;
  maxVariants?: number;
}

export interface ImageJobPlan {
  model: ImageModel;
  /** One body per variant: each is a separate request so each image gets its own blur verdict. */
  bodies: GenerateImageBody[];
  seeds: number[];
  /** Human description of the size: `1024x768` or `16:9 2K`. */
  sizeLabel: string;
  pricePerImageUsd: number | undefined;
  totalPriceUsd: number | undefined;
  style: string | undefined;
}

export const SEED_MIN = -999_999_999;
export const SEED_MAX = 999_999_999;
export const MAX_SIDE = 1280;
const DEFAULT_LONG_SIDE = 1024;

const RATIO = /^(\d{1,2})\s*:\s*(\d{1,2})$/;
const SIZE = /^(\d{1,5})\s*[x×*]\s*(\d{1,5})$/i;

/** Wraps a seed into Venice's range so `seed + i` for each variant stays valid. */
export function wrapSeed(seed: number): number {
  const span = SEED_MAX - SEED_MIN + 1;
  return ((((seed - SEED_MIN) % span) + span) % span) + SEED_MIN;
}

function snapDown(value: number, divisor: number): number {
  return Math.max(divisor, Math.floor(value / divisor) * divisor);
}

/** Width and height for a ratio on a pixel model: long side 1024, both snapped to the divisor. */
export function sizeForRatio(w: number, h: number, divisor: number): { width: number; height: number } {
  const long = snapDown(DEFAULT_LONG_SIDE, divisor);
  if (w >= h) return { width: long, height: snapDown(Math.round((long * h) / w), divisor) };
  return { width: snapDown(Math.round((long * w) / h), divisor), height: long };
}

function pickSize(model: ImageModel, input: string | undefined): { width: number; height: number } {
  if (input === undefined || input.trim() === '') return sizeForRatio(1, 1, model.divisor);
  const text = input.trim();
  const ratio = RATIO.exec(text);
  if (ratio) {
    const w = Number(ratio[1]);
    const h = Number(ratio[2]);
    if (w === 0 || h === 0 || Math.max(w / h, h / w) > 4) throw new UserError('venice.request.ratioTooExtreme', { ratio: text });
    return sizeForRatio(w, h, model.divisor);
  }
  const size = SIZE.exec(text);
  if (!size) throw new UserError('venice.request.notASize', { text });
  const width = Number(size[1]);
  const height = Number(size[2]);
  if (width < model.divisor || height < model.divisor || width > MAX_SIDE || height > MAX_SIDE) {
    throw new UserError('venice.request.sideOutOfRange', { min: model.divisor, max: MAX_SIDE, text });
  }
  const snapped = { width: snapDown(width, model.divisor), height: snapDown(height, model.divisor) };
  return snapped;
}

/** Option values as the member types them: code, the same in every language. */
function listOf(values: readonly string[]): string {
  return values.map((v) => `\`${v}\``).join(', ');
}

function checkLength(key: 'venice.request.promptTooLong' | 'venice.request.negativePromptTooLong', text: string, model: ImageModel): void {
  if (text.length > model.promptLimit) {
    throw new UserError(key, { length: text.length, model: model.name, max: model.promptLimit });
  }
}

/** Finds the model the user named (id or display name, any case), or the default. */
export function resolveModel(catalog: CatalogSnapshot, requested: string | undefined, defaultModelId: string | undefined): ImageModel {
  if (catalog.models.length === 0) throw new UserError('venice.request.catalogNotLoaded');
  if (requested !== undefined && requested.trim() !== '') {
    const wanted = requested.trim().toLowerCase();
    const found = catalog.byId.get(requested.trim()) ?? catalog.models.find((m) => m.id.toLowerCase() === wanted || m.name.toLowerCase() === wanted);
    if (!found) throw new UserError('venice.request.unknownModel', { name: requested.trim().slice(0, 60) });
    return found;
  }
  const fallback = (defaultModelId ? catalog.byId.get(defaultModelId) : undefined) ?? catalog.models[0];
  if (!fallback) throw new UserError('venice.request.noModel');
  return fallback;
}

/**
 * Turns what the user asked for into the requests Venice will accept for the chosen model,
 * or throws a `UserError` that says what to change. Pure: no I/O, no clock, no randomness.
 * Its refusals carry only values the member typed or can type (sizes, counts, seeds, model
 * names), left unformatted, so the reader's language is chosen where the refusal is shown.
 */
export function buildImageJob(options: ImagineOptions, catalog: CatalogSnapshot, ctx: RequestContext): ImageJobPlan {
  const model = resolveModel(catalog, options.model, ctx.defaultModelId);
  const prompt = options.prompt.trim();
  if (prompt === '') throw new UserError('venice.request.emptyPrompt');
  checkLength('venice.request.promptTooLong', prompt, model);

  const body: GenerateImageBody = { model: model.id, prompt };

  const negative = options.negative_prompt?.trim();
  if (negative) {
    checkLength('venice.request.negativePromptTooLong', negative, model);
    body.negative_prompt = negative;
  }

  let sizeLabel: string;
  if (model.sizing === 'aspect') {
    const wanted = options.aspect_ratio?.trim().replace(/\s+/g, '');
    const ratio = wanted === undefined || wanted === '' ? model.defaultAspectRatio : wanted;
    if (ratio === undefined || !model.aspectRatios.includes(ratio)) {
      throw new UserError('venice.request.aspectRatios', { model: model.name, choices: listOf(model.aspectRatios) });
    }
    body.aspect_ratio = ratio;
    sizeLabel = ratio;
  } else {
    const { width, height } = pickSize(model, options.aspect_ratio);
    body.width = width;
    body.height = height;
    sizeLabel = `${width}x${height}`;
  }

  if (model.resolutions.length > 0) {
    const resolution = options.resolution?.trim().toUpperCase() || model.defaultResolution;
    if (resolution === undefined || !model.resolutions.includes(resolution)) {
      throw new UserError('venice.request.resolutions', { model: model.name, choices: listOf(model.resolutions) });
    }
    body.resolution = resolution;
    sizeLabel += ` ${resolution}`;
  } else if (options.resolution) {
    throw new UserError('venice.request.noResolution', { model: model.name });
  }

  if (model.qualities.length > 0) {
    const quality = (options.quality?.trim().toLowerCase() || model.defaultQuality) as Quality | undefined;
    if (quality === undefined || !model.qualities.includes(quality)) {
      throw new UserError('venice.request.qualities', { model: model.name, choices: listOf(model.qualities) });
    }
    body.quality = quality;
  } else if (options.quality) {
    throw new UserError('venice.request.noQuality', { model: model.name, choices: listOf(QUALITIES) });
  }

  if (options.steps !== undefined) {
    if (!model.steps) throw new UserError('venice.request.noSteps', { model: model.name });
    if (!Number.isInteger(options.steps) || options.steps < 1 || options.steps > model.steps.max) {
      throw new UserError('venice.request.steps', { model: model.name, max: model.steps.max });
    }
    body.steps = options.steps;
  }

  if (options.cfg_scale !== undefined) {
    if (!(options.cfg_scale > 0 && options.cfg_scale <= 20)) throw new UserError('venice.request.cfgScale');
    body.cfg_scale = options.cfg_scale;
  }

  let style: string | undefined;
  if (options.style !== undefined && options.style.trim() !== '') {
    style = catalog.styleByLower.get(options.style.trim().toLowerCase());
    if (!style) throw new UserError('venice.request.unknownStyle', { name: options.style.trim().slice(0, 60) });
    body.style_preset = style;
  }

  if (options.safe_mode === false && !ctx.ageRestricted) {
    throw new UserError('venice.request.safeMode');
  }
  // Venice defaults to safe mode; we send it explicitly so the choice is ours, not a default that may change.
  body.safe_mode = ctx.ageRestricted ? options.safe_mode !== false : true;

  if (options.web_search) {
    if (!model.supportsWebSearch) throw new UserError('venice.request.webSearch', { model: model.name });
    body.enable_web_search = true;
  }
  if (options.hide_watermark) body.hide_watermark = true;
  if (options.enhance_prompt) body.enhance_prompt = true;
  body.format = options.format ?? 'webp';

  const maxVariants = Math.min(4, ctx.maxVariants ?? 4);
  const variants = options.variants ?? 1;
  if (!Number.isInteger(variants) || variants < 1 || variants > maxVariants) {
    throw new UserError('venice.request.variants', { max: maxVariants });
  }

  let seed = ctx.randomSeed;
  if (options.seed !== undefined) {
    if (!Number.isInteger(options.seed) || options.seed < SEED_MIN || options.seed > SEED_MAX) {
      throw new UserError('venice.request.seed', { min: SEED_MIN, max: SEED_MAX });
    }
    seed = options.seed;
  }
  const seeds = Array.from({ length: variants }, (_, i) => wrapSeed(seed + i));
  const bodies = seeds.map((s) => ({ ...body, seed: s }));

  const price = pricePerImage(model, { resolution: body.resolution, quality: body.quality });
  return {
    model,
    bodies,
    seeds,
    sizeLabel,
    pricePerImageUsd: price,
    totalPriceUsd: price === undefined ? undefined : Math.round(price * variants * 1e6) / 1e6,
    style,
  };
}
