import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { VISION_MAX_BYTES, VISION_MAX_SIDE, buildDescribeRequest, fitImageForVision } from '../../../commands/describe/describe.plan.js';
import type { TextModel } from '../../../src/venice/catalog.js';
import { imageSize, sniffImageFormat } from '../../../src/venice/image-bytes.js';

const qwen: TextModel = { id: 'qwen3-vl-235b-a22b', name: 'Qwen3 VL 235B', vision: true, pricing: { inputUsd: 0.25, outputUsd: 1.5 }, maxCompletionTokens: 32_768, traits: [] };

const noise = (width: number, height: number, sigma: number) => sharp({ create: { width, height, channels: 3 as const, background: 'black', noise: { type: 'gaussian', mean: 128, sigma } } });

/** A 4000×3000 photo-sized PNG of several MB: flat colour with a band of noise that PNG cannot compress. */
async function largePng(): Promise<Buffer> {
  const band = await noise(4000, 600, 60).png().toBuffer();
  return sharp({ create: { width: 4000, height: 3000, channels: 3, background: 'teal' } }).composite([{ input: band, top: 1200, left: 0 }]).png().toBuffer();
}

/** What the request carries: the data URL's MIME type and its decoded bytes. */
function sentImage(image: { bytes: Buffer; contentType: string }): { mime: string; bytes: Buffer } {
  const parts = buildDescribeRequest(qwen, image, 4).messages[0]!.content as Array<{ type: string; image_url?: { url: string } }>;
  const match = /^data:([^;]+);base64,(.*)$/s.exec(parts[1]!.image_url!.url)!;
  return { mime: match[1]!, bytes: Buffer.from(match[2]!, 'base64') };
}

describe('the image a describe sends', () => {
  it('scales a 4000×3000 PNG of several MB down to fit 2048×2048 as a JPEG under the bound, its data URL typed as JPEG', async () => {
    const png = await largePng();
    expect(png.length).toBeGreaterThan(3 * VISION_MAX_BYTES);
    // An alpha channel with nothing transparent in it, as screenshots often have: no reason for WebP.
    expect((await sharp(png).metadata()).hasAlpha).toBe(true);

    const sent = sentImage(await fitImageForVision({ bytes: png, contentType: 'image/png' }));

    expect(sent.bytes.length).toBeLessThanOrEqual(VISION_MAX_BYTES);
    expect(sent.mime).toBe('image/jpeg');
    expect(sniffImageFormat(sent.bytes)).toBe('jpeg');
    expect(imageSize(sent.bytes)).toEqual({ width: 2048, height: 1536 });
  });

  it('sends a small image’s own bytes, untouched', async () => {
    const png = await sharp({ create: { width: 512, height: 512, channels: 3, background: 'teal' } }).png().toBuffer();
    const jpeg = await noise(1024, 768, 40).jpeg({ quality: 90 }).toBuffer();
    for (const [bytes, contentType] of [[png, 'image/png'], [jpeg, 'image/jpeg']] as const) {
      const fitted = await fitImageForVision({ bytes, contentType });
      expect(fitted.bytes).toBe(bytes);
      const sent = sentImage(fitted);
      expect(sent.mime).toBe(contentType);
      expect(sent.bytes.equals(bytes)).toBe(true);
    }
  });

  it('scales down an image wider than 2048 pixels even when its file is small, and never enlarges', async () => {
    const banner = await sharp({ create: { width: 6000, height: 300, channels: 3, background: 'navy' } }).png().toBuffer();
    expect(banner.length).toBeLessThan(VISION_MAX_BYTES);
    const fitted = await fitImageForVision({ bytes: banner, contentType: 'image/png' });
    expect(imageSize(fitted.bytes)).toEqual({ width: VISION_MAX_SIDE, height: 102 });

    // Over the bytes but not the pixels: re-encoded at its own size.
    const dense = await noise(1600, 1200, 60).png().toBuffer();
    expect(dense.length).toBeGreaterThan(VISION_MAX_BYTES);
    const reencoded = await fitImageForVision({ bytes: dense, contentType: 'image/png' });
    expect(reencoded.contentType).toBe('image/jpeg');
    expect(imageSize(reencoded.bytes)).toEqual({ width: 1600, height: 1200 });
  });

  it('keeps going smaller until even pure noise is under the bound', async () => {
    const worst = await noise(2048, 2048, 120).png({ compressionLevel: 1 }).toBuffer();
    // At 2048 pixels and JPEG quality 85 this much noise is well over the bound.
    expect((await sharp(worst).jpeg({ quality: 85 }).toBuffer()).length).toBeGreaterThan(VISION_MAX_BYTES);
    const fitted = await fitImageForVision({ bytes: worst, contentType: 'image/png' });
    expect(fitted.bytes.length).toBeLessThanOrEqual(VISION_MAX_BYTES);
    expect(Math.max(...Object.values(imageSize(fitted.bytes)!))).toBeLessThan(VISION_MAX_SIDE);
  });

  it('turns a photo upright by its EXIF orientation before scaling it', async () => {
    // Stored 4000×3000 (landscape), tagged "rotate 90° clockwise to view": a portrait photo.
    const photo = await noise(4000, 3000, 20).jpeg({ quality: 80 }).withMetadata({ orientation: 6 }).toBuffer();
    const fitted = await fitImageForVision({ bytes: photo, contentType: 'image/jpeg' });
    expect(imageSize(fitted.bytes)).toEqual({ width: 1536, height: 2048 });
    expect((await sharp(fitted.bytes).metadata()).orientation ?? 1).toBe(1);
  });

  it('keeps transparency, as WebP, where JPEG would flatten it', async () => {
    const band = await noise(3000, 400, 60).png().toBuffer();
    const logo = await sharp({ create: { width: 3000, height: 3000, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
      .composite([{ input: band, top: 1300, left: 0 }])
      .png()
      .toBuffer();
    const fitted = await fitImageForVision({ bytes: logo, contentType: 'image/png' });
    const sent = sentImage(fitted);
    expect(sent.mime).toBe('image/webp');
    expect(sniffImageFormat(sent.bytes)).toBe('webp');
    const meta = await sharp(sent.bytes).metadata();
    expect([meta.width, meta.height, meta.hasAlpha]).toEqual([2048, 2048, true]);
    expect(sent.bytes.length).toBeLessThanOrEqual(VISION_MAX_BYTES);
  });
});
