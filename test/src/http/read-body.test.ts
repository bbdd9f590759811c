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

  it('copies each chunk as it comes, with or without a Content-Length: no chunk is kept to be joined at the end', async () => {
    const sizes = [300_000, 300_000, 70_000];
    const expected = Buffer.concat(sizes.map((n, i) => Buffer.alloc(n, i + 1)));
    // Each chunk is handed over only once the one before it was copied and given back.
    async function* streamed(): AsyncGenerator<Uint8Array> {
      let previous: Buffer | undefined;
      for (const [i, n] of sizes.entries()) {
        expect(previous?.length ?? 0).toBe(0);
        previous = Buffer.alloc(n, i + 1);
        yield previous;
      }
      // Asked once more for the end: the last chunk was copied and given back too.
      expect(previous?.length).toBe(0);
    }
    for (const length of [String(expected.length), undefined]) {
      const whole = await readBody(streamed(), options(length));
      expect(whole.equals(expected)).toBe(true);
      // One buffer of the body's own length, which can be freed.
      expect([whole.byteOffset, whole.buffer.byteLength]).toEqual([0, expected.length]);
      releaseBuffer(whole);
      expect(whole.length).toBe(0);
    }
  });

  it('gives back what it read of a body that fails part way, and the chunk it refused', async () => {
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    const before = process.memoryUsage().external;
    // 20 MB declared (allocated ahead), 10 MB sent in reads of their own, then the end.
    const reads = Array.from({ length: 10 }, () => Buffer.alloc(1024 ** 2, 7));
    await expect(readBody(chunksOf(...reads), options(String(20 * 1024 ** 2)))).rejects.toThrow(/ended after 10485760 of its 20971520 bytes/);
    reads.length = 0;
    await settle();
    // Released memory is dropped on the loop's next turn, not at a collection.
    expect(process.memoryUsage().external - before).toBeLessThan(4 * 1024 ** 2);
    const refused = Buffer.alloc(64 * 1024, 1);
    await expect(readBody(chunksOf(Buffer.alloc(64 * 1024), refused), options(undefined, 100_000))).rejects.toThrow('too large');
    expect(refused.length).toBe(0);
  });

  it('allocates nothing ahead for a Content-Length past 64 MB, and still holds the body to it', async () => {
    // 200 MB declared, within the limit, ten bytes sent.
    await expect(readBody(chunksOf(Buffer.alloc(10, 4)), options(String(200 * 1024 ** 2), 256 * 1024 ** 2))).rejects.toThrow(/ended after 10 of its 209715200 bytes/);
    // 65 MB declared and sent, in views of one 2 MB buffer (views are not freed): grown as it comes.
    const megabyte = Buffer.alloc(2 * 1024 ** 2, 5).subarray(0, 1024 ** 2);
    const before = process.memoryUsage().external;
    let heldAfterOne = Number.NaN;
    async function* sixtyFive(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 65; i++) {
        if (i === 1) heldAfterOne = process.memoryUsage().external - before;
        yield megabyte;
      }
    }
    const grown = await readBody(sixtyFive(), options(String(65 * 1024 ** 2), 256 * 1024 ** 2));
    expect(grown.length).toBe(65 * 1024 ** 2);
    expect(grown.every((b: number) => b === 5)).toBe(true);
    // After the first megabyte, about a megabyte counted towards V8's collections, not the 65 declared.
    expect(heldAfterOne).toBeLessThan(8 * 1024 ** 2);
    releaseBuffer(grown);
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
