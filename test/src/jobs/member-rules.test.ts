import { describe, expect, it } from 'vitest';
import { isBlocked, memberRules } from '../../../src/jobs/member-rules.js';
import { DEFAULT_SETTINGS, type EffectiveSettings } from '../../../src/store/settings.js';

const ARTISTS = '100000000000000001';
const PATRONS = '100000000000000002';
const MUTED = '100000000000000003';

const settings: EffectiveSettings = {
  ...DEFAULT_SETTINGS,
  userDailyImages: 2,
  userDailyBudgetUsd: 0.5,
  maxVariants: 1,
  cooldownSeconds: 60,
  allowedModels: ['z-image-turbo'],
  roleRules: [
    { roleId: ARTISTS, dailyImages: 10, maxVariants: 4, allowedModels: ['venice-sd35'] },
    { roleId: PATRONS, dailyBudgetUsd: 5, cooldownSeconds: 0 },
  ],
  blockedRoleIds: [MUTED],
  blockedUserIds: ['200000000000000009'],
};

describe('rules by role', () => {
  it('gives members without a rule role the server’s own limits', () => {
    expect(memberRules(settings, [])).toMatchObject({ dailyImages: 2, dailyBudgetUsd: 0.5, maxVariants: 1, cooldownSeconds: 60, allowedModels: ['z-image-turbo'], from: 'default' });
  });

  it('lets a role rule override only what it sets', () => {
    expect(memberRules(settings, [ARTISTS])).toMatchObject({ dailyImages: 10, dailyBudgetUsd: 0.5, maxVariants: 4, cooldownSeconds: 60, allowedModels: ['venice-sd35'] });
  });

  it('gives a member of several rule roles the most generous of each limit', () => {
    expect(memberRules(settings, [ARTISTS, PATRONS])).toMatchObject({
      dailyImages: 10,
      dailyBudgetUsd: 5,
      maxVariants: 4,
      cooldownSeconds: 0,
      allowedModels: ['venice-sd35', 'z-image-turbo'],
      from: { roleIds: [ARTISTS, PATRONS] },
    });
    // A role rule that leaves a limit unlimited makes it unlimited for its members.
    const open = { ...settings, userDailyImages: undefined };
    expect(memberRules(open, [ARTISTS, PATRONS]).dailyImages).toBeUndefined();
  });

  it('lifts a limit for a role whose rule says -1 (stored as null), whatever the server’s own limit', () => {
    const vip = { ...settings, roleRules: [{ roleId: ARTISTS, dailyImages: null, dailyBudgetUsd: null }] };
    expect(memberRules(vip, [ARTISTS])).toMatchObject({ dailyImages: undefined, dailyBudgetUsd: undefined, maxVariants: 1 });
  });

  it('blocks by member id or by role', () => {
    expect(isBlocked(settings, '200000000000000009', [])).toBe(true);
    expect(isBlocked(settings, '200000000000000001', [MUTED])).toBe(true);
    expect(isBlocked(settings, '200000000000000001', [ARTISTS])).toBe(false);
  });
});
