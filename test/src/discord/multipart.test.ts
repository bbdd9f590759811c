import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Routes, type RawFile } from 'discord.js';
import { Response } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discordMultipart } from '../../../src/discord/multipart.js';
import { BotRest } from '../../../src/discord/rest.js';

const APP = '1180563243635179553';
const CHANNEL = '1180563243635179560';

/** The start of a WebP file (RIFF....WEBP), then filler: enough for a type to be sniffed from. */
function webp(size: number, fill: number): Buffer {
  const bytes = Buffer.alloc(size, fill);
  bytes.write('RIFF', 0, 'latin1');
  bytes.writeUInt32LE(size - 8, 4);
  bytes.write('WEBP', 8, 'latin1');
  return bytes;
}

/** Reads a multipart body back the way a server does: undici's (WHATWG) parser. */
async function parse(body: Uint8Array, contentType: string): Promise<FormData> {
  return (await new Response(body, { headers: { 'content-type': contentType } }).formData()) as FormData;
}

describe('discordMultipart', () => {
  it('carries each file with its field, name and type, and the JSON payload, as a multipart parser reads them', async () => {
    const image = webp(200_000, 7);
    const chart = Buffer.from('not an image');
    const files: RawFile[] = [
      { name: 'SPOILER_image-1.webp', data: image },
      { name: 'a "quoted"\nname.bin', data: chart, key: 'files[7]' },
      { name: 'chart.png', data: chart, contentType: 'image/png' },
    ];
    const body = discordMultipart(files, { content: 'done', attachments: [{ id: 0 }] });
    expect(body).toBeDefined();
    if (!body) return;
    const bytes = Buffer.concat([...body]);
    expect(bytes.length).toBe(body.length);

    const form = await parse(bytes, body.contentType);
    const first = form.get('files[0]') as File;
    expect(first.name).toBe('SPOILER_image-1.webp');
    expect(first.type).toBe('image/webp');
    expect(Buffer.from(await first.arrayBuffer()).equals(image)).toBe(true);
    // Escaped as FormData escapes a file name, so the header stays one header; a parser reads the name back.
    expect(bytes.includes('filename="a %22quoted%22%0Aname.bin"')).toBe(true);
    const second = form.get('files[7]') as File;
    expect(second.name).toBe('a "quoted"\nname.bin');
    expect(second.type).toBe('application/octet-stream');
    expect((form.get('files[2]') as File).type).toBe('image/png');
    expect(JSON.parse(form.get('payload_json') as string)).toEqual({ content: 'done', attachments: [{ id: 0 }] });
  });

  it('gives the same bytes each time it is read (one read per attempt), sending the caller’s buffer itself', () => {
    const image = webp(100_000, 1);
    const body = discordMultipart([{ name: 'image-1.webp', data: image }], undefined);
    if (!body) throw new Error('no body');
    const once = [...body];
    expect(once).toContain(image);
    expect(Buffer.concat([...body]).equals(Buffer.concat(once))).toBe(true);
  });

  it("types each part as a Blob would keep the file's own type, else from its bytes", async () => {
    const gif = Buffer.concat([Buffer.from('GIF89a', 'latin1'), Buffer.alloc(20)]);
    const body = discordMultipart(
      [
        { name: 'a.png', data: webp(100, 1), contentType: 'IMAGE/PNG' },
        { name: 'b.webp', data: webp(100, 2), contentType: '' },
        { name: 'c.gif', data: gif },
      ],
      undefined,
    );
    if (!body) throw new Error('no body');
    const form = await parse(Buffer.concat([...body]), body.contentType);
    expect(['files[0]', 'files[1]', 'files[2]'].map((k) => (form.get(k) as File).type)).toEqual(['image/png', 'image/webp', 'image/gif']);
    expect([body.fileCount, body.fileBytes]).toEqual([3, 226]);
  });

  it("leaves files that are not bytes to discord.js's own path", () => {
    expect(discordMultipart([{ name: 'a.txt', data: 'text' }], undefined)).toBeUndefined();
  });
});

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

describe('BotRest with files', () => {
  let server: Server;
  let received: Received[];
  let failNext: number;
  let rest: BotRest;

  beforeEach(async () => {
    received = [];
    failNext = 0;
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
        if (failNext > 0) {
          failNext--;
          res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ message: '500: Internal Server Error', code: 0 }));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: '1', channel_id: CHANNEL, content: 'done' }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    rest = new BotRest({ api, retries: 1 }, (id) => id === APP).setToken('bot-token');
  });

  afterEach(async () => {
    rest.clearHashSweeper();
    rest.clearHandlerSweeper();
    await new Promise((resolve) => server.close(resolve));
  });

  it("sends an interaction's result as one multipart body with its length, and Discord's answer comes back parsed", async () => {
    const images = [webp(180_000, 1), webp(150_000, 2)];
    const answer = await rest.patch(Routes.webhookMessage(APP, 'interaction-token', '@original'), {
      auth: false,
      body: { content: 'done', allowed_mentions: { parse: [] } },
      files: images.map((data, i) => ({ name: `image-${i + 1}.webp`, data })),
    });
    expect(answer).toEqual({ id: '1', channel_id: CHANNEL, content: 'done' });
    expect(received).toHaveLength(1);
    const [req] = received;
    if (!req) return;
    expect(req.method).toBe('PATCH');
    // Our body, not discord.js's FormData (whose boundary undici names otherwise).
    expect(req.headers['content-type']).toMatch(/^multipart\/form-data; boundary=----venice-imagine-[0-9a-f]{32}$/);
    expect(Number(req.headers['content-length'])).toBe(req.body.length);
    expect(req.headers.authorization).toBeUndefined();
    const form = await parse(req.body, req.headers['content-type'] ?? '');
    for (const [i, data] of images.entries()) {
      const file = form.get(`files[${i}]`) as File;
      expect(file.type).toBe('image/webp');
      expect(Buffer.from(await file.arrayBuffer()).equals(data)).toBe(true);
    }
    expect(JSON.parse(form.get('payload_json') as string)).toEqual({ content: 'done', allowed_mentions: { parse: [] } });
  });

  it('sends the whole body again when discord.js retries after a 500, and the bot token on its own routes', async () => {
    failNext = 1;
    const image = webp(120_000, 3);
    await rest.post(Routes.channelMessages(CHANNEL), { body: { content: 'again' }, files: [{ name: 'image-1.webp', data: image }] });
    expect(received.map((r) => r.headers.authorization)).toEqual(['Bot bot-token', 'Bot bot-token']);
    const [first, second] = received;
    if (!first || !second) return;
    expect(second.headers['content-type']).toMatch(/boundary=----venice-imagine-/);
    expect(second.body.length).toBe(first.body.length);
    const form = await parse(second.body, second.headers['content-type'] ?? '');
    expect(Buffer.from(await (form.get('files[0]') as File).arrayBuffer()).equals(image)).toBe(true);
  });

  it("leaves a file that is not bytes to discord.js's own FormData, which still sends it", async () => {
    await rest.post(Routes.channelMessages(CHANNEL), { body: { content: 'text' }, files: [{ name: 'note.txt', data: 'plain text', contentType: 'text/plain' }] });
    const [req] = received;
    if (!req) throw new Error('nothing received');
    expect(req.headers['content-type']).not.toMatch(/venice-imagine/);
    const form = await parse(req.body, req.headers['content-type'] ?? '');
    expect(await (form.get('files[0]') as File).text()).toBe('plain text');
    expect(JSON.parse(form.get('payload_json') as string)).toEqual({ content: 'text' });
  });
});
