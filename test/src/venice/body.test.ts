import { describe, expect, it } from 'vitest';
import { readWhole } from '../../../src/venice/body.js';

async function* chunksOf(...chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

describe('readWhole', () => {
  it('puts the chunks of a body with a Content-Length together in order, and frees each chunk that owns its memory once copied', async () => {
    const reads = [Buffer.allocUnsafeSlow(64 * 1024).fill(1), Buffer.allocUnsafeSlow(64 * 1024).fill(2), Buffer.allocUnsafeSlow(20 * 1024).fill(3)];
    const expected = Buffer.concat(reads);
    const whole = await readWhole(chunksOf(...reads), String(expected.length));
    expect(whole.equals(expected)).toBe(true);
    // Reads off a socket are their own memory: given back, not left for the collector.
    expect(reads.map((r) => r.length)).toEqual([0, 0, 0]);
  });

  it('leaves alone a chunk that is a view into shared memory (a chunked answer can cut one read in several)', async () => {
    const read = Buffer.allocUnsafeSlow(96 * 1024).fill(9);
    const parts = [read.subarray(0, 40 * 1024), read.subarray(40 * 1024)];
    const whole = await readWhole(chunksOf(...parts), undefined);
    expect(whole.length).toBe(96 * 1024);
    expect(whole.every((b) => b === 9)).toBe(true);
    expect(read.length).toBe(96 * 1024);
  });

  it('joins a body without a Content-Length at its end', async () => {
    const whole = await readWhole(chunksOf(Buffer.from('{"a":'), Buffer.from('1}')), undefined);
    expect(whole.toString('utf8')).toBe('{"a":1}');
  });

  it('refuses a body that does not match its Content-Length, rather than passing on a cut or padded image', async () => {
    await expect(readWhole(chunksOf(Buffer.alloc(10)), '12')).rejects.toThrow(/ended after 10 of its 12 bytes/);
    await expect(readWhole(chunksOf(Buffer.alloc(10), Buffer.alloc(5)), '12')).rejects.toThrow(/longer than its Content-Length/);
  });
});
