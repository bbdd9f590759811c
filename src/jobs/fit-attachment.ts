import { loadSharp } from '../images/sharp.js';

export interface FittedFile {
  data: Buffer;
  /** The extension after re-encoding (it changes when a PNG becomes a WebP or JPEG). */
  extension: string;
  reencoded: boolean;
}

/** WebP first (smallest for the same look), then JPEG, each at falling quality. */
const STEPS: Array<{ format: 'webp' | 'jpeg'; quality: number }> = [
  { format: 'webp', quality: 90 },
  { format: 'webp', quality: 75 },
  { format: 'jpeg', quality: 85 },
  { format: 'webp', quality: 55 },
  { format: 'jpeg', quality: 60 },
];

/**
 * Makes an image fit Discord's per-file limit: unchanged when it already fits, otherwise
 * re-encoded step by step, and as a last resort scaled down. Never drops the image.
 * sharp works on its own threads, so the event loop stays free while it encodes.
 */
export async function fitAttachment(data: Buffer, extension: string, limitBytes: number): Promise<FittedFile> {
  if (data.length <= limitBytes) return { data, extension, reencoded: false };
  const sharp = await loadSharp();
  for (const step of STEPS) {
    const out = await sharp(data).toFormat(step.format, { quality: step.quality }).toBuffer();
    if (out.length <= limitBytes) return { data: out, extension: step.format === 'jpeg' ? 'jpg' : 'webp', reencoded: true };
  }
  const meta = await sharp(data).metadata();
  let width = meta.width ?? 2048;
  for (;;) {
    width = Math.max(64, Math.floor(width * 0.75));
    const out = await sharp(data).resize({ width }).webp({ quality: 70 }).toBuffer();
    if (out.length <= limitBytes || width === 64) return { data: out, extension: 'webp', reencoded: true };
  }
}
