import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { createVeniceClient } from '../../../src/venice/client.js';
import { FailureRoom } from '../../../src/venice/failure-room.js';
import { VeniceRateLimiter } from '../../../src/venice/rate-limiter.js';
import { startVeniceSimulator } from '../../support/venice/simulator.js';

/** A whole second, so a reset given in Unix seconds lands exactly. */
const T0 = Date.parse('2026-08-21T12:00:00.000Z');

/** Starts `acquire` and reports whether it has let the request go yet. */
function startAcquire(limiter: VeniceRateLimiter, signal?: AbortSignal) {
  let released = false;
  const done = limiter.acquire(signal).then(() => {
    released = true;
  });
  return { done, released: () => released };
}

/** Checks that a request started now is held exactly `ms`: not released a millisecond early. */
async function expectHeldFor(limiter: VeniceRateLimiter, ms: number): Promise<void> {
  const acquire = startAcquire(limiter);
  await vi.advanceTimersByTimeAsync(ms - 1);
  expect(acquire.released()).toBe(false);
  await vi.advanceTimersByTimeAsync(1);
  expect(acquire.released()).toBe(true);
}

describe('pacing requests by what Venice says is left', () => {
  let limiter: VeniceRateLimiter;

  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
    // The fake timers move Date.now too, so sleeping and the clock agree.
    limiter = new VeniceRateLimiter(() => Date.now());
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('lets a request go at once when Venice has said nothing about limits', async () => {
    expect(limiter.waitMs()).toBe(0);
    await expect(limiter.acquire()).resolves.toBe(1);

    limiter.observe(200, {});
    expect(limiter.waitMs()).toBe(0);
    await expect(limiter.acquire()).resolves.toBe(2);
  });

  it('holds the next request until the reset when no requests are left (reset in Unix ms)', async () => {
    limiter.observe(200, { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': String(T0 + 5_000) });
    expect(limiter.waitMs()).toBe(5_000);

    await expectHeldFor(limiter, 5_000);
    expect(limiter.waitMs()).toBe(0);
  });

  it('holds the next request until the reset when no requests are left (reset in Unix seconds)', async () => {
    limiter.observe(200, { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': String(T0 / 1000 + 5) });
    expect(limiter.waitMs()).toBe(5_000);

    await expectHeldFor(limiter, 5_000);
  });

  it('counts each request it lets go against what is left, and holds the one past the last', async () => {
    limiter.observe(200, { 'x-ratelimit-remaining-requests': '2', 'x-ratelimit-reset-requests': String(T0 + 5_000) });

    await limiter.acquire();
    expect(limiter.waitMs()).toBe(0);
    await limiter.acquire();
    expect(limiter.waitMs()).toBe(5_000);

    await expectHeldFor(limiter, 5_000);
  });

  it('pauses everyone for Retry-After after a 429, then sends what the window still has', async () => {
    // An overloaded model: Retry-After, with requests left in the window.
    limiter.observe(429, { 'retry-after': '2', 'x-ratelimit-limit-requests': '20', 'x-ratelimit-remaining-requests': '5', 'x-ratelimit-reset-requests': String(T0 + 60_000) });
    expect(limiter.waitMs()).toBe(2_000);

    const first = startAcquire(limiter);
    const second = startAcquire(limiter);
    await vi.advanceTimersByTimeAsync(1_999);
    expect([first.released(), second.released()]).toEqual([false, false]);
    await vi.advanceTimersByTimeAsync(1);
    expect([first.released(), second.released()]).toEqual([true, true]);
  });

  it('after a Retry-After 429 in a window Venice called full, sends one probe, not a burst', async () => {
    limiter.observe(429, { 'retry-after': '2', 'x-ratelimit-limit-requests': '20', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': String(T0 + 60_000) });
    const probe = startAcquire(limiter);
    const next = startAcquire(limiter);
    await vi.advanceTimersByTimeAsync(2_000);
    expect([probe.released(), next.released()]).toEqual([true, false]);
    // The probe's answer says the window is still full: the rest waits for the reset.
    limiter.observe(200, { 'x-ratelimit-limit-requests': '20', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': String(T0 + 60_000) }, 1);
    await vi.advanceTimersByTimeAsync(57_999);
    expect(next.released()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(next.released()).toBe(true);
  });

  it('pauses until the reset after a 429 without Retry-After', async () => {
    limiter.observe(429, { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': String(T0 + 20_000) });
    expect(limiter.waitMs()).toBe(20_000);

    await expectHeldFor(limiter, 20_000);
  });

  it('ignores a reset more than 65 s away instead of stalling every job on a clock problem', async () => {
    limiter.observe(200, { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': String(T0 + 10 * 60_000) });

    expect(limiter.waitMs()).toBe(0);
    await expect(limiter.acquire()).resolves.toBeTypeOf('number');
  });

  it('never pauses longer than 65 s after a 429, whatever the reset says', () => {
    limiter.observe(429, { 'x-ratelimit-reset-requests': String(T0 + 10 * 60_000) });
    expect(limiter.waitMs()).toBe(65_000);
  });

  it('gives up waiting when the job is cancelled', async () => {
    limiter.observe(200, { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': String(T0 + 5_000) });
    const controller = new AbortController();
    const reason = new Error('cancelled by its requester');

    const acquire = startAcquire(limiter, controller.signal);
    const rejected = expect(acquire.done).rejects.toBe(reason);
    await vi.advanceTimersByTimeAsync(1_000);
    controller.abort(reason);

    await rejected;
    expect(acquire.released()).toBe(false);
  });
});

describe('the Venice client behind a rate limiter', () => {
  it('waits out a 429 in line and then gets the image, asking Venice only once more', async () => {
    const sim = await startVeniceSimulator();
    const venice = createVeniceClient({
      baseUrl: sim.baseUrl,
      apiKey: sim.apiKey,
      timeoutMs: 5_000,
      log: pino({ level: 'silent' }),
      limiter: new VeniceRateLimiter(),
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
    });
    const body = { model: 'z-image-turbo', prompt: 'x', width: 512, height: 512 };
    try {
      sim.script({ kind: 'error', status: 429, resetRequests: String(Date.now() + 1_200) });
      const started = Date.now();
      const result = await venice.generateImage(body);
      expect(result.images).toHaveLength(1);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
      expect(sim.generateRequests()).toHaveLength(2);
    } finally {
      await venice.close();
      await sim.close();
    }
  });

  it('spends no more than the window when a request is overtaken on the way to Venice', async () => {
    // Five images a window of 3 s (Venice's minute at timeScale 0.05), no inference delay.
    const sim = await startVeniceSimulator({ rateLimit: { requests: 5, windowMs: 60_000, retryAfter: false }, timeScale: 0.05 });
    // Between the bot and Venice, a hop that holds one request a while (a slow connection, a
    // proxy's): those sent after it arrive first.
    const readAll = async (req: IncomingMessage) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    };
    const hop = createServer((req, res) => {
      void (async () => {
        const body = await readAll(req);
        if (body.includes('overtaken')) await new Promise((resolve) => setTimeout(resolve, 400));
        const upstream = await request(`${sim.baseUrl.replace(/\/api\/v1$/, '')}${req.url ?? ''}`, {
          method: req.method as 'POST',
          headers: { 'content-type': req.headers['content-type'] ?? 'application/json', authorization: req.headers.authorization ?? '' },
          body,
        });
        const answer = Buffer.from(await upstream.body.arrayBuffer());
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(upstream.headers)) if (typeof value === 'string' && !['connection', 'keep-alive', 'transfer-encoding', 'content-length'].includes(name)) headers[name] = value;
        res.writeHead(upstream.statusCode, headers).end(answer);
      })();
    });
    await new Promise<void>((resolve) => hop.listen(0, '127.0.0.1', resolve));
    const venice = createVeniceClient({
      baseUrl: `http://127.0.0.1:${(hop.address() as AddressInfo).port}/api/v1`,
      apiKey: sim.apiKey,
      timeoutMs: 10_000,
      log: pino({ level: 'silent' }),
      limiter: new VeniceRateLimiter(),
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
    });
    const ask = (prompt: string) => venice.generateImage({ model: 'z-image-turbo', prompt, width: 512, height: 512 });
    try {
      // The first answer teaches the limit (4 left); then four at once, the first of them held on
      // the way, and a sixth that the window has no room for.
      await ask('first');
      const results = await Promise.all([ask('overtaken'), ask('second'), ask('third'), ask('fourth'), ask('sixth')]);
      expect(results.map((r) => r.images.length)).toEqual([1, 1, 1, 1, 1]);
      const stats = sim.rateStats();
      // Venice refused nothing: the sixth waited for the next window instead of taking the held one's place.
      expect(stats.totals.rateLimited).toBe(0);
      expect(stats.windows.map((w) => w.accepted)).toEqual([5, 1]);
      const order = sim.generateRequests().map((r) => (r.body as { prompt: string }).prompt);
      expect(order.indexOf('overtaken')).toBeGreaterThan(order.indexOf('fourth'));
    } finally {
      await venice.close();
      hop.closeAllConnections();
      await new Promise<void>((resolve) => hop.close(() => resolve()));
      await sim.close();
    }
  });

  it('sends one request at a time until the first answer teaches the limit, then as many as it allows', async () => {
    const limiter = new VeniceRateLimiter();
    await limiter.acquire();
    expect(limiter.capacity()).toBe(0);
    let second = false;
    const waiting = limiter.acquire().then(() => (second = true));
    await Promise.resolve();
    expect(second).toBe(false);
    limiter.observe(200, { 'x-ratelimit-limit-requests': '20', 'x-ratelimit-remaining-requests': '19', 'x-ratelimit-reset-requests': String(Date.now() + 30_000) });
    await waiting;
    // 19 left, one of them now taken by the second request; 14 more may join it in flight (the failure room).
    expect(limiter.capacity()).toBe(14);
    expect(limiter.stats()).toMatchObject({ limit: 20, inFlight: 1, waiting: 0 });
  });

  it('estimates a long line in whole windows at the learned limit', () => {
    const now = Date.now();
    const limiter = new VeniceRateLimiter(() => now);
    limiter.observe(200, { 'x-ratelimit-limit-requests': '20', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': String(now + 10_000) });
    expect(limiter.etaMs(1)).toBe(10_000);
    expect(limiter.etaMs(20)).toBe(10_000);
    expect(limiter.etaMs(21)).toBe(10_000 + 60_000);
  });

  it('follows a window shorter than a minute into its next window instead of waiting out a guess', async () => {
    let now = T0;
    const limiter = new VeniceRateLimiter(() => now);
    const headers = (remaining: number, reset: number) => ({ 'x-ratelimit-limit-requests': '5', 'x-ratelimit-remaining-requests': String(remaining), 'x-ratelimit-reset-requests': String(T0 + reset) });
    // Window 1 ends at +3 s: five requests, each answered with what was left at its arrival.
    const first = await limiter.acquire();
    limiter.observe(200, headers(4, 3_000), first);
    const seqs = [];
    for (let n = 0; n < 4; n++) seqs.push(await limiter.acquire());
    expect(limiter.capacity()).toBe(0);
    for (const [i, seq] of seqs.entries()) limiter.observe(200, headers(3 - i, 3_000), seq);
    // Past Venice's reset: a fresh window by our own count, then Venice's own reset (+6 s) corrects the guess.
    now = T0 + 3_001;
    expect(limiter.capacity()).toBe(5);
    const next = await limiter.acquire();
    limiter.observe(200, headers(4, 6_000), next);
    now = T0 + 6_001;
    expect(limiter.capacity()).toBe(5);
  });

  it('never believes a window has more left than Venice said minus what was sent since', async () => {
    const now = T0;
    const limiter = new VeniceRateLimiter(() => now);
    const first = await limiter.acquire();
    limiter.observe(200, { 'x-ratelimit-limit-requests': '10', 'x-ratelimit-remaining-requests': '9', 'x-ratelimit-reset-requests': String(now + 60_000) }, first);
    const sent = [];
    for (let n = 0; n < 9; n++) sent.push(await limiter.acquire());
    // The answer to the first of these says 8 were left when it arrived; 8 more went out after it.
    limiter.observe(200, { 'x-ratelimit-limit-requests': '10', 'x-ratelimit-remaining-requests': '8', 'x-ratelimit-reset-requests': String(now + 60_023) }, sent[0]);
    expect(limiter.capacity()).toBe(0);
  });

  /** A pacer that has learned a window of ten (one answer, 9 left) and then sent `n` more requests. */
  async function tenAWindowThenSent(n: number) {
    const limiter = new VeniceRateLimiter(() => T0);
    const headers = (remaining: number) => ({ 'x-ratelimit-limit-requests': '10', 'x-ratelimit-remaining-requests': String(remaining), 'x-ratelimit-reset-requests': String(T0 + 60_000) });
    limiter.observe(200, headers(9), await limiter.acquire());
    const sent = [];
    for (let i = 0; i < n; i++) sent.push(await limiter.acquire());
    return { limiter, headers, sent };
  }

  it('never spends past the window when Venice admitted its requests in another order than they were sent', async () => {
    const { limiter, headers, sent } = await tenAWindowThenSent(9);
    expect(limiter.capacity()).toBe(0);
    // The second of the nine overtook the first on the way (another connection): Venice admitted
    // it with 8 left, the first after it with 7. The second's answer comes back first.
    limiter.observe(200, headers(8), sent[1]);
    expect(limiter.capacity()).toBe(0);
    limiter.observe(200, headers(7), sent[0]);
    expect(limiter.capacity()).toBe(0);
    // The rest, in order: all ten of the window are spent, whatever order the answers take.
    for (let n = 2; n < 9; n++) {
      limiter.observe(200, headers(8 - n), sent[n]);
      expect(limiter.capacity()).toBe(0);
    }
  });

  it('counts an answer that came back before its window’s later ones at what Venice had left after them', async () => {
    const { limiter, headers, sent } = await tenAWindowThenSent(4);
    // Venice admitted the four as 3rd, 1st, 2nd, 4th (6, 8, 7 and 5 left): with all answered, five are left.
    limiter.observe(200, headers(6), sent[0]);
    limiter.observe(200, headers(8), sent[1]);
    limiter.observe(200, headers(7), sent[2]);
    limiter.observe(200, headers(5), sent[3]);
    expect(limiter.capacity()).toBe(5);
  });

  it('learns nothing from a reset already past (a slow image outlived its window)', async () => {
    let now = T0;
    const limiter = new VeniceRateLimiter(() => now);
    const seq = await limiter.acquire();
    limiter.observe(200, { 'x-ratelimit-limit-requests': '5', 'x-ratelimit-remaining-requests': '4', 'x-ratelimit-reset-requests': String(T0 + 3_000) }, seq);
    const late = await limiter.acquire();
    now = T0 + 7_000;
    // Answered 4 s after its window closed: the header still names that window's end.
    limiter.observe(200, { 'x-ratelimit-limit-requests': '5', 'x-ratelimit-remaining-requests': '3', 'x-ratelimit-reset-requests': String(T0 + 3_000) }, late);
    expect(limiter.capacity()).toBe(5);
    expect(limiter.etaMs(6)).toBeLessThanOrEqual(60_000);
  });

  it('never stalls on a count that no reset time will refill', async () => {
    const limiter = new VeniceRateLimiter();
    // An endpoint that names its limit but no reset time, then refuses once with Retry-After.
    limiter.observe(200, { 'x-ratelimit-limit-requests': '2', 'x-ratelimit-remaining-requests': '1' });
    limiter.observe(429, { 'retry-after': '0', 'x-ratelimit-limit-requests': '2' });
    for (let n = 0; n < 5; n++) {
      await limiter.acquire();
      limiter.observe(200, { 'x-ratelimit-limit-requests': '2' });
    }
    expect(limiter.capacity()).toBeGreaterThan(0);
  });

  it('does not count a request its requester abandoned as a Venice failure', () => {
    const now = Date.now();
    const limiter = new VeniceRateLimiter(() => now);
    limiter.observe(200, {});
    for (let n = 0; n < 30; n++) limiter.release();
    expect(limiter.waitMs()).toBe(0);
    expect(limiter.stats().failureGuardPauses).toBe(0);
  });

  it('pauses everyone before failed answers reach Venice’s 30-second block', () => {
    const now = Date.now();
    const limiter = new VeniceRateLimiter(() => now);
    limiter.observe(200, {});
    for (let n = 0; n < 14; n++) limiter.observe(500, {});
    expect(limiter.waitMs()).toBe(0);
    limiter.observe(500, {});
    expect(limiter.waitMs()).toBe(30_000);
    expect(limiter.stats().failureGuardPauses).toBe(1);
  });

  it('never has more requests in flight than an outage failing all of them could take past the guard', async () => {
    vi.useFakeTimers({ now: T0 });
    onTestFinished(() => void vi.useRealTimers());
    const limiter = new VeniceRateLimiter(() => Date.now());
    const first = await limiter.acquire();
    limiter.observe(200, { 'x-ratelimit-limit-requests': '100', 'x-ratelimit-remaining-requests': '99', 'x-ratelimit-reset-requests': String(T0 + 60_000) }, first);
    expect(limiter.capacity()).toBe(15);
    const acquires = Array.from({ length: 40 }, () => startAcquire(limiter));
    await Promise.resolve();
    expect(acquires.filter((a) => a.released()).length).toBe(15);
    // Venice fails every one of them (a model at capacity): 15 failures in 30 s, never the 21 of its block.
    for (let n = 0; n < 15; n++) limiter.observe(503, {});
    await Promise.resolve();
    expect(acquires.filter((a) => a.released()).length).toBe(15);
    expect(limiter.capacity()).toBe(0);
    // Thirty seconds on, the failures age out (the guard's pause with them), and the rest go, 15 at a time again.
    await vi.advanceTimersByTimeAsync(29_999);
    expect(acquires.filter((a) => a.released()).length).toBe(15);
    await vi.advanceTimersByTimeAsync(2);
    expect(acquires.filter((a) => a.released()).length).toBe(30);
  });

  it('lets the waiting go once old failures age out, without waiting for a slow request in flight to answer', async () => {
    vi.useFakeTimers({ now: T0 });
    onTestFinished(() => void vi.useRealTimers());
    const limiter = new VeniceRateLimiter(() => Date.now());
    limiter.observe(200, {});
    for (let n = 0; n < 12; n++) limiter.observe(500, {});
    // Three slow requests (upscales, say) take the last of the room and stay in flight.
    for (let n = 0; n < 3; n++) await limiter.acquire();
    const waiting = startAcquire(limiter);
    await vi.advanceTimersByTimeAsync(29_999);
    expect(waiting.released()).toBe(false);
    await vi.advanceTimersByTimeAsync(2);
    expect(waiting.released()).toBe(true);
  });

  it('after failures, lets only as many go as the failure room has, so a retry wave cannot reach the block', async () => {
    const now = T0;
    const limiter = new VeniceRateLimiter(() => now);
    limiter.observe(200, {});
    for (let n = 0; n < 12; n++) limiter.observe(500, {});
    // Twelve failed in the last 30 s: three more may be in flight, whatever the window has.
    expect(limiter.capacity()).toBe(3);
    const acquires = Array.from({ length: 10 }, () => startAcquire(limiter));
    await Promise.resolve();
    expect(acquires.filter((a) => a.released()).length).toBe(3);
    limiter.observe(200, {});
    await Promise.resolve();
    expect(acquires.filter((a) => a.released()).length).toBe(4);
  });
});

describe('one room for failures, shared by the pacers of a key', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('counts the image pacer’s failures against the chat pacer too: Venice’s block counts the key’s', async () => {
    const now = T0;
    const images = new VeniceRateLimiter(() => now);
    const chat = new VeniceRateLimiter(() => now, undefined, images.failureRoom);
    images.observe(200, {});
    chat.observe(200, {});
    for (let n = 0; n < 12; n++) images.observe(500, {});
    // Twelve failed on the key in the last 30 s: three more requests may be in flight, of either pacer.
    expect(chat.capacity()).toBe(3);
    await chat.acquire();
    await chat.acquire();
    expect(images.capacity()).toBe(1);
    // Venice fails both chat requests: fourteen failures, one request of room left for the whole key.
    chat.observe(503, {});
    chat.observe(503, {});
    expect(images.capacity()).toBe(1);
    images.observe(500, {});
    // The guard's count: the image pacer pauses, and the chat pacer has no room either.
    expect(images.waitMs()).toBe(30_000);
    expect(chat.capacity()).toBe(0);
    expect(chat.waitMs()).toBe(30_000);
  });

  it('lets a chat request go when an image request in flight ends and gives its room back', async () => {
    vi.useFakeTimers({ now: T0 });
    const images = new VeniceRateLimiter(() => Date.now());
    const chat = new VeniceRateLimiter(() => Date.now(), undefined, images.failureRoom);
    images.observe(200, {});
    chat.observe(200, {});
    const seqs = [];
    for (let n = 0; n < 15; n++) seqs.push(await images.acquire());
    const waiting = startAcquire(chat);
    await Promise.resolve();
    expect(waiting.released()).toBe(false);
    images.observe(200, {}, seqs[0]);
    await Promise.resolve();
    expect(waiting.released()).toBe(true);
    expect(chat.stats().inFlight).toBe(1);
    expect(images.failureRoom.inFlight).toBe(15);
  });

  it('counts a failure another process reported, and waits for it to age out', async () => {
    vi.useFakeTimers({ now: T0 });
    const limiter = new VeniceRateLimiter(() => Date.now());
    limiter.observe(200, {});
    for (let n = 0; n < 15; n++) limiter.peerFailed();
    expect(limiter.capacity()).toBe(0);
    await expectHeldFor(limiter, 30_000);
  });

  it('counts other processes’ requests in flight, so a wave across processes that all fail stays within the guard', async () => {
    vi.useFakeTimers({ now: T0 });
    const limiter = new VeniceRateLimiter(() => Date.now());
    limiter.observe(200, {});
    limiter.peerInFlight('process-b', 12);
    expect(limiter.capacity()).toBe(3);
    for (let n = 0; n < 3; n++) await limiter.acquire();
    const waiting = startAcquire(limiter);
    await Promise.resolve();
    expect(waiting.released()).toBe(false);
    // One of the other process's requests is answered: its room comes back here.
    limiter.peerInFlight('process-b', 11);
    await Promise.resolve();
    expect(waiting.released()).toBe(true);
  });

  it('takes another process’s own count of its requests in flight, so a message lost on the way is put right by the next', () => {
    const now = T0;
    const images = new VeniceRateLimiter(() => now);
    const told: number[] = [];
    images.failureRoom.shareWith({ inFlight: (count) => told.push(count), failed: () => undefined });
    images.observe(200, {});
    // This process tells its count, not a step: 1, 2, then 1 as a request is answered.
    void images.acquire();
    void images.acquire();
    images.observe(200, {}, 1);
    expect(told).toEqual([1, 2, 1]);
    // On the receiving side, a count that skipped a message (3 went, 5 arrived first) is just the count.
    const other = new VeniceRateLimiter(() => now);
    other.observe(200, {});
    other.peerInFlight('process-a', 5);
    other.peerInFlight('process-a', 2);
    expect(other.capacity()).toBe(13);
  });

  it('forgets a silent process’s requests in flight once no request could still be running', async () => {
    vi.useFakeTimers({ now: T0 });
    const limiter = new VeniceRateLimiter(() => Date.now(), undefined, new FailureRoom({ peerStaleMs: 10_000 }));
    limiter.observe(200, {});
    // A process that began fifteen requests and then died: nobody will hear them end.
    limiter.peerInFlight('process-b', 15);
    expect(limiter.capacity()).toBe(0);
    await expectHeldFor(limiter, 10_000);
  });

  it('tells the other processes of every failure in the room, the chat pacer’s included', () => {
    const now = T0;
    const images = new VeniceRateLimiter(() => now);
    const chat = new VeniceRateLimiter(() => now, undefined, images.failureRoom);
    const told: string[] = [];
    images.failureRoom.shareWith({ inFlight: () => undefined, failed: () => told.push('failed') });
    chat.observe(503, {});
    images.observe(500, {});
    images.observe(200, {});
    expect(told).toEqual(['failed', 'failed']);
  });
});
