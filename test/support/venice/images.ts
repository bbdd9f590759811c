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

function encode(image: ReturnType<typeof sharp>, format: ImageFormat): Promise<Buffer> {
  return format === 'webp'
    ? image.webp({ effort: 0 }).toBuffer()
    : format === 'png'
      ? image.png({ compressionLevel: 1 }).toBuffer()
      : image.jpeg().toBuffer();
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
  const encoded = encode(sharp({ create: { width, height, channels: 3, background: colour } }), format);
  cache.set(key, encoded);
  encoded.catch(() => cache.delete(key));
  if (cache.size > cacheLimit) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  return encoded;
}

/** Width, height and sharp's name of the format of an encoded image; rejects when the bytes are not an image. */
export async function imageSize(input: Buffer): Promise<{ width: number; height: number; format: string | undefined }> {
  const { width = 0, height = 0, format } = await sharp(input).metadata();
  return { width, height, format };
}

/** Venice caps an upscale's output at this many pixels. */
export const maxUpscaledPixels = 16_777_216;

/** The size an upscale delivers: `scale` times the input, reduced so it stays within 16,777,216 pixels. */
export function upscaledSize(width: number, height: number, scale: number): { width: number; height: number } {
  const factor = Math.min(scale, Math.sqrt(maxUpscaledPixels / (width * height)));
  return { width: Math.floor(width * factor), height: Math.floor(height * factor) };
}

/**
 * Upscales like Venice: the output is at most 16,777,216 pixels, so a large image asked to grow
 * 4x is grown less. Nearest-neighbour keeps it fast; the bytes are a real PNG of the final size.
 */
export async function upscaleImage(input: Buffer, scale: number): Promise<{ png: Buffer; width: number; height: number }> {
  const { width, height } = await imageSize(input);
  const out = upscaledSize(width, height, scale);
  const png = await sharp(input).resize(out.width, out.height, { kernel: 'nearest', fit: 'fill' }).png({ compressionLevel: 1 }).toBuffer();
  return { png, ...out };
}

/** What the first bytes say an image is; undefined when they match none of these. */
export function sniffImageFormat(bytes: Buffer): ImageFormat | 'gif' | undefined {
  if (bytes.length >= 8 && bytes.readUInt32BE(0) === 0x89504e47 && bytes.readUInt32BE(4) === 0x0d0a1a0a) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 12 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') return 'webp';
  if (bytes.length >= 6 && /^GIF8[79]a$/.test(bytes.toString('latin1', 0, 6))) return 'gif';
  return undefined;
}

/** The tint of an edit: a hash of every input (in order, each length-prefixed) and the prompt. */
export function editTint(inputs: readonly Buffer[], prompt: string): Rgb {
  const hash = createHash('sha256');
  for (const input of inputs) hash.update(`${input.length}:`).update(input);
  const digest = hash.update(prompt).digest();
  return { r: digest[0] ?? 0, g: digest[1] ?? 0, b: digest[2] ?? 0 };
}


/**
 * What the simulator answers to an edit: the first input resized to the output size and mixed
 * half and half with `editTint(inputs, prompt)`. The same inputs and prompt always give the same
 * bytes, and any change to either changes them (even for a solid black input).
 */
export async function editedImage(inputs: readonly Buffer[], prompt: string, width: number, height: number, format: ImageFormat): Promise<Buffer> {
  const [base] = inputs;
  if (!base) throw new TypeError('an edit needs at least one input image');
  const tint = editTint(inputs, prompt);
  const { data, info } = await sharp(base)
    .resize(width, height, { fit: 'fill', kernel: 'nearest' })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  const channels = [tint.r, tint.g, tint.b];
  for (let i = 0; i < data.length; i += 1) data[i] = ((data[i] ?? 0) + (channels[i % info.channels] ?? 0)) >> 1;
  return encode(sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } }), format);
}

/**
 * What the simulator answers to a background removal: the input as a PNG with an alpha channel,
 * its border (an eighth of the short side, at least one pixel) made fully transparent.
 */
export async function backgroundRemovedImage(input: Buffer): Promise<Buffer> {
  const { data, info } = await sharp(input).removeAlpha().toColourspace('srgb').ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const { width, height, channels } = info;
  const border = Math.max(1, Math.floor(Math.min(width, height) / 8));
  const clear = (x: number, y: number): void => {
    data[(y * width + x) * channels + channels - 1] = 0;
  };
  for (let y = 0; y < height; y += 1) {
    if (y < border || y >= height - border) {
      for (let x = 0; x < width; x += 1) clear(x, y);
      continue;
    }
    for (let x = 0; x < border; x += 1) {
      clear(x, y);
      clear(width - 1 - x, y);
    }
  }
  return sharp(data, { raw: { width, height, channels } }).png({ compressionLevel: 1 }).toBuffer();
}
