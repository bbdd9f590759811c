import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commands } from '../../../commands/index.js';
import { catalogues } from '../../../src/i18n/catalogues.js';
import { localizeCommand } from '../../../src/i18n/commands.js';
import { LANGUAGES, pluralBase, translator } from '../../../src/i18n/index.js';
import { scanSource } from '../../support/i18n-scan.js';

type Tree = { [key: string]: string | Tree };

function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'string') out.set(path, value);
    else for (const [k, v] of flatten(value, path)) out.set(k, v);
  }
  return out;
}

/** The Intl locale whose plural rules a catalogue follows. */
const RULES_OF = { 'en-US': 'en-US', 'zh-CN': 'zh-CN', es: 'es' } as const;
const SUFFIX = /_(zero|one|two|few|many|other)$/;
const placeholders = (text: string) => new Set([...text.matchAll(/\{\{\s*([\w.]+)/g)].map((m) => m[1]));

const flat = Object.fromEntries(Object.entries(catalogues).map(([id, tree]) => [id, flatten(tree as Tree)])) as Record<keyof typeof catalogues, Map<string, string>>;
const families = (keys: Map<string, string>) => {
  const out = new Map<string, Map<string, string>>();
  for (const [key, text] of keys) {
    const base = pluralBase(key);
    const forms = out.get(base) ?? new Map<string, string>();
    forms.set(SUFFIX.exec(key)?.[1] ?? '', text);
    out.set(base, forms);
  }
  return out;
};
const english = families(flat['en-US']);

describe('the message catalogues', () => {
  it('are not empty', () => {
    expect(flat['en-US'].size).toBeGreaterThan(200);
  });

  describe.each(['zh-CN', 'es'] as const)('%s', (id) => {
    const ours = families(flat[id]);
    it('has every English key and no other', () => {
      expect([...english.keys()].filter((k) => !ours.has(k)), 'missing').toEqual([]);
      expect([...ours.keys()].filter((k) => !english.has(k)), 'not in English').toEqual([]);
    });

    it('uses the same placeholders as English in every message', () => {
      const wrong: string[] = [];
      for (const [key, forms] of ours) {
        const source = english.get(key);
        if (!source) continue;
        const expected = new Set([...source.values()].flatMap((t) => [...placeholders(t)]));
        for (const [form, text] of forms) {
          const got = placeholders(text);
          // A plural form may leave out the count ("an image"); every other placeholder stays.
          const missing = [...expected].filter((p) => !got.has(p) && !(p === 'count' && form !== ''));
          const extra = [...got].filter((p) => !expected.has(p));
          if (missing.length || extra.length) wrong.push(`${key}${form ? `_${form}` : ''}: missing ${missing.join(',') || '-'}, extra ${extra.join(',') || '-'}`);
        }
      }
      expect(wrong).toEqual([]);
    });
  });

  describe.each(Object.keys(RULES_OF) as Array<keyof typeof RULES_OF>)('%s plural forms', (id) => {
    it("are exactly the language's categories wherever a message is plural", () => {
      const categories = new Intl.PluralRules(RULES_OF[id]).resolvedOptions().pluralCategories.slice().sort();
      const wrong: string[] = [];
      for (const [key, forms] of families(flat[id])) {
        const pluralInEnglish = [...(english.get(key)?.keys() ?? [])].some((f) => f !== '');
        const got = [...forms.keys()].sort();
        if (pluralInEnglish && JSON.stringify(got) !== JSON.stringify(categories)) wrong.push(`${key}: ${got.join(',')} (needs ${categories.join(',')})`);
        if (!pluralInEnglish && JSON.stringify(got) !== '[""]') wrong.push(`${key}: plural forms ${got.join(',')} but English has none`);
      }
      expect(wrong).toEqual([]);
    });
  });

  it('render with plurals by the language rules', () => {
    // Any plural key of the catalogue: its rendering differs between 1 and 2 in English and Spanish.
    const key = [...english.entries()].find(([, forms]) => forms.has('one'))?.[0];
    expect(key, 'some message is plural').toBeDefined();
    for (const lang of ['en-US', 'es-419'] as const) {
      const t = translator(lang);
      expect(t.t(key as never, { count: 1 })).not.toBe(t.t(key as never, { count: 2 }));
    }
  });
});

describe('the slash commands', () => {
  const localized = commands.map((c) => localizeCommand(c.data));
  type Node = { name: string; name_localizations?: Record<string, string>; description_localizations?: Record<string, string>; options?: Node[]; choices?: Array<{ value: unknown; name_localizations?: Record<string, string> }> };
  const others = LANGUAGES.filter((l) => l !== 'en-US');

  it('have a name and a description in every language, on every command and option, and every choice a name', () => {
    const missing: string[] = [];
    const visit = (node: Node, where: string) => {
      for (const l of others) {
        if (!node.name_localizations?.[l]) missing.push(`${where} name (${l})`);
        if (!node.description_localizations?.[l]) missing.push(`${where} description (${l})`);
      }
      for (const c of node.choices ?? []) for (const l of others) if (!c.name_localizations?.[l]) missing.push(`${where} choice ${String(c.value)} (${l})`);
      for (const o of node.options ?? []) visit(o, `${where} ${o.name}`);
    };
    for (const c of localized) visit(c as unknown as Node, `/${c.name}`);
    expect(missing).toEqual([]);
  });

  it('have unique option names in every language at each level, as Discord requires', () => {
    const clashes: string[] = [];
    const visit = (node: Node, where: string) => {
      const options = node.options ?? [];
      for (const l of others) {
        const names = options.map((o) => o.name_localizations?.[l] ?? o.name);
        const dupes = names.filter((n, i) => names.indexOf(n) !== i);
        if (dupes.length) clashes.push(`${where} (${l}): ${dupes.join(', ')}`);
      }
      options.forEach((o) => visit(o, `${where} ${o.name}`));
    };
    for (const c of localized) visit(c as unknown as Node, `/${c.name}`);
    expect(clashes).toEqual([]);
  });

  it("refuse a translation that breaks Discord's rules, at start", () => {
    const data = { name: 'demo', description: 'A demo', options: [{ type: 3, name: 'prompt', description: 'What to draw' }] };
    const english = { demo: { command: { name: 'demo', options: { prompt: { name: 'prompt' } } } } };
    const withTranslation = (name: string, description = 'Un demo') => ({
      'en-US': english,
      'zh-CN': {},
      es: { demo: { command: { name: 'demo', description, options: { prompt: { name } } } } },
    });
    expect(localizeCommand(data, withTranslation('indicación')).options?.[0]).toMatchObject({ name_localizations: { 'es-ES': 'indicación', 'es-419': 'indicación' } });
    expect(() => localizeCommand(data, withTranslation('Indicación'))).toThrow(/lowercase/);
    expect(() => localizeCommand(data, withTranslation('mi indicación'))).toThrow(/lowercase/);
    expect(() => localizeCommand(data, withTranslation('indicacion', 'x'.repeat(101)))).toThrow(/1-100/);
    const renamed = { ...withTranslation('indicación'), 'en-US': { demo: { command: { name: 'demo', options: { prompt: { name: 'text' } } } } } };
    expect(() => localizeCommand(data, renamed)).toThrow(/English catalogue names it "text"/);
    const unlisted = { ...withTranslation('indicación'), 'en-US': { demo: { command: { name: 'demo', options: {} } } } };
    expect(() => localizeCommand(data, unlisted)).toThrow(/English catalogue names it "\(nothing\)"/);
  });
});

describe('user-visible text in the code', () => {
  /** Operator-facing modules: start-up errors, config validation, logs and the database's own errors. */
  const OPERATOR_ONLY = [/^src\/i18n\//, /^src\/store\//, /^src\/config\.ts$/, /^src\/index\.ts$/, /^src\/logger\.ts$/];
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
    });

  it('all comes from the catalogues', () => {
    const findings = [...files('src'), ...files('commands')].filter((f) => !OPERATOR_ONLY.some((re) => re.test(f))).flatMap((f) => scanSource(f));
    expect(findings.map((f) => `${f.file}:${f.line} ${JSON.stringify(f.text)}`)).toEqual([]);
  });

  it('is found by the scan when it is there, and logs and internal errors are not', () => {
    const found = scanSource(
      'sample.ts',
      [
        "await interaction.reply({ content: 'Your images are ready' });",
        "const row = new ButtonBuilder().setLabel('Reroll');",
        "const field = { name: 'Model', value: model };",
        "throw new UserError('jobs.refusal.cooldown', { seconds });",
        "log.warn({ err }, 'could not tell the requester');",
        "throw new Error('the database cannot be read');",
        "// i18n-exempt: Venice's brand name\nconst brand = { name: 'Venice AI' };",
      ].join('\n'),
    );
    expect(found.map((f) => f.text)).toEqual(['Your images are ready', 'Reroll', 'Model']);
  });
});
