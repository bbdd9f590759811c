import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import { en, translator } from '../../../src/i18n/index.js';
import { describeReset, findBudgetRefusal, findCooldownRefusal, findImageQuotaRefusal } from '../../../src/jobs/admission.js';
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
      expect(translator('zh-CN').render((err as UserError).said)).toBe('你的提示词命中了本服务器违禁词列表中的第 2 条规则，因此没有发送。请换个说法再试。');
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
      expect(describeBannedPatternProblem(en, pattern), pattern).toMatch(
        /uses a look-around or back-reference, which the bot does not support because such patterns can freeze it/,
      );
    }
    // The same characters inside a class or escaped are ordinary text.
    expect(describeBannedPatternProblem(en, '/[(?=]x/')).toBeUndefined();
    expect(describeBannedPatternProblem(en, '/\\(?=/')).toBeUndefined();
  });

  it('refuse a program too large to run on every prompt', () => {
    expect(describeBannedPatternProblem(en, '/(a|b|ab|ba){999}z/')).toMatch(/too complex to check quickly/);
    expect(describeBannedPatternProblem(en, '/[ab]{50}z/')).toBeUndefined();
  });

  it('explain a broken regular expression and an unknown flag', () => {
    expect(describeBannedPatternProblem(en, '/(unclosed/')).toMatch(/not a valid regular expression \(missing closing \)\)/);
    expect(describeBannedPatternProblem(en, '/cat/y')).toMatch(/flag `y` is not supported: use only i, s, m or u/);
    expect(describeBannedPatternProblem(en, '/cat/gi')).toBeUndefined();
    expect(describeBannedPatternProblem(en, 'red panda')).toBeUndefined();
    // RE2's own description is quoted as it wrote it, inside the admin's language.
    expect(describeBannedPatternProblem(translator('es-ES'), '/(unclosed/')).toBe('No es una expresión regular válida (missing closing )). Revísala y vuelve a intentarlo.');
    expect(describeBannedPatternProblem(translator('zh-CN'), '/cat/y')).toBe('不支持标志 `y`：结尾斜杠后只能使用 i、s、m 或 u。');
  });

  it('never runs a rule it refused: later rules still apply', () => {
    expect(findBannedRule(['/(?=gore)gore/', 'gore'], ['gore'])).toBe(2);
  });
});

describe('cooldown', () => {
  it('says how long to wait, and who set it', () => {
    expect(findCooldownRefusal(en, 30, 1_000_000, 1_010_000, 'server')?.message).toMatch(/This server has a 30 s cooldown.*Try again in 20 s/);
    expect(findCooldownRefusal(en, 30, 1_000_000, 1_030_000, 'server')).toBeUndefined();
    expect(findCooldownRefusal(en, 0, 1_000_000, 1_000_001, 'server')).toBeUndefined();
    expect(findCooldownRefusal(en, 10, 1_000_000, 1_001_000, 'operator')?.message).toMatch(/Outside a server the bot has a 10 s cooldown/);
    const zh = translator('zh-CN');
    expect(zh.render(findCooldownRefusal(zh, 30, 1_000_000, 1_010_000, 'server')!.said)).toBe('本服务器设置了 30 秒的请求冷却时间。请在 20 秒后再试。');
  });
});

describe('budgets', () => {
  const NOW = Date.parse('2026-12-01T18:30:00Z');
  it('refuse what would exceed the user budget, stating what is left and when it resets', () => {
    const r = findBudgetRefusal(en, 0.04, [{ scope: 'user', budgetUsd: 0.1, spentUsd: 0.08 }], NOW);
    expect(r?.scope).toBe('user');
    expect(r?.message).toMatch(/cost \$0\.04, but you have \$0\.02 left of your \$0\.10 daily budget/);
    expect(r?.message).toContain(`It resets at 00:00 UTC (<t:${Date.parse('2026-12-02T00:00:00Z') / 1000}:R>)`);
  });

  it('allow spending exactly up to the budget', () => {
    expect(findBudgetRefusal(en, 0.02, [{ scope: 'user', budgetUsd: 0.1, spentUsd: 0.08 }], NOW)).toBeUndefined();
  });

  it('name the first budget that would be exceeded, skipping those without a limit', () => {
    const lines = [
      { scope: 'user' as const, budgetUsd: undefined, spentUsd: 50 },
      { scope: 'guild' as const, budgetUsd: 10, spentUsd: 9.8 },
      { scope: 'operator' as const, budgetUsd: 5, spentUsd: 9.8 },
    ];
    expect(findBudgetRefusal(en, 0.5, lines, NOW)?.scope).toBe('guild');
  });

  it('write the amounts for the member who asked, and keep the reset time a Discord timestamp', () => {
    const reset = `<t:${Date.parse('2026-12-02T00:00:00Z') / 1000}:R>`;
    const es = translator('es-ES');
    // Intl writes Spanish amounts as 0,04 US$ (with a no-break space).
    expect(es.usd(0.04)).toMatch(/^0,04\sUS\$$/);
    const r = findBudgetRefusal(es, 0.04, [{ scope: 'user', budgetUsd: 0.1, spentUsd: 0.08 }], NOW);
    expect(es.render(r!.said)).toBe(
      `Esto costaría ${es.usd(0.04)}, pero te quedan ${es.usd(0.02)} de tu presupuesto diario de ${es.usd(0.1)} en este servidor. Se restablece a las 00:00 UTC (${reset}). Pide menos variantes o un modelo más barato, o vuelve a intentarlo entonces.`,
    );
    const zh = translator('zh-CN');
    expect(zh.render(findBudgetRefusal(zh, 0.5, [{ scope: 'guild', budgetUsd: 10, spentUsd: 9.8 }], NOW)!.said)).toContain(`预算将于 UTC 时间 00:00 重置（${reset}）`);
  });
});

describe('the daily image count', () => {
  const NOW = Date.parse('2026-12-01T18:30:00Z');
  it('counts in the singular and the plural, and suggests fewer variants only while some are left', () => {
    expect(findImageQuotaRefusal(en, 3, 3, 1, NOW)?.message).toMatch(/^You have 0 of your 3 images a day left in this server, and this asks for one more image\. It resets at 00:00 UTC \(<t:\d+:R>\)\.$/);
    expect(findImageQuotaRefusal(en, 1, 1, 1, NOW)?.message).toMatch(/0 of your 1 image a day left/);
    expect(findImageQuotaRefusal(en, 3, 1, 4, NOW)?.message).toMatch(/this asks for 4 more images\. .*Ask for fewer variants, or try again then\.$/);
    expect(findImageQuotaRefusal(en, 3, 1, 2, NOW)).toBeUndefined();
    expect(findImageQuotaRefusal(en, undefined, 100, 4, NOW)).toBeUndefined();
  });

  it('speaks Chinese and Spanish', () => {
    const zh = translator('zh-CN');
    expect(zh.render(findImageQuotaRefusal(zh, 3, 3, 2, NOW)!.said)).toMatch(/^你在本服务器每天最多可生成 3 张图片，还剩 0 张，而这次请求要再生成 2 张。/);
    const es = translator('es-419');
    expect(es.render(findImageQuotaRefusal(es, 1, 1, 1, NOW)!.said)).toMatch(/^Tu límite en este servidor es de 1 imagen al día y te quedan 0; esto pide una imagen más\./);
    expect(es.render(findImageQuotaRefusal(es, 5, 3, 4, NOW)!.said)).toMatch(/5 imágenes al día y te quedan 2; esto pide 4 imágenes más\. .*Pide menos variantes/);
  });
});

describe('the reset time', () => {
  it('is a Discord timestamp in every language', () => {
    const now = Date.parse('2026-12-01T18:30:00Z');
    const at = Date.parse('2026-12-02T00:00:00Z') / 1000;
    expect(describeReset(en, now)).toBe(`It resets at 00:00 UTC (<t:${at}:R>)`);
    expect(describeReset(translator('zh-CN'), now)).toBe(`将于 UTC 时间 00:00 重置（<t:${at}:R>）`);
  });
});
