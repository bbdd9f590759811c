/**
 * A Venice.ai API simulator for tests: real HTTP on 127.0.0.1, base path `/api/v1`, answering
 * with the shapes of the OpenAPI spec in test/fixtures and the behaviour in venice-notes.md.
 *
 * Choices where Venice's behaviour is unknown or had to be bounded:
 * - `GET /models` without `type` answers like Venice's default type (text): the text models;
 *   `type=all` lists the image, the edit (inpaint) and the text models.
 * - `POST /chat/completions` (chat.ts) answers JSON only, never streams, and is not paced: it
 *   spends no image units, counts towards no lockout, and carries the key's current rate-limit
 *   headers and balance as other answers do. Its text is `setChatAnswer`'s, by default one naming
 *   the model and each input image's size and colour.
 * - An offline model answers 503 (temporary state of a valid model), bria-bg-remover 400.
 * - Models ignore `aspect_ratio`/`resolution` they do not use; `quality` is refused by models
 *   without `qualities` (it changes the price, so sending it to the wrong model is a client bug).
 * - One API key; rate-limit windows are kept per key all the same (pacing.ts).
 * - Only requests that pass validation spend the rate-limit budget, one unit per image (a request
 *   is admitted while any unit is left, so a 4-variant request may overspend the last one); once
 *   a key's window is spent, requests get 429 until `x-ratelimit-reset-requests`.
 * - The `x-ratelimit-*` headers of a served request are those of the moment it was admitted, as
 *   a gateway in front of inference would send them; answers served later do not count down.
 * - The failure lockout counts every non-2xx answer to an image request with the key (scripted
 *   errors, validation 400s and 429s included, answers given during the block not), in a sliding
 *   window; requests without the simulator's key (401, 402) count towards nothing.
 * - The balance after the request (content violations are free) goes out as both
 *   `X-Balance-Remaining` (the spec's header, documented for x402 accounts) and
 *   `x-venice-balance-usd` / `x-venice-balance-diem` (what Venice's clients read); the
 *   `balanceHeaders` option sends only one kind, since sources disagree on which a key gets.
 * - Images are solid colours from hash(seed, variant), at their real size (4K included).
 * - The editing endpoints (`/image/edit`, `/image/multi-edit`, `/image/background-remove`,
 *   `/image/upscale`) take JSON or multipart/form-data, check each input image (under 25,000,000
 *   bytes, else 413; PNG, JPEG or WebP, else 415; 65,536 to 33,177,600 pixels, else 400) and answer
 *   real image bytes: an edit is the first input resized and mixed with a tint hashed from every
 *   input and the prompt (`editedImage`), a background removal the input as a PNG with a
 *   transparent border, an upscale a nearest-neighbour PNG of the final size. An image URL is
 *   fetched only from 127.0.0.1; any other host is a 400. Details in editing.ts.
 * - `/image/upscale` reduces any scale so the output stays within 16,777,216 pixels, and refuses
 *   inputs already that large; `creativity` outside 0-0.02 is a 400 (the spec says Venice clamps it).
 * - Multipart bodies are validated against the same JSON schemas as JSON bodies (with booleans and
 *   numbers read from their text), so unknown fields are refused on multi-edit too, where the
 *   spec's multipart schema alone would let them through.
 * - A scripted rule is used up when a request matches it; an `ok` rule then still goes through
 *   the usual checks (auth, validation), the other kinds answer at once.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import {
  simulatorInpaintModels,
  simulatorModels,
  simulatorStyles,
  traitsOf,
  type SimInpaintModel,
  type SimModel,
  type SimModelDeprecation,
} from './catalogue.js';
import {
  checkGenerateRequest,
  checkSimpleGenerateRequest,
  invalid,
  type CatalogueView,
  type Checked,
  type GenerationPlan,
  type Refusal,
} from './checks.js';
import {
  checkBackgroundRemoveRequest,
  checkEditRequest,
  checkMultiEditRequest,
  checkUpscaleInput,
  checkUpscaleRequest,
  editOutputSize,
  editPriceUsd,
  inspectImages,
  jsonForm,
  loadImages,
  multipartFields,
  multipartForm,
  parseMultipart,
  type EditForm,
  type ImageSource,
  type InputImage,
  type MultipartEntry,
  type SimUpload,
} from './editing.js';
import { defaultErrorBody, x402DiscoveryBody } from './errors.js';
import {
  chatCompletion,
  checkChatRequest,
  defaultChatAnswer,
  simulatorTextModels,
  type ChatAnswer,
  type ChatImage,
  type SimTextModel,
} from './chat.js';
import {
  backgroundRemovedImage,
  black,
  colourFor,
  contentTypeOf,
  editedImage,
  imageSize,
  renderImage,
  sniffImageFormat,
  upscaleImage,
  type ImageFormat,
} from './images.js';
import { createPacing, createRandom, type AnswerKind, type FailureLockout, type RateLimit, type RateStats, type RateWindow } from './pacing.js';
import { specPointers, specValidator } from './spec.js';

export type { SimInpaintModel, SimModel } from './catalogue.js';
export type { SimUpload } from './editing.js';
export type { ChatAnswer, ChatAnswerRequest, ChatImage, SimTextModel } from './chat.js';
export { backgroundRemovedImage, editedImage } from './images.js';
export type { FailureLockout, RateLimit, RateStats, RateWindowStats } from './pacing.js';

export interface SimRequest {
  method: string;
  /** After `/api/v1`, e.g. `/image/generate`. */
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  /**
   * Parsed JSON; for multipart/form-data, the text fields as sent (strings, a repeated field as
   * an array; file parts are in `files`); undefined when the body was empty, neither, or too large.
   */
  body: unknown;
  /** multipart/form-data file parts, in order. */
  files?: SimUpload[];
  /**
   * The input images of an editing request, or the `image_url` parts of a chat completion, as
   * Venice received them (base64 and data URLs decoded, URLs fetched, file parts as uploaded), in
   * request order. Set once the body passed the schema and the model's checks, before the images
   * themselves are judged.
   */
  images?: Buffer[];
  /** The image bytes of a 200 binary answer (editing endpoints, `return_binary`), as sent. */
  answer?: Buffer;
  receivedAt: number;
  /** The answer's status, set as it is sent; undefined while pending, and for dropped or hanging requests. */
  status?: number;
  /** Unix ms when the answer was sent. */
  answeredAt?: number;
}

/** Milliseconds of Venice time: a fixed delay, or a uniform draw per request from the `seed`ed PRNG. */
export type InferenceDelay = number | { minMs: number; maxMs: number };

export type ScriptedResponse =
  /** Served as usual, with these verdicts and extras; on any POST image path, editing endpoints included. */
  | {
      kind: 'ok';
      blurred?: boolean;
      contentViolation?: boolean;
      deprecation?: { warning?: string; date?: string; replacement?: string };
      /** Venice time (multiplied by `timeScale`), instead of the inference delay. */
      delayMs?: number;
      headers?: Record<string, string>;
    }
  | {
      kind: 'error';
      status: number;
      /** Default: the body Venice sends for that status. */
      body?: unknown;
      retryAfterSeconds?: number;
      /** Raw `x-ratelimit-reset-requests` value. */
      resetRequests?: string;
      /** Venice time (multiplied by `timeScale`) before answering. */
      delayMs?: number;
    }
  | { kind: 'malformed-json' }
  /** A JSON answer whose base64 image stops halfway; on the editing endpoints, the image bytes themselves do. */
  | { kind: 'truncated-base64' }
  | { kind: 'drop-connection' }
  /** Never answers; the socket is destroyed by `close()`. */
  | { kind: 'hang' };

export interface ScriptOptions {
  match?: (req: SimRequest) => boolean;
  /** Default 1; Infinity allowed. */
  times?: number;
  /**
   * Default '/image/generate'; also '/images/generations', the editing paths ('/image/edit',
   * '/image/multi-edit', '/image/background-remove', '/image/upscale') and '/chat/completions'
   * (where 'truncated-base64' has no meaning and answers as for /image/generate). A GET path ('/models',
   * '/models/traits', '/image/styles') takes 'error', 'drop-connection' and 'hang'.
   */
  path?: string;
}

export interface VeniceSimulator {
  /** e.g. 'http://127.0.0.1:41234/api/v1' */
  readonly baseUrl: string;
  readonly apiKey: string;
  /** The `timeScale` option: wall-clock ms per ms of Venice time. */
  readonly timeScale: number;
  /** Every request received, in order, recorded before it is answered. */
  readonly requests: SimRequest[];
  /** Only `POST /image/generate`. */
  generateRequests(): SimRequest[];
  /** `POST`s to the editing endpoints (edit, multi-edit, background-remove, upscale), or to the one `path` names. */
  editRequests(path?: EditPath): SimRequest[];
  /** `POST /chat/completions`, each with `images` (the decoded bytes of its image parts) once its body passed the checks. */
  chatRequests(): SimRequest[];
  /** The assistant's text of chat completions from now on; undefined restores the default (it names the model and each image). */
  setChatAnswer(answer: ChatAnswer | undefined): void;
  /** Rules are checked in order; the first matching rule with uses left answers and is used up once. */
  script(response: ScriptedResponse, options?: ScriptOptions): void;
  /** Venice time, multiplied by `timeScale`; applies to requests admitted from now on. */
  setInferenceDelay(delay: InferenceDelay): void;
  /** Replaces the request limit (undefined: not enforced) and starts a fresh window. */
  setRateLimit(limit: RateLimit | undefined): void;
  /** Replaces the failure lockout (undefined: off), forgetting past failures and any running block. */
  setFailureLockout(lockout: FailureLockout | undefined): void;
  /** The API key's windows since the start or the last `reset()`, with totals and lockouts. */
  rateStats(): RateStats;
  /** Clears requests, rules, rate-limit windows, failures, blocks and stats; the settings stay. */
  reset(): void;
  /** Closes the server and every socket, hanging ones included. */
  close(): Promise<void>;
}

export interface VeniceSimulatorOptions {
  /** Default 'test-venice-key'. */
  apiKey?: string;
  /** `GET /models?type=image`. Default `simulatorModels`. */
  models?: readonly SimModel[];
  /** `GET /models?type=inpaint`: the models /image/edit and /image/multi-edit accept. Default `simulatorInpaintModels`. */
  inpaintModels?: readonly SimInpaintModel[];
  /** `GET /models?type=text`: the models /chat/completions accepts. Default `simulatorTextModels`. */
  textModels?: readonly SimTextModel[];
  /** The assistant's text of chat completions (see `setChatAnswer`). */
  chatAnswer?: ChatAnswer;
  styles?: readonly string[];
  /** How long each image request takes, in Venice time. Default 0. */
  inferenceDelayMs?: InferenceDelay;
  /** Seeds the PRNG of ranged inference delays, so a run draws the same delays. Default 1. */
  seed?: number;
  /** Shorthand for `rateLimit: { requests: n, windowMs: 60_000 }`; giving both is an error. */
  rateLimitPerMinute?: number;
  /**
   * Image units (one per image: `variants` on /image/generate, else 1, editing endpoints
   * included) per fixed window, per API key, on every POST image path. Default undefined: not enforced, and the headers report a
   * limit of 1,000,000 per 60,000 ms window.
   */
  rateLimit?: RateLimit;
  /** Unit of `x-ratelimit-reset-requests` (a Unix time): Venice's live answers use ms, its docs say s. Default 'ms'. */
  resetUnit?: 'ms' | 's';
  /**
   * Multiplies every duration given to the simulator in Venice time, where it is used: the rate
   * window (`rateLimit.windowMs`, or the 60,000 ms of `rateLimitPerMinute` and of the unenforced
   * default), inference delays (`inferenceDelayMs`, `setInferenceDelay`, both ends of a range),
   * scripted `delayMs`, and the lockout's `windowMs` and `blockMs`. What the simulator sends is in
   * scaled (wall-clock) time: `x-ratelimit-reset-requests` is the exact scaled end of the window
   * (or of a block), `Retry-After` the scaled seconds left rounded up to a whole number (at least
   * 1, since HTTP allows only integers), the lockout message's "wait Ns" the scaled block rounded
   * up. Not scaled: values a script gives raw (`retryAfterSeconds`, `resetRequests`), `timing` in
   * JSON answers (measured wall-clock ms), deprecation dates. Default 1; 0.05 makes a minute 3 s.
   */
  timeScale?: number;
  /**
   * Venice's abuse protection: more than `failures` failed (non-2xx) answers to a key within
   * `windowMs` block every image request with that key for `blockMs` (429 with Retry-After),
   * all in Venice time. Venice: 20 (some sources 50) in 30,000 ms block for 30,000 ms. Default off.
   */
  failureLockout?: FailureLockout;
  /** Which balance headers answers carry. Default 'both'. */
  balanceHeaders?: 'both' | 'spec' | 'venice';
}

interface Rule {
  response: ScriptedResponse;
  match: ((req: SimRequest) => boolean) | undefined;
  path: string;
  remaining: number;
}

type OkScript = Extract<ScriptedResponse, { kind: 'ok' }>;

const basePath = '/api/v1';
const startingBalanceUsd = 50;

/** The editing endpoints: JSON or multipart in, image bytes out. */
export type EditPath = '/image/edit' | '/image/multi-edit' | '/image/background-remove' | '/image/upscale';
const editPaths: ReadonlySet<string> = new Set<EditPath>(['/image/edit', '/image/multi-edit', '/image/background-remove', '/image/upscale']);
const chatPath = '/chat/completions';
const postPaths = new Set(['/image/generate', '/images/generations', ...editPaths, chatPath]);
/** Bodies past this are refused with 413 unread; editing bodies may carry several 25 MB images in base64. */
const maxBodyBytes = 40 * 1024 * 1024;
const maxEditBodyBytes = 128 * 1024 * 1024;
/** Venice's price for background removal is not published per request; this is bria-bg-remover's. */
const backgroundRemoveUsd = 0.03;

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function cfRay(): string {
  return `${randomBytes(8).toString('hex')}-AMS`;
}

/** The body as read, before any endpoint looked at it. */
type ParsedBody =
  | { kind: 'json'; value: unknown }
  | { kind: 'multipart'; entries: MultipartEntry[] }
  | { kind: 'invalid-json' }
  | { kind: 'invalid-multipart' }
  | { kind: 'too-large' }
  | { kind: 'other' };

interface Exchange {
  req: SimRequest;
  parsed: ParsedBody;
  /** The simulator's API key when the request is an image POST carrying it: only those are paced. */
  key: string | undefined;
  /** The window the request spent its budget in, if it was admitted. */
  window: RateWindow | undefined;
  kind: AnswerKind;
}

function checkDelay(delay: InferenceDelay): InferenceDelay {
  const [min, max] = typeof delay === 'number' ? [delay, delay] : [delay.minMs, delay.maxMs];
  if (!(min >= 0) || !(max >= min)) throw new RangeError(`inference delay must satisfy 0 <= minMs <= maxMs, got ${JSON.stringify(delay)}`);
  return typeof delay === 'number' ? delay : { ...delay };
}

function readBody(req: IncomingMessage, maxBytes: number): Promise<{ raw: Buffer; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Keep draining past the limit so the client can still read the 413.
      if (size > maxBytes) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve({ raw: tooLarge ? Buffer.alloc(0) : Buffer.concat(chunks), tooLarge }));
    req.on('error', reject);
  });
}

/** Starts a simulator on 127.0.0.1 with an OS-chosen port. */
export async function startVeniceSimulator(options: VeniceSimulatorOptions = {}): Promise<VeniceSimulator> {
  // Parse the spec and compile the request validators now, not inside the first request,
  // where seconds of CPU would block every other server in the test process.
  for (const pointer of [
    specPointers.generateImageRequest,
    specPointers.simpleGenerateImageRequest,
    specPointers.upscaleImageRequest,
    specPointers.editImageRequest,
    specPointers.multiEditImageRequest,
    specPointers.backgroundRemoveImageRequest,
    specPointers.chatCompletionRequest,
  ]) {
    specValidator(pointer);
  }
  const apiKey = options.apiKey ?? 'test-venice-key';
  const models = options.models ?? simulatorModels;
  const inpaintModels = options.inpaintModels ?? simulatorInpaintModels;
  const textModels = options.textModels ?? simulatorTextModels;
  let chatAnswer: ChatAnswer = options.chatAnswer ?? defaultChatAnswer;
  const view: CatalogueView = { models, traits: traitsOf(models), styles: new Set(options.styles ?? simulatorStyles) };
  const textTraits: Record<string, string> = {};
  for (const model of textModels) for (const trait of model.model_spec.traits) textTraits[trait] ??= model.id;
  const styles = [...(options.styles ?? simulatorStyles)];
  if (options.rateLimit !== undefined && options.rateLimitPerMinute !== undefined) {
    throw new TypeError('give rateLimit or rateLimitPerMinute, not both');
  }
  const pacing = createPacing({
    rateLimit: options.rateLimit ?? (options.rateLimitPerMinute !== undefined ? { requests: options.rateLimitPerMinute, windowMs: 60_000 } : undefined),
    failureLockout: options.failureLockout,
    timeScale: options.timeScale ?? 1,
    resetUnit: options.resetUnit ?? 'ms',
  });
  let inferenceDelay = checkDelay(options.inferenceDelayMs ?? 0);
  const random = createRandom(options.seed ?? 1);
  const requests: SimRequest[] = [];
  const exchanges = new WeakMap<ServerResponse, Exchange>();
  let rules: Rule[] = [];
  let balanceUsd = startingBalanceUsd;
  let closed = false;

  function sleep(ms: number): Promise<void> {
    if (ms <= 0 || closed) return Promise.resolve();
    return new Promise((resolve) => setTimeout(resolve, ms).unref());
  }

  /** Waits a scripted delay, or else the inference delay (drawn when it is a range), scaled. */
  function infer(scriptedMs: number | undefined): Promise<void> {
    const veniceMs =
      scriptedMs ?? (typeof inferenceDelay === 'number' ? inferenceDelay : inferenceDelay.minMs + random() * (inferenceDelay.maxMs - inferenceDelay.minMs));
    return sleep(pacing.scale(veniceMs));
  }

  function takeRule(req: SimRequest): ScriptedResponse | undefined {
    const rule = rules.find((r) => r.remaining > 0 && r.path === req.path && (r.match?.(req) ?? true));
    if (!rule) return undefined;
    rule.remaining -= 1;
    rules = rules.filter((r) => r.remaining > 0);
    return rule.response;
  }

  /**
   * Headers every answer to an authenticated POST carries: the rate limit (by default as of now;
   * a served request passes the headers of its admission) and the balance as of now.
   */
  function accountHeaders(key: string, rate: Record<string, string> = pacing.rateHeaders(key)): Record<string, string> {
    const balance = options.balanceHeaders ?? 'both';
    return {
      ...rate,
      ...(balance !== 'venice' ? { 'X-Balance-Remaining': balanceUsd.toFixed(6) } : {}),
      ...(balance !== 'spec' ? { 'x-venice-balance-usd': balanceUsd.toFixed(4), 'x-venice-balance-diem': '0.0000' } : {}),
    };
  }

  /**
   * Spends `cost` units of the key's window. Returns the rate-limit headers as of admission, or
   * undefined after answering the 429 itself.
   */
  function admit(res: ServerResponse, key: string, cost: number): Record<string, string> | undefined {
    const exchange = exchanges.get(res);
    const window = pacing.admit(key, cost);
    if (!window) {
      if (exchange) exchange.kind = 'rate-limited';
      sendJson(res, 429, defaultErrorBody(429), accountHeaders(key, pacing.overLimitHeaders(key)));
      return undefined;
    }
    if (exchange) exchange.window = window;
    return pacing.rateHeaders(key, window);
  }

  function send(res: ServerResponse, status: number, body: Buffer | string, headers: Record<string, string>, images = 0): void {
    if (res.destroyed || res.headersSent) return;
    // Count before writing, so a client that reads this answer finds it in the stats already.
    const exchange = exchanges.get(res);
    if (exchange) {
      exchange.req.status = status;
      exchange.req.answeredAt = Date.now();
      if (exchange.key !== undefined) pacing.record(exchange.key, status, exchange.kind, images, exchange.window);
    }
    res.writeHead(status, { 'CF-RAY': cfRay(), 'content-length': String(Buffer.byteLength(body)), ...headers });
    res.end(body);
  }

  function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, images = 0): void {
    send(res, status, JSON.stringify(body), { 'content-type': 'application/json; charset=utf-8', ...headers }, images);
  }

  /** A 200 with image bytes, kept on the request as `answer`. */
  function sendImage(res: ServerResponse, bytes: Buffer, contentType: string, headers: Record<string, string>): void {
    const exchange = exchanges.get(res);
    if (exchange && !res.destroyed && !res.headersSent) exchange.req.answer = bytes;
    send(res, 200, bytes, { ...headers, 'content-type': contentType }, 1);
  }

  function sendRefusal(res: ServerResponse, refusal: Refusal, headers: Record<string, string>): void {
    sendJson(res, refusal.status, refusal.body, headers);
  }

  function deprecationHeaders(
    model: { id: string; model_spec: { deprecation?: SimModelDeprecation } } | undefined,
    scripted: OkScript['deprecation'],
  ): Record<string, string> {
    const known = model?.model_spec.deprecation;
    if (!known && !scripted) return {};
    const date = scripted?.date ?? known?.date ?? new Date(Date.now() + 30 * 86_400_000).toISOString();
    const replacement = scripted?.replacement ?? known?.replacementModelId;
    const warning =
      scripted?.warning ??
      `The model ${model?.id ?? 'requested'} is deprecated and will be removed on ${date.slice(0, 10)}.` +
        (replacement ? ` Please migrate to ${replacement}.` : '');
    return {
      'x-venice-model-deprecation-warning': warning,
      'x-venice-model-deprecation-date': date,
      'x-venice-deprecated': 'true',
      ...(replacement ? { 'x-venice-deprecated-replacement': replacement } : {}),
    };
  }

  async function answerScripted(req: SimRequest, res: ServerResponse, scripted: Exclude<ScriptedResponse, OkScript>): Promise<void> {
    const key = bearerToken(req) ?? apiKey;
    switch (scripted.kind) {
      case 'hang':
        return;
      case 'drop-connection':
        res.socket?.destroy();
        return;
      case 'malformed-json':
        send(res, 200, '{"id":"generate-image-broken","images":["UklGRi', {
          'content-type': 'application/json; charset=utf-8',
          ...accountHeaders(key),
        });
        return;
      case 'truncated-base64': {
        const format = req.path === '/image/generate' ? formatOf(req.body, 'webp') : formatOf(req.body, 'png', 'output_format');
        const full = await renderImage(format, 1024, 1024, colourFor(0, 0));
        if (editPaths.has(req.path)) {
          // Binary answers have no base64 to cut: the image itself stops halfway.
          const cut = full.subarray(0, Math.floor(full.length / 2));
          send(res, 200, cut, { 'content-type': contentTypeOf[format], ...accountHeaders(key) });
          return;
        }
        const base64 = full.toString('base64');
        // Cut mid-string at an odd length, so the remainder is neither whole bytes nor a whole image.
        const cut = base64.slice(0, Math.floor(base64.length / 2) | 1);
        const body =
          req.path === '/images/generations'
            ? { created: Math.floor(Date.now() / 1000), data: [{ b64_json: cut }] }
            : { id: `generate-image-${randomUUID()}`, images: [cut], timing: timing(0, 0), request: req.body };
        sendJson(res, 200, body, { ...accountHeaders(key), 'x-venice-is-blurred': 'false', 'x-venice-is-content-violation': 'false' });
        return;
      }
      case 'error': {
        await sleep(pacing.scale(scripted.delayMs ?? 0));
        const headers = accountHeaders(key);
        if (scripted.status === 429) headers['x-ratelimit-remaining-requests'] = '0';
        if (scripted.retryAfterSeconds !== undefined) headers['retry-after'] = String(scripted.retryAfterSeconds);
        if (scripted.resetRequests !== undefined) headers['x-ratelimit-reset-requests'] = scripted.resetRequests;
        sendJson(res, scripted.status, scripted.body ?? defaultErrorBody(scripted.status), headers);
        return;
      }
    }
  }

  function bearerToken(req: SimRequest): string | undefined {
    const auth = headerValue(req.headers.authorization);
    return auth ? /^Bearer\s+(.+)$/i.exec(auth)?.[1]?.trim() : undefined;
  }

  function timing(inferenceMs: number, totalMs: number): Record<string, number> {
    return { inferenceDuration: inferenceMs, inferencePreprocessingTime: 1, inferenceQueueTime: 0, total: totalMs };
  }

  async function renderPlan(plan: GenerationPlan, contentViolation: boolean): Promise<Buffer[]> {
    return Promise.all(
      Array.from({ length: plan.variants }, (_, index) =>
        renderImage(plan.format, plan.width, plan.height, contentViolation ? black : colourFor(plan.seed, index)),
      ),
    );
  }

  function imageHeaders(plan: GenerationPlan, ok: OkScript | undefined, key: string, rate: Record<string, string>): Record<string, string> {
    return {
      'x-venice-is-blurred': String(ok?.blurred === true),
      'x-venice-is-content-violation': String(ok?.contentViolation === true),
      ...deprecationHeaders(plan.model, ok?.deprecation),
      ...accountHeaders(key, rate),
      ...ok?.headers,
    };
  }

  async function generate(req: SimRequest, res: ServerResponse, key: string, ok: OkScript | undefined): Promise<void> {
    const checked = checkGenerateRequest(view, req.body);
    if (!checked.ok) return sendRefusal(res, checked.refusal, accountHeaders(key));
    const plan = checked.value;
    const rate = admit(res, key, plan.variants);
    if (!rate) return;

    const started = Date.now();
    await infer(ok?.delayMs);
    const violation = ok?.contentViolation === true;
    const images = await renderPlan(plan, violation);
    if (!violation) balanceUsd -= plan.priceUsd;
    const headers = imageHeaders(plan, ok, key, rate);
    if (plan.returnBinary) {
      const first = images[0] ?? Buffer.alloc(0);
      // A blocked binary answer is a placeholder PNG whatever format was asked for.
      const bytes = violation ? await renderImage('png', plan.width, plan.height, black) : first;
      return sendImage(res, bytes, violation ? 'image/png' : contentTypeOf[plan.format], headers);
    }
    const elapsed = Date.now() - started;
    sendJson(
      res,
      200,
      { id: `generate-image-${randomUUID()}`, images: images.map((b) => b.toString('base64')), timing: timing(elapsed, elapsed), request: req.body },
      headers,
      images.length,
    );
  }

  async function generateOpenAi(req: SimRequest, res: ServerResponse, key: string, ok: OkScript | undefined): Promise<void> {
    const checked = checkSimpleGenerateRequest(view, req.body);
    if (!checked.ok) return sendRefusal(res, checked.refusal, accountHeaders(key));
    const plan = checked.value;
    const rate = admit(res, key, 1);
    if (!rate) return;

    await infer(ok?.delayMs);
    const violation = ok?.contentViolation === true;
    const [image = Buffer.alloc(0)] = await renderPlan(plan, violation);
    if (!violation) balanceUsd -= plan.priceUsd;
    const base64 = image.toString('base64');
    const item = plan.responseFormat === 'url' ? { url: `data:${contentTypeOf[plan.format]};base64,${base64}` } : { b64_json: base64 };
    sendJson(res, 200, { created: Math.floor(Date.now() / 1000), data: [item] }, imageHeaders(plan, ok, key, rate), 1);
  }

  /** The body of an editing request as its checks read it; `arrayFields` stay arrays in multipart. */
  function editForm(parsed: ParsedBody, arrayFields?: ReadonlySet<string>): EditForm {
    return parsed.kind === 'multipart' ? multipartForm(parsed.entries, arrayFields) : jsonForm(parsed.kind === 'json' ? parsed.value : undefined);
  }

  /** Fetches or decodes the input images, records them on the request, and judges each one. */
  async function takeImages(req: SimRequest, sources: readonly ImageSource[]): Promise<Checked<{ images: Buffer[]; inputs: InputImage[] }>> {
    const loaded = await loadImages(sources);
    if (!loaded.ok) return loaded;
    req.images = loaded.value;
    const inspected = await inspectImages(
      loaded.value,
      sources.map((source) => source.path),
    );
    return inspected.ok ? { ok: true, value: { images: loaded.value, inputs: inspected.value } } : inspected;
  }

  /** The verdict headers every editing answer carries, as for /image/generate. */
  function verdictHeaders(ok: OkScript | undefined): Record<string, string> {
    return { 'x-venice-is-blurred': String(ok?.blurred === true), 'x-venice-is-content-violation': String(ok?.contentViolation === true) };
  }

  async function edit(req: SimRequest, res: ServerResponse, key: string, ok: OkScript | undefined, parsed: ParsedBody): Promise<void> {
    const multi = req.path === '/image/multi-edit';
    const form = editForm(parsed, multi ? new Set(['images']) : undefined);
    const checked = multi ? checkMultiEditRequest(inpaintModels, form) : checkEditRequest(inpaintModels, form);
    if (!checked.ok) return sendRefusal(res, checked.refusal, accountHeaders(key));
    const plan = checked.value;
    const taken = await takeImages(req, plan.sources);
    if (!taken.ok) return sendRefusal(res, taken.refusal, accountHeaders(key));
    const rate = admit(res, key, 1);
    if (!rate) return;

    await infer(ok?.delayMs);
    const { width, height } = editOutputSize(plan, taken.value.inputs);
    const violation = ok?.contentViolation === true;
    // A blocked answer is a placeholder PNG whatever format was asked for, as on /image/generate.
    const bytes = violation ? await renderImage('png', width, height, black) : await editedImage(taken.value.images, plan.prompt, width, height, plan.format);
    if (!violation) balanceUsd -= editPriceUsd(plan, plan.sources.length);
    const headers: Record<string, string> = {
      ...verdictHeaders(ok),
      'x-venice-model-id': plan.model.id,
      'x-venice-model-name': plan.model.model_spec.name,
      ...(plan.enhancePrompt ? { 'x-venice-enhanced-prompt': encodeURIComponent(`${plan.prompt}, with the details of the input image`) } : {}),
      ...deprecationHeaders(plan.model, ok?.deprecation),
      ...accountHeaders(key, rate),
      ...ok?.headers,
    };
    sendImage(res, bytes, violation ? 'image/png' : contentTypeOf[plan.format], headers);
  }

  async function backgroundRemove(req: SimRequest, res: ServerResponse, key: string, ok: OkScript | undefined, parsed: ParsedBody): Promise<void> {
    const checked = checkBackgroundRemoveRequest(editForm(parsed));
    if (!checked.ok) return sendRefusal(res, checked.refusal, accountHeaders(key));
    const taken = await takeImages(req, [checked.value]);
    if (!taken.ok) return sendRefusal(res, taken.refusal, accountHeaders(key));
    const rate = admit(res, key, 1);
    if (!rate) return;

    await infer(ok?.delayMs);
    const [input = Buffer.alloc(0)] = taken.value.images;
    const [size = { width: 1024, height: 1024 }] = taken.value.inputs;
    const violation = ok?.contentViolation === true;
    const bytes = violation ? await renderImage('png', size.width, size.height, black) : await backgroundRemovedImage(input);
    if (!violation) balanceUsd -= backgroundRemoveUsd;
    sendImage(res, bytes, 'image/png', { ...verdictHeaders(ok), ...deprecationHeaders(undefined, ok?.deprecation), ...accountHeaders(key, rate), ...ok?.headers });
  }

  async function upscale(req: SimRequest, res: ServerResponse, key: string, ok: OkScript | undefined, parsed: ParsedBody): Promise<void> {
    const checked = checkUpscaleRequest(editForm(parsed));
    if (!checked.ok) return sendRefusal(res, checked.refusal, accountHeaders(key));
    const { scale, source } = checked.value;
    const taken = await takeImages(req, [source]);
    if (!taken.ok) return sendRefusal(res, taken.refusal, accountHeaders(key));
    const [size = { format: 'png' as const, width: 0, height: 0 }] = taken.value.inputs;
    const roomy = checkUpscaleInput(size);
    if (!roomy.ok) return sendRefusal(res, roomy.refusal, accountHeaders(key));
    const rate = admit(res, key, 1);
    if (!rate) return;

    await infer(ok?.delayMs);
    const [input = Buffer.alloc(0)] = taken.value.images;
    const result = await upscaleImage(input, scale);
    const violation = ok?.contentViolation === true;
    const bytes = violation ? await renderImage('png', result.width, result.height, black) : result.png;
    if (!violation) balanceUsd -= scale === 4 ? 0.08 : 0.02;
    sendImage(res, bytes, 'image/png', { ...verdictHeaders(ok), ...deprecationHeaders(undefined, ok?.deprecation), ...accountHeaders(key, rate), ...ok?.headers });
  }

  /** Decodes each image of a chat request; a 400 for bytes that are no PNG, JPEG, WebP or GIF. */
  async function readChatImages(images: readonly Buffer[], paths: readonly (string | number)[][]): Promise<Checked<ChatImage[]>> {
    const read: ChatImage[] = [];
    for (const [index, bytes] of images.entries()) {
      const path = paths[index] ?? ['messages'];
      const format = sniffImageFormat(bytes);
      if (format === undefined) return invalid([{ code: 'custom', path, message: 'Invalid image: not a PNG, JPEG, WebP or GIF' }]);
      try {
        const { width, height } = await imageSize(bytes);
        const { channels } = await sharp(bytes).stats();
        const hex = channels
          .slice(0, 3)
          .map((c) => Math.round(c.mean).toString(16).padStart(2, '0'))
          .join('');
        read.push({ bytes, format, width, height, colour: `#${hex.padEnd(6, hex)}` });
      } catch {
        return invalid([{ code: 'custom', path, message: 'Invalid image: could not be decoded' }]);
      }
    }
    return { ok: true, value: read };
  }

  async function chat(req: SimRequest, res: ServerResponse, key: string, ok: OkScript | undefined): Promise<void> {
    const checked = checkChatRequest(textModels, req.body);
    if (!checked.ok) return sendRefusal(res, checked.refusal, accountHeaders(key));
    const plan = checked.value;
    const loaded = await loadImages(plan.sources);
    if (!loaded.ok) return sendRefusal(res, loaded.refusal, accountHeaders(key));
    req.images = loaded.value;
    const images = await readChatImages(
      loaded.value,
      plan.sources.map((s) => s.path),
    );
    if (!images.ok) return sendRefusal(res, images.refusal, accountHeaders(key));
    await infer(ok?.delayMs);
    const read = images.value;
    const text = typeof chatAnswer === 'string' ? chatAnswer : chatAnswer({ model: plan.model.id, body: req.body, text: plan.lastUserText, images: read });
    const { body, priceUsd } = chatCompletion(plan, text, read.length, `chatcmpl-${randomUUID().replace(/-/g, '')}`);
    balanceUsd -= priceUsd;
    sendJson(res, 200, body, {
      'x-venice-model-id': plan.model.id,
      'x-venice-model-name': plan.model.model_spec.name,
      ...accountHeaders(key),
      ...ok?.headers,
    });
  }

  async function answerPost(req: SimRequest, res: ServerResponse, parsed: ParsedBody): Promise<void> {
    const exchange = exchanges.get(res);
    // Chat is not paced (see the header): no key, so no budget, no stats, no lockout.
    if (exchange && bearerToken(req) === apiKey && req.path !== chatPath) exchange.key = apiKey;
    // A locked-out key is turned away before anything, scripts included, sees the request.
    const lockout = exchange?.key !== undefined ? pacing.lockoutAnswer(exchange.key) : undefined;
    if (exchange && lockout) {
      exchange.kind = 'blocked';
      return sendJson(res, 429, lockout.body, lockout.headers);
    }
    const scripted = takeRule(req);
    if (scripted && scripted.kind !== 'ok') return answerScripted(req, res, scripted);
    const ok = scripted;

    if (req.headers.authorization === undefined) {
      const discovery = x402DiscoveryBody(`https://api.venice.ai${basePath}${req.path}`);
      const requirement = Buffer.from(JSON.stringify({ x402Version: 2, accepts: discovery.accepts })).toString('base64');
      return sendJson(res, 402, discovery, { 'PAYMENT-REQUIRED': requirement });
    }
    const key = bearerToken(req);
    if (key !== apiKey) return sendJson(res, 401, defaultErrorBody(401));
    const editing = editPaths.has(req.path);
    switch (parsed.kind) {
      case 'too-large':
        return sendJson(res, 413, defaultErrorBody(413), accountHeaders(key));
      case 'other':
        return sendJson(res, 415, defaultErrorBody(415), accountHeaders(key));
      case 'invalid-json':
        return sendJson(res, 400, { error: 'Invalid request parameters. Request body is not valid JSON', details: { _errors: ['Invalid JSON'] } }, accountHeaders(key));
      case 'invalid-multipart':
        if (!editing) return sendJson(res, 415, defaultErrorBody(415), accountHeaders(key));
        return sendJson(
          res,
          400,
          { error: 'Invalid request parameters. Request body is not valid multipart/form-data', details: { _errors: ['Invalid multipart body'] } },
          accountHeaders(key),
        );
      case 'multipart':
        // Only the editing endpoints take uploads; generation is JSON only.
        if (!editing) return sendJson(res, 415, defaultErrorBody(415), accountHeaders(key));
        break;
      case 'json':
        break;
    }
    switch (req.path) {
      case '/image/generate':
        return generate(req, res, key, ok);
      case '/images/generations':
        return generateOpenAi(req, res, key, ok);
      case '/image/edit':
      case '/image/multi-edit':
        return edit(req, res, key, ok, parsed);
      case '/image/background-remove':
        return backgroundRemove(req, res, key, ok, parsed);
      case chatPath:
        return chat(req, res, key, ok);
      default:
        return upscale(req, res, key, ok, parsed);
    }
  }

  function answerGet(req: SimRequest, res: ServerResponse): void {
    const type = req.query.type ?? 'text';
    const listed: readonly (SimModel | SimInpaintModel | SimTextModel)[] =
      type === 'image' ? models : type === 'inpaint' ? inpaintModels : type === 'text' ? textModels : type === 'all' ? [...models, ...inpaintModels, ...textModels] : [];
    switch (req.path) {
      case '/models':
        return sendJson(res, 200, { object: 'list', type, data: listed });
      case '/models/traits':
        return sendJson(res, 200, { object: 'list', type, data: type === 'image' ? view.traits : type === 'text' ? textTraits : {} });
      case '/image/styles':
        return sendJson(res, 200, { object: 'list', data: styles });
      default:
        return sendJson(res, 404, { error: 'Not found' });
    }
  }

  async function handle(incoming: IncomingMessage, res: ServerResponse): Promise<void> {
    const receivedAt = Date.now();
    const url = new URL(incoming.url ?? '/', 'http://127.0.0.1');
    const underBase = url.pathname.startsWith(`${basePath}/`);
    const path = underBase ? url.pathname.slice(basePath.length) : url.pathname;
    const { raw, tooLarge } = await readBody(incoming, editPaths.has(path) ? maxEditBodyBytes : maxBodyBytes);
    const contentType = headerValue(incoming.headers['content-type']) ?? '';
    const parsed = await parseBody(raw, tooLarge, contentType);
    const req: SimRequest = {
      method: incoming.method ?? 'GET',
      path,
      query: Object.fromEntries(url.searchParams),
      headers: { ...incoming.headers },
      body: parsed.kind === 'json' ? parsed.value : parsed.kind === 'multipart' ? multipartFields(parsed.entries) : undefined,
      ...(parsed.kind === 'multipart' ? { files: parsed.entries.flatMap((e) => ('upload' in e ? [e.upload] : [])) } : {}),
      receivedAt,
    };
    requests.push(req);
    exchanges.set(res, { req, parsed, key: undefined, window: undefined, kind: undefined });

    if (!underBase) return sendJson(res, 404, { error: 'Not found' });
    if (req.method === 'GET') {
      // Discovery can be scripted too (by `path`, e.g. '/models'): an error, a drop or a hang.
      const scripted = takeRule(req);
      if (scripted && scripted.kind !== 'ok') return answerScripted(req, res, scripted);
      return answerGet(req, res);
    }
    if (req.method === 'POST' && postPaths.has(req.path)) return answerPost(req, res, parsed);
    return sendJson(res, 404, { error: 'Not found' });
  }

  const server = createServer((incoming, res) => {
    handle(incoming, res).catch((err: unknown) => {
      // A client that went away mid-request is not a simulator bug.
      if (res.destroyed) return;
      console.error('venice simulator failed to answer', err);
      sendJson(res, 500, defaultErrorBody(500));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}${basePath}`,
    apiKey,
    timeScale: options.timeScale ?? 1,
    requests,
    generateRequests: () => requests.filter((r) => r.method === 'POST' && r.path === '/image/generate'),
    editRequests: (path) => requests.filter((r) => r.method === 'POST' && (path === undefined ? editPaths.has(r.path) : r.path === path)),
    chatRequests: () => requests.filter((r) => r.method === 'POST' && r.path === chatPath),
    setChatAnswer(answer) {
      chatAnswer = answer ?? defaultChatAnswer;
    },
    script(response, scriptOptions = {}) {
      rules.push({ response, match: scriptOptions.match, path: scriptOptions.path ?? '/image/generate', remaining: scriptOptions.times ?? 1 });
    },
    setInferenceDelay(delay) {
      inferenceDelay = checkDelay(delay);
    },
    setRateLimit(limit) {
      pacing.setRateLimit(limit);
    },
    setFailureLockout(lockout) {
      pacing.setFailureLockout(lockout);
    },
    rateStats: () => pacing.stats(apiKey),
    reset() {
      requests.length = 0;
      rules = [];
      pacing.reset();
    },
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

async function parseBody(raw: Buffer, tooLarge: boolean, contentType: string): Promise<ParsedBody> {
  if (tooLarge) return { kind: 'too-large' };
  if (/^application\/([\w.+-]+\+)?json\b/i.test(contentType)) {
    if (raw.length === 0) return { kind: 'json', value: undefined };
    try {
      return { kind: 'json', value: JSON.parse(raw.toString('utf8')) };
    } catch {
      return { kind: 'invalid-json' };
    }
  }
  if (/^multipart\/form-data\b/i.test(contentType)) {
    const entries = await parseMultipart(raw, contentType);
    return entries ? { kind: 'multipart', entries } : { kind: 'invalid-multipart' };
  }
  return { kind: 'other' };
}

function formatOf(body: unknown, fallback: ImageFormat, field = 'format'): ImageFormat {
  const value = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[field] : undefined;
  return value === 'jpeg' || value === 'png' || value === 'webp' ? value : fallback;
}
