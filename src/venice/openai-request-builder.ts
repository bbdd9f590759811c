import { UserError } from '../errors.js';
import type { ImagineOptions } from './request-builder.js';
import type { OpenAiImageBody } from './types.js';

/** The sizes the OpenAI-compatible endpoint takes, and the ratios users think in. */
export const OPENAI_SIZES = ['256x256', '512x512', '1024x1024', '1536x1024', '1024x1536', '1792x1024', '1024x1792'] as const;
const RATIO_TO_SIZE: Record<string, string> = {
  '1:1': '1024x1024',
  '3:2': '1536x1024',
  '2:3': '1024x1536',
  '16:9': '1792x1024',
  '9:16': '1024x1792',
};
export const OPENAI_PROMPT_LIMIT = 1500;

/** Options the OpenAI-style endpoint has no way to express: refused, never silently dropped. */
const UNSUPPORTED: Array<[keyof ImagineOptions, string]> = [
  ['style', 'style'],
  ['negative_prompt', 'negative_prompt'],
  ['resolution', 'resolution'],
  ['quality', 'quality'],
  ['seed', 'seed'],
  ['cfg_scale', 'cfg_scale'],
  ['steps', 'steps'],
  ['hide_watermark', 'hide_watermark'],
  ['enhance_prompt', 'enhance_prompt'],
  ['web_search', 'web_search'],
];

export interface OpenAiJobPlan {
  bodies: OpenAiImageBody[];
  sizeLabel: string;
}

/**
 * Builds `POST /images/generations` bodies: one per variant, since the endpoint makes one
 * image per call. Pure, like the native builder.
 */
export function buildOpenAiJob(options: ImagineOptions, ctx: { ageRestricted: boolean; maxVariants?: number }): OpenAiJobPlan {
  const used = UNSUPPORTED.filter(([key]) => options[key] !== undefined && options[key] !== false && options[key] !== '').map(([, name]) => `\`${name}\``);
  if (used.length > 0) {
    throw new UserError('venice.openai.unsupported', { count: used.length, options: used.join(', ') });
  }
  const prompt = options.prompt.trim();
  if (prompt === '') throw new UserError('venice.request.emptyPrompt');
  if (prompt.length > OPENAI_PROMPT_LIMIT) throw new UserError('venice.openai.promptTooLong', { length: prompt.length, max: OPENAI_PROMPT_LIMIT });
  if (options.safe_mode === false && !ctx.ageRestricted) {
    throw new UserError('venice.request.safeMode');
  }
  const wanted = options.aspect_ratio?.trim().replace(/\s+/g, '').toLowerCase();
  const size = wanted ? (RATIO_TO_SIZE[wanted] ?? (OPENAI_SIZES as readonly string[]).find((s) => s === wanted)) : '1024x1024';
  if (!size) throw new UserError('venice.openai.sizes', { choices: [...Object.keys(RATIO_TO_SIZE), ...OPENAI_SIZES].map((s) => `\`${s}\``).join(', ') });
  const maxVariants = Math.min(4, ctx.maxVariants ?? 4);
  const variants = options.variants ?? 1;
  if (!Number.isInteger(variants) || variants < 1 || variants > maxVariants) throw new UserError('venice.request.variants', { max: maxVariants });

  const body: OpenAiImageBody = {
    prompt,
    n: 1,
    size,
    output_format: options.format ?? 'webp',
    moderation: ctx.ageRestricted && options.safe_mode === false ? 'low' : 'auto',
    ...(options.model ? { model: options.model.trim() } : {}),
  };
  return { bodies: Array.from({ length: variants }, () => ({ ...body })), sizeLabel: size };
}
