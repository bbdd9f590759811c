import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
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

  it('does not take memory for a Content-Length no image could have ahead of the bytes', async () => {
    // 100 GB declared, ten bytes sent: allocating the declared length would throw here.
    const whole = await readWhole(chunksOf(Buffer.alloc(10, 4)), String(100 * 1024 ** 3));
    expect(whole.length).toBe(10);
  });

  it('reads real answers off one kept-alive connection exactly, with and without a Content-Length', async () => {
    const image = Buffer.alloc(700 * 1024);
    for (let i = 0; i < image.length; i++) image[i] = (i * 31 + 7) % 251;
    const server = createServer((req, res) => {
      if (req.url === '/chunked') {
        res.writeHead(200, { 'content-type': 'image/png' });
        for (let at = 0; at < image.length; at += 50_000) res.write(image.subarray(at, at + 50_000));
        res.end();
      } else res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(image.length) }).end(image);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const agent = new Agent({ connections: 1 });
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      for (const path of ['/sized', '/chunked', '/sized', '/chunked']) {
        const res = await request(`${url}${path}`, { dispatcher: agent });
        const whole = await readWhole(res.body, res.headers['content-length']);
        expect(whole.equals(image), path).toBe(true);
      }
    } finally {
      await agent.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
