import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_MAX, SEED_MIN } from '../../src/venice/request-builder.js';
import type { ChannelKind, InteractionHandle, RecordedRequest, UserKey } from '../support/discord/fake-discord.js';
import { simulatorModels, simulatorStyles } from '../support/venice/catalogue.js';
import { startHarness, type Harness } from './harness.js';
import { EPHEMERAL, assertNoInvalidRequests, json, veniceRefusals } from './helpers.js';

/**
 * /imagine with random option sets, over the wire through the real bot: every case must end
 * in a posted result or a clear private refusal, with every Discord request accepted and every
 * Venice request one the simulator (spec + model constraints) accepts.
 *
 * FUZZ_RUNS and FUZZ_SEED override the defaults for a quick local run or to replay a seed.
 */
const SEED = Number(process.env['FUZZ_SEED'] ?? 20_261_124);
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 10_000);
const CONCURRENCY = Number(process.env['FUZZ_CONCURRENCY'] ?? 8);
const CASE_TIMEOUT_MS = 30_000;

type OptionValue = string | number | boolean;
type Options = Record<string, OptionValue>;

interface FuzzCase {
  index: number;
  user: UserKey;
  channel: ChannelKind;
  options: Options;
}

interface Problem {
  kind: string;
  detail: string;
}

interface CaseRun {
  outcome: 'result' | 'refusal' | 'none';
  /** The refusal text, or the result's content. */
  text: string;
  problems: Problem[];
}

// ---------------------------------------------------------------------------------------------
// Generators: every option of the registered /imagine, valid and invalid values.

const modelIds = simulatorModels.map((m) => m.id);
const modelNames = simulatorModels.map((m) => m.model_spec.name);
const ratios = [...new Set(simulatorModels.flatMap((m) => m.model_spec.constraints?.aspectRatios ?? []))];

/** Text pieces a prompt is made of: plain words, unicode, markup, mentions, control characters. */
const PIECES = [
  'a red fox in the snow ', 'lighthouse at dusk, ', 'portrait, 85mm, ', 'Zürich café ', '日本語の猫 ', 'кошка ', 'قطة ',
  '🦊 ', '👩‍👩‍👧 ', 'e\u0301 ', '\u200b', '\u202e', '\t', '\n', '   ', '@everyone ', '@here ', '<@123456789012345678> ',
  '<@&123456789012345678> ', '<#123456789012345678> ', '`code` ', '```', '||spoiler|| ', '**bold** ', '# heading\n',
  '\\', '"', "'", '${x}', '%s', '</script>', '\u0000', '\uD83D',
];

const piece = fc.constantFrom(...PIECES);

/** A string of `length` characters cut from random pieces, cheap even at 40,000 characters. */
function textOfLength(min: number, max: number): fc.Arbitrary<string> {
  return fc.tuple(fc.array(piece, { minLength: 1, maxLength: 6 }), fc.integer({ min, max })).map(([parts, length]) => {
    const unit = parts.join('');
    return unit.repeat(Math.ceil(length / Math.max(1, unit.length))).slice(0, length);
  });
}

const promptArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 10, arbitrary: fc.array(piece, { minLength: 1, maxLength: 8 }).map((p) => p.join('')) },
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 200 }) },
  { weight: 2, arbitrary: fc.constantFrom('', ' ', '\n', '\u200b', '@everyone', '@here look', 'a') },
  { weight: 3, arbitrary: textOfLength(900, 2_100) },
  { weight: 2, arbitrary: textOfLength(4_000, 6_000) },
  { weight: 1, arbitrary: textOfLength(6_001, 40_000) },
);

const wrongCase = (s: string) => fc.constantFrom(s.toLowerCase(), s.toUpperCase(), ` ${s} `, s.replace(/ /g, ''));

const modelArb = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...modelIds) },
  { weight: 2, arbitrary: fc.constantFrom(...modelNames).chain(wrongCase) },
  { weight: 1, arbitrary: fc.constantFrom(...modelIds).chain(wrongCase) },
  { weight: 2, arbitrary: fc.constantFrom('dall-e-3', 'flux', 'default', 'fastest', 'most_uncensored', '', ' ', 'venice-sd35 ', 'z-image-turbo\n') },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 120 }) },
);

const styleArb = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...simulatorStyles) },
  { weight: 3, arbitrary: fc.constantFrom(...simulatorStyles).chain(wrongCase) },
  { weight: 2, arbitrary: fc.constantFrom('', 'none', 'Anime ', 'Pixel-Art', 'Children’s Book', 'Ukiyo-E', 'Ukiyo-é') },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 120 }) },
);

const aspectArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...ratios) },
  { weight: 3, arbitrary: fc.tuple(fc.integer({ min: 1, max: 1400 }), fc.integer({ min: 1, max: 1400 })).map(([w, h]) => `${w}x${h}`) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '7:3', '1025x1024', '1024x1025', '0:1', '1:0', '0:0', '4:1', '1:4', '5:1', '99:1', '100:1', '16 : 9', '16x9', ' 16:9 ',
      '1024×768', '1024*768', '8x8', '7x7', '1280x1280', '1281x1024', '100000x1', '00016:0009', '-16:9', '16:9:1', '3.5:2',
      'abc', '', ' ', 'auto', '1:1\n',
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 24 }) },
);

const resolutionArb = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('1K', '1k', ' 1K ') },
  { weight: 2, arbitrary: fc.constantFrom('2K', '2k') },
  { weight: 1, arbitrary: fc.constantFrom('4K', '4k') },
  { weight: 2, arbitrary: fc.constantFrom('8K', '0K', 'K', '', 'hd', '1080p', '1K2K') },
);

const qualityArb = fc.constantFrom('low', 'medium', 'high', 'LOW', ' High ', 'ultra', '', 'best');

/** Mostly one image: every extra variant is one more Venice render and upload. */
const variantsArb = fc.oneof(
  { weight: 20, arbitrary: fc.constant(1) },
  { weight: 3, arbitrary: fc.integer({ min: 2, max: 4 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -1, 5, 100, 2 ** 31) },
);

const seedArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: SEED_MIN, max: SEED_MAX }) },
  { weight: 2, arbitrary: fc.constantFrom(SEED_MIN, SEED_MAX, SEED_MAX - 1, SEED_MAX - 2, SEED_MAX - 3, 0, -1) },
  { weight: 1, arbitrary: fc.constantFrom(SEED_MAX + 1, SEED_MIN - 1, 2 ** 31, -(2 ** 31), Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER) },
);

const cfgArb = fc.oneof(
  { weight: 5, arbitrary: fc.double({ min: 0, max: 20, noNaN: true, noDefaultInfinity: true }) },
  { weight: 2, arbitrary: fc.constantFrom(0, 1e-9, 20, 7.5, 1) },
  { weight: 1, arbitrary: fc.constantFrom(-1, 20.0001, 21, 1e9, -1e9) },
);

const stepsArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 100 }) },
  { weight: 2, arbitrary: fc.constantFrom(1, 8, 9, 30, 31, 50, 51, 100) },
  { weight: 1, arbitrary: fc.constantFrom(0, -5, 101, 1_000_000, 2 ** 31) },
);

const formatArb = fc.oneof({ weight: 10, arbitrary: fc.constantFrom('webp', 'png', 'jpeg') }, { weight: 1, arbitrary: fc.constantFrom('gif', 'WEBP', '') });

const OPTIONAL: Record<string, fc.Arbitrary<OptionValue>> = {
  model: modelArb,
  style: styleArb,
  negative_prompt: fc.oneof(promptArb, fc.constant('')),
  aspect_ratio: aspectArb,
  resolution: resolutionArb,
  quality: qualityArb,
  variants: variantsArb,
  seed: seedArb,
  cfg_scale: cfgArb,
  steps: stepsArb,
  format: formatArb,
  hide_watermark: fc.boolean(),
  safe_mode: fc.boolean(),
  enhance_prompt: fc.boolean(),
  web_search: fc.boolean(),
};

/** Some of the given options (at most `max`), each drawn from its arbitrary. */
function someOf(arbs: Record<string, fc.Arbitrary<OptionValue>>, max: number): fc.Arbitrary<Options> {
  return fc
    .shuffledSubarray(Object.keys(arbs), { minLength: 0, maxLength: max })
    .chain((keys) => (keys.length === 0 ? fc.constant({}) : fc.record(Object.fromEntries(keys.map((k) => [k, arbs[k]!])))))
    .map((o) => o as Options);
}

/** Anything goes: up to five options with any value, valid or not. */
const wildOptions = fc.tuple(promptArb, someOf(OPTIONAL, 5)).map(([prompt, rest]) => ({ prompt, ...rest }));

/**
 * Options that mostly fit the chosen model (its ratios or pixel sizes, resolutions, qualities,
 * step range and prompt limit), with an off-by-one or a wrong value now and then: these are
 * the cases that reach Venice, where every request must be one it accepts.
 */
const usableModels = simulatorModels.filter((m) => m.model_spec.constraints !== undefined);
const plausibleOptions: fc.Arbitrary<Options> = fc.constantFrom(...usableModels).chain((m) => {
  const c = m.model_spec.constraints!;
  const limit = Math.min(c.promptCharacterLimit, 6_000);
  const mostly = <T,>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>) => fc.oneof({ weight: 9, arbitrary: good }, { weight: 1, arbitrary: bad });
  const divisor = c.widthHeightDivisor;
  const side = (max: number) => fc.integer({ min: divisor, max });
  // Small sizes mostly: every image is really encoded, and a 1024x1024 costs ten times a 320x320.
  const pixelSize = fc
    .oneof({ weight: 4, arbitrary: fc.tuple(side(384), side(384)) }, { weight: 1, arbitrary: fc.tuple(side(1280), side(1280)) })
    .map(([w, h]) => `${w}x${h}`);
  const arbs: Record<string, fc.Arbitrary<OptionValue>> = {
    style: styleArb,
    negative_prompt: mostly(fc.array(piece, { minLength: 1, maxLength: 4 }).map((p) => p.join('')), textOfLength(limit - 2, limit + 2)),
    aspect_ratio: c.aspectRatios ? mostly(fc.constantFrom(...c.aspectRatios), aspectArb) : mostly(pixelSize, aspectArb),
    ...(c.resolutions
      ? {
          resolution: fc.oneof(
            { weight: 12, arbitrary: fc.constant(c.resolutions[0] ?? '1K') },
            { weight: 2, arbitrary: fc.constantFrom(...c.resolutions.filter((r) => r !== '4K')) },
            { weight: 1, arbitrary: resolutionArb },
          ),
        }
      : {}),
    ...(c.qualities ? { quality: mostly(fc.constantFrom(...c.qualities), qualityArb) } : {}),
    variants: variantsArb,
    seed: seedArb,
    cfg_scale: cfgArb,
    steps: mostly(fc.integer({ min: 1, max: c.steps.max }), fc.constantFrom(c.steps.max + 1, 0, 100)),
    format: formatArb,
    hide_watermark: fc.boolean(),
    safe_mode: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    enhance_prompt: fc.boolean(),
    web_search: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  };
  const prompt = fc.oneof(
    { weight: 8, arbitrary: fc.array(piece, { minLength: 1, maxLength: 8 }).map((p) => p.join('')) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 200 }) },
    { weight: 1, arbitrary: textOfLength(limit - 2, limit + 2) },
  );
  // A pixel model gets a size most of the time (small, see above); the other options are picked at random.
  const { aspect_ratio: size, ...others } = arbs;
  const sized = fc.option(size!, { freq: c.aspectRatios ? 3 : 4, nil: undefined });
  return fc
    .tuple(prompt, sized, someOf(others, 4))
    .map(([p, ratio, rest]) => ({ prompt: p, model: m.id, ...(ratio !== undefined ? { aspect_ratio: ratio } : {}), ...rest }));
});

const caseArb: fc.Arbitrary<Omit<FuzzCase, 'index'>> = fc.record({
  user: fc.constantFrom<UserKey>('alice', 'bob', 'admin'),
  channel: fc.oneof(
    { weight: 6, arbitrary: fc.constant<ChannelKind>('text') },
    { weight: 3, arbitrary: fc.constant<ChannelKind>('nsfw') },
    { weight: 1, arbitrary: fc.constantFrom<ChannelKind>('thread', 'nsfwThread', 'dm') },
  ),
  options: fc.oneof(
    { weight: 6, arbitrary: plausibleOptions },
    { weight: 3, arbitrary: wildOptions },
    // The bare command: prompt only, the server's default model.
    { weight: 1, arbitrary: promptArb.map((prompt) => ({ prompt })) },
  ),
});

// ---------------------------------------------------------------------------------------------
// What Discord itself would refuse to deliver (the registered option constraints).

interface OptionDef {
  name: string;
  type: number;
  required?: boolean;
  min_length?: number;
  max_length?: number;
  min_value?: number;
  max_value?: number;
  choices?: Array<{ value: OptionValue }>;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why Discord would not deliver this option set, or undefined when it would. */
function undeliverable(defs: OptionDef[], options: Options): string | undefined {
  for (const def of defs) {
    const value = options[def.name];
    if (value === undefined) {
      if (def.required) return `${def.name} missing`;
      continue;
    }
    if (typeof value === 'string') {
      const length = [...value].length;
      if (def.min_length !== undefined && length < def.min_length) return `${def.name} shorter than ${def.min_length}`;
      if (def.max_length !== undefined && length > def.max_length) return `${def.name} longer than ${def.max_length}`;
      if (LONE_SURROGATE.test(value)) return `${def.name} holds a lone surrogate`;
    }
    if (typeof value === 'number') {
      if (def.min_value !== undefined && value < def.min_value) return `${def.name} below ${def.min_value}`;
      if (def.max_value !== undefined && value > def.max_value) return `${def.name} above ${def.max_value}`;
    }
    if (def.choices && !def.choices.some((c) => c.value === value)) return `${def.name} not one of its choices`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Judging one interaction.

/** Text that only an unhandled exception or a template bug puts in front of a user. */
const RAW_ERROR = /\b(TypeError|ReferenceError|SyntaxError|RangeError|ZodError|DiscordAPIError|undefined|NaN|null)\b|\[object Object\]|Cannot read prop|is not a function|at [\w.]+ \(|\.ts:\d+|Invalid Form Body|"code":/;
const INTERNAL_ERROR = /Something went wrong on our side|error id `/;

/** Echoed user input sits in backticks; a refusal quoting `undefined` typed by the user is fine. */
const withoutQuotes = (text: string) => text.replace(/`[^`]*`/g, '``');

/** The message a request writes, if it writes one (a callback carries it in `data`). */
function messageWritten(r: RecordedRequest): { allowed_mentions?: { parse?: string[] } } | undefined {
  if (r.method === 'POST' && r.path.endsWith('/callback')) {
    const body = r.json as { type?: number; data?: { allowed_mentions?: { parse?: string[] } } } | undefined;
    return body?.type === 4 || body?.type === 7 ? (body.data ?? {}) : undefined;
  }
  return isMessageWrite(r) ? json(r) : undefined;
}

function isMessageWrite(r: RecordedRequest): boolean {
  if (r.method === 'PATCH' && r.path.includes('/messages/')) return true;
  if (r.method === 'POST' && /^\/webhooks\/\d+\/[^/]+$/.test(r.path)) return true;
  if (r.method === 'POST' && /^\/channels\/\d+\/messages$/.test(r.path)) return true;
  return false;
}

function isEphemeralFollowUp(r: RecordedRequest): boolean {
  return r.method === 'POST' && /^\/webhooks\/\d+\/[^/]+$/.test(r.path) && ((json(r).flags ?? 0) & EPHEMERAL) !== 0;
}

function isResult(r: RecordedRequest): boolean {
  return r.method === 'PATCH' && r.path.endsWith('/messages/@original') && r.files.length > 0;
}

function textOf(r: RecordedRequest): string {
  const body = json(r);
  const embeds = (body.embeds ?? []).flatMap((e) => [e.description ?? '', ...(e.fields ?? []).flatMap((f) => [f.name, f.value])]);
  return [body.content ?? '', ...embeds].join('\n');
}

function describeValue(value: OptionValue): string {
  if (typeof value !== 'string') return String(value);
  if (value.length <= 60) return JSON.stringify(value);
  return `${JSON.stringify(value.slice(0, 24))}… (${value.length} chars)`;
}

function describeCase(c: Pick<FuzzCase, 'user' | 'channel' | 'options'>): string {
  const opts = Object.entries(c.options).map(([k, v]) => `${k}: ${describeValue(v)}`).join(', ');
  return `/imagine { ${opts} } as ${c.user} in ${c.channel}`;
}

let h: Harness;
let defs: OptionDef[] = [];

async function runCase(c: Pick<FuzzCase, 'user' | 'channel' | 'options'>): Promise<CaseRun> {
  const problems: Problem[] = [];
  const veniceFrom = h.venice.requests.length;
  let handle: InteractionHandle;
  try {
    handle = await h.discord.slashCommand('imagine', c.options, { user: c.user, channel: c.channel });
  } catch (err) {
    return { outcome: 'none', text: '', problems: [{ kind: 'not delivered', detail: String(err) }] };
  }
  let end: RecordedRequest;
  try {
    end = await h.discord.waitFor(() => handle.requests().find((r) => isResult(r) || isEphemeralFollowUp(r)), CASE_TIMEOUT_MS);
  } catch {
    const seen = handle.requests().map((r) => `${r.method} ${r.path.replace(/\/[A-Za-z0-9_-]{60,}/, '/:token')} ${r.status}`);
    return { outcome: 'none', text: '', problems: [{ kind: 'no result and no refusal', detail: seen.join('; ') || 'no request at all' }] };
  }
  // A result may be followed by nothing, a refusal by nothing: let stragglers of this case land.
  await new Promise((resolve) => setTimeout(resolve, 5));
  const outcome = isResult(end) ? 'result' : 'refusal';
  const text = textOf(end);

  for (const r of handle.requests()) {
    if (r.status < 200 || r.status >= 300) problems.push({ kind: `Discord answered ${r.status}`, detail: `${r.method} ${r.path.replace(/\/[A-Za-z0-9_-]{60,}/, '/:token')}${r.invalid ? `: ${r.invalid}` : ''}` });
    const message = messageWritten(r);
    if (message) {
      const parse = message.allowed_mentions?.parse;
      if (!Array.isArray(parse) || parse.length > 0) problems.push({ kind: 'mentions allowed', detail: `${r.method} allowed_mentions ${JSON.stringify(message.allowed_mentions)}` });
    }
  }
  if (outcome === 'refusal') {
    const content = json(end).content ?? '';
    if (content.trim() === '') problems.push({ kind: 'empty refusal', detail: '' });
    if (INTERNAL_ERROR.test(content)) problems.push({ kind: 'internal error shown', detail: content });
    else if (RAW_ERROR.test(withoutQuotes(content))) problems.push({ kind: 'raw error text', detail: content });
  } else {
    if (RAW_ERROR.test(withoutQuotes(text))) problems.push({ kind: 'raw error text in result', detail: text.slice(0, 300) });
  }
  const prompt = typeof c.options['prompt'] === 'string' ? c.options['prompt'].trim() : undefined;
  const mine = (r: { body: unknown }) => (r.body as { prompt?: unknown } | undefined)?.prompt === prompt;
  for (const refusal of veniceRefusals(h.venice, { from: veniceFrom, match: mine })) {
    const { prompt: _p, negative_prompt: _n, ...shown } = (refusal.request.body ?? {}) as Record<string, unknown>;
    problems.push({ kind: `Venice ${refusal.status}`, detail: `${JSON.stringify(shown)} -> ${JSON.stringify(refusal.body)}` });
  }
  return { outcome, text: outcome === 'refusal' ? (json(end).content ?? '') : text, problems };
}

/**
 * The smallest option set, found greedily, that still shows a problem of the same kind:
 * drop each option, then try a plain prompt, user and channel.
 */
async function minimise(c: FuzzCase, kind: string): Promise<{ repro: string; detail: string }> {
  let current: Pick<FuzzCase, 'user' | 'channel' | 'options'> = { user: c.user, channel: c.channel, options: { ...c.options } };
  let detail = '';
  const reproduces = async (candidate: typeof current): Promise<boolean> => {
    const run = await runCase(candidate);
    const hit = run.problems.find((p) => p.kind === kind);
    if (hit) detail = hit.detail;
    return hit !== undefined;
  };
  if (!(await reproduces(current))) return { repro: `${describeCase(current)} (did not reproduce alone)`, detail: '' };
  for (const key of Object.keys(current.options)) {
    if (key === 'prompt') continue;
    const { [key]: _dropped, ...rest } = current.options;
    const candidate = { ...current, options: rest };
    if (await reproduces(candidate)) current = candidate;
  }
  const simplifications: Array<(from: typeof current) => typeof current> = [
    (from) => ({ ...from, options: { ...from.options, prompt: 'a red fox' } }),
    (from) => ({ ...from, user: 'alice' }),
    (from) => ({ ...from, channel: 'text' }),
  ];
  for (const simplify of simplifications) {
    const candidate = simplify(current);
    if (await reproduces(candidate)) current = candidate;
  }
  await reproduces(current);
  return { repro: describeCase(current), detail };
}

// ---------------------------------------------------------------------------------------------

beforeAll(async () => {
  h = await startHarness({
    env: {
      // Eight cases at once from three users: the bot's limits must not serialise them.
      MAX_CONCURRENT_JOBS: String(CONCURRENCY),
      MAX_JOBS_PER_USER: String(CONCURRENCY),
      MAX_JOBS_PER_GUILD: String(CONCURRENCY * 2),
      DM_COOLDOWN_SECONDS: '0',
      DM_DAILY_BUDGET_USD: '1000000',
      // Warnings and errors only: ten thousand cases of debug lines would be the bulk of the run.
      LOG_LEVEL: 'warn',
    },
  });
  h.venice.setInferenceDelay(0);
  // Safe mode may go off in the age-restricted channel (and its thread), so Venice sees safe_mode:false too.
  const opened = await h.discord.slashCommand('settings', { allow: true, channel: 'nsfw' }, { user: 'admin', subcommand: 'nsfw' });
  await h.discord.waitFor(() => opened.requests().find((r) => r.method === 'PATCH' && /Saved/.test(json(r).content ?? '')));
  // discord.js holds every REST call to Discord's 50 requests/s per bot. That is a property
  // of discord.js against the real Discord, not of the bot's handling of options, and would
  // hold 10,000 cases (~26,000 requests) to nine minutes; the local fake has no such limit.
  h.bot.client.rest.options.globalRequestsPerSecond = 1_000_000;
  defs = ((h.discord.commands({ guildId: h.discord.ids.guild }) as Array<{ name: string; options?: OptionDef[] }>).find((c) => c.name === 'imagine')?.options ?? []);
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe('/imagine fuzzed over the wire', () => {
  it('draws from every option /imagine registers', () => {
    expect(['prompt', ...Object.keys(OPTIONAL)].sort()).toEqual(defs.map((d) => d.name).sort());
  });

  it(`ends ${RUNS} random option sets in a result or a clear refusal, and sends Venice only requests it accepts`, async () => {
    const cases: FuzzCase[] = fc.sample(caseArb, { seed: SEED, numRuns: RUNS }).map((c, index) => ({ ...c, index }));
    const started = performance.now();
    const runs: Array<{ c: FuzzCase; run: CaseRun; undeliverable: string | undefined }> = [];
    let next = 0;
    const lane = async (): Promise<void> => {
      for (let i = next++; i < cases.length; i = next++) {
        const c = cases[i]!;
        runs.push({ c, run: await runCase(c), undeliverable: undeliverable(defs, c.options) });
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, lane));
    const elapsedS = (performance.now() - started) / 1000;

    // Still answering after all of it.
    const last = await runCase({ user: 'alice', channel: 'text', options: { prompt: 'still here after the fuzz' } });

    const failing = runs.filter((r) => r.run.problems.length > 0);
    const byKind = new Map<string, { first: FuzzCase; count: number; undeliverable: number }>();
    for (const { c, run, undeliverable: why } of failing) {
      for (const kind of new Set(run.problems.map((p) => p.kind))) {
        const entry = byKind.get(kind) ?? { first: c, count: 0, undeliverable: 0 };
        entry.count++;
        if (why) entry.undeliverable++;
        // Prefer an option set Discord would actually deliver as the example.
        if (!why && undeliverable(defs, entry.first.options)) entry.first = c;
        byKind.set(kind, entry);
      }
    }
    const refusals = new Map<string, number>();
    for (const { run } of runs) {
      if (run.outcome !== 'refusal') continue;
      const key = run.text.replace(/`[^`]*`/g, '`…`').replace(/\d+/g, 'N').slice(0, 70);
      refusals.set(key, (refusals.get(key) ?? 0) + 1);
    }
    // Errors the bot logged: each is an unexpected failure, whatever the user was shown.
    const errorLogs = new Map<string, number>();
    for (const line of h.logs().split('\n')) {
      if (!line.startsWith('{')) continue;
      const entry = JSON.parse(line) as { level?: number; msg?: string };
      if ((entry.level ?? 0) >= 50) errorLogs.set(entry.msg ?? '(no msg)', (errorLogs.get(entry.msg ?? '(no msg)') ?? 0) + 1);
    }
    const generateRequests = h.venice.generateRequests().length;
    const allVeniceRefusals = veniceRefusals(h.venice);
    const reports: string[] = [];
    for (const [kind, entry] of byKind) {
      const { repro, detail } = await minimise(entry.first, kind);
      reports.push(`${kind}: ${entry.count} case(s) (${entry.undeliverable} of them outside Discord's option limits)\n    minimal: ${repro}\n    ${detail.slice(0, 600)}`);
    }

    console.log(
      [
        `fuzz: ${runs.length} cases (seed ${SEED}) in ${elapsedS.toFixed(1)} s with ${CONCURRENCY} at once`,
        `  ${runs.filter((r) => r.undeliverable).length} outside Discord's option limits (Discord would not deliver them)`,
        `  results: ${runs.filter((r) => r.run.outcome === 'result').length}, refusals: ${runs.filter((r) => r.run.outcome === 'refusal').length}, neither: ${runs.filter((r) => r.run.outcome === 'none').length}`,
        `  Venice generate requests: ${generateRequests}, refused by the simulator's checks: ${allVeniceRefusals.length}`,
        `  error log lines: ${[...errorLogs].map(([msg, n]) => `${n}× ${msg}`).join(', ') || 'none'}`,
        `  refusals by text:`,
        ...[...refusals].sort((a, b) => b[1] - a[1]).slice(0, 40).map(([text, n]) => `    ${String(n).padStart(5)}  ${text}`),
        ...(reports.length > 0 ? ['  problems:', ...reports.map((r) => `  - ${r}`)] : ['  problems: none']),
      ].join('\n'),
    );

    expect(last.outcome, `the bot stopped answering: ${JSON.stringify(last.problems)}`).toBe('result');
    expect(reports, reports.join('\n')).toEqual([]);
    expect(Object.fromEntries(errorLogs), 'the bot logged errors').toEqual({});
    expect(allVeniceRefusals.map((r) => `${r.status} ${JSON.stringify(r.body)}`)).toEqual([]);
    assertNoInvalidRequests(h.discord);
  }, 20 * 60_000);
});
