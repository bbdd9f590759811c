import type { Logger } from '../logger.js';
import type { VeniceClient } from './client.js';
import { toEditModel, type EditModel } from './edit-models.js';
import { toImageModel, type ImageModel } from './models.js';
import type { TextModelWire } from './schemas.js';

/** A text model as /describe reasons about it: whether it sees images, and its price per token. */
export interface TextModel {
  id: string;
  name: string;
  /** `model_spec.capabilities.supportsVision`: it takes `image_url` parts. */
  vision: boolean;
  /** USD per million input and output tokens; undefined when Venice lists no price. */
  pricing: { inputUsd: number; outputUsd: number } | undefined;
  /** The most `max_completion_tokens` the model takes, when Venice says. */
  maxCompletionTokens: number | undefined;
  traits: string[];
}

export function toTextModel(wire: TextModelWire): TextModel | undefined {
  const spec = wire.model_spec;
  if (spec.offline === true) return undefined;
  const input = spec.pricing?.input?.usd;
  const output = spec.pricing?.output?.usd;
  return {
    id: wire.id,
    name: spec.name ?? wire.id,
    vision: spec.capabilities?.supportsVision === true,
    pricing: input !== undefined && output !== undefined ? { inputUsd: input, outputUsd: output } : undefined,
    maxCompletionTokens: spec.maxCompletionTokens,
    traits: spec.traits ?? [],
  };
}

/** The vision model used when the member names none: Venice's `default_vision` trait, else the first listed. */
export function defaultVisionModel(snapshot: CatalogSnapshot): TextModel | undefined {
  return snapshot.visionModels.find((m) => m.traits.includes('default_vision')) ?? snapshot.visionModels[0];
}

/** The last good copy of Venice's model list, traits and styles, read from memory by autocomplete. */
export interface CatalogSnapshot {
  models: ImageModel[];
  byId: Map<string, ImageModel>;
  traits: Record<string, string>;
  styles: string[];
  /** Lower-cased style name -> exact name, since Venice matches styles case-sensitively. */
  styleByLower: Map<string, string>;
  /** Edit models (`GET /models?type=inpaint`), in Venice's order: the first is the default. */
  editModels: EditModel[];
  editById: Map<string, EditModel>;
  /** What `/image/background-remove` costs: the price Venice lists on its background-remover model. */
  backgroundRemovalUsd: number | undefined;
  /** Text models (`GET /models?type=text`), in Venice's order, and those of them that see images. */
  textModels: TextModel[];
  textById: Map<string, TextModel>;
  visionModels: TextModel[];
  loadedAt: number;
}

export interface Catalog {
  current(): CatalogSnapshot;
  /** The model used when the user names none: Venice's `default` trait, else the first listed. */
  defaultModel(): ImageModel | undefined;
  /** Reloads now; keeps the last good copy if Venice fails. Concurrent calls share one load. */
  refresh(): Promise<void>;
  start(): Promise<void>;
  /** Stops the timer and ends a refresh in flight at once; the last good copy stays readable. */
  stop(): void;
}

const empty: CatalogSnapshot = { models: [], byId: new Map(), traits: {}, styles: [], styleByLower: new Map(), editModels: [], editById: new Map(), backgroundRemovalUsd: undefined, textModels: [], textById: new Map(), visionModels: [], loadedAt: 0 };

export function buildSnapshot(
  models: ImageModel[],
  traits: Record<string, string>,
  styles: string[],
  now = Date.now(),
  editModels: EditModel[] = [],
  backgroundRemovalUsd: number | undefined = undefined,
  textModels: TextModel[] = [],
): CatalogSnapshot {
  return {
    models,
    byId: new Map(models.map((m) => [m.id, m])),
    traits,
    styles,
    styleByLower: new Map(styles.map((s) => [s.toLowerCase(), s])),
    editModels,
    editById: new Map(editModels.map((m) => [m.id, m])),
    backgroundRemovalUsd,
    textModels,
    textById: new Map(textModels.map((m) => [m.id, m])),
    visionModels: textModels.filter((m) => m.vision),
    loadedAt: now,
  };
}

export function createCatalog(options: { venice: VeniceClient; log: Logger; refreshSeconds: number }): Catalog {
  const log = options.log.child({ service: 'catalog' });
  let snapshot = empty;
  let inFlight: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  // Shutdown must not wait out a slow Venice: stop() aborts whatever load is running.
  let lifetime = new AbortController();

  async function load(signal: AbortSignal): Promise<void> {
    const [wire, traits, styles, editWire, textWire] = await Promise.all([
      options.venice.listImageModels(signal),
      // Traits only pick the default model; a failure there must not cost us the list.
      options.venice.listImageTraits(signal).catch((err: unknown) => {
        if (!signal.aborted) log.warn({ err }, 'could not load model traits; keeping the previous ones');
        return snapshot.traits;
      }),
      options.venice.listStyles(signal),
      // Editing is a feature of its own: without its list, /imagine still works.
      options.venice.listEditModels(signal).catch((err: unknown) => {
        if (!signal.aborted) log.warn({ err }, 'could not load the edit models; keeping the previous ones');
        return undefined;
      }),
      // Only /describe needs the text models: without them, everything else still works.
      options.venice.listTextModels(signal).catch((err: unknown) => {
        if (!signal.aborted) log.warn({ err }, 'could not load the text models; keeping the previous ones');
        return undefined;
      }),
    ]);
    signal.throwIfAborted();
    const models = wire.map(toImageModel).filter((m): m is ImageModel => m !== undefined);
    if (models.length === 0) throw new Error('Venice listed no usable image model');
    const editModels = editWire === undefined ? snapshot.editModels : editWire.map(toEditModel).filter((m): m is EditModel => m !== undefined);
    // Venice lists its background remover among the image models, though it takes no prompt.
    const remover = wire.find((m) => m.model_spec.constraints?.promptCharacterLimit === undefined && /background|bg-remov/i.test(`${m.id} ${m.model_spec.name ?? ''}`));
    const textModels = textWire === undefined ? snapshot.textModels : textWire.map(toTextModel).filter((m): m is TextModel => m !== undefined);
    snapshot = buildSnapshot(models, traits, styles, Date.now(), editModels, remover?.model_spec.pricing?.generation?.usd, textModels);
    log.info({ models: models.length, editModels: editModels.length, textModels: textModels.length, visionModels: snapshot.visionModels.length, styles: styles.length }, 'catalog loaded');
  }

  const catalog: Catalog = {
    current: () => snapshot,
    defaultModel() {
      const id = snapshot.traits['default'];
      return (id ? snapshot.byId.get(id) : undefined) ?? snapshot.models[0];
    },
    refresh() {
      const { signal } = lifetime;
      inFlight ??= load(signal)
        .catch((err: unknown) => {
          // Stopped on purpose: nobody is waiting for this list any more, and it is not a failure.
          if (signal.aborted) return;
          log.error({ err }, 'catalog refresh failed; serving the last good copy');
          if (snapshot.loadedAt === 0) throw err;
        })
        .finally(() => {
          inFlight = undefined;
        });
      return inFlight;
    },
    async start() {
      if (lifetime.signal.aborted) lifetime = new AbortController();
      // Venice being down at boot must not keep the bot offline: commands answer "try again"
      // until the timer's next load succeeds.
      await catalog.refresh().catch(() => undefined);
      timer = setInterval(() => void catalog.refresh().catch(() => undefined), options.refreshSeconds * 1000);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      lifetime.abort(new Error('the catalog was stopped'));
    },
  };
  return catalog;
}
