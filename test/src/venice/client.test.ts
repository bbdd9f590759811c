import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { Writable } from 'node:stream';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logger.js';
import { createCatalog } from '../../../src/venice/catalog.js';
import { errors as undiciErrors } from 'undici';
import { cleanVeniceMessage, createVeniceClient, isConnectFailure, type VeniceClient, type VeniceClientOptions } from '../../../src/venice/client.js';
import { VeniceError } from '../../../src/venice/errors.js';
import { en } from '../../../src/i18n/index.js';
import { describeVeniceError } from '../../../src/venice/user-messages.js';
import { startVeniceSimulator, type VeniceSimulator } from '../../support/venice/simulator.js';

describe("cleaning Venice's error text for the user", () => {
  it('keeps a short message as it is', () => {
    expect(cleanVeniceMessage('Invalid style_preset')).toBe('Invalid style_preset');
  });

  it('puts a multi-line message on one line', () => {
    expect(cleanVeniceMessage('  Invalid request\n\n  width: must be divisible by 16\t ')).toBe('Invalid request width: must be divisible by 16');
  });

  it('shortens a long message to 300 characters ending in an ellipsis', () => {
    const cleaned = cleanVeniceMessage('word '.repeat(200));
    expect(cleaned).toHaveLength(300);
    expect(cleaned?.endsWith('...')).toBe(true);
  });

  it('gives nothing for no message', () => {
    expect(cleanVeniceMessage(undefined)).toBeUndefined();
    expect(cleanVeniceMessage('')).toBeUndefined();
  });
});

describe('telling a connection never made from one dropped after sending', () => {
  const withCode = (code: string, message = code) => Object.assign(new Error(message), { code });

  it('counts refused, unresolvable, unreachable and timed-out connects as never sent', () => {
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']) expect(isConnectFailure(withCode(code)), code).toBe(true);
    expect(isConnectFailure(new undiciErrors.ConnectTimeoutError())).toBe(true);
    expect(isConnectFailure(new Error('fetch failed', { cause: withCode('ECONNREFUSED') }))).toBe(true);
  });

  it('counts a reset or a closed socket as possibly sent', () => {
    for (const code of ['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']) expect(isConnectFailure(withCode(code)), code).toBe(false);
    expect(isConnectFailure(new undiciErrors.SocketError('other side closed'))).toBe(false);
    expect(isConnectFailure(new undiciErrors.BodyTimeoutError())).toBe(false);
    expect(isConnectFailure(undefined)).toBe(false);
  });
});

describe('the Venice client over the wire', () => {
  let sim: VeniceSimulator;
  const clients: VeniceClient[] = [];
  // Short pauses keep the suite quick; the bounds are the production ones.
  const retry = { baseDelayMs: 1, maxDelayMs: 5 };

  beforeAll(async () => {
    sim = await startVeniceSimulator();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.destroy()));
    await sim.close();
  });
  beforeEach(() => sim.reset());

  function client(overrides: Partial<VeniceClientOptions> = {}): { venice: VeniceClient; retries: () => number } {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const venice = createVeniceClient({
      baseUrl: sim.baseUrl,
      apiKey: sim.apiKey,
      timeoutMs: 30_000,
      log: createLogger({ level: 'warn', secrets: [], destination }),
      retry,
      ...overrides,
    });
    clients.push(venice);
    const retries = () => lines.filter((l) => (JSON.parse(l) as { msg?: string }).msg === 'retrying Venice request').length;
    return { venice, retries };
  }

  const body = { model: 'z-image-turbo', prompt: 'a lighthouse' } as const;

  async function failure(promise: Promise<unknown>): Promise<VeniceError> {
    const err = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(VeniceError);
    return err as VeniceError;
  }

  /** A port on 127.0.0.1 where nothing listens: connecting is refused at once. */
  async function closedPort(): Promise<number> {
    const server = createNetServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }

  it('sends a POST whose connection dropped after the body was sent exactly once, and says the outcome is unknown', async () => {
    const { venice, retries } = client();
    sim.script({ kind: 'drop-connection' }, { times: Infinity });
    const err = await failure(venice.generateImage(body));
    expect(err.kind).toBe('connection_lost');
    expect(describeVeniceError(en, err)).toBe(
      'The connection to Venice dropped after the request was sent, so the bot did not retry it (it may already have been charged). Try again.',
    );
    expect(sim.generateRequests()).toHaveLength(1);
    expect(sim.generateRequests()[0]?.body).toMatchObject({ prompt: 'a lighthouse' });
    expect(retries()).toBe(0);
  });

  it('retries a GET whose connection dropped, since asking again costs nothing', async () => {
    const { venice } = client();
    sim.script({ kind: 'drop-connection' }, { path: '/image/styles', times: 2 });
    expect(await venice.listStyles()).toContain('Neon Punk');
    expect(sim.requests.filter((r) => r.path === '/image/styles')).toHaveLength(3);
  });

  it('retries a POST that could not connect, up to the policy bound', async () => {
    const { venice, retries } = client({ baseUrl: `http://127.0.0.1:${await closedPort()}/api/v1`, retry: { ...retry, maxAttempts: 3 } });
    const err = await failure(venice.generateImage(body));
    expect(err.kind).toBe('network');
    expect(describeVeniceError(en, err)).toMatch(/could not reach Venice/);
    expect(retries()).toBe(2);
  });

  it("retries a POST on Venice's own 500 and 503, but not on a gateway's 502 or 504", async () => {
    const { venice } = client({ retry: { ...retry, maxAttempts: 3 } });
    for (const [status, attempts] of [
      [500, 3],
      [503, 3],
      [502, 1],
      [504, 1],
    ] as const) {
      sim.reset();
      sim.script({ kind: 'error', status }, { times: Infinity });
      expect((await failure(venice.generateImage(body))).status).toBe(status);
      expect(sim.generateRequests(), String(status)).toHaveLength(attempts);
    }
  });

  it('retries a GET on any 5xx', async () => {
    const { venice } = client({ retry: { ...retry, maxAttempts: 3 } });
    sim.script({ kind: 'error', status: 502 }, { path: '/models/traits', times: 2 });
    expect(await venice.listImageTraits()).toMatchObject({ default: 'z-image-turbo' });
    expect(sim.requests.filter((r) => r.path === '/models/traits')).toHaveLength(3);
  });

  it("reads the spec's X-Balance-Remaining first, and x-venice-balance-usd when it is absent", async () => {
    const { venice } = client();
    sim.script({ kind: 'ok', headers: { 'X-Balance-Remaining': '4.230000', 'x-venice-balance-usd': '9.0000' } });
    expect((await venice.generateImage(body)).balanceUsd).toBe(4.23);

    const own = await startVeniceSimulator({ balanceHeaders: 'venice' });
    try {
      const { venice: other } = client({ baseUrl: own.baseUrl });
      const result = await other.generateImage(body);
      expect(result.balanceUsd).toBeGreaterThan(0);
      expect(result.balanceUsd).toBeLessThan(50);
    } finally {
      await own.close();
    }
  });

  it('reports no balance when Venice sends empty balance headers, rather than a balance of zero', async () => {
    const { venice } = client();
    sim.script({ kind: 'ok', headers: { 'X-Balance-Remaining': '', 'x-venice-balance-usd': '' } });
    expect((await venice.generateImage(body)).balanceUsd).toBeUndefined();
  });

  it('passes on the content-violation and blur verdicts of an upscale', async () => {
    const { venice } = client();
    const png = await sharp({ create: { width: 256, height: 256, channels: 3, background: '#336699' } }).png().toBuffer();
    sim.script({ kind: 'ok', headers: { 'x-venice-is-content-violation': 'true', 'x-venice-is-blurred': 'false' } }, { path: '/image/upscale' });
    const result = await venice.upscaleImage(png, 2);
    expect(result).toMatchObject({ contentViolation: true, blurred: false });
  });

  it('takes a content violation as a refusal even when its placeholder bytes are cut short, and such bytes without one as malformed', async () => {
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#336699' } }).png().toBuffer();
    const cut = png.subarray(0, 60);
    let violation = true;
    const server = createHttpServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'image/png', ...(violation ? { 'x-venice-is-content-violation': 'true' } : {}) });
        res.end(cut);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { venice } = client({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1` });
      const edit = { model: 'firered-image-edit', prompt: 'x', images: [{ data: png, name: 'image-1.png', contentType: 'image/png' }] };
      expect(await venice.generateImage(body)).toMatchObject({ contentViolation: true });
      expect(await venice.editImage(edit)).toMatchObject({ contentViolation: true });
      expect(await venice.removeBackground(png)).toMatchObject({ contentViolation: true });
      expect(await venice.upscaleImage(png, 2)).toMatchObject({ contentViolation: true });
      violation = false;
      for (const call of [() => venice.generateImage(body), () => venice.editImage(edit), () => venice.upscaleImage(png, 2)]) expect((await failure(call())).kind).toBe('malformed');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("sends an upscale's image as a file part of its own bytes, whole again on the retry after a 503", async () => {
    const { venice, retries } = client();
    const png = await sharp({ create: { width: 300, height: 256, channels: 3, background: '#336699' } }).png().toBuffer();
    sim.script({ kind: 'error', status: 503 }, { path: '/image/upscale' });
    const result = await venice.upscaleImage(png, 2);
    expect(await sharp(result.image).metadata()).toMatchObject({ format: 'png', width: 600, height: 512 });
    const sent = sim.requests.filter((r) => r.path === '/image/upscale');
    expect(sent.map((r) => r.status)).toEqual([503, 200]);
    expect(retries()).toBe(1);
    for (const r of sent) {
      expect(String(r.headers['content-type'])).toMatch(/^multipart\/form-data; boundary=/);
      // Its length known ahead: a Content-Length, not a chunked body.
      expect(r.headers['transfer-encoding']).toBeUndefined();
      expect(Number(r.headers['content-length'])).toBeGreaterThan(png.length);
      expect(r.body).toEqual({ scale: '2' });
      expect(r.files?.map((f) => [f.field, f.contentType])).toEqual([['image', 'image/png']]);
      expect(r.files?.[0]?.bytes.equals(png)).toBe(true);
    }
  });

  it('refuses an answer longer than any image at once, without a retry, and lets its connection go', async () => {
    // A server that declares 300 MB, sends a little and then nothing: Venice's limits say no image is that large.
    let closed: () => void = () => undefined;
    const socketClosed = new Promise<void>((resolve) => (closed = resolve));
    const server = createHttpServer((req, res) => {
      req.resume();
      req.socket.once('close', () => closed());
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(300 * 1024 * 1024) });
      res.write(Buffer.alloc(1000));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { venice, retries } = client({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1` });
      const err = await failure(venice.generateImage(body));
      expect(err.kind).toBe('malformed');
      expect(err.message).toMatch(/over 256 MB/);
      expect(describeVeniceError(en, err)).toBe('Venice sent an answer the bot could not read. Try again.');
      expect(retries()).toBe(0);
      // Long before the 30 s timeout (the bound leaves a loaded machine room), and close() does not wait for it either.
      const started = performance.now();
      await Promise.race([socketClosed, new Promise((_, reject) => setTimeout(() => reject(new Error('the connection stayed open')), 10_000).unref())]);
      await venice.close();
      expect(performance.now() - started).toBeLessThan(10_000);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('ends a list request when its signal is aborted', async () => {
    const { venice } = client();
    sim.script({ kind: 'hang' }, { path: '/models' });
    const controller = new AbortController();
    const pending = venice.listImageModels(controller.signal);
    await expect.poll(() => sim.requests.some((r) => r.path === '/models')).toBe(true);
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
  });

  it('ends a request in flight at once on destroy(), without retrying it', { timeout: 5_000 }, async () => {
    const { venice, retries } = client();
    sim.script({ kind: 'hang' }, { times: Infinity });
    const pending = failure(venice.generateImage(body));
    await expect.poll(() => sim.generateRequests().length).toBe(1);
    await venice.destroy();
    expect((await pending).kind).toBe('connection_lost');
    expect(sim.generateRequests()).toHaveLength(1);
    expect(retries()).toBe(0);
  });

  it('ends a pause between retries at once on destroy(), reporting the failure that caused it', { timeout: 5_000 }, async () => {
    const { venice, retries } = client();
    sim.script({ kind: 'error', status: 503, retryAfterSeconds: 20 }, { times: Infinity });
    const pending = failure(venice.generateImage(body));
    await expect.poll(() => retries()).toBe(1);
    await venice.destroy();
    expect((await pending).status).toBe(503);
    expect(sim.generateRequests()).toHaveLength(1);
  });
});

describe('the catalog', () => {
  it('ends a refresh hanging on Venice as soon as it is stopped', { timeout: 5_000 }, async () => {
    const sim = await startVeniceSimulator();
    const venice = createVeniceClient({ baseUrl: sim.baseUrl, apiKey: sim.apiKey, timeoutMs: 60_000, log: createLogger({ level: 'silent', secrets: [] }) });
    try {
      sim.script({ kind: 'hang' }, { path: '/models' });
      const catalog = createCatalog({ venice, log: createLogger({ level: 'silent', secrets: [] }), refreshSeconds: 3600 });
      const refreshing = catalog.refresh().then(
        () => 'settled',
        () => 'settled',
      );
      await expect.poll(() => sim.requests.some((r) => r.path === '/models')).toBe(true);
      catalog.stop();
      expect(await refreshing).toBe('settled');
      expect(catalog.current().models).toEqual([]);
      // Nothing is left in flight for a graceful close to wait for.
      await venice.close();
    } finally {
      await venice.destroy();
      await sim.close();
    }
  });
});
