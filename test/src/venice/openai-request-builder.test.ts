import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import { translator } from '../../../src/i18n/index.js';
import { buildOpenAiJob, OPENAI_SIZES, type OpenAiJobPlan } from '../../../src/venice/openai-request-builder.js';
import type { ImagineOptions } from '../../../src/venice/request-builder.js';
import { checkSimpleGenerateRequest } from '../../support/venice/checks.js';
import { checkAgainstSpec, specPointers } from '../../support/venice/spec.js';
import { simulatorView } from './simulator-catalog.js';

const publicChannel = { ageRestricted: false };

function plan(options: Partial<ImagineOptions>, ctx: { ageRestricted: boolean; maxVariants?: number } = publicChannel): OpenAiJobPlan {
  const job = buildOpenAiJob({ prompt: 'a lighthouse at dusk', ...options }, ctx);
  for (const body of job.bodies) {
    expect(checkAgainstSpec(specPointers.simpleGenerateImageRequest, body)).toEqual([]);
    const verdict = checkSimpleGenerateRequest(simulatorView, body);
    expect(verdict.ok ? 'accepted' : verdict.refusal).toBe('accepted');
  }
  return job;
}

function refusal(options: Partial<ImagineOptions>, ctx: { ageRestricted: boolean; maxVariants?: number } = publicChannel): string {
  try {
    buildOpenAiJob({ prompt: 'a lighthouse at dusk', ...options }, ctx);
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as UserError).message;
  }
  throw new Error('expected the builder to refuse');
}

describe('the OpenAI-compatible request', () => {
  it('sends one square image with safe moderation by default', () => {
    const job = plan({});
    expect(job.bodies).toEqual([{ prompt: 'a lighthouse at dusk', n: 1, size: '1024x1024', output_format: 'webp', moderation: 'auto' }]);
    expect(job.sizeLabel).toBe('1024x1024');
  });

  it.each([
    ['1:1', '1024x1024'],
    ['3:2', '1536x1024'],
    ['2:3', '1024x1536'],
    [' 16 : 9 ', '1792x1024'],
    ['9:16', '1024x1792'],
  ])('maps the ratio %s to the size %s', (ratio, size) => {
    expect(plan({ aspect_ratio: ratio }).bodies[0]?.size).toBe(size);
  });

  it('takes any size the endpoint lists, in any case', () => {
    for (const size of OPENAI_SIZES) expect(plan({ aspect_ratio: size.toUpperCase() }).sizeLabel).toBe(size);
  });

  it('refuses a size the endpoint lacks, listing the ones it takes', () => {
    const message = refusal({ aspect_ratio: '21:9' });
    expect(message).toMatch(/^This endpoint takes one of these sizes: `1:1`, .*`1024x1792`\.$/);
    expect(refusal({ aspect_ratio: '1000x1000' })).toMatch(/takes one of these sizes/);
  });

  it('refuses every option the endpoint cannot express, naming each one', () => {
    expect(refusal({ style: 'Anime' })).toBe('This bot talks to an OpenAI-style image endpoint, which cannot take `style`. Leave it out and try again.');
    const message = refusal({ negative_prompt: 'rain', seed: 0, steps: 4, cfg_scale: 7, resolution: '2K', quality: 'high', hide_watermark: true, enhance_prompt: true, web_search: true });
    for (const name of ['negative_prompt', 'seed', 'steps', 'cfg_scale', 'resolution', 'quality', 'hide_watermark', 'enhance_prompt', 'web_search']) {
      expect(message).toContain(`\`${name}\``);
    }
    expect(message).toMatch(/Leave them out/);
  });

  it('says "it" for one option and "them" for several, in each language', () => {
    const said = (options: Partial<ImagineOptions>, locale: string) => {
      try {
        buildOpenAiJob({ prompt: 'a lighthouse at dusk', ...options }, publicChannel);
      } catch (err) {
        return translator(locale).render((err as UserError).said);
      }
      throw new Error('expected the builder to refuse');
    };
    expect(said({ seed: 1 }, 'en-US')).toBe('This bot talks to an OpenAI-style image endpoint, which cannot take `seed`. Leave it out and try again.');
    expect(said({ seed: 1 }, 'es-ES')).toMatch(/no admite `seed`\. Quita esa opción/);
    expect(said({ seed: 1, steps: 4 }, 'es-419')).toMatch(/no admite `seed`, `steps`\. Quita esas opciones/);
    expect(said({ seed: 1, steps: 4 }, 'zh-CN')).toBe('本机器人连接的是 OpenAI 风格的图片接口，无法使用 `seed`, `steps`。请去掉后重试。');
  });

  it('lets switched-off flags and empty text through', () => {
    expect(plan({ hide_watermark: false, enhance_prompt: false, web_search: false, style: '' }).bodies).toHaveLength(1);
  });

  it('refuses an empty prompt and one over 1,500 characters', () => {
    expect(refusal({ prompt: '   ' })).toMatch(/The prompt is empty/);
    expect(plan({ prompt: 'x'.repeat(1500) }).bodies[0]?.prompt).toHaveLength(1500);
    expect(refusal({ prompt: 'x'.repeat(1501) })).toBe('The prompt is 1501 characters; this endpoint takes at most 1500.');
  });

  it('turns moderation low only when asked in an age-restricted channel', () => {
    expect(refusal({ safe_mode: false })).toMatch(/Safe mode can be turned off only in an age-restricted channel/);
    expect(plan({ safe_mode: false }, { ageRestricted: true }).bodies[0]?.moderation).toBe('low');
    expect(plan({}, { ageRestricted: true }).bodies[0]?.moderation).toBe('auto');
  });

  it('sends one request per variant, since the endpoint makes one image per call', () => {
    const job = plan({ variants: 3, model: ' z-image-turbo ', format: 'png' });
    expect(job.bodies).toHaveLength(3);
    for (const body of job.bodies) expect(body).toMatchObject({ n: 1, model: 'z-image-turbo', output_format: 'png' });
    expect(refusal({ variants: 5 })).toBe('`variants` must be between 1 and 4.');
    expect(refusal({ variants: 2 }, { ageRestricted: false, maxVariants: 1 })).toBe('`variants` must be between 1 and 1.');
  });
});
