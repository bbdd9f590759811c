import { createHash } from 'node:crypto';
import sharp from 'sharp';

export type ImageFormat = 'jpeg' | 'png' | 'webp';

export interface Rgb {
  r: number;
  g: number;
  b: number;
}

export const black: Rgb = { r: 0, g: 0, b: 0 };

export const contentTypeOf: Record<ImageFormat, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
};

/** A colour that depends only on the seed and the variant index, so two seeds give different bytes. */
export function colourFor(seed: number, variant: number): Rgb {
  const digest = createHash('sha256').update(`${seed}:${variant}`).digest();
  return { r: digest[0] ?? 0, g: digest[1] ?? 0, b: digest[2] ?? 0 };
}

const longSideByResolution: Record<string, number> = { '1K': 1024, '2K': 2048, '4K': 4096 };

/**
 * The output size of an aspect-ratio model: the long side is 1024/2048/4096 for 1K/2K/4K and the
 * short side follows the ratio, rounded to a multiple of 8 (e.g. 16:9 at 1K is 1024x576).
 */
export function sizeForAspectRatio(aspectRatio: string, resolution = '1K'): { width: number; height: number } {
  const [a, b] = aspectRatio.split(':').map(Number);
  const long = longSideByResolution[resolution] ?? 1024;
  if (!a || !b) return { width: long, height: long };
  const short = Math.max(8, Math.round((long * Math.min(a, b)) / Math.max(a, b) / 8) * 8);
  return a >= b ? { width: long, height: short } : { width: short, height: long };
}

// Solid images compress to a few kilobytes, yet every distinct (seed, size, format) still costs
// an encode; a bounded cache keeps repeated test requests fast.
const cache = new Map<string, Promise<Buffer>>();
const cacheLimit = 256;

/** A real, decodable image of one solid colour. */
export function renderImage(format: ImageFormat, width: number, height: number, colour: Rgb): Promise<Buffer> {
  const key = `${format}:${width}x${height}:${colour.r},${colour.g},${colour.b}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const base = sharp({ create: { width, height, channels: 3, background: colour } });
  const encoded =
    format === 'webp'
      ? base.webp({ effort: 0 }).toBuffer()
      : format === 'png'
        ? base.png({ compressionLevel: 1 }).toBuffer()
        : base.jpeg().toBuffer();
  cache.set(key, encoded);
  encoded.catch(() => cache.delete(key));
  if (cache.size > cacheLimit) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  return encoded;
}

/** Width and height of an encoded image; rejects when the bytes are not an image. */
export async function imageSize(input: Buffer): Promise<{ width: number; height: number }> {
  const { width = 0, height = 0 } = await sharp(input).metadata();
  return { width, height };
}

const maxUpscaledPixels = 16_777_216;

/**
 * Upscales like Venice: the output is at most 16,777,216 pixels, so a large image asked to grow
 * 4x is grown less. Nearest-neighbour keeps it fast; the bytes are a real PNG of the final size.
 */
export async function upscaleImage(input: Buffer, scale: number): Promise<{ png: Buffer; width: number; height: number }> {
  const { width, height } = await imageSize(input);
  const factor = Math.min(scale, Math.sqrt(maxUpscaledPixels / (width * height)));
  const outWidth = Math.floor(width * factor);
  const outHeight = Math.floor(height * factor);
  const png = await sharp(input).resize(outWidth, outHeight, { kernel: 'nearest', fit: 'fill' }).png({ compressionLevel: 1 }).toBuffer();
  return { png, width: outWidth, height: outHeight };
}
