/**
 * Venice's image editing endpoints (`/image/edit`, `/image/multi-edit`, `/image/background-remove`,
 * `/image/upscale`) for the simulator: reading a JSON or multipart body into what the spec
 * validates, where each input image comes from, the input checks every editing endpoint shares
 * (size, format, pixels), and each endpoint's own checks, ending in a plan the simulator renders.
 */
import { maxInputImagesOf, type Quality, type SimInpaintModel } from './catalogue.js';
import { checkPromptLength, invalid, refuse, type Checked } from './checks.js';
import { defaultErrorBody, issuesFromAjv, type ValidationIssue } from './errors.js';
import { imageSize, maxUpscaledPixels, sizeForAspectRatio, sniffImageFormat, type ImageFormat } from './images.js';
import { checkAgainstSpec, loadVeniceSpec, specPointers } from './spec.js';

/** One `multipart/form-data` file part, as the simulator received it. */
export interface SimUpload {
  field: string;
  filename: string;
  /** The part's own Content-Type ('' when it had none). */
  contentType: string;
  bytes: Buffer;
}

export type MultipartEntry = { name: string; text: string } | { name: string; upload: SimUpload };

/** Parses a multipart body in part order; undefined when it is not valid multipart. */
export async function parseMultipart(raw: Buffer, contentType: string): Promise<MultipartEntry[] | undefined> {
  let form: FormData;
  try {
    form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
  } catch {
    return undefined;
  }
  const entries: MultipartEntry[] = [];
  for (const [name, value] of form) {
    if (typeof value === 'string') {
      entries.push({ name, text: value });
    } else {
      entries.push({ name, upload: { field: name, filename: value.name, contentType: value.type, bytes: Buffer.from(await value.arrayBuffer()) } });
    }
  }
  return entries;
}

/** The text fields of a multipart body, as sent: a field given twice becomes an array. */
export function multipartFields(entries: readonly MultipartEntry[]): Record<string, string | string[]> {
  const fields: Record<string, string | string[]> = {};
  for (const entry of entries) {
    if (!('text' in entry)) continue;
    const seen = fields[entry.name];
    fields[entry.name] = seen === undefined ? entry.text : [...(Array.isArray(seen) ? seen : [seen]), entry.text];
  }
  return fields;
}

/** A request body as the checks see it. */
export interface EditForm {
  /**
   * What is validated against the spec: the JSON as sent, or the multipart fields with booleans
   * and numbers read from their text, a repeated field as an array, and each file part as
   * `filePlaceholder` (so it satisfies the spec's `{}` or string schema for images).
   */
  value: unknown;
  multipart: boolean;
  /** File parts in order (multipart only). */
  uploads: readonly SimUpload[];
}

const filePlaceholder = '\u0000file';
const booleanFields = new Set(['enhance_prompt', 'safe_mode', 'disable_prompt_optimization_thinking']);
const numberFields = new Set(['scale', 'creativity']);

function fieldValue(name: string, text: string): unknown {
  if (booleanFields.has(name) && (text === 'true' || text === 'false')) return text === 'true';
  if (numberFields.has(name) && /^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  return text;
}

export function jsonForm(value: unknown): EditForm {
  return { value, multipart: false, uploads: [] };
}

/** `arrayFields` are always arrays (multi-edit's `images`), even when sent once. */
export function multipartForm(entries: readonly MultipartEntry[], arrayFields: ReadonlySet<string> = new Set()): EditForm {
  const value: Record<string, unknown> = {};
  const uploads: SimUpload[] = [];
  for (const entry of entries) {
    const item = 'text' in entry ? fieldValue(entry.name, entry.text) : filePlaceholder;
    if ('upload' in entry) uploads.push(entry.upload);
    const seen = value[entry.name];
    if (seen === undefined) value[entry.name] = arrayFields.has(entry.name) ? [item] : item;
    else value[entry.name] = [...(Array.isArray(seen) ? (seen as unknown[]) : [seen]), item];
  }
  return { value, multipart: true, uploads };
}

type Path = (string | number)[];

/** Where an input image is: bytes in the request, or a URL to fetch. */
export type ImageSource = { path: Path; bytes: Buffer } | { path: Path; url: string };

const at = (path: Path, message: string, code = 'custom'): ValidationIssue => ({ code, path, message });

/** The smaller reading of "less than 25 MB", so a client that passes here passes at Venice. */
export const maxInputImageBytes = 25_000_000;
export const minInputPixels = 65_536;
export const maxInputPixels = 33_177_600;
const fetchTimeoutMs = 10_000;

const payloadTooLarge = { code: 'PAYLOAD_TOO_LARGE', error: 'File exceeds the maximum allowed size of 25 MB.' };

function sourceFromString(path: Path, value: string, urlRefusal: string | undefined): Checked<ImageSource> {
  const trimmed = value.trim();
  if (/^https?:\/\//i.test(trimmed)) {
    return urlRefusal === undefined ? { ok: true, value: { path, url: trimmed } } : invalid([at(path, urlRefusal)]);
  }
  const dataUrl = /^data:[^,]*;base64,/i.exec(trimmed);
  const base64 = (dataUrl ? trimmed.slice(dataUrl[0].length) : trimmed).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(base64)) {
    return invalid([at(path, 'Invalid image: expected a base64-encoded image' + (urlRefusal === undefined ? ' or an http(s) URL' : ''))]);
  }
  return { ok: true, value: { path, bytes: Buffer.from(base64, 'base64') } };
}

/**
 * The source of a one-image field (`image`): a file part, or a base64 string (a data URL too),
 * or, unless `urlRefusal` says why not, an http(s) URL. Undefined when the field is absent.
 */
function singleSource(form: EditForm, field: string, urlRefusal: string | undefined): Checked<ImageSource | undefined> {
  const value = (form.value as Record<string, unknown>)[field];
  if (value === undefined) return { ok: true, value: undefined };
  if (Array.isArray(value)) return invalid([at([field], 'Expected a single image')]);
  if (form.multipart && value === filePlaceholder) {
    const upload = form.uploads.find((u) => u.field === field);
    if (upload) return { ok: true, value: { path: [field], bytes: upload.bytes } };
  }
  if (typeof value === 'string') return sourceFromString([field], value, urlRefusal);
  return invalid([at([field], 'Expected a file or a base64-encoded image' + (urlRefusal === undefined ? ' or an http(s) URL' : ''))]);
}

/** Multi-edit's `images`: files (multipart only takes files) or base64 strings and URLs (JSON). */
function manySources(form: EditForm, field: string, values: readonly unknown[]): Checked<ImageSource[]> {
  const uploads = form.uploads.filter((u) => u.field === field);
  const sources: ImageSource[] = [];
  const issues: ValidationIssue[] = [];
  let nextUpload = 0;
  values.forEach((value, index) => {
    const path = [field, index];
    if (form.multipart) {
      const upload = value === filePlaceholder ? uploads[nextUpload++] : undefined;
      if (upload) sources.push({ path, bytes: upload.bytes });
      else issues.push(at(path, 'Only file uploads are supported with multipart/form-data'));
      return;
    }
    const source = typeof value === 'string' ? sourceFromString(path, value, undefined) : invalid([at(path, 'Expected a base64-encoded image or an http(s) URL')]);
    if (source.ok) sources.push(source.value);
    else issues.push(...((source.refusal.body as { issues?: ValidationIssue[] }).issues ?? []));
  });
  return issues.length > 0 ? invalid(issues) : { ok: true, value: sources };
}

/**
 * The bytes of each source, in order: a URL is fetched only from 127.0.0.1 (tests serve their
 * images there; the simulator never reaches outside the machine), anything else is a 400.
 */
export async function loadImages(sources: readonly ImageSource[]): Promise<Checked<Buffer[]>> {
  const images: Buffer[] = [];
  for (const source of sources) {
    if ('bytes' in source) {
      images.push(source.bytes);
      continue;
    }
    let url: URL;
    try {
      url = new URL(source.url);
    } catch {
      return invalid([at(source.path, 'Invalid image URL')]);
    }
    if (url.hostname !== '127.0.0.1') {
      return invalid([at(source.path, `Could not fetch the image URL: the simulator only fetches from 127.0.0.1, not ${url.hostname}`)]);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(fetchTimeoutMs), redirect: 'manual' });
      if (!res.ok) return invalid([at(source.path, `Could not fetch the image URL: HTTP ${res.status}`)]);
      images.push(Buffer.from(await res.arrayBuffer()));
    } catch {
      return invalid([at(source.path, 'Could not fetch the image URL')]);
    }
  }
  return { ok: true, value: images };
}

export interface InputImage {
  format: ImageFormat;
  width: number;
  height: number;
}

/** The checks every editing endpoint makes of each input: under 25 MB, PNG/JPEG/WebP, 65,536 to 33,177,600 pixels. */
export async function inspectImages(images: readonly Buffer[], paths: readonly Path[]): Promise<Checked<InputImage[]>> {
  const inspected: InputImage[] = [];
  for (const [index, bytes] of images.entries()) {
    const path = paths[index] ?? ['image'];
    if (bytes.length >= maxInputImageBytes) return refuse(413, payloadTooLarge);
    let size: Awaited<ReturnType<typeof imageSize>>;
    try {
      size = await imageSize(bytes);
    } catch {
      return invalid([at(path, 'Invalid image: could not be decoded')]);
    }
    const format = sniffImageFormat(bytes);
    if (format === undefined || format === 'gif') {
      return refuse(415, { error: `Unsupported image format (${size.format ?? 'unknown'}) at ${path.join('.')}: use PNG, JPEG or WebP` });
    }
    const pixels = size.width * size.height;
    if (pixels < minInputPixels || pixels > maxInputPixels) {
      return invalid([
        at(path, `Image dimensions must be at least ${minInputPixels} pixels and must not exceed ${maxInputPixels} pixels (got ${size.width}x${size.height})`),
      ]);
    }
    inspected.push({ format, width: size.width, height: size.height });
  }
  return { ok: true, value: inspected };
}

function schemaDefault(schema: string, property: string): unknown {
  const spec = loadVeniceSpec() as { components?: { schemas?: Record<string, { properties?: Record<string, { default?: unknown }> }> } };
  return spec.components?.schemas?.[schema]?.properties?.[property]?.default;
}

/** An edit Venice would accept, reduced to what the simulator needs to answer it. */
export interface EditPlan {
  model: SimInpaintModel;
  prompt: string;
  /** An explicit ratio; undefined for 'auto' or none. */
  aspectRatio: string | undefined;
  resolution: string;
  format: ImageFormat;
  quality: Quality | undefined;
  enhancePrompt: boolean;
  sources: ImageSource[];
}

interface EditFields {
  prompt: string;
  aspect_ratio?: string;
  resolution?: string;
  output_format?: ImageFormat;
  quality?: Quality;
  enhance_prompt?: boolean;
}

function findEditModel(models: readonly SimInpaintModel[], id: string | undefined, schema: string, field: string): SimInpaintModel | undefined {
  if (id !== undefined) return models.find((m) => m.id === id);
  // The spec's default (firered-image-edit); Venice's pages disagree, so clients should send one.
  const fallback = schemaDefault(schema, field);
  return models.find((m) => m.id === fallback) ?? models[0];
}

/** The checks /image/edit and /image/multi-edit share once the model is known. */
function planEdit(model: SimInpaintModel, body: EditFields, sources: ImageSource[]): Checked<EditPlan> {
  if (model.model_spec.offline) return refuse(503, { error: `The model ${model.id} is currently offline. Please try again later.` });
  const c = model.model_spec.constraints;
  const issues = checkPromptLength('prompt', body.prompt, c.promptCharacterLimit);
  const aspectRatio = body.aspect_ratio === 'auto' ? undefined : body.aspect_ratio;
  if (aspectRatio !== undefined && !c.aspectRatios.includes(aspectRatio)) {
    issues.push(at(['aspect_ratio'], `Invalid aspect_ratio '${aspectRatio}' for model ${model.id}. Expected one of: ${c.aspectRatios.join(', ')}`));
  }
  const resolution = body.resolution ?? c.defaultResolution ?? '1K';
  const resolutions = c.resolutions ?? ['1K'];
  if (!resolutions.includes(resolution)) {
    issues.push(at(['resolution'], `Invalid resolution '${resolution}' for model ${model.id}. Expected one of: ${resolutions.join(', ')}`));
  }
  if (body.quality !== undefined && !c.qualities?.includes(body.quality)) {
    issues.push(
      at(['quality'], c.qualities ? `Invalid quality '${body.quality}'. Expected one of: ${c.qualities.join(', ')}` : `quality is not supported by model ${model.id}`),
    );
  }
  if (issues.length > 0) return invalid(issues);
  return {
    ok: true,
    value: {
      model,
      prompt: body.prompt,
      aspectRatio,
      resolution,
      format: body.output_format ?? (resolution === '1K' ? 'png' : 'jpeg'),
      quality: c.qualities ? (body.quality ?? c.defaultQuality) : undefined,
      enhancePrompt: body.enhance_prompt === true,
      sources,
    },
  };
}

/** Judges `POST /image/edit`: the spec's EditImageRequest, then the edit model's constraints. */
export function checkEditRequest(models: readonly SimInpaintModel[], form: EditForm): Checked<EditPlan> {
  const schemaErrors = checkAgainstSpec(specPointers.editImageRequest, form.value);
  if (schemaErrors.length > 0) return invalid(issuesFromAjv(schemaErrors, form.value));
  const body = form.value as EditFields & { model?: string; modelId?: string };
  // `modelId` is the deprecated spelling; `model` wins when both are sent.
  const model = findEditModel(models, body.model ?? body.modelId, 'EditImageRequest', 'model');
  if (!model) return refuse(404, defaultErrorBody(404));
  const source = singleSource(form, 'image', undefined);
  if (!source.ok) return source;
  if (!source.value) return invalid([at(['image'], 'Required', 'invalid_type')]);
  return planEdit(model, body, [source.value]);
}

/** Judges `POST /image/multi-edit`: MultiEditImageRequest (`modelId`, `images`), then the model's constraints. */
export function checkMultiEditRequest(models: readonly SimInpaintModel[], form: EditForm): Checked<EditPlan> {
  const schemaErrors = checkAgainstSpec(specPointers.multiEditImageRequest, form.value);
  if (schemaErrors.length > 0) return invalid(issuesFromAjv(schemaErrors, form.value));
  const body = form.value as EditFields & { modelId?: string; images: unknown[] };
  const model = findEditModel(models, body.modelId, 'MultiEditImageRequest', 'modelId');
  if (!model) return refuse(404, defaultErrorBody(404));
  const c = model.model_spec.constraints;
  // The spec's multi-edit enum leaves out the models that cannot combine images.
  if (!c.combineImages) return invalid([at(['modelId'], `Model ${model.id} does not support multi-edit; use /image/edit`)]);
  const max = maxInputImagesOf(c);
  if (body.images.length > max) return invalid([at(['images'], `Array must contain at most ${max} element(s)`, 'too_big')]);
  const sources = manySources(form, 'images', body.images);
  if (!sources.ok) return sources;
  return planEdit(model, body, sources.value);
}

/** Judges `POST /image/background-remove`: `image` (file or base64) or `image_url`, exactly one. */
export function checkBackgroundRemoveRequest(form: EditForm): Checked<ImageSource> {
  const schemaErrors = checkAgainstSpec(specPointers.backgroundRemoveImageRequest, form.value);
  if (schemaErrors.length > 0) return invalid(issuesFromAjv(schemaErrors, form.value));
  const body = form.value as { image?: unknown; image_url?: string };
  if ((body.image === undefined) === (body.image_url === undefined)) {
    return invalid([at(['image'], 'Provide either image or image_url, not both')]);
  }
  if (body.image_url !== undefined) {
    if (!/^https?:\/\//i.test(body.image_url)) return invalid([at(['image_url'], 'image_url must start with http:// or https://')]);
    return { ok: true, value: { path: ['image_url'], url: body.image_url } };
  }
  const source = singleSource(form, 'image', 'Expected a file or a base64-encoded image; send a URL as image_url');
  if (!source.ok) return source;
  return source.value ? { ok: true, value: source.value } : invalid([at(['image'], 'Required', 'invalid_type')]);
}

export interface UpscalePlan {
  scale: 2 | 4;
  source: ImageSource;
}

/** Judges `POST /image/upscale`: UpscaleImageRequest, `scale` 2 or 4, `creativity` 0 to 0.02. */
export function checkUpscaleRequest(form: EditForm): Checked<UpscalePlan> {
  const schemaErrors = checkAgainstSpec(specPointers.upscaleImageRequest, form.value);
  if (schemaErrors.length > 0) return invalid(issuesFromAjv(schemaErrors, form.value));
  const body = form.value as { image: unknown; scale?: number; creativity?: number | null };
  const issues: ValidationIssue[] = [];
  const scale = body.scale ?? 2;
  if (scale !== 2 && scale !== 4) issues.push(at(['scale'], 'scale must be either 2 or 4'));
  // The spec says Venice clamps creativity; refusing it here catches a client that sends what it cannot get.
  if (typeof body.creativity === 'number' && (body.creativity < 0 || body.creativity > 0.02)) {
    issues.push(at(['creativity'], 'creativity must be between 0 and 0.02'));
  }
  if (issues.length > 0) return invalid(issues);
  const source = singleSource(form, 'image', 'Expected a file or a base64-encoded image');
  if (!source.ok) return source;
  if (!source.value) return invalid([at(['image'], 'Required', 'invalid_type')]);
  return { ok: true, value: { scale: scale as 2 | 4, source: source.value } };
}

function closestRatio(ratios: readonly string[], width: number, height: number): string {
  const target = Math.log(width / height);
  let best = '1:1';
  let bestDistance = Infinity;
  for (const ratio of ratios) {
    const [a, b] = ratio.split(':').map(Number);
    if (!a || !b) continue;
    const distance = Math.abs(Math.log(a / b) - target);
    if (distance < bestDistance) [best, bestDistance] = [ratio, distance];
  }
  return best;
}

/**
 * The size of an edit's output: the input's own size for a single-image edit on a model with
 * `singleImageAspectRatio: false`; else an explicit ratio at the resolution; else ('auto') the
 * supported ratio closest to the first input at the resolution on models with resolutions, and
 * the first input's size on the others.
 */
export function editOutputSize(plan: EditPlan, inputs: readonly InputImage[]): { width: number; height: number } {
  const [first = { width: 1024, height: 1024 }] = inputs;
  const c = plan.model.model_spec.constraints;
  if (inputs.length === 1 && c.singleImageAspectRatio === false) return { width: first.width, height: first.height };
  if (plan.aspectRatio !== undefined) return sizeForAspectRatio(plan.aspectRatio, plan.resolution);
  if (c.resolutions) {
    return sizeForAspectRatio(
      closestRatio(
        c.aspectRatios.filter((r) => r !== 'auto'),
        first.width,
        first.height,
      ),
      plan.resolution,
    );
  }
  return { width: first.width, height: first.height };
}

/** Extra USD for `enhance_prompt`: the spec says a rewrite costs more, not how much. */
export const enhancePromptUsd = 0.01;

/** USD for an edit: by (resolution, quality), else resolution, else the flat price; plus input images beyond those included. */
export function editPriceUsd(plan: EditPlan, inputCount: number): number {
  const { pricing } = plan.model.model_spec;
  const base =
    (plan.quality ? pricing.quality?.[plan.resolution]?.[plan.quality]?.usd : undefined) ?? pricing.resolutions?.[plan.resolution]?.usd ?? pricing.inpaint.usd;
  const extra = pricing.inputImages ? Math.max(0, inputCount - pricing.inputImages.included) * pricing.inputImages.additional.usd : 0;
  return base + extra + (plan.enhancePrompt ? enhancePromptUsd : 0);
}

/**
 * An upscale needs room to grow: Venice reduces the scale to keep the output within 16,777,216
 * pixels, and an input already that large would come back smaller than it went in.
 */
export function checkUpscaleInput(input: InputImage): Checked<InputImage> {
  if (input.width * input.height < maxUpscaledPixels) return { ok: true, value: input };
  return invalid([at(['image'], `Final dimensions after scaling must not exceed ${maxUpscaledPixels} pixels (got ${input.width}x${input.height} before scaling)`)]);
}
