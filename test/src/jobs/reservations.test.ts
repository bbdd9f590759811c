import { describe, expect, it } from 'vitest';
import { Reservations } from '../../../src/jobs/reservations.js';

describe('money promised to queued jobs', () => {
  it('counts a reservation against both the user and their server until it is released', () => {
    const reservations = new Reservations();
    reservations.reserve('guild-1', 'alice', 0.04);
    const release = reservations.reserve('guild-1', 'alice', 0.02);
    reservations.reserve('guild-1', 'bob', 0.1);

    expect(reservations.user('guild-1', 'alice')).toBeCloseTo(0.06, 9);
    expect(reservations.user('guild-1', 'bob')).toBeCloseTo(0.1, 9);
    expect(reservations.guild('guild-1')).toBeCloseTo(0.16, 9);

    release();
    expect(reservations.user('guild-1', 'alice')).toBeCloseTo(0.04, 9);
    expect(reservations.guild('guild-1')).toBeCloseTo(0.14, 9);
  });

  it('releases a reservation once, however often the job says it is done', () => {
    const reservations = new Reservations();
    const kept = reservations.reserve('guild-1', 'alice', 0.05);
    const release = reservations.reserve('guild-1', 'alice', 0.03);

    release();
    release();
    release();

    expect(reservations.user('guild-1', 'alice')).toBeCloseTo(0.05, 9);
    expect(reservations.guild('guild-1')).toBeCloseTo(0.05, 9);
    kept();
    expect(reservations.user('guild-1', 'alice')).toBe(0);
    expect(reservations.guild('guild-1')).toBe(0);
  });

  it('leaves nothing behind, not even rounding dust, once every reservation is released', () => {
    const reservations = new Reservations();
    const releases = [0.1, 0.2, 0.3, 0.07].map((usd) => reservations.reserve('guild-1', 'alice', usd));
    for (const release of releases) release();

    expect(reservations.user('guild-1', 'alice')).toBe(0);
    expect(reservations.guild('guild-1')).toBe(0);
  });

  it('keeps a user’s DMs apart from their servers, and servers apart from each other', () => {
    const reservations = new Reservations();
    reservations.reserve(null, 'alice', 0.5);
    reservations.reserve('guild-1', 'alice', 0.2);
    reservations.reserve('guild-2', 'alice', 0.1);

    expect(reservations.user(null, 'alice')).toBeCloseTo(0.5, 9);
    expect(reservations.user('guild-1', 'alice')).toBeCloseTo(0.2, 9);
    expect(reservations.user('guild-2', 'alice')).toBeCloseTo(0.1, 9);
    expect(reservations.guild('guild-1')).toBeCloseTo(0.2, 9);
    expect(reservations.guild('guild-2')).toBeCloseTo(0.1, 9);
    expect(reservations.user(null, 'bob')).toBe(0);
    expect(reservations.user('guild-1', 'bob')).toBe(0);
  });
});
