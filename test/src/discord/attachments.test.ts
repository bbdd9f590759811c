import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { attachmentHostsFor, downloadAttachment } from '../../../src/discord/attachments.js';
import { UserError } from '../../../src/errors.js';
import { translator } from '../../../src/i18n/index.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let host: string;
let handler: Handler;
let requests: string[];

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  requests = [];
  handler = (_req, res) => res.end('image bytes');
});

const urlOf = (path: string) => `http://${host}${path}`;

async function refusal(promise: Promise<unknown>): Promise<UserError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UserError);
  return err as UserError;
}

describe('downloading an attachment', () => {
  it('fetches from a host the caller allows', async () => {
    const bytes = await downloadAttachment(urlOf('/attachments/1/2/image.png'), { extraHosts: [host] });
    expect(bytes.toString()).toBe('image bytes');
  });

  it('derives the allowed host from the Discord API URL', () => {
    expect(attachmentHostsFor(`http://${host}/api`)).toEqual([host]);
    expect(attachmentHostsFor(undefined)).toEqual([]);
  });

  it('refuses a host that is not Discord without making any request', async () => {
    const err = await refusal(downloadAttachment(urlOf('/internal/admin')));
    expect(err.message).toMatch(/must be a Discord attachment/);
    expect(requests).toEqual([]);
  });

  it('refuses a look-alike of the CDN, plain http to the CDN, and other schemes', async () => {
    for (const url of ['https://cdn.discordapp.com.evil.example/a.png', 'http://cdn.discordapp.com/a.png', 'file:///etc/passwd', 'data:image/png;base64,AAAA', 'not a url']) {
      expect((await refusal(downloadAttachment(url, { extraHosts: [host] }))).message, url).toMatch(/must be a Discord attachment/);
    }
    expect(requests).toEqual([]);
  });

  it('stops reading a body larger than the cap, even without a Content-Length', async () => {
    let sent = 0;
    let closed = false;
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.on('close', () => (closed = true));
      const chunk = Buffer.alloc(64 * 1024);
      const pump = () => {
        // Chunked and endless: only the client can end it.
        while (!closed && sent < 64 * 1024 * 1024 && res.write(chunk)) sent += chunk.length;
        if (!closed && sent < 64 * 1024 * 1024) res.once('drain', pump);
      };
      pump();
    };
    const err = await refusal(downloadAttachment(urlOf('/big.png'), { extraHosts: [host], maxBytes: 1024 * 1024 }));
    expect(err.message).toMatch(/larger than 1 MB, more than the bot downloads\. Use a smaller image/);
    await expect.poll(() => closed).toBe(true);
    expect(sent).toBeLessThan(16 * 1024 * 1024);
  });

  it('refuses at once a body whose Content-Length is over the cap', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': String(50 * 1024 * 1024) });
      res.write(Buffer.alloc(1024));
    };
    const err = await refusal(downloadAttachment(urlOf('/declared.png'), { extraHosts: [host], maxBytes: 1024 * 1024 }));
    expect(err.message).toMatch(/larger than 1 MB/);
  });

  it('says an expired or deleted attachment is gone, and what to do', async () => {
    handler = (_req, res) => {
      res.writeHead(404);
      res.end('Not found');
    };
    const err = await refusal(downloadAttachment(urlOf('/gone.png'), { extraHosts: [host] }));
    expect(err.message).toBe('The image is no longer on Discord (its link has expired or the message was deleted). Post the image again and use that one.');
    expect(translator('zh-CN').render(err.said)).toBe('这张图片已不在 Discord 上（链接已过期或消息已被删除）。请重新发布图片，再使用新发布的那张。');
  });

  it('reports a server error as something to try again', async () => {
    handler = (_req, res) => {
      res.writeHead(502);
      res.end();
    };
    expect((await refusal(downloadAttachment(urlOf('/flaky.png'), { extraHosts: [host] }))).message).toBe(
      'Discord answered 502 when the bot downloaded the image. Try again in a minute.',
    );
  });

  it('gives up on a server that never answers within the timeout', async () => {
    handler = () => undefined;
    const err = await refusal(downloadAttachment(urlOf('/slow.png'), { extraHosts: [host], timeoutMs: 200 }));
    expect(err.message).toBe('Discord took longer than 1 s to send the image. Try again in a minute.');
    expect(translator('es-ES').render(err.said)).toBe('Discord tardó más de 1 s en enviar la imagen. Vuelve a intentarlo en un minuto.');
  });
});
