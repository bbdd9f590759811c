import { serverWaitMs, sleep } from './retry.js';

type Headers = Record<string, string | string[] | undefined>;

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** Venice's windows are a minute long; never hold every job for longer than that. */
const MAX_PAUSE_MS = 65_000;

/**
 * Paces requests to Venice by what Venice says is left: `x-ratelimit-remaining-requests`
 * and `x-ratelimit-reset-requests` on every answer, and a pause for everyone after a 429,
 * so the bot waits once instead of every job hammering Venice into a lockout.
 */
export class VeniceRateLimiter {
  #remaining: number | undefined;
  #resetAt = 0;
  #pausedUntil = 0;
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** How long a request starting now would have to wait, in ms (0 = go). */
  waitMs(): number {
    const now = this.#now();
    const pause = Math.max(0, this.#pausedUntil - now);
    const exhausted = this.#remaining !== undefined && this.#remaining <= 0 && this.#resetAt > now ? this.#resetAt - now : 0;
    return Math.max(pause, exhausted);
  }

  /** Waits until a request may go, then counts it against what is left. */
  async acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    for (let wait = this.waitMs(); wait > 0; wait = this.waitMs()) await sleep(Math.min(wait, 60_000), signal);
    if (this.#remaining !== undefined) this.#remaining--;
  }

  /** Learns from an answer's status and headers. */
  observe(status: number, headers: Headers): void {
    const now = this.#now();
    const remaining = Number(first(headers['x-ratelimit-remaining-requests']));
    const reset = first(headers['x-ratelimit-reset-requests']);
    const retryAfter = first(headers['retry-after']);
    const resetWait = serverWaitMs({ resetRequests: reset }, now);
    if (status === 429) {
      // An explicit Retry-After is the more specific instruction; without one, wait for the reset.
      const wait = serverWaitMs({ retryAfter }, now) ?? resetWait ?? 1_000;
      this.#pausedUntil = Math.max(this.#pausedUntil, now + Math.min(wait, MAX_PAUSE_MS));
      this.#remaining = undefined;
      return;
    }
    if (Number.isFinite(remaining)) this.#remaining = remaining;
    // A reset far in the future is a clock problem, not a plan: do not stall on it.
    if (resetWait !== undefined) {
      if (resetWait <= MAX_PAUSE_MS) this.#resetAt = now + resetWait;
      else this.#remaining = undefined;
    }
  }
}
