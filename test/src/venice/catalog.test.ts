import { describe, expect, it } from 'vitest';
import { buildSnapshot } from '../../../src/venice/catalog.js';
import { simulatorStyles, simulatorTraits } from '../../support/venice/catalogue.js';
import { simulatorImageModels } from './simulator-catalog.js';

describe('a catalog snapshot', () => {
  const models = simulatorImageModels();
  const snapshot = buildSnapshot(models, { ...simulatorTraits }, [...simulatorStyles], 1234);

  it('finds every model by its id', () => {
    expect(snapshot.byId.size).toBe(models.length);
    expect(snapshot.byId.get('gpt-image-2')?.name).toBe('GPT Image 2');
  });

  it('maps lower-cased style names to the exact names Venice matches', () => {
    expect(snapshot.styleByLower.get('neon punk')).toBe('Neon Punk');
    expect(snapshot.styleByLower.get("children's book")).toBe("Children's Book");
    expect(snapshot.styleByLower.get('Neon Punk')).toBeUndefined();
    expect(snapshot.styleByLower.size).toBe(simulatorStyles.length);
  });

  it('keeps the traits and the load time', () => {
    expect(snapshot.traits['default']).toBe('z-image-turbo');
    expect(snapshot.loadedAt).toBe(1234);
  });
});
