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
