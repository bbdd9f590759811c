import type { Quality, SimImageConstraints, SimModel } from './catalogue.js';
import { defaultErrorBody, detailedError, issue, issuesFromAjv, type ValidationIssue } from './errors.js';
import { sizeForAspectRatio, type ImageFormat } from './images.js';
import { checkAgainstSpec, specPointers } from './spec.js';

/** What the simulator knows when it judges a request. */
export interface CatalogueView {
  models: readonly SimModel[];
  traits: Readonly<Record<string, string>>;
  styles: ReadonlySet<string>;
}

/** A request Venice would accept, reduced to what the simulator needs to answer it. */
export interface GenerationPlan {
  model: SimModel;
  format: ImageFormat;
  width: number;
  height: number;
  variants: number;
  seed: number;
  returnBinary: boolean;
  /** Total USD for every image of the request. */
  priceUsd: number;
}

export interface Refusal {
  status: number;
  body: unknown;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; refusal: Refusal };

export const refuse = (status: number, body: unknown): { ok: false; refusal: Refusal } => ({ ok: false, refusal: { status, body } });
export const invalid = (issues: ValidationIssue[]): { ok: false; refusal: Refusal } => refuse(400, detailedError(issues));

/** Looks a model up by id, or by trait name as Venice allows (`"model": "default"`). */
export function findModel(view: CatalogueView, id: string): SimModel | undefined {
  const resolved = view.models.find((m) => m.id === id) ?? view.models.find((m) => m.id === view.traits[id]);
  return resolved;
}

function randomSeed(): number {
  return Math.floor(Math.random() * 1_999_999_999) - 999_999_999;
}

function priceOf(model: SimModel, resolution: string | undefined, quality: Quality | undefined): number {
  const { pricing } = model.model_spec;
  if (resolution && quality) {
    const byQuality = pricing.quality?.[resolution]?.[quality];
    if (byQuality) return byQuality.usd;
  }
  if (resolution) {
    const byResolution = pricing.resolutions?.[resolution];
    if (byResolution) return byResolution.usd;
  }
  return pricing.generation?.usd ?? 0;
}

/** Refusals every generating endpoint shares: offline models, and models that take no prompt. */
function checkUsable(model: SimModel): Checked<SimImageConstraints> {
  // 503, not 400: offline is a temporary state of a valid model, and Venice uses 503 for capacity.
  if (model.model_spec.offline) return refuse(503, { error: `The model ${model.id} is currently offline. Please try again later.` });
  const { constraints } = model.model_spec;
  if (!constraints) {
    return invalid([issue('model', `Model ${model.id} cannot generate images from a prompt; use /image/background-remove`)]);
  }
  return { ok: true, value: constraints };
}

export function checkPromptLength(field: string, value: unknown, limit: number): ValidationIssue[] {
  if (typeof value !== 'string' || value.length <= limit) return [];
  return [issue(field, `String must contain at most ${limit} character(s)`, 'too_big')];
}

interface GenerateBody {
  model: string;
  prompt: string;
  negative_prompt?: string;
  width?: number;
  height?: number;
  aspect_ratio?: string;
  resolution?: string;
  quality?: Quality;
  steps?: number;
  style_preset?: string;
  variants?: number;
  return_binary?: boolean;
  format?: ImageFormat;
  seed?: number;
  style_references?: unknown[];
}

/** Judges a `POST /image/generate` body the way Venice does: schema first, then the model's constraints. */
export function checkGenerateRequest(view: CatalogueView, raw: unknown): Checked<GenerationPlan> {
  const schemaErrors = checkAgainstSpec(specPointers.generateImageRequest, raw);
  if (schemaErrors.length > 0) return invalid(issuesFromAjv(schemaErrors, raw));
  const body = raw as GenerateBody;

  const model = findModel(view, body.model);
  if (!model) return refuse(404, defaultErrorBody(404));
  const usable = checkUsable(model);
  if (!usable.ok) return usable;
  const c = usable.value;

  const issues: ValidationIssue[] = [
    ...checkPromptLength('prompt', body.prompt, c.promptCharacterLimit),
    ...checkPromptLength('negative_prompt', body.negative_prompt, c.promptCharacterLimit),
  ];

  let width = body.width ?? 1024;
  let height = body.height ?? 1024;
  const resolution = c.resolutions ? (body.resolution ?? c.defaultResolution ?? c.resolutions[0]) : undefined;
  if (c.aspectRatios) {
    for (const field of ['width', 'height'] as const) {
      if (body[field] !== undefined) {
        issues.push(issue(field, `${field} is not supported by model ${model.id}; use aspect_ratio (${c.aspectRatios.join(', ')})`));
      }
    }
    const aspectRatio = body.aspect_ratio ?? c.defaultAspectRatio ?? c.aspectRatios[0] ?? '1:1';
    if (!c.aspectRatios.includes(aspectRatio)) {
      issues.push(issue('aspect_ratio', `Invalid aspect_ratio '${aspectRatio}' for model ${model.id}. Expected one of: ${c.aspectRatios.join(', ')}`));
    }
    ({ width, height } = sizeForAspectRatio(aspectRatio, resolution));
  } else {
    // Pixel models ignore aspect_ratio and resolution rather than refusing them.
    for (const [field, value] of [['width', width], ['height', height]] as const) {
      if (value % c.widthHeightDivisor !== 0) {
        issues.push(issue(field, `${field} must be divisible by ${c.widthHeightDivisor} for model ${model.id}`));
      }
    }
  }
  if (c.resolutions && resolution !== undefined && !c.resolutions.includes(resolution)) {
    issues.push(issue('resolution', `Invalid resolution '${resolution}' for model ${model.id}. Expected one of: ${c.resolutions.join(', ')}`));
  }
  const quality = c.qualities ? (body.quality ?? c.defaultQuality) : undefined;
  if (body.quality !== undefined && !c.qualities?.includes(body.quality)) {
    issues.push(
      issue('quality', c.qualities ? `Invalid quality '${body.quality}'. Expected one of: ${c.qualities.join(', ')}` : `quality is not supported by model ${model.id}`),
    );
  }
  if (body.steps !== undefined && body.steps > c.steps.max) {
    issues.push(issue('steps', `Number must be less than or equal to ${c.steps.max}`, 'too_big'));
  }
  if (body.steps !== undefined && body.steps < 1) {
    issues.push(issue('steps', 'Number must be greater than or equal to 1', 'too_small'));
  }
  if (body.style_preset !== undefined && !view.styles.has(body.style_preset)) {
    issues.push(issue('style_preset', `Invalid style_preset '${body.style_preset}'. Use a name from /image/styles (case-sensitive)`));
  }
  const variants = body.variants ?? 1;
  if (variants > 1 && body.return_binary === true) {
    issues.push(issue('variants', 'variants greater than 1 is only supported when return_binary is false'));
  }
  if (body.style_references !== undefined && body.style_references.length > 0) {
    const max = c.maxStyleReferences ?? 0;
    if (!model.model_spec.supportsStyleReferences || max === 0) {
      issues.push(issue('style_references', `Model ${model.id} does not support style_references`));
    } else if (body.style_references.length > max) {
      issues.push(issue('style_references', `Array must contain at most ${max} element(s)`, 'too_big'));
    }
  }
  if (issues.length > 0) return invalid(issues);

  return {
    ok: true,
    value: {
      model,
      format: body.format ?? 'webp',
      width,
      height,
      variants,
      seed: body.seed ?? randomSeed(),
      returnBinary: body.return_binary ?? false,
      priceUsd: priceOf(model, resolution, quality) * variants,
    },
  };
}

interface SimpleGenerateBody {
  prompt: string;
  model?: string;
  size?: string | null;
  response_format?: 'b64_json' | 'url' | null;
  output_format?: ImageFormat;
}

export interface SimpleGenerationPlan extends GenerationPlan {
  responseFormat: 'b64_json' | 'url';
}

/** Judges a `POST /images/generations` (OpenAI-compatible) body. */
export function checkSimpleGenerateRequest(view: CatalogueView, raw: unknown): Checked<SimpleGenerationPlan> {
  const schemaErrors = checkAgainstSpec(specPointers.simpleGenerateImageRequest, raw);
  if (schemaErrors.length > 0) return invalid(issuesFromAjv(schemaErrors, raw));
  const body = raw as SimpleGenerateBody;

  // OpenAI model names (dall-e-3, gpt-image-1) are not errors here: they fall back to the default model.
  const model = (body.model !== undefined ? findModel(view, body.model) : undefined) ?? findModel(view, 'default') ?? view.models[0];
  if (!model) return refuse(404, defaultErrorBody(404));
  const usable = checkUsable(model);
  if (!usable.ok) return usable;
  const promptIssues = checkPromptLength('prompt', body.prompt, usable.value.promptCharacterLimit);
  if (promptIssues.length > 0) return invalid(promptIssues);

  const size = body.size && body.size !== 'auto' ? body.size : '1024x1024';
  const [width = 1024, height = 1024] = size.split('x').map(Number);
  return {
    ok: true,
    value: {
      model,
      format: body.output_format ?? 'png',
      width,
      height,
      variants: 1,
      seed: randomSeed(),
      returnBinary: false,
      priceUsd: priceOf(model, usable.value.defaultResolution, usable.value.defaultQuality),
      responseFormat: body.response_format ?? 'b64_json',
    },
  };
}
