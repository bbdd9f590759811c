import { describe, expect, it } from 'vitest';
import { formatUsd, lowestPrice, pricePerImage, SPEC_PROMPT_LIMIT, toImageModel } from '../../../src/venice/models.js';
import { imageModelSchema } from '../../../src/venice/schemas.js';
import { simulatorModels } from '../../support/venice/catalogue.js';
import { modelById, simulatorImageModels, simulatorSnapshot } from './simulator-catalog.js';

const wire = (id: string) => {
  const entry = simulatorModels.find((m) => m.id === id);
  if (!entry) throw new Error(`no ${id} in the simulator catalogue`);
  return imageModelSchema.parse(entry);
};

describe('reading the model list', () => {
  it('skips offline models and the background remover, keeping every other listed model', () => {
    expect(toImageModel(wire('pony-realism'))).toBeUndefined();
    expect(toImageModel(wire('bria-bg-remover'))).toBeUndefined();
    const ids = simulatorImageModels().map((m) => m.id);
    expect(ids).toHaveLength(simulatorModels.length - 2);
    expect(ids).not.toContain('pony-realism');
    expect(ids).not.toContain('bria-bg-remover');
  });

  it('reads a pixel model with its divisor, steps and traits', () => {
    expect(toImageModel(wire('z-image-turbo'))).toMatchObject({
      id: 'z-image-turbo',
      name: 'Z-Image Turbo',
      sizing: 'pixels',
      divisor: 8,
      aspectRatios: [],
      promptLimit: 7500,
      steps: { default: 8, max: 8 },
      fast: true,
      uncensored: false,
      deprecated: undefined,
    });
    expect(toImageModel(wire('venice-sd35'))).toMatchObject({ sizing: 'pixels', divisor: 16, promptLimit: 1500 });
    expect(toImageModel(wire('lustify-v8'))?.uncensored).toBe(true);
  });

  it('reads an aspect-ratio model with its resolutions and qualities', () => {
    expect(toImageModel(wire('gpt-image-2'))).toMatchObject({
      sizing: 'aspect',
      aspectRatios: ['1:1', '3:2', '16:9', '21:9', '9:16', '2:3', '3:4', '4:5'],
      defaultAspectRatio: '1:1',
      resolutions: ['1K', '2K', '4K'],
      defaultResolution: '1K',
      qualities: ['low', 'medium', 'high'],
      defaultQuality: 'high',
    });
  });

  it('caps the prompt limit at what the spec allows', () => {
    expect(toImageModel(wire('nano-banana-2'))?.promptLimit).toBe(SPEC_PROMPT_LIMIT);
  });

  it('keeps the deprecation date and replacement', () => {
    expect(toImageModel(wire('hidream'))?.deprecated).toEqual({ date: '2026-09-30T00:00:00.000Z', replacement: 'z-image-turbo' });
  });

  it('falls back to the first listed ratio, resolution and quality when Venice names no default', () => {
    const model = toImageModel({
      id: 'bare',
      model_spec: { constraints: { promptCharacterLimit: 100, aspectRatios: ['4:3', '1:1'], resolutions: ['2K'], qualities: ['medium'] } },
    });
    expect(model).toMatchObject({ name: 'bare', defaultAspectRatio: '4:3', defaultResolution: '2K', defaultQuality: 'medium', divisor: 1, pricing: {} });
  });
});

describe('prices', () => {
  const catalog = simulatorSnapshot();

  it('reads a flat price', () => {
    expect(pricePerImage(modelById(catalog, 'flux-2-pro'), {})).toBe(0.03);
  });

  it('reads a price per resolution, defaulting to the default resolution', () => {
    const nano = modelById(catalog, 'nano-banana-2');
    expect(pricePerImage(nano, {})).toBe(0.1);
    expect(pricePerImage(nano, { resolution: '4K' })).toBe(0.19);
  });

  it('reads the quality matrix by resolution and quality', () => {
    const gpt = modelById(catalog, 'gpt-image-2');
    expect(pricePerImage(gpt, { resolution: '1K', quality: 'low' })).toBe(0.02);
    expect(pricePerImage(gpt, { resolution: '2K', quality: 'high' })).toBe(0.5);
    // A quality the matrix lacks falls back to the resolution's own price.
    const grok2 = modelById(catalog, 'grok-imagine-image-2-0');
    expect(pricePerImage(grok2, { resolution: '2K', quality: 'high' })).toBe(0.1);
  });

  it('finds the cheapest listed price for autocomplete labels', () => {
    expect(lowestPrice(modelById(catalog, 'gpt-image-2'))).toBe(0.02);
    expect(lowestPrice(modelById(catalog, 'nano-banana-pro'))).toBe(0.18);
    expect(lowestPrice(modelById(catalog, 'z-image-turbo'))).toBe(0.01);
    expect(lowestPrice({ ...modelById(catalog, 'z-image-turbo'), pricing: {} })).toBeUndefined();
  });

  it('shows cents to three places below ten cents and two above', () => {
    expect(formatUsd(0.01)).toBe('$0.01');
    expect(formatUsd(0.005)).toBe('$0.005');
    expect(formatUsd(0.09375)).toBe('$0.094');
    expect(formatUsd(0.1)).toBe('$0.10');
    expect(formatUsd(0.26)).toBe('$0.26');
    expect(formatUsd(1.5)).toBe('$1.50');
  });
});
