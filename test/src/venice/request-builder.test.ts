import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import { translator } from '../../../src/i18n/index.js';
import { buildSnapshot } from '../../../src/venice/catalog.js';
import { pricePerImage } from '../../../src/venice/models.js';
import {
  buildImageJob,
  resolveModel,
  SEED_MAX,
  SEED_MIN,
  sizeForRatio,
  wrapSeed,
  type ImageJobPlan,
  type ImagineOptions,
  type RequestContext,
} from '../../../src/venice/request-builder.js';
import { checkGenerateRequest } from '../../support/venice/checks.js';
import { checkAgainstSpec, specPointers } from '../../support/venice/spec.js';
import { modelById, simulatorSnapshot, simulatorView } from './simulator-catalog.js';

const catalog = simulatorSnapshot();
const publicChannel: RequestContext = { ageRestricted: false, randomSeed: 4242, defaultModelId: 'z-image-turbo' };
const ageRestrictedChannel: RequestContext = { ...publicChannel, ageRestricted: true };

function plan(options: Partial<ImagineOptions>, ctx: RequestContext = publicChannel): ImageJobPlan {
  const job = buildImageJob({ prompt: 'a lighthouse at dusk', ...options }, catalog, ctx);
  // Whatever the builder sends must be a request Venice (and its simulator) accepts.
  for (const body of job.bodies) {
    expect(checkAgainstSpec(specPointers.generateImageRequest, body)).toEqual([]);
    const verdict = checkGenerateRequest(simulatorView, body);
    expect(verdict.ok ? 'accepted' : verdict.refusal).toBe('accepted');
  }
  return job;
}

/** The text the user would read when the builder refuses. */
function refusal(options: Partial<ImagineOptions>, ctx: RequestContext = publicChannel): string {
  try {
    buildImageJob({ prompt: 'a lighthouse at dusk', ...options }, catalog, ctx);
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as UserError).message;
  }
  throw new Error('expected the builder to refuse');
}

describe('choosing the model', () => {
  it('uses the model Venice marks as default when the user names none', () => {
    const job = plan({});
    expect(job.model.id).toBe('z-image-turbo');
    expect(job.bodies[0]?.model).toBe('z-image-turbo');
  });

  it('falls back to the first listed model when Venice names no default', () => {
    expect(resolveModel(catalog, undefined, undefined).id).toBe(catalog.models[0]?.id);
    expect(resolveModel(catalog, '   ', 'no-such-default').id).toBe(catalog.models[0]?.id);
  });

  it('finds a model by its display name or id in any case', () => {
    expect(resolveModel(catalog, 'nano banana 2', undefined).id).toBe('nano-banana-2');
    expect(resolveModel(catalog, '  GPT-IMAGE-2 ', undefined).id).toBe('gpt-image-2');
  });

  it('refuses a model Venice does not list, quoting what was typed', () => {
    expect(refusal({ model: 'dall-e-3' })).toMatch(/no image model called `dall-e-3`/);
  });

  it('asks the user to wait while the model list is not loaded', () => {
    const empty = buildSnapshot([], {}, []);
    expect(() => resolveModel(empty, undefined, 'z-image-turbo')).toThrow(UserError);
    expect(() => resolveModel(empty, undefined, 'z-image-turbo')).toThrow(/not loaded yet/);
  });
});

describe('sizing a pixel model', () => {
  it('sends a square 1024x1024 when the user gives no size', () => {
    const body = plan({ model: 'z-image-turbo' }).bodies[0];
    expect(body).toMatchObject({ width: 1024, height: 1024 });
    expect(body?.aspect_ratio).toBeUndefined();
  });

  it('turns a ratio into width and height on the model divisor', () => {
    const wide = plan({ model: 'venice-sd35', aspect_ratio: '21:9' });
    expect(wide.bodies[0]).toMatchObject({ width: 1024, height: 432 });
    expect(wide.sizeLabel).toBe('1024x432');
    const tall = plan({ model: 'z-image-turbo', aspect_ratio: ' 9 : 16 ' });
    expect(tall.bodies[0]).toMatchObject({ width: 576, height: 1024 });
  });

  it('snaps a typed size down to multiples of 8 or 16', () => {
    expect(plan({ model: 'z-image-turbo', aspect_ratio: '1000x700' }).bodies[0]).toMatchObject({ width: 1000, height: 696 });
    expect(plan({ model: 'venice-sd35', aspect_ratio: '1000 × 700' }).bodies[0]).toMatchObject({ width: 992, height: 688 });
    expect(plan({ model: 'chroma', aspect_ratio: '1280X1280' }).bodies[0]).toMatchObject({ width: 1280, height: 1280 });
  });

  it('refuses a side above 1280 pixels or below the divisor', () => {
    expect(refusal({ model: 'z-image-turbo', aspect_ratio: '1281x720' })).toMatch(/between 8 and 1280 pixels/);
    expect(refusal({ model: 'venice-sd35', aspect_ratio: '8x1024' })).toMatch(/between 16 and 1280 pixels/);
  });

  it('refuses ratios beyond 4:1 and text that is neither ratio nor size', () => {
    expect(refusal({ model: 'z-image-turbo', aspect_ratio: '1:5' })).toMatch(/too extreme/);
    expect(refusal({ model: 'z-image-turbo', aspect_ratio: '0:1' })).toMatch(/too extreme/);
    expect(refusal({ model: 'z-image-turbo', aspect_ratio: 'landscape' })).toMatch(/`landscape` is not a size/);
  });

  it('refuses a resolution or quality the model does not offer', () => {
    expect(refusal({ model: 'z-image-turbo', resolution: '2K' })).toMatch(/Z-Image Turbo has no resolution choice/);
    expect(refusal({ model: 'z-image-turbo', quality: 'high' })).toMatch(/Z-Image Turbo has no quality choice/);
  });

  it('keeps every ratio inside 1280 on both divisors', () => {
    for (const divisor of [8, 16]) {
      for (const [w, h] of [[1, 1], [4, 1], [1, 4], [16, 9], [21, 9], [2, 3], [99, 98]] as const) {
        const size = sizeForRatio(w, h, divisor);
        expect(size.width % divisor, `${w}:${h} on ${divisor}`).toBe(0);
        expect(size.height % divisor, `${w}:${h} on ${divisor}`).toBe(0);
        expect(Math.max(size.width, size.height)).toBeLessThanOrEqual(1280);
        expect(Math.min(size.width, size.height)).toBeGreaterThanOrEqual(divisor);
      }
    }
  });
});

describe('sizing an aspect-ratio model', () => {
  it('sends the ratio and never width or height', () => {
    const job = plan({ model: 'qwen-image-2', aspect_ratio: ' 16 : 9 ' });
    expect(job.bodies[0]?.aspect_ratio).toBe('16:9');
    expect(job.bodies[0]).not.toHaveProperty('width');
    expect(job.bodies[0]).not.toHaveProperty('height');
    expect(job.sizeLabel).toBe('16:9');
  });

  it("uses the model's default ratio when none is given", () => {
    expect(plan({ model: 'qwen-image-2' }).bodies[0]?.aspect_ratio).toBe('1:1');
  });

  it('refuses a pixel size or a ratio the model lacks, listing the ones it takes', () => {
    expect(refusal({ model: 'qwen-image-2', aspect_ratio: '1024x768' })).toMatch(/Qwen Image 2 takes one of these aspect ratios: `1:1`, `3:2`, `16:9`/);
    expect(refusal({ model: 'krea-v2-large', aspect_ratio: '21:9' })).toMatch(/`1:1`, `3:2`, `2:3`, `16:9`, `9:16`\.$/);
  });

  it('sends the chosen resolution, in any case, and the default one otherwise', () => {
    const job = plan({ model: 'nano-banana-2', aspect_ratio: '3:2', resolution: '2k' });
    expect(job.bodies[0]).toMatchObject({ aspect_ratio: '3:2', resolution: '2K' });
    expect(job.sizeLabel).toBe('3:2 2K');
    expect(plan({ model: 'nano-banana-2' }).bodies[0]?.resolution).toBe('1K');
    expect(refusal({ model: 'grok-imagine-image', resolution: '4K' })).toMatch(/Grok Imagine takes one of these resolutions: `1K`, `2K`\./);
  });

  it('sends the chosen quality, in any case, and the default one otherwise', () => {
    expect(plan({ model: 'gpt-image-2', quality: ' LOW ' }).bodies[0]?.quality).toBe('low');
    expect(plan({ model: 'gpt-image-2' }).bodies[0]?.quality).toBe('high');
    expect(refusal({ model: 'grok-imagine-image-2-0', quality: 'high' })).toMatch(/Grok Imagine 2.0 takes one of these qualities: `low`, `medium`\./);
    expect(refusal({ model: 'qwen-image-2', quality: 'low' })).toMatch(/Qwen Image 2 has no quality choice/);
  });
});

describe('prompt, steps, cfg and style', () => {
  it('sends the prompt trimmed and refuses an empty one', () => {
    expect(plan({ prompt: '  a red fox  \n' }).bodies[0]?.prompt).toBe('a red fox');
    expect(refusal({ prompt: ' \n\t ' })).toMatch(/The prompt is empty/);
  });

  it("refuses a prompt over the model's limit, naming the limit", () => {
    expect(plan({ model: 'venice-sd35', prompt: 'x'.repeat(1500) }).bodies[0]?.prompt).toHaveLength(1500);
    expect(refusal({ model: 'venice-sd35', prompt: 'x'.repeat(1501) })).toBe(
      'The prompt is 1501 characters; Venice SD35 takes at most 1500. Shorten it and try again.',
    );
    expect(refusal({ model: 'recraft-v4', prompt: 'x'.repeat(1001) })).toMatch(/takes at most 1000/);
  });

  it('caps a generous model at the 7,500 characters the spec allows', () => {
    expect(refusal({ model: 'nano-banana-2', prompt: 'x'.repeat(7501) })).toMatch(/Nano Banana 2 takes at most 7500/);
  });

  it('checks the negative prompt against the same limit and leaves an empty one out', () => {
    expect(refusal({ model: 'venice-sd35', negative_prompt: 'n'.repeat(1501) })).toMatch(/The negative prompt is 1501 characters; Venice SD35 takes at most 1500/);
    expect(plan({ negative_prompt: '   ' }).bodies[0]).not.toHaveProperty('negative_prompt');
    expect(plan({ negative_prompt: ' rain ' }).bodies[0]?.negative_prompt).toBe('rain');
  });

  it("refuses steps above the model's maximum", () => {
    expect(plan({ model: 'z-image-turbo', steps: 8 }).bodies[0]?.steps).toBe(8);
    expect(refusal({ model: 'z-image-turbo', steps: 9 })).toBe('Z-Image Turbo takes between 1 and 8 steps.');
    expect(refusal({ model: 'venice-sd35', steps: 31 })).toBe('Venice SD35 takes between 1 and 30 steps.');
    expect(refusal({ model: 'venice-sd35', steps: 0 })).toMatch(/between 1 and 30/);
  });

  it('refuses a cfg_scale outside (0, 20]', () => {
    expect(plan({ cfg_scale: 20 }).bodies[0]?.cfg_scale).toBe(20);
    expect(refusal({ cfg_scale: 0 })).toMatch(/`cfg_scale` must be above 0 and at most 20/);
    expect(refusal({ cfg_scale: 20.5 })).toMatch(/`cfg_scale`/);
  });

  it('matches a style in any case and sends its exact name', () => {
    const job = plan({ style: '  neon PUNK ' });
    expect(job.bodies[0]?.style_preset).toBe('Neon Punk');
    expect(job.style).toBe('Neon Punk');
  });

  it('refuses an unknown style and points to /styles', () => {
    expect(refusal({ style: 'Vaporwav' })).toBe('There is no style called `Vaporwav`. Pick one from the list, or browse them with `/styles`.');
  });

  it('refuses web search on a model that cannot search', () => {
    expect(refusal({ web_search: true })).toMatch(/Z-Image Turbo cannot search the web/);
  });

  it('sends webp unless asked otherwise, and the flags the user turned on', () => {
    expect(plan({}).bodies[0]?.format).toBe('webp');
    expect(plan({ format: 'png', hide_watermark: true, enhance_prompt: true }).bodies[0]).toMatchObject({ format: 'png', hide_watermark: true, enhance_prompt: true });
    expect(plan({ hide_watermark: false }).bodies[0]).not.toHaveProperty('hide_watermark');
  });
});

describe('safe mode', () => {
  it('is always on outside age-restricted channels', () => {
    expect(plan({}).bodies[0]?.safe_mode).toBe(true);
    expect(plan({ safe_mode: true }).bodies[0]?.safe_mode).toBe(true);
  });

  it('cannot be turned off outside an age-restricted channel', () => {
    expect(refusal({ safe_mode: false })).toMatch(/Safe mode can be turned off only in an age-restricted channel/);
  });

  it('is turned off when asked inside an age-restricted channel, and on by default there', () => {
    expect(plan({ safe_mode: false }, ageRestrictedChannel).bodies[0]?.safe_mode).toBe(false);
    expect(plan({}, ageRestrictedChannel).bodies[0]?.safe_mode).toBe(true);
  });
});

describe('variants and seeds', () => {
  it.each([1, 2, 3, 4])('sends %i separate requests with consecutive seeds', (variants) => {
    const job = plan({ variants, seed: 1000 });
    const expected = Array.from({ length: variants }, (_, i) => 1000 + i);
    expect(job.bodies).toHaveLength(variants);
    expect(job.seeds).toEqual(expected);
    expect(job.bodies.map((b) => b.seed)).toEqual(expected);
    for (const body of job.bodies) expect(body).not.toHaveProperty('variants');
  });

  it("starts from the context's random seed when the user gives none", () => {
    expect(plan({ variants: 2 }).seeds).toEqual([4242, 4243]);
  });

  it('wraps seeds past the top of the range to its bottom', () => {
    expect(plan({ variants: 3, seed: SEED_MAX - 1 }).seeds).toEqual([SEED_MAX - 1, SEED_MAX, SEED_MIN]);
    expect(wrapSeed(SEED_MAX + 1)).toBe(SEED_MIN);
    expect(wrapSeed(SEED_MIN - 1)).toBe(SEED_MAX);
    expect(wrapSeed(0)).toBe(0);
    expect(plan({}, { ...publicChannel, randomSeed: SEED_MAX + 5 }).seeds).toEqual([SEED_MIN + 4]);
  });

  it('refuses variants outside 1..4 or above the configured maximum', () => {
    expect(refusal({ variants: 0 })).toBe('`variants` must be between 1 and 4.');
    expect(refusal({ variants: 5 })).toBe('`variants` must be between 1 and 4.');
    expect(refusal({ variants: 3 }, { ...publicChannel, maxVariants: 2 })).toBe('`variants` must be between 1 and 2.');
  });

  it('refuses a seed outside the range Venice takes', () => {
    expect(refusal({ seed: SEED_MAX + 1 })).toMatch(/`seed` must be a whole number between -999999999 and 999999999/);
    expect(refusal({ seed: 1.5 })).toMatch(/`seed` must be a whole number/);
    expect(plan({ seed: SEED_MIN }).seeds).toEqual([SEED_MIN]);
  });
});

describe('price', () => {
  it('uses the flat per-image price and multiplies by the variants', () => {
    const job = plan({ model: 'z-image-turbo', variants: 3 });
    expect(job.pricePerImageUsd).toBe(0.01);
    expect(job.totalPriceUsd).toBe(0.03);
  });

  it('uses the price of the chosen resolution', () => {
    expect(plan({ model: 'nano-banana-2', resolution: '2K' }).pricePerImageUsd).toBe(0.14);
    expect(plan({ model: 'nano-banana-2', resolution: '4K', variants: 2 }).totalPriceUsd).toBe(0.38);
  });

  it('uses the quality matrix over the resolution price when the model has one', () => {
    expect(plan({ model: 'gpt-image-2', quality: 'low' }).pricePerImageUsd).toBe(0.02);
    expect(plan({ model: 'gpt-image-2', resolution: '4K', quality: 'medium' }).pricePerImageUsd).toBe(0.21);
    expect(plan({ model: 'gpt-image-2' }).pricePerImageUsd).toBe(0.26);
  });

  it('reads the defaults when no choice is given, and nothing when Venice lists no price', () => {
    const grok2 = modelById(catalog, 'grok-imagine-image-2-0');
    expect(pricePerImage(grok2, {})).toBe(0.07);
    expect(pricePerImage({ ...grok2, pricing: {} }, {})).toBeUndefined();
    expect(plan({ model: 'z-image-turbo' }).totalPriceUsd).toBe(0.01);
  });
});

describe('a refusal in the reader’s language', () => {
  /** What a member with this Discord locale reads when the builder refuses. */
  function readAs(locale: string, options: Partial<ImagineOptions>): string {
    try {
      buildImageJob({ prompt: 'a lighthouse at dusk', ...options }, catalog, publicChannel);
    } catch (err) {
      return translator(locale).render((err as UserError).said);
    }
    throw new Error('expected the builder to refuse');
  }

  it('keeps what the member typed and the values they can type as they are', () => {
    expect(readAs('zh-CN', { seed: 1.5 })).toBe(`种子必须是 ${SEED_MIN} 到 ${SEED_MAX} 之间的整数。`);
    expect(readAs('es-ES', { model: 'z-image-turbo', aspect_ratio: 'landscape' })).toBe('`landscape` no es un tamaño. Usa una relación como `16:9` o un tamaño como `1024x768`.');
    expect(readAs('es-419', { safe_mode: false })).toMatch(/^El modo seguro solo se puede desactivar en un canal con restricción de edad/);
    expect(readAs('zh-CN', { model: 'qwen-image-2', aspect_ratio: '1024x768' })).toMatch(/^Qwen Image 2 支持以下宽高比：`1:1`, `3:2`, `16:9`/);
  });

  it('falls back to English for a locale the bot does not speak', () => {
    expect(readAs('fr', { prompt: '  ' })).toBe('The prompt is empty. Describe the image you want.');
  });
});
