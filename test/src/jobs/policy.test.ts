import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import { budgetRefusal, checkBanned, checkCooldown, compilePattern, findBannedRule } from '../../../src/jobs/policy.js';

describe('banned patterns', () => {
  it('match whole words and phrases, case-insensitively, across extra spaces', () => {
    expect(findBannedRule(['red panda'], ['A RED   Panda sits'])).toBe(1);
    expect(findBannedRule(['cat'], ['a catalogue'])).toBeUndefined();
    expect(findBannedRule(['cat'], ['a cat.'])).toBe(1);
  });

  it('treat /expr/flags as a regular expression and refuse broken ones', () => {
    expect(findBannedRule(['/c[a@]t/'], ['C@T'])).toBe(1);
    expect(compilePattern('/(unclosed/')).toBeUndefined();
    expect(findBannedRule(['/(unclosed/', 'dog'], ['dog'])).toBe(2);
  });

  it('refuse with the rule number and never the matched text', () => {
    try {
      checkBanned(['x', 'slur'], ['this has slur in it']);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toMatch(/rule #2/);
      expect((err as Error).message).not.toMatch(/slur/);
    }
  });

  it('check the negative prompt too', () => {
    expect(findBannedRule(['gore'], ['calm', 'gore'])).toBe(1);
  });
});

describe('cooldown', () => {
  it('says how long to wait', () => {
    expect(() => checkCooldown(30, 1_000_000, 1_010_000)).toThrow(/30 s cooldown.*Try again in 20 s/);
    expect(() => checkCooldown(30, 1_000_000, 1_030_000)).not.toThrow();
    expect(() => checkCooldown(0, 1_000_000, 1_000_001)).not.toThrow();
  });
});

describe('budgets', () => {
  it('refuse what would exceed the user budget, stating what is left', () => {
    const r = budgetRefusal({ priceUsd: 0.04, userSpentUsd: 0.08, userBudgetUsd: 0.1, guildSpentUsd: 0, guildBudgetUsd: undefined });
    expect(r?.scope).toBe('user');
    expect(r?.message).toMatch(/cost \$0\.04, but you have \$0\.02 left of your \$0\.10 daily budget/);
  });

  it('allow spending exactly up to the budget', () => {
    expect(budgetRefusal({ priceUsd: 0.02, userSpentUsd: 0.08, userBudgetUsd: 0.1, guildSpentUsd: 0, guildBudgetUsd: undefined })).toBeUndefined();
  });

  it('refuse what would exceed the server budget', () => {
    expect(budgetRefusal({ priceUsd: 0.5, userSpentUsd: 0, userBudgetUsd: undefined, guildSpentUsd: 9.8, guildBudgetUsd: 10 })?.scope).toBe('guild');
  });
});
