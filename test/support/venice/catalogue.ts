/**
 * The simulator's image-model catalogue, in the shape of the spec's `ModelResponse`
 * (`GET /models?type=image`). Ids, names, creation times, privacy, traits and prices come from
 * test/fixtures/venice-static-models.json; that list carries no `constraints`, so those follow
 * the live values in venice-notes.md where it gives them and are plausible guesses elsewhere.
 * The edit models (`GET /models?type=inpaint`) are at the end.
 */
import { readFileSync } from 'node:fs';

export type Quality = 'low' | 'medium' | 'high';

export interface UsdDiem {
  usd: number;
  diem: number;
}

/** `model_spec.constraints`, "Image Model Constraints" branch of the spec. */
export interface SimImageConstraints {
  promptCharacterLimit: number;
  steps: { default: number; max: number };
  widthHeightDivisor: number;
  aspectRatios?: string[];
  defaultAspectRatio?: string;
  resolutions?: string[];
  defaultResolution?: string;
  qualities?: Quality[];
  defaultQuality?: Quality;
  maxStyleReferences?: number;
  supportsStyleReferenceStrength?: boolean;
}

/** `model_spec.pricing`, "Image Model Pricing" branch of the spec. */
export interface SimImagePricing {
  generation?: UsdDiem;
  resolutions?: Record<string, UsdDiem>;
  quality?: Record<string, Partial<Record<Quality, UsdDiem>>>;
  upscale: { '2x': UsdDiem; '4x': UsdDiem };
}

export interface SimModelDeprecation {
  autoRemap: boolean;
  date: string;
  removesAt: string;
  replacementModelId?: string;
  startsAt?: string;
}

export interface SimModelSpec {
  name: string;
  description?: string;
  modelSource?: string;
  privacy: 'private' | 'anonymized';
  offline: boolean;
  beta?: boolean;
  betaModel?: boolean;
  uncensored?: boolean;
  traits: string[];
  pricing: SimImagePricing;
  /** Absent for models that cannot generate from a prompt (bria-bg-remover). */
  constraints?: SimImageConstraints;
  supportsStyleReferences?: boolean;
  deprecation?: SimModelDeprecation;
}

export interface SimModel {
  id: string;
  type: 'image';
  object: 'model';
  owned_by: 'venice.ai';
  created: number;
  model_spec: SimModelSpec;
}

const ratios8 = ['1:1', '3:2', '16:9', '21:9', '9:16', '2:3', '3:4', '4:5'];
const ratios7 = ['1:1', '16:9', '9:16', '4:3', '3:4', '3:2', '2:3'];
const kreaRatios = ['1:1', '3:2', '2:3', '16:9', '9:16'];

const usd = (value: number): UsdDiem => ({ usd: value, diem: value });
const upscalePrice = { '2x': usd(0.02), '4x': usd(0.08) };
const flat = (value: number): SimImagePricing => ({ generation: usd(value), upscale: upscalePrice });
const byResolution = (prices: Record<string, number>): SimImagePricing => ({
  resolutions: Object.fromEntries(Object.entries(prices).map(([res, value]) => [res, usd(value)])),
  upscale: upscalePrice,
});

function pixel(divisor: number, promptCharacterLimit: number, steps: [number, number]): SimImageConstraints {
  return { promptCharacterLimit, steps: { default: steps[0], max: steps[1] }, widthHeightDivisor: divisor };
}

function ratio(
  aspectRatios: string[],
  promptCharacterLimit: number,
  extra: Partial<SimImageConstraints> = {},
): SimImageConstraints {
  // The spec makes steps and widthHeightDivisor required even where the model ignores them; Venice sends 1.
  return {
    promptCharacterLimit,
    steps: { default: 20, max: 50 },
    widthHeightDivisor: 1,
    aspectRatios,
    defaultAspectRatio: '1:1',
    ...extra,
  };
}

const res2 = { resolutions: ['1K', '2K'], defaultResolution: '1K' };
const res3 = { resolutions: ['1K', '2K', '4K'], defaultResolution: '1K' };

interface Entry {
  id: string;
  name: string;
  created: number;
  privacy: 'private' | 'anonymized';
  pricing: SimImagePricing;
  constraints?: SimImageConstraints;
  traits?: string[];
  uncensored?: boolean;
  extra?: Partial<SimModelSpec>;
}

const entries: Entry[] = [
  { id: 'wai-Illustrious', name: 'Anime (WAI)', created: 1736635129, privacy: 'private', uncensored: true, pricing: flat(0.01), constraints: pixel(8, 1500, [30, 50]) },
  // Only removes backgrounds: listed under image, but has no prompt constraints at all.
  { id: 'bria-bg-remover', name: 'Background Remover', created: 1772064000, privacy: 'anonymized', pricing: flat(0.03) },
  { id: 'chroma', name: 'Chroma', created: 1769731200, privacy: 'private', uncensored: true, pricing: flat(0.01), constraints: pixel(16, 7500, [26, 50]) },
  { id: 'flux-2-max', name: 'Flux 2 Max', created: 1764086377, privacy: 'anonymized', pricing: flat(0.09), constraints: pixel(16, 7500, [25, 50]) },
  { id: 'flux-2-pro', name: 'Flux 2 Pro', created: 1764086377, privacy: 'anonymized', pricing: flat(0.03), constraints: pixel(16, 7500, [25, 50]) },
  { id: 'gpt-image-1-5', name: 'GPT Image 1.5', created: 1765986864, privacy: 'anonymized', pricing: flat(0.26), constraints: ratio(['1:1', '3:2', '2:3'], 32000) },
  {
    id: 'gpt-image-2',
    name: 'GPT Image 2',
    created: 1776729600,
    privacy: 'anonymized',
    pricing: {
      resolutions: { '1K': usd(0.27), '2K': usd(0.51), '4K': usd(0.84) },
      quality: {
        '1K': { high: usd(0.26), low: usd(0.02), medium: usd(0.07) },
        '2K': { high: usd(0.5), low: usd(0.03), medium: usd(0.13) },
        '4K': { high: usd(0.83), low: usd(0.05), medium: usd(0.21) },
      },
      upscale: upscalePrice,
    },
    constraints: ratio(ratios8, 10000, { ...res3, qualities: ['low', 'medium', 'high'], defaultQuality: 'high' }),
  },
  { id: 'grok-imagine-image', name: 'Grok Imagine', created: 1775692800, privacy: 'private', pricing: byResolution({ '1K': 0.03, '2K': 0.04 }), constraints: ratio(ratios7, 8000, res2) },
  {
    id: 'grok-imagine-image-2-0',
    name: 'Grok Imagine 2.0',
    created: 1786406400,
    privacy: 'private',
    pricing: {
      resolutions: { '1K': usd(0.07), '2K': usd(0.1) },
      quality: {
        '1K': { low: usd(0.05), medium: usd(0.07) },
        '2K': { low: usd(0.07), medium: usd(0.1) },
      },
      upscale: upscalePrice,
    },
    constraints: ratio(ratios7, 8000, { ...res2, qualities: ['low', 'medium'], defaultQuality: 'medium' }),
  },
  { id: 'grok-imagine-image-quality', name: 'Grok Imagine High Quality (SOTA)', created: 1778112000, privacy: 'private', pricing: byResolution({ '1K': 0.06, '2K': 0.09 }), constraints: ratio(ratios7, 8000, res2) },
  { id: 'hunyuan-image-v3', name: 'Hunyuan Image 3.0', created: 1772323200, privacy: 'private', pricing: flat(0.09), constraints: pixel(16, 4000, [25, 50]) },
  { id: 'ideogram-v4', name: 'Ideogram V4', created: 1780444800, privacy: 'anonymized', pricing: flat(0.06), constraints: ratio(ratios7, 4000) },
  { id: 'imagineart-1.5-pro', name: 'ImagineArt 1.5 Pro', created: 1769437800, privacy: 'anonymized', pricing: flat(0.06), constraints: ratio(ratios8, 4000) },
  { id: 'krea-2-turbo', name: 'Krea 2 Turbo', created: 1782777600, privacy: 'private', uncensored: true, pricing: byResolution({ '1K': 0.04, '2K': 0.06 }), constraints: ratio(ratios8, 5000, res2) },
  {
    id: 'krea-v2-large',
    name: 'Krea v2 Large',
    created: 1779408000,
    privacy: 'anonymized',
    pricing: flat(0.07),
    constraints: ratio(kreaRatios, 5000, { maxStyleReferences: 3, supportsStyleReferenceStrength: true }),
    extra: { supportsStyleReferences: true },
  },
  {
    id: 'krea-v2-medium',
    name: 'Krea v2 Medium',
    created: 1779408000,
    privacy: 'anonymized',
    pricing: flat(0.04),
    constraints: ratio(kreaRatios, 5000, { maxStyleReferences: 3, supportsStyleReferenceStrength: true }),
    extra: { supportsStyleReferences: true },
  },
  { id: 'luma-uni-1', name: 'Luma Uni-1', created: 1781654400, privacy: 'anonymized', pricing: flat(0.05), constraints: ratio(['1:1', '16:9', '9:16', '4:3', '3:4', '21:9'], 5000) },
  { id: 'luma-uni-1-max', name: 'Luma Uni-1 Max', created: 1781654400, privacy: 'anonymized', pricing: flat(0.12), constraints: ratio(['1:1', '16:9', '9:16', '4:3', '3:4', '21:9'], 5000) },
  { id: 'lustify-sdxl', name: 'Lustify SDXL', created: 1738704152, privacy: 'private', uncensored: true, pricing: flat(0.01), constraints: pixel(8, 1500, [30, 50]) },
  // The static list also tags v7 most_uncensored; /models/traits maps a trait to one model, and v8 replaced v7.
  { id: 'lustify-v7', name: 'Lustify v7', created: 1736635129, privacy: 'private', uncensored: true, pricing: flat(0.01), constraints: pixel(8, 1500, [30, 50]) },
  { id: 'lustify-v8', name: 'Lustify v8', created: 1774828800, privacy: 'private', uncensored: true, traits: ['most_uncensored'], pricing: flat(0.01), constraints: pixel(8, 1500, [30, 50]) },
  { id: 'nano-banana-2', name: 'Nano Banana 2', created: 1772064000, privacy: 'anonymized', pricing: byResolution({ '1K': 0.1, '2K': 0.14, '4K': 0.19 }), constraints: ratio(ratios8, 32768, res3) },
  { id: 'nano-banana-2-lite', name: 'Nano Banana 2 Lite', created: 1782777600, privacy: 'anonymized', pricing: flat(0.06), constraints: ratio(ratios8, 32768) },
  { id: 'nano-banana-pro', name: 'Nano Banana Pro', created: 1763653951, privacy: 'anonymized', pricing: byResolution({ '1K': 0.18, '2K': 0.23, '4K': 0.35 }), constraints: ratio(ratios8, 32768, res3) },
  { id: 'qwen-image', name: 'Qwen Image', created: 1736635129, privacy: 'anonymized', traits: ['highest_quality'], pricing: flat(0.03), constraints: pixel(8, 2000, [20, 50]) },
  { id: 'qwen-image-2', name: 'Qwen Image 2', created: 1772582400, privacy: 'anonymized', pricing: flat(0.05), constraints: ratio(ratios8, 10000) },
  { id: 'qwen-image-2-pro', name: 'Qwen Image 2 Pro', created: 1772582400, privacy: 'anonymized', pricing: flat(0.1), constraints: ratio(ratios8, 10000) },
  { id: 'qwen-image-3', name: 'Qwen Image 3', created: 1785888000, privacy: 'anonymized', uncensored: true, pricing: byResolution({ '1K': 0.04, '2K': 0.04 }), constraints: ratio(ratios8, 10000, res2) },
  { id: 'qwen-image-3-pro', name: 'Qwen Image 3 Pro', created: 1784160000, privacy: 'anonymized', uncensored: true, pricing: byResolution({ '1K': 0.05, '2K': 0.09 }), constraints: ratio(ratios8, 10000, res2) },
  { id: 'recraft-v4', name: 'Recraft V4', created: 1770854400, privacy: 'anonymized', pricing: flat(0.05), constraints: ratio(ratios7, 1000) },
  { id: 'recraft-v4-pro', name: 'Recraft V4 Pro', created: 1770854400, privacy: 'anonymized', pricing: flat(0.29), constraints: ratio(ratios7, 1000) },
  { id: 'seedream-v4', name: 'Seedream V4.5', created: 1762383600, privacy: 'anonymized', uncensored: true, pricing: flat(0.05), constraints: ratio(ratios8, 5000) },
  { id: 'seedream-v5-lite', name: 'Seedream V5 Lite', created: 1771804800, privacy: 'anonymized', uncensored: true, pricing: flat(0.05), constraints: ratio(ratios8, 5000) },
  { id: 'seedream-v5-pro', name: 'Seedream V5 Pro', created: 1783468800, privacy: 'anonymized', uncensored: true, pricing: byResolution({ '1K': 0.06, '2K': 0.11 }), constraints: ratio(ratios8, 5000, res2) },
  { id: 'venice-sd35', name: 'Venice SD35', created: 1743099022, privacy: 'private', traits: ['eliza-default'], pricing: flat(0.01), constraints: pixel(16, 1500, [25, 30]) },
  { id: 'wan-2-7-text-to-image', name: 'Wan 2.7', created: 1775001600, privacy: 'anonymized', pricing: flat(0.0375), constraints: ratio(ratios8, 2000) },
  { id: 'wan-2-7-pro-text-to-image', name: 'Wan 2.7 Pro', created: 1775001600, privacy: 'anonymized', pricing: flat(0.09375), constraints: ratio(ratios8, 2000) },
  { id: 'z-image-turbo', name: 'Z-Image Turbo', created: 1764758779, privacy: 'private', traits: ['default', 'fastest'], pricing: flat(0.01), constraints: pixel(8, 7500, [8, 8]) },
  // Not in the static list: a plain pixel model, a deprecated one that still answers, an offline one.
  { id: 'flux-dev', name: 'FLUX Standard', created: 1742262554, privacy: 'private', pricing: flat(0.01), constraints: pixel(8, 2048, [25, 50]) },
  {
    id: 'hidream',
    name: 'HiDream',
    created: 1745366400,
    privacy: 'private',
    pricing: flat(0.01),
    constraints: pixel(8, 1500, [20, 50]),
    extra: {
      deprecation: {
        autoRemap: false,
        date: '2026-09-30T00:00:00.000Z',
        removesAt: '2026-09-30T00:00:00.000Z',
        startsAt: '2026-08-01T00:00:00.000Z',
        replacementModelId: 'z-image-turbo',
      },
    },
  },
  { id: 'pony-realism', name: 'Pony Realism', created: 1736635129, privacy: 'private', uncensored: true, pricing: flat(0.01), constraints: pixel(8, 1500, [25, 50]), extra: { offline: true } },
];

function toModel(entry: Entry): SimModel {
  const spec: SimModelSpec = {
    name: entry.name,
    privacy: entry.privacy,
    offline: false,
    traits: entry.traits ?? [],
    pricing: entry.pricing,
    ...(entry.uncensored ? { uncensored: true } : {}),
    ...(entry.constraints ? { constraints: entry.constraints } : {}),
    ...entry.extra,
  };
  return { id: entry.id, type: 'image', object: 'model', owned_by: 'venice.ai', created: entry.created, model_spec: spec };
}

/** The `data` array of `GET /models?type=image`. */
export const simulatorModels: readonly SimModel[] = entries.map(toModel);

/** `GET /models/traits?type=image` for a model list: each trait names the first model that claims it. */
export function traitsOf(models: readonly SimModel[]): Record<string, string> {
  const traits: Record<string, string> = {};
  for (const model of models) {
    for (const trait of model.model_spec.traits) traits[trait] ??= model.id;
  }
  return traits;
}

export const simulatorTraits: Readonly<Record<string, string>> = traitsOf(simulatorModels);

/** `GET /image/styles`; the first five are the spec's own example. */
export const simulatorStyles: readonly string[] = [
  '3D Model', 'Analog Film', 'Anime', 'Cinematic', 'Comic Book', 'Craft Clay', 'Digital Art', 'Enhance',
  'Fantasy Art', 'Isometric Style', 'Line Art', 'Lowpoly', 'Neon Punk', 'Origami', 'Photographic',
  'Pixel Art', 'Texture', 'Advertising', 'Food Photography', 'Real Estate', 'Abstract', 'Cubist',
  'Graffiti', 'Hyperrealism', 'Impressionist', 'Pointillism', 'Pop Art', 'Psychedelic', 'Renaissance',
  'Steampunk', 'Surrealist', 'Typography', 'Watercolor', 'Fighting Game', 'GTA', 'Super Mario',
  'Minecraft', 'Pokemon', 'Retro Arcade', 'Retro Game', 'RPG Fantasy Game', 'Strategy Game',
  'Street Fighter', 'Legend of Zelda', 'Architectural', 'Disco', 'Dreamscape', 'Dystopian',
  'Fairy Tale', 'Gothic', 'Grunge', 'Horror', 'Minimalist', 'Monochrome', 'Nautical', 'Space',
  'Stained Glass', 'Techwear Fashion', 'Tribal', 'Zentangle', 'Collage', 'Flat Papercut', 'Kirigami',
  'Paper Mache', 'Paper Quilling', 'Papercut Collage', 'Papercut Shadow Box', 'Stacked Papercut',
  'Thick Layered Papercut', 'Alien', 'Film Noir', 'HDR', 'Long Exposure', 'Neon Noir', 'Silhouette',
  'Tilt-Shift', 'Biomechanical', 'Cybernetic', 'Cyberpunk', 'Futuristic', 'Retro Cyberpunk',
  'Retro Futurism', 'Sci-Fi', 'Vaporwave', 'Art Deco', 'Art Nouveau', 'Baroque', 'Bauhaus',
  'Constructivist', 'Dadaism', 'Expressionist', 'Fauvism', 'Op Art', 'Ukiyo-e', 'Sumi-e',
  'Charcoal Sketch', 'Pencil Sketch', 'Oil Painting', 'Ink Wash', 'Pastel Drawing', 'Double Exposure',
  'Macro Photography', 'Polaroid', 'Glitch Art', 'Claymation', 'Kawaii', 'Manga', 'Cel Shaded',
  'Voxel Art', 'Blueprint', 'Vector Illustration', "Children's Book", 'Tarot Card', 'Woodcut',
  'Risograph', 'Synthwave', 'Solarpunk', 'Dieselpunk', 'Dark Fantasy',
];

/** `model_spec.constraints`, "Inpaint Model Constraints" branch of the spec. */
export interface SimInpaintConstraints {
  /** Always lists 'auto' first: every edit model infers the ratio from the input when asked. */
  aspectRatios: string[];
  promptCharacterLimit: number;
  combineImages: boolean;
  /** Absent means 3, or 1 when `combineImages` is false (the spec's rule). */
  maxInputImages?: number;
  /** false: a single-image edit keeps the input's size and ignores `aspect_ratio`. Absent means true. */
  singleImageAspectRatio?: boolean;
  resolutions?: string[];
  defaultResolution?: string;
  qualities?: Quality[];
  defaultQuality?: Quality;
}

/** `model_spec.pricing`, "Inpaint Model Pricing" branch of the spec. */
export interface SimInpaintPricing {
  inpaint: UsdDiem;
  resolutions?: Record<string, UsdDiem>;
  quality?: Record<string, Partial<Record<Quality, UsdDiem>>>;
  /** The base price covers `included` input images; each further one adds `additional`. */
  inputImages?: { included: number; additional: UsdDiem };
}

export interface SimInpaintModelSpec {
  name: string;
  privacy: 'private' | 'anonymized';
  offline: boolean;
  uncensored?: boolean;
  traits: string[];
  pricing: SimInpaintPricing;
  constraints: SimInpaintConstraints;
  deprecation?: SimModelDeprecation;
}

/** An edit model, as `GET /models?type=inpaint` lists it. */
export interface SimInpaintModel {
  id: string;
  type: 'inpaint';
  object: 'model';
  owned_by: 'venice.ai';
  created: number;
  model_spec: SimInpaintModelSpec;
}

/** The edit models' maximum input images when `maxInputImages` is absent (the spec's rule). */
export function maxInputImagesOf(constraints: SimInpaintConstraints): number {
  return constraints.maxInputImages ?? (constraints.combineImages ? 3 : 1);
}

// Every ratio here must be in the enum of EditImageRequest.aspect_ratio, which has no 4:3.
const editRatios = ['auto', '1:1', '3:2', '16:9', '21:9', '9:16', '2:3', '3:4', '4:5'];
const grokEditRatios = ['auto', '1:1', '16:9', '9:16', '3:4', '3:2', '2:3'];
const lumaEditRatios = ['auto', '1:1', '16:9', '9:16', '3:4', '21:9'];
const editRes2 = { resolutions: ['1K', '2K'], defaultResolution: '1K' };
const editRes3 = { resolutions: ['1K', '2K', '4K'], defaultResolution: '1K' };

/**
 * Constraints per edit model. The static list gives none, so these are plausible values: prompt
 * limits follow each model's generating sibling, resolutions and qualities follow the keys of its
 * published pricing, and the two Luma models (absent from the spec's multi-edit enum) cannot
 * combine images. firered-image-edit leaves `maxInputImages` out, so a client must apply the
 * spec's default of 3.
 */
const inpaintConstraints: Record<string, SimInpaintConstraints> = {
  'firered-image-edit': { aspectRatios: editRatios, promptCharacterLimit: 1500, combineImages: true, singleImageAspectRatio: false },
  'flux-2-max-edit': { aspectRatios: editRatios, promptCharacterLimit: 7500, combineImages: true, maxInputImages: 4 },
  'gpt-image-1-5-edit': { aspectRatios: ['auto', '1:1', '3:2', '2:3'], promptCharacterLimit: 32000, combineImages: true, maxInputImages: 4 },
  'gpt-image-2-edit': {
    aspectRatios: editRatios,
    promptCharacterLimit: 32000,
    combineImages: true,
    maxInputImages: 4,
    ...editRes3,
    qualities: ['low', 'medium', 'high'],
    defaultQuality: 'high',
  },
  'grok-imagine-edit': { aspectRatios: grokEditRatios, promptCharacterLimit: 8000, combineImages: true, maxInputImages: 3, ...editRes2 },
  'grok-imagine-image-2-0-edit': {
    aspectRatios: grokEditRatios,
    promptCharacterLimit: 8000,
    combineImages: true,
    maxInputImages: 3,
    ...editRes2,
    qualities: ['low', 'medium'],
    defaultQuality: 'medium',
  },
  'grok-imagine-quality-edit': { aspectRatios: grokEditRatios, promptCharacterLimit: 8000, combineImages: true, maxInputImages: 3, ...editRes2 },
  'luma-uni-1-edit': { aspectRatios: lumaEditRatios, promptCharacterLimit: 5000, combineImages: false, maxInputImages: 1 },
  'luma-uni-1-max-edit': { aspectRatios: lumaEditRatios, promptCharacterLimit: 5000, combineImages: false, maxInputImages: 1 },
  'nano-banana-2-edit': { aspectRatios: editRatios, promptCharacterLimit: 32768, combineImages: true, maxInputImages: 4, ...editRes3 },
  'nano-banana-2-lite-edit': { aspectRatios: editRatios, promptCharacterLimit: 32768, combineImages: true, maxInputImages: 3 },
  // The spec's own example of maxInputImages; the one model far above the usual 3 or 4.
  'nano-banana-pro-edit': { aspectRatios: editRatios, promptCharacterLimit: 32768, combineImages: true, maxInputImages: 14, ...editRes3 },
  'qwen-edit-uncensored': { aspectRatios: editRatios, promptCharacterLimit: 1500, combineImages: true, maxInputImages: 1, singleImageAspectRatio: false },
  'qwen-image-2-edit': { aspectRatios: editRatios, promptCharacterLimit: 10000, combineImages: true, maxInputImages: 3, singleImageAspectRatio: false },
  'qwen-image-2-pro-edit': { aspectRatios: editRatios, promptCharacterLimit: 10000, combineImages: true, maxInputImages: 3, singleImageAspectRatio: false },
  'qwen-image-3-edit': { aspectRatios: editRatios, promptCharacterLimit: 10000, combineImages: true, maxInputImages: 3, ...editRes2 },
  'qwen-image-3-pro-edit': { aspectRatios: editRatios, promptCharacterLimit: 10000, combineImages: true, maxInputImages: 3, ...editRes2 },
  'seedream-v4-edit': { aspectRatios: editRatios, promptCharacterLimit: 5000, combineImages: true, maxInputImages: 4 },
  'seedream-v5-lite-edit': { aspectRatios: editRatios, promptCharacterLimit: 5000, combineImages: true, maxInputImages: 4 },
  'seedream-v5-pro-edit': { aspectRatios: editRatios, promptCharacterLimit: 5000, combineImages: true, maxInputImages: 4, ...editRes2 },
  'wan-2-7-pro-edit': { aspectRatios: editRatios, promptCharacterLimit: 2000, combineImages: true, maxInputImages: 3 },
};

interface PublishedInpaintModel {
  id: string;
  type: string;
  created: number;
  model_spec: { name: string; privacy: 'private' | 'anonymized'; uncensored?: boolean; traits?: string[]; pricing: SimInpaintPricing };
}

/**
 * The published edit models, read from the static list so names and prices (floats such as
 * 0.0023000000000000004 included) stay exactly Venice's; constraints come from the table above.
 */
function loadInpaintModels(): SimInpaintModel[] {
  const path = new URL('../../fixtures/venice-static-models.json', import.meta.url);
  const published = (JSON.parse(readFileSync(path, 'utf8')) as PublishedInpaintModel[]).filter((m) => m.type === 'inpaint');
  const missing = Object.keys(inpaintConstraints).filter((id) => !published.some((m) => m.id === id));
  if (missing.length > 0) throw new Error(`inpaint constraints for models not in the static list: ${missing.join(', ')}`);
  return published.map((m) => {
    const constraints = inpaintConstraints[m.id];
    if (!constraints) throw new Error(`no inpaint constraints for ${m.id}: add them to catalogue.ts`);
    return {
      id: m.id,
      type: 'inpaint',
      object: 'model',
      owned_by: 'venice.ai',
      created: m.created,
      model_spec: {
        name: m.model_spec.name,
        privacy: m.model_spec.privacy,
        offline: false,
        ...(m.model_spec.uncensored ? { uncensored: true } : {}),
        traits: m.model_spec.traits ?? [],
        pricing: m.model_spec.pricing,
        constraints,
      },
    };
  });
}

/** The `data` array of `GET /models?type=inpaint`: Venice's 21 edit models. */
export const simulatorInpaintModels: readonly SimInpaintModel[] = loadInpaintModels();
