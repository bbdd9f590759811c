import { describe, expect, it } from 'vitest';
import { backoffDelay, defaultRetryPolicy, serverWaitMs, type RetryPolicy } from '../../../src/venice/retry.js';

const now = Date.parse('2026-08-21T12:00:00.000Z');

describe('how long Venice asks us to wait', () => {
  it('reads Retry-After in seconds', () => {
    expect(serverWaitMs({ retryAfter: '7' }, now)).toBe(7000);
    expect(serverWaitMs({ retryAfter: '0.5' }, now)).toBe(500);
    expect(serverWaitMs({ retryAfter: '0' }, now)).toBe(0);
  });

  it('reads Retry-After as an HTTP date', () => {
    expect(serverWaitMs({ retryAfter: 'Fri, 21 Aug 2026 12:00:30 GMT' }, now)).toBe(30_000);
    expect(serverWaitMs({ retryAfter: 'Fri, 21 Aug 2026 11:59:00 GMT' }, now)).toBe(0);
  });

  it('reads x-ratelimit-reset-requests as Unix seconds', () => {
    expect(serverWaitMs({ resetRequests: String(now / 1000 + 12) }, now)).toBe(12_000);
  });

  it('reads x-ratelimit-reset-requests as Unix milliseconds', () => {
    expect(serverWaitMs({ resetRequests: String(now + 2500) }, now)).toBe(2500);
  });

  it('never asks for a negative wait when the reset is already past', () => {
    expect(serverWaitMs({ resetRequests: String(now / 1000 - 60) }, now)).toBe(0);
    expect(serverWaitMs({ retryAfter: '-3' }, now)).toBe(0);
  });

  it('prefers Retry-After, and falls back to the reset time when Retry-After is unreadable', () => {
    expect(serverWaitMs({ retryAfter: '2', resetRequests: String(now + 9000) }, now)).toBe(2000);
    expect(serverWaitMs({ retryAfter: 'soon', resetRequests: String(now + 9000) }, now)).toBe(9000);
  });

  it('says nothing when no header says anything usable', () => {
    expect(serverWaitMs({}, now)).toBeUndefined();
    expect(serverWaitMs({ retryAfter: '', resetRequests: '' }, now)).toBeUndefined();
    expect(serverWaitMs({ retryAfter: 'later', resetRequests: 'never' }, now)).toBeUndefined();
    expect(serverWaitMs({ resetRequests: '0' }, now)).toBeUndefined();
  });
});

describe('backoff with full jitter', () => {
  const policy: RetryPolicy = { ...defaultRetryPolicy, baseDelayMs: 500, maxDelayMs: 8000 };

  it('waits nothing when the random draw is 0', () => {
    for (let attempt = 0; attempt < 8; attempt++) expect(backoffDelay(attempt, policy, () => 0)).toBe(0);
  });

  it('stays below the doubling cap on the highest draw', () => {
    const top = () => 0.999_999_999;
    expect(backoffDelay(0, policy, top)).toBe(499);
    expect(backoffDelay(1, policy, top)).toBe(999);
    expect(backoffDelay(3, policy, top)).toBe(3999);
  });

  it('never exceeds the maximum delay, however many attempts', () => {
    for (const attempt of [4, 5, 10, 100, 2000]) {
      const delay = backoffDelay(attempt, policy, () => 0.999_999_999);
      expect(delay).toBeLessThan(8000);
      expect(delay).toBeGreaterThanOrEqual(7999);
    }
  });

  it('spreads delays over the whole range 0..cap', () => {
    const draws = [0, 0.25, 0.5, 0.75];
    expect(draws.map((d) => backoffDelay(2, policy, () => d))).toEqual([0, 500, 1000, 1500]);
  });
});
