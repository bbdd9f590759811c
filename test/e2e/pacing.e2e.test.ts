import { afterEach, describe, expect, it } from 'vitest';
import type { InteractionHandle, RecordedRequest, UserKey } from '../support/discord/fake-discord.js';
import { startHarness, type Harness } from './harness.js';
import { EPHEMERAL, json } from './helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const USERS: readonly UserKey[] = ['alice', 'bob', 'admin'];
const content = (r: RecordedRequest) => json(r).content ?? '';

describe('pacing by Venice’s own window', () => {
  it('at Venice’s real 20 requests a minute, gets ten members’ four-variant bursts all their images, the later ones in the next window', async () => {
    // Venice's default tier: 20 image requests per 60 s window, the reset header only, and the
    // key blocked after more than 20 failures in 30 s, exactly as Venice does it.
    h = await startHarness({ env: { MAX_JOBS_PER_USER: '4' } });
    h.venice.setRateLimit({ requests: 20, windowMs: 60_000, retryAfter: false });
    h.venice.setFailureLockout({ failures: 20, windowMs: 30_000, blockMs: 30_000 });
    h.venice.setInferenceDelay({ minMs: 200, maxMs: 600 });
    const started = Date.now();
    const jobs: InteractionHandle[] = [];
    for (let n = 0; n < 10; n++) jobs.push(await h.discord.slashCommand('imagine', { prompt: `burst ${n}`, variants: 4 }, { user: USERS[n % USERS.length]! }));

    const results = await Promise.all(jobs.map((j) => j.originalEdit((r) => r.files.length > 0, 150_000)));
    for (const r of results) {
      expect(r.status).toBe(200);
      expect(r.files.map((f) => f.filename)).toEqual(['image-1.webp', 'image-2.webp', 'image-3.webp', 'image-4.webp']);
    }
    // 40 requests at 20 a window: the second half had to wait for the second window.
    expect(Date.now() - started).toBeGreaterThanOrEqual(55_000);
    const stats = h.venice.rateStats();
    expect(stats.totals).toMatchObject({ rateLimited: 0, blocked: 0, failed: 0 });
    expect(stats.totals.accepted).toBe(40);
    expect(stats.lockouts).toBe(0);

    // Those who waited were told where they stood, with an estimate in minutes, and nobody was told of an error.
    const waited = jobs.filter((j) => j.requests().some((r) => /In the queue: position \d+, about 1 min/.test(content(r))));
    expect(waited.length).toBeGreaterThanOrEqual(4);
    for (const j of jobs) expect(j.requests().some((r) => ((json(r).flags ?? 0) & EPHEMERAL) !== 0)).toBe(false);
  }, 180_000);
});
