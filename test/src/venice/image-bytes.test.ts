import sharp from 'sharp';
import type { Sharp } from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeBase64Image, imageSize, isCompleteImage, sniffImageFormat } from '../../../src/venice/image-bytes.js';
import type { ImageFormat } from '../../../src/venice/types.js';

const formats: ImageFormat[] = ['png', 'webp', 'jpeg'];
const images = {} as Record<ImageFormat, Buffer>;

beforeAll(async () => {
  // A gradient, so each encoder writes a body of some length rather than a few bytes.
  const width = 48;
  const height = 32;
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7) % 256;
  const source = sharp(pixels, { raw: { width, height, channels: 3 } });
  images.png = await source.clone().png().toBuffer();
  images.webp = await source.clone().webp().toBuffer();
  images.jpeg = await source.clone().jpeg().toBuffer();
});

describe.each(formats)('a %s image from Venice', (format) => {
  it('is recognised and complete', () => {
    expect(sniffImageFormat(images[format])).toBe(format);
    expect(isCompleteImage(images[format])).toBe(true);
  });

  it('is incomplete when its last bytes are missing', () => {
    for (const cut of [1, 2, 9, Math.floor(images[format].length / 2)]) {
      expect(isCompleteImage(images[format].subarray(0, images[format].length - cut)), `cut ${cut}`).toBe(false);
    }
  });

  it('decodes from base64 and from a data: URL', () => {
    const base64 = images[format].toString('base64');
    expect(decodeBase64Image(base64)?.equals(images[format])).toBe(true);
    expect(decodeBase64Image(`data:image/${format};base64,${base64}`)?.equals(images[format])).toBe(true);
  });

  it('is refused when the base64 text was cut off, at any length', () => {
    const base64 = images[format].toString('base64');
    // Cut on a 4-character boundary the text still decodes: the container's own end is what tells.
    for (const keep of [base64.length - 4, base64.length - 8, base64.length - 3, Math.floor(base64.length / 2)]) {
      expect(decodeBase64Image(base64.slice(0, keep)), `kept ${keep}`).toBeUndefined();
    }
  });
});

describe('bytes that are not an image', () => {
  it('are neither recognised nor complete', () => {
    const text = Buffer.from('<html>Bad gateway</html>');
    expect(sniffImageFormat(text)).toBeUndefined();
    expect(isCompleteImage(text)).toBe(false);
    expect(isCompleteImage(Buffer.alloc(0))).toBe(false);
    expect(decodeBase64Image(text.toString('base64'))).toBeUndefined();
  });

  it('refuse text that is not base64', () => {
    expect(decodeBase64Image('not base64!')).toBeUndefined();
    expect(decodeBase64Image('')).toBeUndefined();
  });
});

describe('imageSize reads the size from the header as sharp does', () => {
  const cases: Array<[string, (s: Sharp) => Sharp]> = [
    ['png', (s) => s.png()],
    ['jpeg', (s) => s.jpeg()],
    ['progressive jpeg', (s) => s.jpeg({ progressive: true })],
    ['lossy webp', (s) => s.webp()],
    ['lossless webp', (s) => s.webp({ lossless: true })],
    ['webp with alpha (VP8X)', (s) => s.ensureAlpha(0.5).webp()],
  ];
  it.each(cases)('%s', async (_name, encode) => {
    for (const [width, height] of [[37, 23], [1024, 1024], [1344, 768], [5, 4000]] as const) {
      const bytes = await encode(sharp({ create: { width, height, channels: 3, background: '#3a7' } })).toBuffer();
      const meta = await sharp(bytes).metadata();
      expect(imageSize(bytes)).toEqual({ width: meta.width, height: meta.height });
      expect(imageSize(bytes)).toEqual({ width, height });
    }
  });

  it('skips stray bytes between JPEG segments, as libjpeg does', async () => {
    const jpeg = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#123' } }).jpeg().toBuffer();
    // After the first segment (APP0): its marker (2 bytes) and its length, which counts itself.
    const afterFirst = 4 + jpeg.readUInt16BE(4);
    const stray = Buffer.concat([jpeg.subarray(0, afterFirst), Buffer.from([0, 0]), jpeg.subarray(afterFirst)]);
    expect((await sharp(stray).metadata()).width).toBe(640);
    expect(imageSize(stray)).toEqual({ width: 640, height: 480 });
  });

  it('is undefined for bytes that are not an image or are cut before the size', () => {
    expect(imageSize(Buffer.from('not an image at all, just text'))).toBeUndefined();
    expect(imageSize(images.png.subarray(0, 20))).toBeUndefined();
    expect(imageSize(images.webp.subarray(0, 20))).toBeUndefined();
    expect(imageSize(images.jpeg.subarray(0, 4))).toBeUndefined();
  });
});
