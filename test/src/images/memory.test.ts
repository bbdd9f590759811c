import { describe, expect, it } from 'vitest';
import { allocImageBuffer, releaseBuffer } from '../../../src/images/memory.js';

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

  it('leaves alone a buffer that shares its memory, and one too small to be worth a message', () => {
    const whole = Buffer.allocUnsafeSlow(512 * 1024).fill(5);
    const slice = whole.subarray(1024, 200 * 1024);
    releaseBuffer(slice);
    expect(slice.length).toBe(199 * 1024);
    expect(whole.length).toBe(512 * 1024);

    const small = Buffer.allocUnsafeSlow(10 * 1024).fill(1);
    releaseBuffer(small);
    expect(small.length).toBe(10 * 1024);
  });

  it('gives an image buffer pages of its own, which go back to the system when it is released', async () => {
    const images = Array.from({ length: 40 }, (_, i) => allocImageBuffer(1024 * 1024).fill(i + 1));
    expect(images.every((image, i) => image.length === 1024 * 1024 && image[1000] === i + 1)).toBe(true);
    // Resizable: V8 maps such a buffer's pages itself (glibc would give a plain one from its heap,
    // where freed memory may stay; whether it does depends on glibc's state, so this is the check).
    expect(images.every((image) => (image.buffer as ArrayBuffer & { resizable?: boolean }).resizable === true)).toBe(true);
    const held = process.memoryUsage.rss();
    for (const image of images) releaseBuffer(image);
    const freed = () => held - process.memoryUsage.rss();
    for (let turn = 0; turn < 50 && freed() < 30 * 1024 * 1024; turn++) await new Promise((resolve) => setTimeout(resolve, 0));
    // Not kept in the allocator's heap for later: the 40 MB are out of the process's RSS.
    expect(freed()).toBeGreaterThanOrEqual(30 * 1024 * 1024);
  });

  it('keeps small buffers ordinary', () => {
    const small = allocImageBuffer(1000);
    expect(small.length).toBe(1000);
    expect(small.buffer.byteLength).toBe(1000);
    expect((small.buffer as ArrayBuffer & { resizable?: boolean }).resizable).toBe(false);
  });
});
