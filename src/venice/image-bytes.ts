import type { ImageFormat } from './types.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const PNG_IEND = Buffer.from([0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);

/** Which format the bytes are, from their magic numbers; undefined for anything else. */
export function sniffImageFormat(bytes: Buffer): ImageFormat | undefined {
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 12 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') return 'webp';
  return undefined;
}

/**
 * Whether the bytes are a whole image: a cut-off base64 string still decodes, so check the
 * container's own length or end marker rather than trusting the decoder.
 */
export function isCompleteImage(bytes: Buffer): boolean {
  switch (sniffImageFormat(bytes)) {
    case 'png':
      return bytes.length >= 20 && bytes.subarray(bytes.length - 8).equals(PNG_IEND);
    case 'jpeg':
      return bytes.length >= 4 && bytes[bytes.length - 2] === 0xff && bytes[bytes.length - 1] === 0xd9;
    case 'webp':
      return bytes.readUInt32LE(4) + 8 === bytes.length;
    default:
      return false;
  }
}

/** Decodes one base64 image (raw or a data: URL), or returns undefined when it is not a whole image. */
export function decodeBase64Image(text: string): Buffer | undefined {
  const raw = text.startsWith('data:') ? text.slice(text.indexOf(',') + 1) : text;
  if (raw.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(raw, 'base64');
  // Node skips characters outside the alphabet instead of failing, so a foreign character
  // shows as missing bytes. This length check replaces a regex over the whole string, which
  // cost a fifth of the bot's CPU under load (see docs/benchmarks.md).
  const padding = raw.endsWith('==') ? 2 : raw.endsWith('=') ? 1 : 0;
  if (bytes.length !== (raw.length / 4) * 3 - padding) return undefined;
  return isCompleteImage(bytes) ? bytes : undefined;
}

/**
 * The pixel size written in a PNG, JPEG or WebP header, read without decoding; undefined when
 * the header is missing or unreadable. Only sizes are needed on the delivery path (which
 * upscales to offer), and reading a few bytes keeps libvips out of a bot that only generates.
 */
export function imageSize(bytes: Buffer): { width: number; height: number } | undefined {
  const size = (width: number, height: number) => (width > 0 && height > 0 ? { width, height } : undefined);
  switch (sniffImageFormat(bytes)) {
    case 'png':
      // IHDR is the first chunk: length (4), "IHDR" (4), width (4), height (4).
      if (bytes.length < 24 || bytes.toString('latin1', 12, 16) !== 'IHDR') return undefined;
      return size(bytes.readUInt32BE(16), bytes.readUInt32BE(20));
    case 'webp':
      return webpSize(bytes);
    case 'jpeg':
      return jpegSize(bytes);
    default:
      return undefined;
  }
}

function webpSize(bytes: Buffer): { width: number; height: number } | undefined {
  if (bytes.length < 30) return undefined;
  const chunk = bytes.toString('latin1', 12, 16);
  if (chunk === 'VP8X') return { width: 1 + bytes.readUIntLE(24, 3), height: 1 + bytes.readUIntLE(27, 3) };
  if (chunk === 'VP8L') {
    if (bytes[20] !== 0x2f) return undefined;
    const bits = bytes.readUInt32LE(21);
    return { width: 1 + (bits & 0x3fff), height: 1 + ((bits >>> 14) & 0x3fff) };
  }
  if (chunk === 'VP8 ') {
    // Frame tag (3), start code 9d 01 2a, then 14-bit width and height.
    if (bytes[23] !== 0x9d || bytes[24] !== 0x01 || bytes[25] !== 0x2a) return undefined;
    const width = bytes.readUInt16LE(26) & 0x3fff;
    const height = bytes.readUInt16LE(28) & 0x3fff;
    return width > 0 && height > 0 ? { width, height } : undefined;
  }
  return undefined;
}

function jpegSize(bytes: Buffer): { width: number; height: number } | undefined {
  let at = 2;
  while (at + 9 < bytes.length) {
    if (bytes[at] !== 0xff) {
      // Stray bytes between segments: libjpeg skips them ("extraneous bytes before marker"), so do we.
      at += 1;
      continue;
    }
    const marker = bytes[at + 1] ?? 0;
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    // Start-of-frame markers carry the size; C4 (DHT), C8 (JPG) and CC (DAC) do not.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      const height = bytes.readUInt16BE(at + 5);
      const width = bytes.readUInt16BE(at + 7);
      return width > 0 && height > 0 ? { width, height } : undefined;
    }
    if (marker === 0xd9 || marker === 0xda) return undefined;
    at += 2 + bytes.readUInt16BE(at + 2);
  }
  return undefined;
}
