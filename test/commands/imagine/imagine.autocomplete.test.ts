import { describe, expect, it } from 'vitest';
import {
  modelLabel,
  suggestModels,
  suggestQualities,
  suggestResolutions,
  suggestSizes,
  suggestStyles,
} from '../../../commands/imagine/imagine.autocomplete.js';
import type { AutocompleteChoice } from '../../../src/discord/command.js';
import { en, translator } from '../../../src/i18n/index.js';
import { modelById, simulatorSnapshot } from '../../src/venice/simulator-catalog.js';

const catalog = simulatorSnapshot();

/** What Discord accepts in an autocomplete answer. */
function expectValidAnswer(choices: AutocompleteChoice[]): void {
  expect(choices.length).toBeLessThanOrEqual(25);
  for (const c of choices) {
    expect(c.name.length).toBeGreaterThan(0);
    expect(c.name.length).toBeLessThanOrEqual(100);
    expect(c.value.length).toBeLessThanOrEqual(100);
  }
}

describe('model suggestions', () => {
  it('offer at most 25 models, each with a label Discord accepts', () => {
    const choices = suggestModels(en, catalog, '');
    expect(catalog.models.length).toBeGreaterThan(25);
    expect(choices).toHaveLength(25);
    expectValidAnswer(choices);
    expect(choices.every((c) => catalog.byId.has(c.value))).toBe(true);
  });

  it('show the price per image and mark fast and uncensored models', () => {
    expect(modelLabel(en, modelById(catalog, 'z-image-turbo'))).toBe('Z-Image Turbo · $0.01/image · ⚡ fast');
    expect(modelLabel(en, modelById(catalog, 'lustify-v8'))).toBe('Lustify v8 · $0.01/image · 🔓 uncensored');
    expect(modelLabel(en, modelById(catalog, 'flux-2-max'))).toBe('Flux 2 Max · $0.09/image');
  });

  it('show the lowest price as "from" when resolution or quality changes it', () => {
    expect(modelLabel(en, modelById(catalog, 'gpt-image-2'))).toBe('GPT Image 2 · from $0.02/image');
    expect(modelLabel(en, modelById(catalog, 'nano-banana-pro'))).toBe('Nano Banana Pro · from $0.18/image');
  });

  it('mark deprecated models', () => {
    expect(modelLabel(en, modelById(catalog, 'hidream'))).toBe('HiDream · $0.01/image · ⚠️ deprecated');
  });

  it('shorten a very long model name, keeping the price and marks within 100 characters', () => {
    const label = modelLabel(en, { ...modelById(catalog, 'hidream'), name: 'A'.repeat(150) });
    expect(label.length).toBe(100);
    expect(label).toMatch(/A… · \$0\.01\/image · ⚠️ deprecated$/);
  });

  it('filter by the typed text, in id or name, prefix matches first', () => {
    expect(suggestModels(en, catalog, 'nano').map((c) => c.value)).toEqual(['nano-banana-2', 'nano-banana-2-lite', 'nano-banana-pro']);
    expect(suggestModels(en, catalog, 'BANANA').map((c) => c.value)).toEqual(['nano-banana-2', 'nano-banana-2-lite', 'nano-banana-pro']);
    expect(suggestModels(en, catalog, 'Turbo').map((c) => c.value)).toEqual(['z-image-turbo', 'krea-2-turbo'].sort((a, b) => catalogOrder(a) - catalogOrder(b)));
    expect(suggestModels(en, catalog, 'sd').map((c) => c.value)).toEqual(['lustify-sdxl', 'venice-sd35']);
    const imagine = suggestModels(en, catalog, 'imagine').map((c) => c.value);
    expect(imagine[0]).toBe('imagineart-1.5-pro');
    expect(imagine.slice(1)).toEqual(['grok-imagine-image', 'grok-imagine-image-2-0', 'grok-imagine-image-quality']);
    expect(suggestModels(en, catalog, 'no such model')).toEqual([]);
  });

  it('put deprecated models last, whatever matched', () => {
    const h = suggestModels(en, catalog, 'h').map((c) => c.value);
    expect(h).toContain('hidream');
    expect(h.at(-1)).toBe('hidream');
    expect(suggestModels(en, catalog, 'dream').map((c) => c.value)).toEqual(['seedream-v4', 'seedream-v5-lite', 'seedream-v5-pro', 'hidream']);
    expect(suggestModels(en, catalog, '').map((c) => c.value)).not.toContain('hidream');
  });

  it('offer only the models a server allows, when it limits them', () => {
    expect(suggestModels(en, catalog, '', new Set(['venice-sd35', 'gpt-image-2'])).map((c) => c.value)).toEqual(['gpt-image-2', 'venice-sd35']);
  });
});

function catalogOrder(id: string): number {
  return catalog.models.findIndex((m) => m.id === id);
}

describe('style suggestions', () => {
  it('offer the first 25 styles with nothing typed', () => {
    const choices = suggestStyles(catalog, '');
    expect(choices).toHaveLength(25);
    expect(choices[0]).toEqual({ name: '3D Model', value: '3D Model' });
    expectValidAnswer(choices);
  });

  it('filter by the typed text in any case, names starting with it first', () => {
    const cyber = suggestStyles(catalog, 'CYBER').map((c) => c.value);
    expect(cyber).toEqual(['Cybernetic', 'Cyberpunk', 'Retro Cyberpunk']);
    const punk = suggestStyles(catalog, 'punk').map((c) => c.value);
    expect(punk).toEqual(expect.arrayContaining(['Neon Punk', 'Steampunk', 'Cyberpunk', 'Solarpunk', 'Dieselpunk']));
    expect(suggestStyles(catalog, 'zzz')).toEqual([]);
  });
});

describe('size suggestions', () => {
  it('offer pixel sizes on the divisor of a pixel model', () => {
    for (const id of ['venice-sd35', 'z-image-turbo']) {
      const model = modelById(catalog, id);
      const choices = suggestSizes(en, model, '');
      expectValidAnswer(choices);
      expect(choices.length).toBeGreaterThan(5);
      for (const c of choices) {
        const [w, h] = c.value.split('x').map(Number);
        expect(w! % model.divisor, c.value).toBe(0);
        expect(h! % model.divisor, c.value).toBe(0);
        expect(Math.max(w!, h!)).toBeLessThanOrEqual(1280);
      }
      expect(choices[0]).toEqual({ name: '1024x1024 · 1:1 square', value: '1024x1024' });
    }
  });

  it('turn a typed size into the nearest size the model takes', () => {
    expect(suggestSizes(en, modelById(catalog, 'venice-sd35'), '1000x700')).toEqual([
      { name: '992x688 (fits Venice SD35: multiples of 16, at most 1280)', value: '992x688' },
    ]);
    expect(suggestSizes(en, modelById(catalog, 'z-image-turbo'), '4000 x 3000')[0]?.value).toBe('1280x1280');
  });

  it('filter pixel sizes by what is typed', () => {
    const wide = suggestSizes(en, modelById(catalog, 'z-image-turbo'), '16:9');
    expect(wide).toEqual([{ name: '1024x576 · 16:9 widescreen', value: '1024x576' }]);
    expect(suggestSizes(en, modelById(catalog, 'z-image-turbo'), 'portrait').map((c) => c.value)).toEqual(['680x1024', '768x1024', '816x1024']);
  });

  it("offer an aspect-ratio model's own ratios, its default marked", () => {
    const choices = suggestSizes(en, modelById(catalog, 'krea-v2-large'), '');
    expect(choices).toEqual([
      { name: '1:1 (default)', value: '1:1' },
      { name: '3:2', value: '3:2' },
      { name: '2:3', value: '2:3' },
      { name: '16:9', value: '16:9' },
      { name: '9:16', value: '9:16' },
    ]);
    expect(suggestSizes(en, modelById(catalog, 'qwen-image-2'), '9').map((c) => c.value)).toEqual(['9:16', '16:9', '21:9']);
  });

  it('offer nothing when the model is unknown', () => {
    expect(suggestSizes(en, undefined, '')).toEqual([]);
  });
});

describe('resolution and quality suggestions', () => {
  it("offer the chosen model's resolutions, its default marked", () => {
    expect(suggestResolutions(en, modelById(catalog, 'nano-banana-2'), '')).toEqual([
      { name: '1K (default)', value: '1K' },
      { name: '2K', value: '2K' },
      { name: '4K', value: '4K' },
    ]);
    expect(suggestResolutions(en, modelById(catalog, 'nano-banana-2'), '4').map((c) => c.value)).toEqual(['4K']);
  });

  it("offer the chosen model's qualities, its default marked", () => {
    expect(suggestQualities(en, modelById(catalog, 'gpt-image-2'), '')).toEqual([
      { name: 'low', value: 'low' },
      { name: 'medium', value: 'medium' },
      { name: 'high (default)', value: 'high' },
    ]);
  });

  it('offer nothing for a model without them, or no model', () => {
    expect(suggestResolutions(en, modelById(catalog, 'z-image-turbo'), '')).toEqual([]);
    expect(suggestQualities(en, modelById(catalog, 'nano-banana-2'), '')).toEqual([]);
    expect(suggestResolutions(en, undefined, '')).toEqual([]);
    expect(suggestQualities(en, undefined, 'h')).toEqual([]);
  });
});

describe('suggestions in the member’s language', () => {
  const zh = translator('zh-CN');
  const es = translator('es-419');

  it('say the price and marks in Chinese and Spanish, keeping Venice’s model names', () => {
    expect(modelLabel(zh, modelById(catalog, 'z-image-turbo'))).toBe('Z-Image Turbo · US$0.01/张 · ⚡ 快速');
    // Intl puts a no-break space between the amount and the currency.
    expect(modelLabel(es, modelById(catalog, 'gpt-image-2'))).toBe('GPT Image 2 · desde USD\u00a00.02/imagen');
    expect(modelLabel(translator('es-ES'), modelById(catalog, 'hidream'))).toBe('HiDream · 0,01\u00a0US$/imagen · ⚠️ obsoleto');
  });

  it('name the shapes of pixel sizes, and still find them by their English name', () => {
    const model = modelById(catalog, 'z-image-turbo');
    expect(suggestSizes(zh, model, '')[0]).toEqual({ name: '1024x1024 · 1:1 方形', value: '1024x1024' });
    expect(suggestSizes(es, model, 'portrait').map((c) => c.value)).toEqual(suggestSizes(en, model, 'portrait').map((c) => c.value));
    expect(suggestSizes(es, model, 'vertical').map((c) => c.value)).toEqual(['680x1024', '768x1024', '816x1024']);
  });

  it('mark the default in the reader’s language and stay within Discord’s 100 characters', () => {
    expect(suggestResolutions(zh, modelById(catalog, 'nano-banana-2'), '')[0]).toEqual({ name: '1K（默认）', value: '1K' });
    expect(suggestQualities(es, modelById(catalog, 'gpt-image-2'), 'high')).toEqual([{ name: 'high (predeterminado)', value: 'high' }]);
    const long = { ...modelById(catalog, 'venice-sd35'), name: 'B'.repeat(95) };
    for (const t of [en, zh, es]) expectValidAnswer(suggestSizes(t, long, '1000x700'));
  });
});
