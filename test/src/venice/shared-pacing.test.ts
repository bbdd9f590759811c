import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logger.js';
import { VeniceRateLimiter } from '../../../src/venice/rate-limiter.js';
import { SharedPacing } from '../../../src/venice/shared-pacing.js';
import { freshRedisPrefix, TEST_REDIS_URL } from '../../support/store-targets.js';

/**
 * Two processes' pacers on one Venice key, through a real Redis. Defined only where a server
 * runs: CI always has one (store-targets.ts fails the run without it).
 */
if (TEST_REDIS_URL) describeSharedPacing(TEST_REDIS_URL);

function describeSharedPacing(redisUrl: string) {
  const log = createLogger({ level: 'silent', secrets: [] });
  const open: SharedPacing[] = [];
  afterEach(() => {
    for (const p of open.splice(0)) p.close();
  });

  async function twoProcesses() {
    const prefix = freshRedisPrefix();
    const pacers = [new VeniceRateLimiter(), new VeniceRateLimiter()] as const;
    for (const [i, pacer] of pacers.entries()) open.push(await SharedPacing.connect(pacer, { redisUrl, prefix, owner: `process-${i}`, log }));
    return pacers;
  }
  const until = async (probe: () => boolean, ms = 3_000) => {
    const end = Date.now() + ms;
    while (!probe()) {
      if (Date.now() > end) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  /** Venice's answer: 10 a window, `remaining` left, the window ending in 30 s. */
  const answer = (remaining: number) => ({ 'x-ratelimit-limit-requests': '10', 'x-ratelimit-remaining-requests': String(remaining), 'x-ratelimit-reset-requests': String(Date.now() + 30_000) });

  describe('pacing shared between processes', () => {
    it('counts the other process’s requests against this window, so the last ones are not spent twice', async () => {
      const [a, b] = await twoProcesses();
      // Both learn the window from an answer (as each would from its own first request).
      for (const pacer of [a, b]) pacer.observe(200, answer(3));
      expect(b.capacity()).toBe(3);
      await a.acquire();
      await a.acquire();
      await until(() => b.capacity() === 1);
      await b.acquire();
      // Nothing is left in this window, for either of them (a's own count had not seen b's).
      await until(() => a.capacity() === 0);
      expect(b.capacity()).toBe(0);
    });

    it('pauses every process when one is told to wait by a 429', async () => {
      const [a, b] = await twoProcesses();
      for (const pacer of [a, b]) pacer.observe(200, answer(8));
      expect(b.capacity()).toBeGreaterThan(0);
      const seq = await a.acquire();
      a.observe(429, { ...answer(0), 'retry-after': '2' }, seq);
      await until(() => b.capacity() === 0);
      expect(b.waitMs()).toBeGreaterThan(1_000);
      expect(b.waitMs()).toBeLessThanOrEqual(2_000);
    });

    it('counts the other process’s failed answers in the room for failures, as Venice’s block counts them', async () => {
      const [a, b] = await twoProcesses();
      for (const pacer of [a, b]) pacer.observe(200, answer(8));
      expect(b.capacity()).toBe(8);
      for (let n = 0; n < 10; n++) a.observe(500, answer(8));
      // Ten failures on the key: five more requests may be in flight, in b as in a.
      await until(() => b.failureRoom.room(Date.now()) === 5);
      expect(b.capacity()).toBe(5);
      expect(a.capacity()).toBe(5);
    });

    it('counts the other process’s requests in flight in the room for failures, and gives the room back as they end', async () => {
      const [a, b] = await twoProcesses();
      const window = { 'x-ratelimit-limit-requests': '100', 'x-ratelimit-remaining-requests': '100', 'x-ratelimit-reset-requests': String(Date.now() + 30_000) };
      for (const pacer of [a, b]) pacer.observe(200, window);
      const seqs: number[] = [];
      for (let n = 0; n < 10; n++) seqs.push(await a.acquire());
      // Ten of a's requests in flight: should Venice fail them all, b may add only five.
      await until(() => b.capacity() === 5);
      for (const seq of seqs) a.observe(200, window, seq);
      await until(() => b.failureRoom.room(Date.now()) === 15);
      expect(b.capacity()).toBe(15);
    });
  });
}
