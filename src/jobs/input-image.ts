import { UserError } from '../errors.js';
import type { Translator } from '../i18n/index.js';
import { imageSize, sniffImageFormat } from '../venice/image-bytes.js';
import type { ImageFormat } from '../venice/types.js';

/** Venice's limits on an image sent to its editing endpoints (venice-notes: under 25 MB, 65,536 to 33,177,600 pixels). */
export const INPUT_MAX_BYTES = 25_000_000;
export const INPUT_MIN_PIXELS = 65_536;
export const INPUT_MAX_PIXELS = 33_177_600;
const ACCEPTED_TYPES: Record<string, ImageFormat> = { 'image/png': 'png', 'image/jpeg': 'jpeg', 'image/jpg': 'jpeg', 'image/webp': 'webp' };

/** What Discord says about an uploaded attachment before anything is downloaded. */
export interface AttachmentFacts {
  name: string;
  size: number;
  contentType: string | null;
  width: number | null;
  height: number | null;
}

/**
 * How a refusal names the image: "The image" alone, "Image 2" among several. Pass it, in the
 * same language as `t`, as the `label` of the checks below.
 */
export function imageLabel(t: Translator, index: number, count: number): string {
  return count > 1 ? t.t('jobs.input.label.numbered', { number: t.number(index + 1) }) : t.t('jobs.input.label.single');
}

const megabytes = (t: Translator, bytes: number) => t.number(bytes / 1_000_000, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const pixels = (t: Translator, w: number, h: number) => t.t('jobs.input.size', { width: w, height: h, pixels: t.number(w * h) });

function checkPixels(t: Translator, label: string, width: number, height: number): void {
  const n = width * height;
  if (n < INPUT_MIN_PIXELS) throw new UserError('jobs.input.tooFewPixels', { label, size: pixels(t, width, height), min: t.number(INPUT_MIN_PIXELS) });
  if (n > INPUT_MAX_PIXELS) throw new UserError('jobs.input.tooManyPixels', { label, size: pixels(t, width, height), max: t.number(INPUT_MAX_PIXELS) });
}

/**
 * Refuses, from Discord's own description of the upload, an image Venice would refuse: the
 * type, the size and the pixel count. Nothing is downloaded and nothing is spent. The refusal
 * is written for `t`, the language of whoever reads it; `label` (see {@link imageLabel}) too.
 */
export function checkAttachmentFacts(t: Translator, facts: AttachmentFacts, label: string): void {
  const type = facts.contentType?.split(';')[0]?.trim().toLowerCase();
  if (!type || ACCEPTED_TYPES[type] === undefined) {
    const name = facts.name.slice(0, 80);
    throw type ? new UserError('jobs.input.wrongType', { label, name, type }) : new UserError('jobs.input.notAnImage', { label, name });
  }
  if (facts.size >= INPUT_MAX_BYTES) throw new UserError('jobs.input.tooLarge', { label, megabytes: megabytes(t, facts.size) });
  if (facts.width !== null && facts.height !== null) checkPixels(t, label, facts.width, facts.height);
}

/** The same checks on the bytes themselves, which may not be what the attachment claimed. */
export async function checkImageBytes(t: Translator, bytes: Buffer, label: string): Promise<{ format: ImageFormat; contentType: string }> {
  if (bytes.length >= INPUT_MAX_BYTES) throw new UserError('jobs.input.tooLarge', { label, megabytes: megabytes(t, bytes.length) });
  const format = sniffImageFormat(bytes);
  if (!format) throw new UserError('jobs.input.notSupported', { label });
  const meta = imageSize(bytes);
  if (!meta) throw new UserError('jobs.input.unreadable', { label });
  checkPixels(t, label, meta.width, meta.height);
  return { format, contentType: `image/${format}` };
}
