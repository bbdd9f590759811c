import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import { buildImageJob, SEED_MAX, SEED_MIN, wrapSeed, type ImagineOptions, type RequestContext } from '../../../src/venice/request-builder.js';
import { simulatorModels, simulatorStyles } from '../../support/venice/catalogue.js';
import { checkGenerateRequest } from '../../support/venice/checks.js';
import { checkAgainstSpec, specPointers } from '../../support/venice/spec.js';
import { simulatorSnapshot, simulatorView } from './simulator-catalog.js';

const catalog = simulatorSnapshot();
const modelIds = simulatorModels.map((m) => m.id);
const modelNames = simulatorModels.map((m) => m.model_spec.name);
const ratios = [...new Set(simulatorModels.flatMap((m) => m.model_spec.constraints?.aspectRatios ?? []))];

const maybe = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined, freq: 3 });

const randomCase = (text: string) =>
  fc.array(fc.boolean(), { minLength: text.length, maxLength: text.length }).map((upper) =>
    [...text].map((ch, i) => (upper[i] ? ch.toUpperCase() : ch.toLowerCase())).join(''),
  );

/** Prompts as people (and pasted text) produce them: empty, blank, short, unicode, lone surrogates, or far too long. */
const promptArb = fc.oneof(
  fc.constantFrom('', ' ', '\n\t ', 'a cat', '  a lighthouse at dusk  '),
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 100 }),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => `moon ${String.fromCharCode(c)}`),
  fc
    .tuple(fc.constantFrom('x', 'é', '😀', '日本', ' '), fc.integer({ min: 900, max: 12_000 }))
    .map(([unit, n]) => `p${unit.repeat(Math.ceil(n / unit.length))}`),
);

const modelArb = fc.oneof(
  fc.constantFrom(...modelIds),
  fc.constantFrom(...modelNames).chain(randomCase),
  fc.constantFrom('', '   ', 'dall-e-3', 'default', 'Z-IMAGE-TURBO '),
  fc.string({ maxLength: 30 }),
);

const aspectArb = fc.oneof(
  fc.constantFrom(...ratios),
  fc.constantFrom(...ratios).map((r) => r.replace(':', ' : ')),
  fc.tuple(fc.integer({ min: 0, max: 120 }), fc.integer({ min: 0, max: 120 })).map(([w, h]) => `${w}:${h}`),
  fc
    .tuple(fc.integer({ min: 0, max: 5000 }), fc.constantFrom('x', 'X', '×', '*', ' x '), fc.integer({ min: 0, max: 5000 }))
    .map(([w, sep, h]) => `${w}${sep}${h}`),
  fc.constantFrom('', '  ', 'landscape', '16/9', '1024x', ':', '1:1:1', '-1:2'),
  fc.string({ maxLength: 20 }),
);

const resolutionArb = fc.oneof(fc.constantFrom('1K', '2K', '4K', '1k', ' 2k ', '8K', ''), fc.string({ maxLength: 6 }));
const qualityArb = fc.oneof(fc.constantFrom('low', 'medium', 'high', 'HIGH', ' Low ', 'ultra', ''), fc.string({ maxLength: 8 }));
const styleArb = fc.oneof(
  fc.constantFrom(...simulatorStyles),
  fc.constantFrom(...simulatorStyles).chain(randomCase),
  fc.constantFrom('', '  ', 'Vaporwav', '__proto__', 'constructor'),
  fc.string({ maxLength: 30 }),
);
const numberArb = (min: number, max: number) =>
  fc.oneof(
    fc.integer({ min, max }),
    fc.double({ min: min - 1, max: max + 1 }),
    fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0),
  );
const formatArb = fc.constantFrom('webp' as const, 'png' as const, 'jpeg' as const);
const seedArb = fc.oneof(
  fc.integer({ min: SEED_MIN, max: SEED_MAX }),
  fc.integer({ min: SEED_MAX - 5, max: SEED_MAX + 5 }),
  fc.integer({ min: SEED_MIN - 5, max: SEED_MIN + 5 }),
  fc.maxSafeInteger(),
  fc.double({ noNaN: true }),
);

/** Anything at all in every field: mostly refusals, which must all be UserErrors. */
const anyOptionsArb: fc.Arbitrary<ImagineOptions> = fc.record(
  {
    prompt: promptArb,
    model: maybe(modelArb),
    style: maybe(styleArb),
    negative_prompt: maybe(promptArb),
    aspect_ratio: maybe(aspectArb),
    resolution: maybe(resolutionArb),
    quality: maybe(qualityArb),
    variants: maybe(numberArb(-2, 8)),
    seed: maybe(seedArb),
    cfg_scale: maybe(numberArb(-1, 25)),
    steps: maybe(numberArb(-2, 120)),
    format: maybe(formatArb),
    hide_watermark: maybe(fc.boolean()),
    safe_mode: maybe(fc.boolean()),
    enhance_prompt: maybe(fc.boolean()),
    web_search: maybe(fc.boolean()),
  },
  { requiredKeys: ['prompt'] },
);

/** Options aimed at one model, mostly within its choices and limits, with a little noise at the edges. */
const plausibleOptionsArb: fc.Arbitrary<ImagineOptions> = fc.constantFrom(...catalog.models).chain((model) => {
  const sizeArb =
    model.sizing === 'aspect'
      ? fc.oneof({ arbitrary: fc.constantFrom(...model.aspectRatios), weight: 5 }, { arbitrary: aspectArb, weight: 1 })
      : fc.oneof(
          { arbitrary: fc.constantFrom('1:1', '3:2', '16:9', '21:9', '9:16', '4:5', '4:1', '1:4'), weight: 3 },
          { arbitrary: fc.tuple(fc.integer({ min: 1, max: 1400 }), fc.integer({ min: 1, max: 1400 })).map(([w, h]) => `${w}x${h}`), weight: 3 },
          { arbitrary: aspectArb, weight: 1 },
        );
  const few = <T>(valid: readonly T[], noise: fc.Arbitrary<T>) =>
    valid.length > 0 ? fc.oneof({ arbitrary: fc.constantFrom(...valid), weight: 6 }, { arbitrary: noise, weight: 1 }) : noise;
  return fc.record(
    {
      prompt: fc.oneof({ arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }), weight: 6 }, { arbitrary: promptArb, weight: 1 }),
      model: fc.oneof(fc.constant(model.id), fc.constant(model.name.toUpperCase())),
      style: fc.option(few(simulatorStyles, styleArb), { nil: undefined, freq: 2 }),
      negative_prompt: fc.option(fc.string({ maxLength: 40 }), { nil: undefined, freq: 2 }),
      aspect_ratio: fc.option(sizeArb, { nil: undefined, freq: 3 }),
      resolution: fc.option(few(model.resolutions, resolutionArb), { nil: undefined, freq: model.resolutions.length > 0 ? 2 : 1 }),
      quality: fc.option(few(model.qualities, qualityArb), { nil: undefined, freq: model.qualities.length > 0 ? 2 : 1 }),
      variants: fc.option(fc.oneof({ arbitrary: fc.integer({ min: 1, max: 4 }), weight: 8 }, { arbitrary: numberArb(-2, 8), weight: 1 }), { nil: undefined, freq: 2 }),
      seed: fc.option(seedArb, { nil: undefined, freq: 2 }),
      cfg_scale: fc.option(fc.oneof({ arbitrary: fc.double({ min: 0.1, max: 20, noNaN: true }), weight: 8 }, { arbitrary: numberArb(-1, 25), weight: 1 }), { nil: undefined, freq: 2 }),
      steps: fc.option(fc.oneof({ arbitrary: fc.integer({ min: 1, max: model.steps?.max ?? 1 }), weight: 8 }, { arbitrary: numberArb(-2, 120), weight: 1 }), { nil: undefined, freq: 2 }),
      format: maybe(formatArb),
      hide_watermark: maybe(fc.boolean()),
      safe_mode: maybe(fc.boolean()),
      enhance_prompt: maybe(fc.boolean()),
      web_search: fc.option(fc.constantFrom(false, false, false, true), { nil: undefined, freq: 2 }),
    },
    { requiredKeys: ['prompt', 'model'] },
  );
});

const optionsArb = fc.oneof(anyOptionsArb, plausibleOptionsArb);

const contextArb: fc.Arbitrary<RequestContext> = fc.record(
  {
    ageRestricted: fc.boolean(),
    // The caller's random seed may be anywhere: the builder wraps it into Venice's range.
    randomSeed: fc.oneof(fc.integer({ min: SEED_MIN, max: SEED_MAX }), fc.maxSafeInteger()),
    defaultModelId: maybe(fc.oneof(fc.constantFrom(...modelIds), fc.string({ maxLength: 10 }))),
    maxVariants: maybe(fc.integer({ min: 0, max: 6 })),
  },
  { requiredKeys: ['ageRestricted', 'randomSeed', 'defaultModelId'] },
);

/** Either a plan Venice accepts in full, or a refusal the user can read. */
type Outcome = { kind: 'plan'; bodies: number } | { kind: 'refused'; message: string };

function judge(options: ImagineOptions, ctx: RequestContext): Outcome {
  let job;
  try {
    job = buildImageJob(options, catalog, ctx);
  } catch (err) {
    // Anything but a UserError would reach the user as "something went wrong" with an error id.
    if (!(err instanceof UserError)) throw err;
    // What the user typed is quoted in backticks; the builder's own words must never leak a missing value.
    expect(err.message.replace(/`[^`]*`/g, '')).not.toMatch(/undefined|NaN|\[object /);
    return { kind: 'refused', message: err.message };
  }

  const variants = options.variants ?? 1;
  expect(job.bodies).toHaveLength(variants);
  expect(job.seeds).toHaveLength(variants);
  const first = options.seed ?? ctx.randomSeed;
  expect(job.seeds).toEqual(Array.from({ length: variants }, (_, i) => wrapSeed(first + i)));
  for (const [i, body] of job.bodies.entries()) {
    const specErrors = checkAgainstSpec(specPointers.generateImageRequest, body);
    expect(specErrors, JSON.stringify(body).slice(0, 300)).toEqual([]);
    const verdict = checkGenerateRequest(simulatorView, body);
    expect(verdict.ok ? 'accepted' : JSON.stringify(verdict.refusal).slice(0, 500)).toBe('accepted');
    expect(body.seed).toBe(job.seeds[i]);
    expect(body.model).toBe(job.model.id);
    expect(body.safe_mode).toBe(!(ctx.ageRestricted && options.safe_mode === false));
    if (job.model.sizing === 'aspect') {
      expect(body.width).toBeUndefined();
      expect(body.height).toBeUndefined();
    } else {
      expect(body.aspect_ratio).toBeUndefined();
      expect((body.width ?? 0) % job.model.divisor).toBe(0);
      expect((body.height ?? 0) % job.model.divisor).toBe(0);
    }
  }
  return { kind: 'plan', bodies: job.bodies.length };
}

describe('buildImageJob on any input', () => {
  it('returns only requests Venice accepts, or refuses with a UserError', () => {
    const seen = { plans: 0, refusals: 0 };
    fc.assert(
      fc.property(optionsArb, contextArb, (options, ctx) => {
        const outcome = judge(options, ctx);
        seen[outcome.kind === 'plan' ? 'plans' : 'refusals']++;
      }),
      { seed: 20_260_821, numRuns: 5000 },
    );
    // Both branches must be exercised, or the property says little.
    expect(seen.plans).toBeGreaterThan(500);
    expect(seen.refusals).toBeGreaterThan(500);
  });

  it('accepts what a careful user sends for every usable model', () => {
    const careful = fc.record({
      model: fc.constantFrom(...catalog.models.map((m) => m.id)),
      prompt: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 80 }).filter((p) => p.trim() !== ''),
      variants: fc.integer({ min: 1, max: 4 }),
      seed: maybe(fc.integer({ min: SEED_MIN, max: SEED_MAX })),
      style: maybe(fc.constantFrom(...simulatorStyles)),
      format: maybe(formatArb),
    });
    fc.assert(
      fc.property(careful, fc.boolean(), (options, ageRestricted) => {
        expect(judge(options, { ageRestricted, randomSeed: 7, defaultModelId: undefined }).kind).toBe('plan');
      }),
      { seed: 20_260_822, numRuns: 500 },
    );
  });
});
