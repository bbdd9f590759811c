import { loadSharp } from '../../src/images/sharp.js';
import type { TextModel } from '../../src/venice/catalog.js';
import { imageSize } from '../../src/venice/image-bytes.js';
import type { ChatCompletionBody } from '../../src/venice/types.js';

/** At most four prompts: one button each, and Discord's 2,000-character message holds them all. */
export const MAX_PROMPTS = 4;
/** Each prompt's length: four of them, numbered, fit one message, and every image model takes this many. */
export const PROMPT_MAX_CHARS = 400;
/** What the answer may spend: four prompts of about 100 tokens each, with room for JSON around them. */
export const MAX_OUTPUT_TOKENS = 1_000;

/**
 * Vision encoders spend tokens on an image by its area (Qwen-VL: one per 28×28 pixels; others
 * a fixed count per 512-pixel tile) and scale large images down first. These bound what one
 * image can cost: never less than the floor (small images are padded up to a tile), never more
 * than the largest encoders take.
 */
export const IMAGE_TOKENS_MIN = 2_048;
export const IMAGE_TOKENS_MAX = 16_384;
const PIXELS_PER_TOKEN = 28 * 28;
/** The message's framing (role, part headers) in tokens, beyond the instruction's text. */
const MESSAGE_OVERHEAD_TOKENS = 64;

/**
 * What the model is asked, in English (the prompts are for image models, which read English
 * best). JSON is asked for, but `parsePrompts` reads a plain list as well.
 */
export function describeInstruction(count: number): string {
  // i18n-exempt: the instruction sent to the model, never shown to a member
  const what = count === 1 ? 'one image-generation prompt' : `${count} distinct image-generation prompts`;
  // i18n-exempt: the instruction sent to the model, never shown to a member
  const angle = count === 1 ? '' : ' Each takes a different angle on the image (subject and composition, style and medium, lighting and colour, mood).';
  return (
    // i18n-exempt: the instruction sent to the model, never shown to a member
    `Look at this image and write ${what} that would make an image like it.${angle} ` +
    // i18n-exempt: the instruction sent to the model, never shown to a member
    'Each prompt must be self-contained and in English, at most 60 words, with no numbering, no names of real people and no commentary. ' +
    // i18n-exempt: the instruction sent to the model, never shown to a member
    'Answer with JSON only, in this form: {"prompts": ["first prompt", "second prompt"]}'
  );
}

/** The most the answer may spend: ours, within what the model allows. */
export function maxOutputTokens(model: TextModel): number {
  return Math.max(1, Math.min(MAX_OUTPUT_TOKENS, model.maxCompletionTokens ?? MAX_OUTPUT_TOKENS));
}

/**
 * What a vision model is sent of an upload. Encoders scale every image down to a couple of
 * megapixels before they look at it, so the bytes beyond that only cost memory: a 25 MB
 * upload becomes a 33 MB base64 string in the body, another in its JSON and a third in
 * undici's buffer, about 150 MB per describe, and sixteen of those at once can have the
 * process killed. Anything over 2 MB or wider or taller than 2048 pixels is scaled to fit
 * 2048×2048 (4.2 megapixels, as much as most encoders keep and plenty to write a prompt from)
 * and re-encoded; the rest goes as uploaded, byte for byte.
 */
export const VISION_MAX_BYTES = 2_000_000;
export const VISION_MAX_SIDE = 2_048;
const VISION_QUALITY = 85;
/** Each further try while an image is still over the bytes (noise, film grain): a quarter smaller, a little lower quality. */
const SHRINK_STEP = 0.75;
const RETRY_QUALITY = 75;
const MIN_SIDE = 256;

/** An image as a vision request carries it: the bytes and the MIME type they really are. */
export interface VisionImage {
  bytes: Buffer;
  contentType: string;
}

/**
 * The upload as a vision model needs it (see {@link VISION_MAX_BYTES}): unchanged when it is
 * already small, else turned upright by its EXIF orientation, scaled down (never up) to fit
 * 2048×2048 and re-encoded: JPEG, or WebP when it has transparency, which JPEG would flatten.
 * sharp works on its own threads, so the event loop stays free while it does.
 */
export async function fitImageForVision(image: VisionImage): Promise<VisionImage> {
  const size = imageSize(image.bytes);
  if (image.bytes.length <= VISION_MAX_BYTES && size && size.width <= VISION_MAX_SIDE && size.height <= VISION_MAX_SIDE) return image;
  const sharp = await loadSharp();
  // Decoded once, already scaled (16 MB at most at 2048×2048×4); every encode below starts here.
  const { data: pixels, info } = await sharp(image.bytes)
    .autoOrient()
    .resize({ width: VISION_MAX_SIDE, height: VISION_MAX_SIDE, fit: 'inside', withoutEnlargement: true })
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  const raw = { raw: { width: info.width, height: info.height, channels: info.channels } };
  // Screenshots and exports often carry an alpha channel with nothing transparent in it: JPEG for those.
  const transparent = info.channels % 2 === 0 && !(await sharp(pixels, raw).stats()).isOpaque;
  const format = transparent ? 'webp' : 'jpeg';
  const encode = (side: number, quality: number) => {
    const pipeline = sharp(pixels, raw).resize({ width: side, height: side, fit: 'inside', withoutEnlargement: true });
    return (transparent ? pipeline : pipeline.removeAlpha()).toFormat(format, { quality }).toBuffer();
  };
  let side = Math.max(info.width, info.height);
  let bytes = await encode(side, VISION_QUALITY);
  while (bytes.length > VISION_MAX_BYTES && side > MIN_SIDE) {
    side = Math.max(MIN_SIDE, Math.floor(side * SHRINK_STEP));
    bytes = await encode(side, RETRY_QUALITY);
  }
  return { bytes, contentType: `image/${format}` };
}

/**
 * The request: one user message with the instruction and the image as a `data:` URL. Give it
 * the image from {@link fitImageForVision}: the base64 is built here, once per describe, and
 * the client serialises the body once more and sends that same text on every retry.
 */
export function buildDescribeRequest(model: TextModel, image: VisionImage, count: number): ChatCompletionBody {
  return {
    model: model.id,
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: describeInstruction(count) },
          { type: 'image_url', image_url: { url: `data:${image.contentType};base64,${image.bytes.toString('base64')}` } },
        ],
      },
    ],
    max_completion_tokens: maxOutputTokens(model),
    temperature: 0.7,
    stream: false,
    // Venice's own system prompt and a reasoning model's thinking would only be paid for and cut away.
    venice_parameters: { include_venice_system_prompt: false, strip_thinking_response: true, disable_thinking: true },
  };
}

/** An upper bound of the tokens one image costs, from the size Discord reports (unknown: the most). */
export function imageTokenBound(width: number | null | undefined, height: number | null | undefined): number {
  if (!width || !height || width <= 0 || height <= 0) return IMAGE_TOKENS_MAX;
  return Math.min(IMAGE_TOKENS_MAX, Math.max(IMAGE_TOKENS_MIN, Math.ceil((width * height) / PIXELS_PER_TOKEN)));
}

const ceilMicros = (usd: number) => Math.ceil(usd * 1e6 - 1e-9) / 1e6;
// Token prices come to fractions of a micro-dollar: keep them, dropping only float noise.
const roundNanos = (usd: number) => Math.round(usd * 1e9) / 1e9;

/**
 * The most one describe can cost, reserved against the budgets until Venice's `usage` says
 * what it did cost: the image's token bound, the instruction (at three characters a token,
 * fewer than English averages) and the full output allowance, at the model's prices.
 * Undefined when Venice lists no price for the model.
 */
export function describeReserveUsd(model: TextModel, image: { width: number | null | undefined; height: number | null | undefined }, count: number): number | undefined {
  if (!model.pricing) return undefined;
  const input = imageTokenBound(image.width, image.height) + Math.ceil(describeInstruction(count).length / 3) + MESSAGE_OVERHEAD_TOKENS;
  return ceilMicros((input * model.pricing.inputUsd + maxOutputTokens(model) * model.pricing.outputUsd) / 1_000_000);
}

/** What Venice's `usage` costs at the model's prices (USD per million tokens). */
export function priceUsage(model: TextModel, usage: { promptTokens: number; completionTokens: number }): number {
  const pricing = model.pricing ?? { inputUsd: 0, outputUsd: 0 };
  return roundNanos((usage.promptTokens * pricing.inputUsd + usage.completionTokens * pricing.outputUsd) / 1_000_000);
}

/** Cuts a prompt at a word boundary within the limit. */
function clip(prompt: string, limit: number): string {
  if (prompt.length <= limit) return prompt;
  const cut = prompt.slice(0, limit);
  const space = cut.lastIndexOf(' ');
  return (space > limit / 2 ? cut.slice(0, space) : cut).replace(/[\s,;:.-]+$/, '');
}

/** The strings of a JSON answer: `{"prompts": [...]}`, a bare array, or an object of strings. */
function fromJson(value: unknown): string[] | undefined {
  if (Array.isArray(value)) {
    const items = value.map((v) => (typeof v === 'string' ? v : typeof v === 'object' && v !== null && typeof (v as { prompt?: unknown }).prompt === 'string' ? (v as { prompt: string }).prompt : undefined));
    const strings = items.filter((v): v is string => v !== undefined);
    return strings.length > 0 ? strings : undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const list = record['prompts'] ?? Object.values(record).find((v) => Array.isArray(v));
  if (list !== undefined) return fromJson(list);
  const strings = Object.values(record).filter((v): v is string => typeof v === 'string');
  return strings.length > 0 ? strings : undefined;
}

/** The first JSON value in the text that parses, fenced or not. */
function findJson(text: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(text)?.[1];
  for (const candidate of [fenced, text]) {
    if (candidate === undefined) continue;
    const start = candidate.search(/[[{]/);
    if (start < 0) continue;
    const close = candidate[start] === '[' ? ']' : '}';
    const end = candidate.lastIndexOf(close);
    if (end <= start) continue;
    try {
      return JSON.parse(candidate.slice(start, end + 1));
    } catch {
      // Not JSON after all: the lines below will do.
    }
  }
  return undefined;
}

/** A list line without its number, bullet, label, quotes or emphasis. */
function cleanLine(line: string): string {
  return line
    .trim()
    .replace(/^(?:[-*•]\s+|\d{1,2}\s*[.):]\s*|#{1,6}\s+)/, '')
    .replace(/^(?:\*\*|__)?prompt\s*\d*\s*(?:\*\*|__)?\s*[:.-]\s*/i, '')
    .replace(/^(\*\*|__)(.*)\1$/, '$2')
    .replace(/^["“'`](.*)["”'`],?$/, '$1')
    .trim();
}

/**
 * The prompts in a model's answer, however it wrote them: the JSON asked for (fenced or not),
 * else one per line (numbers, bullets and "Prompt 1:" labels removed, a lead-in line such as
 * "Here are four prompts:" dropped). Blank, duplicate and too-short entries go; each is cut
 * to `PROMPT_MAX_CHARS` at a word boundary; at most `max` are kept.
 */
export function parsePrompts(text: string, max: number = MAX_PROMPTS): string[] {
  const limit = Math.max(0, Math.min(max, MAX_PROMPTS));
  // Reasoning a model left in its answer is not a prompt.
  const answer = text.replace(/<think>[\s\S]*?(<\/think>|$)/gi, '').trim();
  const json = findJson(answer);
  // JSON that parsed is the answer, even when it holds nothing; only text that is not JSON is read as lines.
  const raw = json !== undefined ? (fromJson(json) ?? []) : answer.split(/\r?\n/).map(cleanLine).filter((line) => !/[:：]$/.test(line) && !/^```/.test(line));
  const seen = new Set<string>();
  const prompts: string[] = [];
  for (const entry of raw) {
    const prompt = clip(entry.replace(/\s+/g, ' ').trim(), PROMPT_MAX_CHARS);
    const key = prompt.toLowerCase();
    if (prompt.length < 3 || !/\p{L}/u.test(prompt) || seen.has(key)) continue;
    seen.add(key);
    prompts.push(prompt);
    if (prompts.length >= limit) break;
  }
  return prompts;
}
