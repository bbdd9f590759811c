import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import { findBudgetRefusal, findCooldownRefusal } from '../../../src/jobs/admission.js';
import { checkBanned, compilePattern, describeBannedPatternProblem, findBannedRule } from '../../../src/jobs/policy.js';

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

  it('count Unicode letters and digits as parts of a word', () => {
    expect(findBannedRule(['café'], ['un CAFÉ noir'])).toBe(1);
    expect(findBannedRule(['café'], ['cafés'])).toBeUndefined();
    expect(findBannedRule(['cat'], ['concatenate'])).toBeUndefined();
    expect(findBannedRule(['cat'], ['écat'])).toBeUndefined();
    expect(findBannedRule(['cat'], ['cat2'])).toBeUndefined();
    expect(findBannedRule(['cat'], ['(cat)'])).toBe(1);
    expect(findBannedRule(['東京'], ['東京'])).toBe(1);
  });

  it('take a word rule literally, whatever punctuation it holds', () => {
    expect(findBannedRule(['c.t'], ['cat'])).toBeUndefined();
    expect(findBannedRule(['c.t'], ['a c.t here'])).toBe(1);
    expect(findBannedRule(['a+b (c)'], ['x A+B  (C) y'])).toBe(1);
  });

  it('match a phrase across a line break or a non-breaking space', () => {
    expect(findBannedRule(['red panda'], ['red\npanda'])).toBe(1);
    expect(findBannedRule(['red panda'], ['red\u00a0panda'])).toBe(1);
  });

  it('honour the s and m flags and read JavaScript escapes', () => {
    expect(findBannedRule(['/a.b/'], ['a\nb'])).toBeUndefined();
    expect(findBannedRule(['/a.b/s'], ['a\nb'])).toBe(1);
    expect(findBannedRule(['/^gore$/'], ['calm\ngore'])).toBeUndefined();
    expect(findBannedRule(['/^gore$/m'], ['calm\ngore'])).toBe(1);
    expect(findBannedRule(['/caf\\u00e9/u'], ['CAFÉ'])).toBe(1);
    expect(findBannedRule(['/(?<animal>cat|dog)s?/'], ['Dogs'])).toBe(1);
  });
});

describe('banned patterns an admin could use to stall the bot', () => {
  // Under a backtracking engine each of these takes longer than the universe has existed;
  // RE2 answers in linear time, so the test timeout is a generous bound, not a benchmark.
  it('answer a nested quantifier on forty letters and a mismatch at once', { timeout: 2_000 }, () => {
    expect(findBannedRule(['/(a+)+$/'], ['a'.repeat(40) + '!'])).toBeUndefined();
    expect(findBannedRule(['/(a+)+$/'], ['a'.repeat(40)])).toBe(1);
  });

  it('answer a nested quantifier on a 32,000-character prompt at once', { timeout: 2_000 }, () => {
    const prompt = 'a'.repeat(31_999) + '!';
    expect(findBannedRule(['/(a+)+$/', '/(a|aa)+$/', '/(.*a){12}$/'], [prompt, prompt])).toBeUndefined();
  });

  it('refuse look-arounds and back-references, saying why', () => {
    for (const pattern of ['/(?=cat)c/', '/(?!dog)d/', '/(?<=a)b/', '/(?<!a)b/', '/(a)\\1/', '/(?<x>a)\\k<x>/']) {
      expect(compilePattern(pattern), pattern).toBeUndefined();
      expect(describeBannedPatternProblem(pattern), pattern).toMatch(
        /uses a look-around or back-reference, which the bot does not support because such patterns can freeze it/,
      );
    }
    // The same characters inside a class or escaped are ordinary text.
    expect(describeBannedPatternProblem('/[(?=]x/')).toBeUndefined();
    expect(describeBannedPatternProblem('/\\(?=/')).toBeUndefined();
  });

  it('refuse a program too large to run on every prompt', () => {
    expect(describeBannedPatternProblem('/(a|b|ab|ba){999}z/')).toMatch(/too complex to check quickly/);
    expect(describeBannedPatternProblem('/[ab]{50}z/')).toBeUndefined();
  });

  it('explain a broken regular expression and an unknown flag', () => {
    expect(describeBannedPatternProblem('/(unclosed/')).toMatch(/not a valid regular expression \(missing closing \)\)/);
    expect(describeBannedPatternProblem('/cat/y')).toMatch(/flag `y` is not supported: use only i, s, m or u/);
    expect(describeBannedPatternProblem('/cat/gi')).toBeUndefined();
    expect(describeBannedPatternProblem('red panda')).toBeUndefined();
  });

  it('never runs a rule it refused: later rules still apply', () => {
    expect(findBannedRule(['/(?=gore)gore/', 'gore'], ['gore'])).toBe(2);
  });
});

describe('cooldown', () => {
  it('says how long to wait, and who set it', () => {
    expect(findCooldownRefusal(30, 1_000_000, 1_010_000, 'server')?.message).toMatch(/This server has a 30 s cooldown.*Try again in 20 s/);
    expect(findCooldownRefusal(30, 1_000_000, 1_030_000, 'server')).toBeUndefined();
    expect(findCooldownRefusal(0, 1_000_000, 1_000_001, 'server')).toBeUndefined();
    expect(findCooldownRefusal(10, 1_000_000, 1_001_000, 'operator')?.message).toMatch(/Outside a server the bot has a 10 s cooldown/);
  });
});

describe('budgets', () => {
  const NOW = Date.parse('2026-12-01T18:30:00Z');
  it('refuse what would exceed the user budget, stating what is left and when it resets', () => {
    const r = findBudgetRefusal(0.04, [{ scope: 'user', budgetUsd: 0.1, spentUsd: 0.08 }], NOW);
    expect(r?.scope).toBe('user');
    expect(r?.message).toMatch(/cost \$0\.04, but you have \$0\.02 left of your \$0\.10 daily budget/);
    expect(r?.message).toContain(`It resets at 00:00 UTC (<t:${Date.parse('2026-12-02T00:00:00Z') / 1000}:R>)`);
  });

  it('allow spending exactly up to the budget', () => {
    expect(findBudgetRefusal(0.02, [{ scope: 'user', budgetUsd: 0.1, spentUsd: 0.08 }], NOW)).toBeUndefined();
  });

  it('name the first budget that would be exceeded, skipping those without a limit', () => {
    const lines = [
      { scope: 'user' as const, budgetUsd: undefined, spentUsd: 50 },
      { scope: 'guild' as const, budgetUsd: 10, spentUsd: 9.8 },
      { scope: 'operator' as const, budgetUsd: 5, spentUsd: 9.8 },
    ];
    expect(findBudgetRefusal(0.5, lines, NOW)?.scope).toBe('guild');
  });
});
