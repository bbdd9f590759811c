import { UserError } from '../errors.js';
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

const mb = (bytes: number) => `${(bytes / 1_000_000).toFixed(1)} MB`;
const pixels = (w: number, h: number) => `${w}×${h} (${(w * h).toLocaleString('en-US')} pixels)`;

function checkPixels(label: string, width: number, height: number): void {
  const n = width * height;
  if (n < INPUT_MIN_PIXELS) throw new UserError(`${label} is ${pixels(width, height)}; Venice needs at least ${INPUT_MIN_PIXELS.toLocaleString('en-US')} pixels (256×256). Use a larger image.`);
  if (n > INPUT_MAX_PIXELS) throw new UserError(`${label} is ${pixels(width, height)}; Venice takes at most ${INPUT_MAX_PIXELS.toLocaleString('en-US')} pixels. Use a smaller image.`);
}

/**
 * Refuses, from Discord's own description of the upload, an image Venice would refuse: the
 * type, the size and the pixel count. Nothing is downloaded and nothing is spent.
 */
export function checkAttachmentFacts(facts: AttachmentFacts, label: string): void {
  const type = facts.contentType?.split(';')[0]?.trim().toLowerCase();
  if (!type || ACCEPTED_TYPES[type] === undefined) {
    throw new UserError(`${label} (\`${facts.name.slice(0, 80)}\`) is ${type ? `\`${type}\`` : 'not an image'}; Venice edits PNG, JPEG and WebP images only. Convert it and try again.`);
  }
  if (facts.size >= INPUT_MAX_BYTES) throw new UserError(`${label} is ${mb(facts.size)}; Venice takes images under 25 MB. Use a smaller file.`);
  if (facts.width !== null && facts.height !== null) checkPixels(label, facts.width, facts.height);
}

/** The same checks on the bytes themselves, which may not be what the attachment claimed. */
export async function checkImageBytes(bytes: Buffer, label: string): Promise<{ format: ImageFormat; contentType: string }> {
  if (bytes.length >= INPUT_MAX_BYTES) throw new UserError(`${label} is ${mb(bytes.length)}; Venice takes images under 25 MB. Use a smaller file.`);
  const format = sniffImageFormat(bytes);
  if (!format) throw new UserError(`${label} is not a PNG, JPEG or WebP image. Convert it and try again.`);
  const meta = imageSize(bytes);
  if (!meta) throw new UserError(`${label} could not be read as an image. Upload it again.`);
  checkPixels(label, meta.width, meta.height);
  return { format, contentType: `image/${format}` };
}
