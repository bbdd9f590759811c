import { describe, expect, it } from 'vitest';
import { renderResult, renderViolationNotice, type ResultSummary } from '../../../commands/imagine/imagine.view.js';
import type { VariantOutcome } from '../../../src/jobs/image-job.js';
import { en } from '../../../src/i18n/index.js';
import { VeniceError } from '../../../src/venice/errors.js';
import type { GeneratedImages } from '../../../src/venice/types.js';

const summary: ResultSummary = {
  prompt: 'a lighthouse at dusk, @everyone look',
  modelName: 'HiDream',
  sizeLabel: '1024x576',
  style: 'Cinematic',
  pricePerImageUsd: 0.01,
};

const image = (label: string) => Buffer.from(`fake image bytes ${label}`);

function posted(index: number, seed: number, result: Partial<GeneratedImages> = {}): VariantOutcome {
  return { index, seed, ok: true, result: { images: [image(String(index))], format: 'webp', blurred: false, contentViolation: false, ...result } };
}

function failed(index: number, seed: number | undefined, error: unknown): VariantOutcome {
  return { index, seed, ok: false, error };
}

describe('the posted result of an image job', () => {
  const outcomes: VariantOutcome[] = [
    posted(0, 100, { timingMs: 3200, deprecation: { date: '2026-09-30T00:00:00.000Z', replacement: 'z-image-turbo' } }),
    posted(1, 101, { blurred: true, timingMs: 4100 }),
    posted(2, 102, { contentViolation: true, images: [image('blacked out')] }),
    failed(3, 103, new VeniceError('bad_request', 'Venice answered 400 to /image/generate', { status: 400, veniceMessage: 'Invalid style_preset' })),
  ];
  const message = renderResult(en, summary, outcomes);

  it('attaches each posted image under its variant number', () => {
    expect(message.files.map((f) => f.name)).toEqual(['image-1.webp', 'SPOILER_image-2.webp']);
    expect(message.files[0]?.attachment.equals(image('0'))).toBe(true);
    expect(message.files[1]?.attachment.equals(image('1'))).toBe(true);
  });

  it('spoiler-tags exactly the images Venice said were blurred', () => {
    expect(message.files.filter((f) => f.name.startsWith('SPOILER_')).map((f) => f.name)).toEqual(['SPOILER_image-2.webp']);
  });

  it('never attaches an image Venice flagged as a content violation', () => {
    expect(message.files.some((f) => f.attachment.equals(image('blacked out')))).toBe(false);
    expect(message.files.some((f) => f.name.includes('image-3'))).toBe(false);
    expect(message.content).toContain('1 image was withheld: Venice flagged it as a content violation.');
  });

  it("describes a failed variant with its seed and Venice's reason", () => {
    expect(message.content).toContain(
      'Image 4 (seed 103) failed: Venice refused the request. Change the options and try again. Venice said: “Invalid style_preset”',
    );
  });

  it('warns that the model is deprecated', () => {
    expect(message.content.split('\n')[0]).toBe('⚠️ HiDream is deprecated and will be removed on Sep 30, 2026; use `z-image-turbo` instead.');
  });

  it('lists model, seeds, size, style, price and time in the embed', () => {
    const embed = message.embeds[0];
    expect(embed?.description).toBe(summary.prompt);
    expect(embed?.fields).toEqual([
      { name: 'Model', value: 'HiDream', inline: true },
      { name: 'Seeds', value: '100, 101', inline: true },
      { name: 'Size', value: '1024x576', inline: true },
      { name: 'Style', value: 'Cinematic', inline: true },
      { name: 'Price', value: '$0.02 (2 × $0.01)', inline: true },
      { name: 'Venice time', value: '4.1 s', inline: true },
    ]);
  });

  it('pings nobody, whatever the prompt says', () => {
    expect(message.allowedMentions.parse).toEqual([]);
  });
});

describe('edge cases of the result', () => {
  it('shortens a long prompt in the embed to 1,000 characters', () => {
    const message = renderResult(en, { ...summary, prompt: 'p'.repeat(5000) }, [posted(0, 1)]);
    const description = message.embeds[0]?.description ?? '';
    expect(description).toHaveLength(1000);
    expect(description.endsWith('…')).toBe(true);
  });

  it('names files by format, jpeg as .jpg', () => {
    const message = renderResult(en, summary, [posted(0, 1, { format: 'jpeg' }), posted(1, 2, { format: 'png', blurred: true })]);
    expect(message.files.map((f) => f.name)).toEqual(['image-1.jpg', 'SPOILER_image-2.png']);
  });

  it('says "Seed" for one image, "random" for none, and leaves out what is unknown', () => {
    const one = renderResult(en, { ...summary, style: undefined, pricePerImageUsd: undefined }, [posted(0, 42)]);
    expect(one.embeds[0]?.fields).toEqual([
      { name: 'Model', value: 'HiDream', inline: true },
      { name: 'Seed', value: '42', inline: true },
      { name: 'Size', value: '1024x576', inline: true },
    ]);
    expect(one.content).toBe('');
    const unseeded = renderResult(en, summary, [{ index: 0, seed: undefined, ok: true, result: { images: [image('x')], format: 'png', blurred: false, contentViolation: false } }]);
    expect(unseeded.embeds[0]?.fields?.[1]).toEqual({ name: 'Seed', value: 'random', inline: true });
  });

  it('hides the details of a failure on our side', () => {
    const message = renderResult(en, summary, [posted(0, 1), failed(1, undefined, new TypeError('Cannot read properties of undefined (reading "x")'))]);
    expect(message.content).toBe('Image 2 failed: It failed for a reason on our side.');
    expect(message.content).not.toContain('Cannot read');
  });

  it('counts several withheld images in the plural', () => {
    const message = renderResult(en, summary, [posted(0, 1), posted(1, 2, { contentViolation: true }), posted(2, 3, { contentViolation: true })]);
    expect(message.content).toBe('2 images were withheld: Venice flagged them as a content violation.');
    expect(message.files.map((f) => f.name)).toEqual(['image-1.webp']);
  });

  it('tells how long to wait when a variant was rate-limited', () => {
    const message = renderResult(en, summary, [posted(0, 1), failed(1, 2, new VeniceError('rate_limited', 'Venice answered 429', { retryAfterMs: 20_000 }))]);
    expect(message.content).toBe('Image 2 (seed 2) failed: Venice is rate-limiting the bot right now. Try again in 20 s.');
  });
});

describe('the notice for images Venice refused', () => {
  it('speaks of the one image', () => {
    expect(renderViolationNotice(en, 1, 1)).toBe(
      'The image could not be posted: Venice refused the content as a violation of its usage policy. Change the prompt and try again.',
    );
  });

  it('speaks of all the images, or of how many of them', () => {
    expect(renderViolationNotice(en, 3, 3)).toMatch(/^All the images could not be posted/);
    expect(renderViolationNotice(en, 1, 3)).toMatch(/^1 of the 3 images could not be posted: .* Change the prompt and try again\.$/);
  });
});
