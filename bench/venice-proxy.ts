import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, errors, request } from 'undici';
import type { BenchFormat, RealisticImage } from './images.js';

/**
 * A thin pass-through in front of the Venice simulator. The simulator answers with solid-colour
 * images (a few KB even at 1024x1024); decoding and uploading those would flatter both bots. The
 * proxy keeps everything the simulator decides (validation, status, headers, inference delay,
 * number of images) and only swaps each returned image for a realistic one of the asked format:
 * inside `images[]` of a JSON answer, or as the whole body of a binary (`return_binary`) one.
 */
export interface VeniceProxy {
  /** Same shape as the simulator's: 'http://127.0.0.1:PORT/api/v1'. */
  readonly baseUrl: string;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host']);

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function forwardHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name.toLowerCase())) out[name] = value;
  }
  return out;
}

function askedFormat(body: Buffer): BenchFormat {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    const format = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>).format : undefined;
    return format === 'png' ? 'png' : 'webp';
  } catch {
    return 'webp';
  }
}

/** The format of a binary image answer we have a realistic stand-in for (not JPEG), from its content type. */
function binaryFormatOf(contentType: string): BenchFormat | undefined {
  const type = contentType.split(';')[0]?.trim().toLowerCase();
  if (type === 'image/webp') return 'webp';
  if (type === 'image/png') return 'png';
  return undefined;
}

export async function startVeniceProxy(upstreamBaseUrl: string, images: Record<BenchFormat, RealisticImage>): Promise<VeniceProxy> {
  const upstream = new URL(upstreamBaseUrl);
  // Enough sockets for 100 users' requests at once: the proxy must never be the queue.
  const agent = new Agent({ connections: 512, keepAliveTimeout: 30_000 });
  // Quoted once: the big strings are copied into each answer, never re-encoded.
  const quoted: Record<BenchFormat, Buffer> = {
    webp: Buffer.from(`"${images.webp.base64}"`),
    png: Buffer.from(`"${images.png.base64}"`),
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readAll(req);
    const method = req.method ?? 'GET';
    const forward = () =>
      request(`${upstream.origin}${req.url ?? '/'}`, {
        method: method as 'GET' | 'POST',
        headers: forwardHeaders(req.headers),
        body: body.length > 0 ? body : undefined,
        dispatcher: agent,
      });
    // The hop to the simulator is the harness's own: a keep-alive socket the simulator closed
    // under load must not turn into a failed variant for the bot, so it is retried once.
    const answer = await forward().catch((err: unknown) => {
      if (err instanceof errors.SocketError) return forward();
      throw err;
    });
    const payload = Buffer.from(await answer.body.arrayBuffer());
    const headers: OutgoingHttpHeaders = forwardHeaders(answer.headers);
    const isGenerate = method === 'POST' && (req.url ?? '').split('?')[0]?.endsWith('/image/generate') === true;
    const contentType = String(answer.headers['content-type'] ?? '');
    const binaryFormat = binaryFormatOf(contentType);
    // A content-violation placeholder stays the simulator's: it is meant to be the black image.
    const violation = String(answer.headers['x-venice-is-content-violation'] ?? '') === 'true';
    if (isGenerate && answer.statusCode === 200 && binaryFormat !== undefined && !violation) {
      const image = images[binaryFormat].data;
      res.writeHead(200, { ...headers, 'content-length': image.length });
      res.end(image);
      return;
    }
    if (!isGenerate || answer.statusCode !== 200 || !contentType.startsWith('application/json')) {
      res.writeHead(answer.statusCode, { ...headers, 'content-length': payload.length });
      res.end(payload);
      return;
    }
    const { images: generated, ...rest } = JSON.parse(payload.toString('utf8')) as { images: unknown[] } & Record<string, unknown>;
    const image = quoted[askedFormat(body)];
    const head = JSON.stringify(rest);
    const parts: Buffer[] = [Buffer.from(`${head.slice(0, -1)}${head.length > 2 ? ',' : ''}"images":[`)];
    generated.forEach((_, i) => {
      if (i > 0) parts.push(Buffer.from(','));
      parts.push(image);
    });
    parts.push(Buffer.from(']}'));
    const length = parts.reduce((sum, part) => sum + part.length, 0);
    res.writeHead(200, { ...headers, 'content-length': length });
    res.cork();
    for (const part of parts) res.write(part);
    res.uncork();
    res.end();
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.destroyed) return;
      console.error('venice proxy: could not forward', err);
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end('{"error":"bench proxy could not reach the simulator"}');
    });
  });
  // Node closes idle keep-alive sockets after 5 s; a bot whose event loop lags past its own
  // idle timer can then send on a socket that is closing ("other side closed"). Real Venice is
  // not that quick to hang up, and the race is the harness's, so the proxy keeps sockets longer.
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}${upstream.pathname}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await agent.close();
    },
  };
}
