import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { describe, expect, it } from 'vitest';
import { readBody } from '../../../src/http/read-body.js';
import { releaseBuffer } from '../../../src/images/memory.js';

async function* chunksOf(...chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

const tooLarge = (): Error => new Error('too large');
const options = (contentLength: string | string[] | undefined, maxBytes = 64 * 1024 * 1024) => ({ contentLength, maxBytes, tooLarge });

describe('readBody', () => {
  it('puts the chunks of a body with a Content-Length together in order, and frees each chunk that owns its memory once copied', async () => {
    const reads = [Buffer.allocUnsafeSlow(64 * 1024).fill(1), Buffer.allocUnsafeSlow(64 * 1024).fill(2), Buffer.allocUnsafeSlow(20 * 1024).fill(3)];
    const expected = Buffer.concat(reads);
    const whole = await readBody(chunksOf(...reads), options(String(expected.length)));
    expect(whole.equals(expected)).toBe(true);
    // Reads off a socket are their own memory: given back, not left for the collector.
    expect(reads.map((r) => r.length)).toEqual([0, 0, 0]);
  });

  it('leaves alone a chunk that is a view into shared memory (a chunked answer can cut one read in several)', async () => {
    const read = Buffer.allocUnsafeSlow(96 * 1024).fill(9);
    const parts = [read.subarray(0, 40 * 1024), read.subarray(40 * 1024)];
    const whole = await readBody(chunksOf(...parts), options(undefined));
    expect(whole.length).toBe(96 * 1024);
    expect(whole.every((b: number) => b === 9)).toBe(true);
    expect(read.length).toBe(96 * 1024);
  });

  it('joins a body without a Content-Length at its end', async () => {
    const whole = await readBody(chunksOf(Buffer.from('{"a":'), Buffer.from('1}')), options(undefined));
    expect(whole.toString('utf8')).toBe('{"a":1}');
  });

  it('refuses a body that does not match its Content-Length, rather than passing on a cut or padded image', async () => {
    await expect(readBody(chunksOf(Buffer.alloc(10)), options('12'))).rejects.toThrow(/ended after 10 of its 12 bytes/);
    await expect(readBody(chunksOf(Buffer.alloc(10), Buffer.alloc(5)), options('12'))).rejects.toThrow(/longer than its Content-Length/);
  });

  it('refuses a body past its limit: at once on a Content-Length over it, else as the bytes pass it', async () => {
    let read = 0;
    async function* counted(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 10; i++) {
        read += 1;
        yield Buffer.alloc(1000);
      }
    }
    await expect(readBody(counted(), options(String(100 * 1024 ** 3), 5000))).rejects.toThrow('too large');
    expect(read).toBe(0);
    await expect(readBody(counted(), options(undefined, 5000))).rejects.toThrow('too large');
    expect(read).toBe(6);
    expect((await readBody(chunksOf(Buffer.alloc(5000, 1)), options('5000', 5000))).length).toBe(5000);
  });

  it('grows one buffer of its own in place for a body without a Content-Length, which can then be freed', async () => {
    const parts = [Buffer.alloc(300_000, 1), Buffer.alloc(300_000, 2), Buffer.alloc(1, 3)];
    const expected = Buffer.concat(parts);
    const whole = await readBody(chunksOf(...parts), options(undefined));
    expect(whole.equals(expected)).toBe(true);
    expect([whole.byteOffset, whole.buffer.byteLength]).toEqual([0, 600_001]);
    releaseBuffer(whole);
    expect(whole.length).toBe(0);
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
        const whole = await readBody(res.body, options(res.headers['content-length']));
        expect(whole.equals(image), path).toBe(true);
      }
    } finally {
      await agent.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
