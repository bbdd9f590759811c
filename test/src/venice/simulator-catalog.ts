import { simulatorModels, simulatorStyles, simulatorTraits } from '../../support/venice/catalogue.js';
import type { CatalogueView } from '../../support/venice/checks.js';
import { buildSnapshot, type CatalogSnapshot } from '../../../src/venice/catalog.js';
import { toImageModel, type ImageModel } from '../../../src/venice/models.js';
import { imageModelSchema } from '../../../src/venice/schemas.js';

/** The simulator's model list as the bot reads it: each entry parsed like a Venice answer, unusable ones skipped. */
export function simulatorImageModels(): ImageModel[] {
  return simulatorModels.map((wire) => toImageModel(imageModelSchema.parse(wire))).filter((m): m is ImageModel => m !== undefined);
}

/** The catalog snapshot the bot would hold after loading the simulator's models, traits and styles. */
export function simulatorSnapshot(): CatalogSnapshot {
  return buildSnapshot(simulatorImageModels(), { ...simulatorTraits }, [...simulatorStyles], 1_700_000_000_000);
}

/** What the simulator judges requests against: the same catalogue, unparsed. */
export const simulatorView: CatalogueView = { models: simulatorModels, traits: simulatorTraits, styles: new Set(simulatorStyles) };

/** A model from the snapshot by id; fails loudly so a renamed fixture is noticed. */
export function modelById(snapshot: CatalogSnapshot, id: string): ImageModel {
  const model = snapshot.byId.get(id);
  if (!model) throw new Error(`no model ${id} in the simulator catalogue`);
  return model;
}
