import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { packForOneMessage } from '../../../commands/imagine/imagine.delivery.js';

const MiB = 1024 * 1024;
/** A PNG of noise: it barely compresses, so its size is close to width × height × 3. */
const noisyPng = (width: number, height: number) => sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } }).png({ compressionLevel: 1 }).toBuffer();

describe('packForOneMessage', () => {
  it('fits four large PNGs, each under the attachment limit but together over Discord’s body limit, into one message', async () => {
    const png = await noisyPng(1800, 1800);
    expect(png.length).toBeGreaterThan(8 * MiB);
    expect(png.length).toBeLessThan(10 * MiB);
    const files = [1, 2, 3, 4].map((n) => ({ attachment: png, name: `image-${n}.png` }));
    const { files: fitted, reencoded } = await packForOneMessage(files, 10 * MiB);
    expect(fitted).toHaveLength(4);
    expect(reencoded).toBe(4);
    for (const f of fitted) expect(f.attachment.length).toBeLessThanOrEqual(6 * MiB);
    expect(fitted.reduce((n, f) => n + f.attachment.length, 0)).toBeLessThanOrEqual(24 * MiB);
    expect(fitted.map((f) => f.name.replace(/\.\w+$/, ''))).toEqual(['image-1', 'image-2', 'image-3', 'image-4']);
  }, 60_000);

  it('leaves files alone when they already fit together', async () => {
    const small = await noisyPng(64, 64);
    const { files, reencoded } = await packForOneMessage([{ attachment: small, name: 'image-1.png' }], 10 * MiB);
    expect(reencoded).toBe(0);
    expect(files[0]!.attachment).toBe(small);
  });
});
