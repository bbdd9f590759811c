import sharp from 'sharp';
import type { Metadata } from 'sharp';

/**
 * What Discord works out about an uploaded file before it lists it as an attachment: the
 * content type (from the bytes first, as Discord sniffs them, then the name) and, for the
 * image formats a bot is likely to upload, the pixel size. `mediaInfo` parses headers only;
 * `probeMedia` asks sharp (libvips reads the header, it decodes no pixels) and knows more formats.
 */

export interface MediaInfo {
  contentType: string | undefined;
  width?: number;
  height?: number;
  /** More than one frame (an animated GIF or WebP): Discord flags the attachment IS_ANIMATED. */
  animated?: boolean;
}

const BY_EXTENSION: Record<string, string> = {
  png: 'image/png',
  apng: 'image/apng',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  avif: 'image/avif',
  mp4: 'video/mp4',
  webm: 'video/webm',
  txt: 'text/plain; charset=utf-8',
  json: 'application/json; charset=utf-8',
};

interface Sniffed {
  contentType: string;
  width?: number;
  height?: number;
}

function ascii(data: Buffer, start: number, end: number): string {
  return data.length >= end ? data.toString('latin1', start, end) : '';
}

function png(data: Buffer): Sniffed | undefined {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (data.length < 8 || !data.subarray(0, 8).equals(signature)) return undefined;
  if (data.length < 24 || ascii(data, 12, 16) !== 'IHDR') return { contentType: 'image/png' };
  return { contentType: 'image/png', width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
}

function gif(data: Buffer): Sniffed | undefined {
  const magic = ascii(data, 0, 6);
  if (magic !== 'GIF87a' && magic !== 'GIF89a') return undefined;
  if (data.length < 10) return { contentType: 'image/gif' };
  return { contentType: 'image/gif', width: data.readUInt16LE(6), height: data.readUInt16LE(8) };
}

function webp(data: Buffer): Sniffed | undefined {
  if (ascii(data, 0, 4) !== 'RIFF' || ascii(data, 8, 12) !== 'WEBP') return undefined;
  const chunk = ascii(data, 12, 16);
  if (chunk === 'VP8 ' && data.length >= 30 && data[23] === 0x9d && data[24] === 0x01 && data[25] === 0x2a) {
    return { contentType: 'image/webp', width: data.readUInt16LE(26) & 0x3fff, height: data.readUInt16LE(28) & 0x3fff };
  }
  if (chunk === 'VP8L' && data.length >= 25 && data[20] === 0x2f) {
    const bits = data.readUInt32LE(21);
    return { contentType: 'image/webp', width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X' && data.length >= 30) {
    return { contentType: 'image/webp', width: data.readUIntLE(24, 3) + 1, height: data.readUIntLE(27, 3) + 1 };
  }
  return { contentType: 'image/webp' };
}

function jpeg(data: Buffer): Sniffed | undefined {
  if (data.length < 3 || data[0] !== 0xff || data[1] !== 0xd8 || data[2] !== 0xff) return undefined;
  let i = 2;
  while (i + 3 < data.length) {
    if (data[i] !== 0xff) break;
    const marker = data[i + 1] ?? 0;
    if (marker === 0xff) {
      i += 1;
      continue;
    }
    // Markers without a length: TEM, RSTn, SOI, EOI.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd9)) {
      i += 2;
      continue;
    }
    const length = data.readUInt16BE(i + 2);
    // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC), carry the frame size.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (i + 9 > data.length) break;
      return { contentType: 'image/jpeg', width: data.readUInt16BE(i + 7), height: data.readUInt16BE(i + 5) };
    }
    i += 2 + length;
  }
  return { contentType: 'image/jpeg' };
}

function sniff(data: Buffer): Sniffed | undefined {
  return png(data) ?? jpeg(data) ?? gif(data) ?? webp(data);
}

/**
 * The attachment's content type and size. The bytes win over the declared type (Discord
 * does not trust the multipart header), then a specific declared type, then the extension.
 */
export function mediaInfo(filename: string, declared: string | undefined, data: Buffer): MediaInfo {
  const sniffed = sniff(data);
  if (sniffed) {
    const { contentType, width, height } = sniffed;
    return width !== undefined && height !== undefined && width > 0 && height > 0 ? { contentType, width, height } : { contentType };
  }
  const specific = declared && declared !== 'application/octet-stream' ? declared : undefined;
  const extension = /\.([A-Za-z0-9]+)$/.exec(filename)?.[1]?.toLowerCase();
  return { contentType: specific ?? (extension ? BY_EXTENSION[extension] : undefined) ?? (declared || undefined) };
}

/** The image formats libvips names, as the content type Discord lists them under. */
function sharpContentType(metadata: Metadata): string | undefined {
  switch (metadata.format) {
    case 'jpeg':
    case 'png':
    case 'webp':
    case 'gif':
    case 'tiff':
    case 'jxl':
      return `image/${metadata.format}`;
    case 'heif':
      return metadata.compression === 'av1' ? 'image/avif' : 'image/heic';
    case 'jp2':
      return 'image/jp2';
    default:
      return undefined;
  }
}

/**
 * `mediaInfo` with sharp reading the image: the content type of any image format libvips
 * knows, and the size of one frame (`pageHeight` when the frames are stacked). Bytes that are
 * no image fall back to `mediaInfo` (declared type, then the extension).
 */
export async function probeMedia(filename: string, declared: string | undefined, data: Buffer): Promise<MediaInfo> {
  let metadata: Metadata | undefined;
  try {
    metadata = await sharp(data).metadata();
  } catch {
    metadata = undefined;
  }
  const contentType = metadata ? sharpContentType(metadata) : undefined;
  if (!metadata || !contentType) return mediaInfo(filename, declared, data);
  const width = metadata.width;
  const height = metadata.pageHeight ?? metadata.height;
  const animated = (metadata.pages ?? 1) > 1;
  return {
    contentType,
    ...(width > 0 && height > 0 ? { width, height } : {}),
    ...(animated ? { animated } : {}),
  };
}
