export interface RetryPolicy {
  /** Attempts in all, the first included, for server errors and failed connections (see isRetryable). */
  maxAttempts: number;
  /** Attempts in all while Venice answers 429: waiting out a rate limit is cheap, losing a job is not. */
  maxRateLimitedAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** The longest `Retry-After` honoured between two attempts of one request (paced 429s wait in the pacer instead). */
  maxServerWaitMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 4,
  maxRateLimitedAttempts: 8,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  maxServerWaitMs: 30_000,
};

/**
 * "Full jitter" backoff: a random delay between 0 and the exponential cap, so many bots
 * retrying after the same outage do not come back in step.
 */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.floor(random() * cap);
}

/**
 * How long the server asked us to wait, in ms, from `Retry-After` (seconds or an HTTP date)
 * or `x-ratelimit-reset-requests` (a Unix time, in seconds or milliseconds: sources disagree,
 * so a value too small to be milliseconds is read as seconds).
 */
export function serverWaitMs(headers: { retryAfter?: string | undefined; resetRequests?: string | undefined }, now: number = Date.now()): number | undefined {
  if (headers.retryAfter !== undefined && headers.retryAfter !== '') {
    const seconds = Number(headers.retryAfter);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(headers.retryAfter);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  if (headers.resetRequests !== undefined && headers.resetRequests !== '') {
    const value = Number(headers.resetRequests);
    if (Number.isFinite(value) && value > 0) {
      // 1e11 ms is 1973; 1e11 s is the year 5138: anything below is a seconds timestamp.
      const atMs = value < 1e11 ? value * 1000 : value;
      return Math.max(0, atMs - now);
    }
  }
  return undefined;
}

export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
