import { describe, expect, it } from 'vitest';
import { releaseBuffer } from '../../../src/images/release.js';

describe('releaseBuffer', () => {
  it("frees an image buffer's memory on the event loop's next turn: no garbage collection needed", async () => {
    const before = process.memoryUsage().arrayBuffers;
    const images = Array.from({ length: 40 }, (_, i) => Buffer.allocUnsafeSlow(256 * 1024).fill(i));
    const held = process.memoryUsage().arrayBuffers;
    expect(held - before).toBeGreaterThanOrEqual(40 * 256 * 1024);
    for (const image of images) releaseBuffer(image);
    expect(images.every((image) => image.length === 0 && image.buffer.byteLength === 0)).toBe(true);
    // Still referenced here, yet no longer counted after a turn or two of the event loop: the
    // memory went back, not to the garbage (no collection runs in so few turns of this little).
    const counted = () => process.memoryUsage().arrayBuffers - before;
    for (let turn = 0; turn < 50 && counted() >= 4 * 256 * 1024; turn++) await new Promise((resolve) => setTimeout(resolve, 0));
    expect(counted()).toBeLessThan(4 * 256 * 1024);
  });

  it('leaves alone a buffer that shares its memory, or is small enough to be a slice of Node’s pool', () => {
    const whole = Buffer.allocUnsafeSlow(512 * 1024).fill(5);
    const slice = whole.subarray(1024, 200 * 1024);
    releaseBuffer(slice);
    expect(slice.length).toBe(199 * 1024);
    expect(whole.length).toBe(512 * 1024);

    const pooled = Buffer.from('a small image');
    const neighbour = Buffer.from('another buffer from the same pool');
    releaseBuffer(pooled);
    expect(pooled.toString()).toBe('a small image');
    expect(neighbour.toString()).toBe('another buffer from the same pool');

    const small = Buffer.allocUnsafeSlow(10 * 1024).fill(1);
    releaseBuffer(small);
    expect(small.length).toBe(10 * 1024);
  });
});
