/**
 * Venice's pacing for the simulator: a fixed request window per API key, the lockout after too
 * many failed requests, and the figures tests and benchmarks read back. Durations given here are
 * Venice's (a real minute is 60,000) and are multiplied by `timeScale` once, where they are used;
 * the timestamps in headers and stats are wall-clock Unix milliseconds.
 */
import { lockoutErrorBody } from './errors.js';

/** N image units per fixed window; the window opens at a key's first request after the last one ended. */
export interface RateLimit {
  requests: number;
  /** Venice time. Default 60,000. */
  windowMs?: number;
  /**
   * Whether a 429 from this limit carries `Retry-After` (whole seconds, rounded up). Default true.
   * Venice documents only `x-ratelimit-reset-requests` for this 429, and rounding up makes a
   * client wait up to a second longer than the window, which matters once time is scaled down.
   */
  retryAfter?: boolean;
}

/** More than `failures` failed (non-2xx) answers within `windowMs` (sliding) block the key for `blockMs`; all Venice time. */
export interface FailureLockout {
  failures: number;
  windowMs: number;
  blockMs: number;
}

export interface RateWindowStats {
  /** Unix ms, wall clock. */
  start: number;
  /** Unix ms, wall clock: `start` + the scaled window length. */
  end: number;
  /** 2xx answers to requests admitted in this window. */
  accepted: number;
  /** 429s from the request limit (not scripted 429s, not lockout 429s). */
  rateLimited: number;
  /** 429s answered because the key was locked out. */
  blocked: number;
  /** Non-2xx answers that count towards the lockout (everything non-2xx but `blocked`). */
  failed: number;
  /** Decodable images in 2xx answers (each variant counts; content-violation placeholders included). */
  images: number;
}

export interface RateStats {
  /** One entry per window of the simulator's API key, oldest first. */
  windows: RateWindowStats[];
  totals: Omit<RateWindowStats, 'start' | 'end'>;
  /** How many times the failure lockout blocked the key. */
  lockouts: number;
}

/** What an answer was, as far as pacing is concerned. */
export type AnswerKind = 'rate-limited' | 'blocked' | undefined;

export interface PacingConfig {
  rateLimit: RateLimit | undefined;
  failureLockout: FailureLockout | undefined;
  timeScale: number;
  resetUnit: 'ms' | 's';
}

export interface RateWindow {
  start: number;
  end: number;
  used: number;
  stats: RateWindowStats;
}

export interface Pacing {
  /** Venice-time ms to wall-clock ms. */
  scale(ms: number): number;
  /** The key's current window, opening one when none is running. */
  currentWindow(key: string): RateWindow;
  /** Spends `cost` units of the key's window; undefined when the window was already spent. */
  admit(key: string, cost: number): RateWindow | undefined;
  /** `x-ratelimit-*` for an answer, from the given window (default: the current one). */
  rateHeaders(key: string, window?: RateWindow): Record<string, string>;
  /** The 429 for a request over the limit: headers include `Retry-After` unless turned off. */
  overLimitHeaders(key: string): Record<string, string>;
  /** When the key is locked out, the answer to give instead of serving the request. */
  lockoutAnswer(key: string): { body: unknown; headers: Record<string, string> } | undefined;
  /** Counts an answer towards the stats and the lockout. */
  record(key: string, status: number, kind: AnswerKind, images: number, window?: RateWindow): void;
  stats(key: string): RateStats;
  setRateLimit(limit: RateLimit | undefined): void;
  setFailureLockout(lockout: FailureLockout | undefined): void;
  reset(): void;
}

/** A limit of this many requests is reported when none is enforced: advertising 20 while serving more would make a well-behaved client stop. */
export const UNENFORCED_LIMIT = 1_000_000;
const defaultWindowMs = 60_000;

function emptyCounts(): Omit<RateWindowStats, 'start' | 'end'> {
  return { accepted: 0, rateLimited: 0, blocked: 0, failed: 0, images: 0 };
}

function checkRateLimit(limit: RateLimit | undefined): RateLimit | undefined {
  if (limit === undefined) return undefined;
  if (!Number.isInteger(limit.requests) || limit.requests < 0) throw new RangeError(`rateLimit.requests must be a whole number >= 0, got ${limit.requests}`);
  if (limit.windowMs !== undefined && !(limit.windowMs > 0)) throw new RangeError(`rateLimit.windowMs must be > 0, got ${limit.windowMs}`);
  return { ...limit };
}

function checkLockout(lockout: FailureLockout | undefined): FailureLockout | undefined {
  if (lockout === undefined) return undefined;
  if (!Number.isInteger(lockout.failures) || lockout.failures < 0) throw new RangeError(`failureLockout.failures must be a whole number >= 0, got ${lockout.failures}`);
  if (!(lockout.windowMs > 0) || !(lockout.blockMs > 0)) throw new RangeError('failureLockout.windowMs and blockMs must be > 0');
  return { ...lockout };
}

/** Whole seconds until `until`, rounded up and at least 1: `Retry-After` is an integer. */
function secondsUntil(until: number, now: number): number {
  return Math.max(1, Math.ceil((until - now) / 1000));
}

export function createPacing(config: PacingConfig): Pacing {
  if (!(config.timeScale > 0) || !Number.isFinite(config.timeScale)) throw new RangeError(`timeScale must be a finite number > 0, got ${config.timeScale}`);
  let rateLimit = checkRateLimit(config.rateLimit);
  let failureLockout = checkLockout(config.failureLockout);
  const windows = new Map<string, RateWindow>();
  const history = new Map<string, RateWindowStats[]>();
  const failures = new Map<string, number[]>();
  const blockedUntil = new Map<string, number>();
  let lockouts = 0;

  const scale = (ms: number): number => ms * config.timeScale;
  const formatReset = (unixMs: number): string => String(config.resetUnit === 's' ? Math.ceil(unixMs / 1000) : Math.ceil(unixMs));

  function currentWindow(key: string): RateWindow {
    const now = Date.now();
    const current = windows.get(key);
    if (current && now < current.end) return current;
    const start = now;
    const end = start + scale(rateLimit?.windowMs ?? defaultWindowMs);
    const opened: RateWindow = { start, end, used: 0, stats: { start, end, ...emptyCounts() } };
    windows.set(key, opened);
    const list = history.get(key) ?? [];
    list.push(opened.stats);
    history.set(key, list);
    return opened;
  }

  function rateHeaders(key: string, at: RateWindow = currentWindow(key)): Record<string, string> {
    const limit = rateLimit?.requests ?? UNENFORCED_LIMIT;
    return {
      'x-ratelimit-limit-requests': String(limit),
      'x-ratelimit-remaining-requests': String(Math.max(0, limit - at.used)),
      'x-ratelimit-reset-requests': formatReset(at.end),
    };
  }

  function activeBlock(key: string, now: number): number | undefined {
    const until = blockedUntil.get(key);
    if (until === undefined) return undefined;
    if (now < until) return until;
    blockedUntil.delete(key);
    return undefined;
  }

  function countFailure(key: string, now: number): void {
    if (!failureLockout) return;
    const since = now - scale(failureLockout.windowMs);
    const recent = (failures.get(key) ?? []).filter((at) => at > since);
    recent.push(now);
    if (recent.length > failureLockout.failures) {
      blockedUntil.set(key, now + scale(failureLockout.blockMs));
      lockouts += 1;
      // The slate is clean once the block lifts; failures before it do not count twice.
      failures.delete(key);
      return;
    }
    failures.set(key, recent);
  }

  return {
    scale,
    currentWindow,
    admit(key, cost) {
      const current = currentWindow(key);
      if (rateLimit !== undefined && current.used >= rateLimit.requests) return undefined;
      current.used += cost;
      return current;
    },
    rateHeaders,
    overLimitHeaders(key) {
      const current = currentWindow(key);
      const headers = rateHeaders(key, current);
      if (rateLimit?.retryAfter ?? true) headers['retry-after'] = String(secondsUntil(current.end, Date.now()));
      return headers;
    },
    lockoutAnswer(key) {
      const now = Date.now();
      const until = activeBlock(key, now);
      if (until === undefined || !failureLockout) return undefined;
      return {
        body: lockoutErrorBody(failureLockout.failures, Math.ceil(scale(failureLockout.blockMs) / 1000)),
        headers: {
          ...rateHeaders(key),
          // Nothing gets through before the block lifts, whatever the window has left.
          'x-ratelimit-remaining-requests': '0',
          'x-ratelimit-reset-requests': formatReset(until),
          'retry-after': String(secondsUntil(until, now)),
        },
      };
    },
    record(key, status, kind, images, at = currentWindow(key)) {
      const stats = at.stats;
      if (status >= 200 && status < 300) {
        stats.accepted += 1;
        stats.images += images;
        return;
      }
      if (kind === 'blocked') {
        stats.blocked += 1;
        return;
      }
      if (kind === 'rate-limited') stats.rateLimited += 1;
      stats.failed += 1;
      countFailure(key, Date.now());
    },
    stats(key) {
      const list = (history.get(key) ?? []).map((w) => ({ ...w }));
      const totals = emptyCounts();
      for (const w of list) {
        totals.accepted += w.accepted;
        totals.rateLimited += w.rateLimited;
        totals.blocked += w.blocked;
        totals.failed += w.failed;
        totals.images += w.images;
      }
      return { windows: list, totals, lockouts };
    },
    setRateLimit(limit) {
      rateLimit = checkRateLimit(limit);
      // A new limit starts a new window: the running one was sized for the old limit.
      windows.clear();
    },
    setFailureLockout(lockout) {
      failureLockout = checkLockout(lockout);
      failures.clear();
      blockedUntil.clear();
    },
    reset() {
      windows.clear();
      history.clear();
      failures.clear();
      blockedUntil.clear();
      lockouts = 0;
    },
  };
}

/** Uniform draws in [0, 1) from mulberry32: small, fast, and the same sequence for the same seed. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
