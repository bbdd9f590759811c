import type { Readable } from 'node:stream';
import { Agent, request, errors as undiciErrors } from 'undici';
import { MultipartBody, type FormPart } from '../http/multipart-body.js';
import type { z } from 'zod';
import type { Logger } from '../logger.js';
import type { PacerMetrics, VeniceMetrics } from '../observability/metrics.js';
import { VeniceError, isRetryable, kindForStatus } from './errors.js';
import { readBody } from '../http/read-body.js';
import { decodeBase64Image, isCompleteImage, sniffImageFormat } from './image-bytes.js';
import { VeniceRateLimiter } from './rate-limiter.js';
import { backoffDelay, defaultRetryPolicy, serverWaitMs, sleep, type RetryPolicy } from './retry.js';
import {
  errorBodySchema,
  generateResponseSchema,
  imageModelSchema,
  modelListSchema,
  editModelSchema,
  type EditModelWire,
  chatCompletionResponseSchema,
  textModelSchema,
  type TextModelWire,
  openAiImagesResponseSchema,
  stylesSchema,
  traitsSchema,
  type ImageModelWire,
} from './schemas.js';
import type { ChatCompletionBody, ChatCompletionResult, DeprecationNotice, EditedImage, GenerateImageBody, GeneratedImages, ImageFormat, OpenAiImageBody, UpscaledImage } from './types.js';

/** What an edit asks for; the images go as multipart parts, never as base64 text. */
export interface EditRequest {
  model: string;
  prompt: string;
  images: Array<{ data: Buffer; name: string; contentType: string }>;
  aspect_ratio?: string;
  resolution?: string;
  output_format?: ImageFormat;
  safe_mode?: boolean;
}

export interface VeniceClientOptions {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
  log: Logger;
  retry?: Partial<RetryPolicy>;
  /** Paces generation requests by Venice's rate-limit headers, shared by every job. */
  limiter?: VeniceRateLimiter;
  /**
   * Paces `/chat/completions` by its own rate-limit headers. Venice limits each model
   * separately (the spec's `rateLimits` are per `apiModelId`), so a text model's answers must
   * not teach the image pacer their numbers, nor wait in its window. Default: one of its own,
   * in the image pacer's room for failures (Venice's 30-second block counts the key's, any endpoint).
   */
  chatLimiter?: VeniceRateLimiter;
  /** Request durations, answers by status, retries and withheld images. */
  metrics?: VeniceMetrics;
  /** For the default chat pacer's waits (an image pacer is passed in with its own). */
  pacerMetrics?: PacerMetrics;
}

export interface VeniceClient {
  listImageModels(signal?: AbortSignal): Promise<ImageModelWire[]>;
  listImageTraits(signal?: AbortSignal): Promise<Record<string, string>>;
  listStyles(signal?: AbortSignal): Promise<string[]>;
  /** One HTTP request; its blur and violation verdicts cover every image it returns. */
  generateImage(body: GenerateImageBody, signal?: AbortSignal): Promise<GeneratedImages>;
  generateOpenAi(body: OpenAiImageBody, signal?: AbortSignal): Promise<GeneratedImages>;
  /** `POST /image/upscale`: Venice answers with the PNG itself, and its verdicts in headers. */
  upscaleImage(image: Buffer, scale: 2 | 4, signal?: AbortSignal): Promise<UpscaledImage>;
  /** Edit models, `GET /models?type=inpaint`. */
  listEditModels(signal?: AbortSignal): Promise<EditModelWire[]>;
  /** One image: `POST /image/edit`; several: `POST /image/multi-edit` (the first is the base). */
  editImage(request: EditRequest, signal?: AbortSignal): Promise<EditedImage>;
  /** `POST /image/background-remove`: a PNG with transparency. */
  removeBackground(image: Buffer, signal?: AbortSignal): Promise<EditedImage>;
  /** Text models, `GET /models?type=text`. */
  listTextModels(signal?: AbortSignal): Promise<TextModelWire[]>;
  /** `POST /chat/completions`, not streamed: the first choice's text and the tokens Venice counted. */
  chatCompletion(body: ChatCompletionBody, signal?: AbortSignal): Promise<ChatCompletionResult>;
  /** Graceful: no new requests, and resolves once those in flight have finished. */
  close(): Promise<void>;
  /** At once: ends every request in flight (and any pause between retries) with an error. */
  destroy(): Promise<void>;
}

type Headers = Record<string, string | string[] | undefined>;

/**
 * Venice's largest answer is a 4x upscale, at most 16,777,216 pixels: a PNG of noise that size is
 * 67 MB. An answer longer than this is refused, whatever its Content-Length says.
 */
const MAX_ANSWER_BYTES = 256 * 1024 * 1024;

/** A JSON body serialised once by its caller, so a retry does not copy megabytes of base64 again. */
class JsonText {
  constructor(
    readonly text: string,
    /** The model it asks for, for the metrics' label: the text is not parsed again for it. */
    readonly model?: string,
  ) {}
}

/** A multipart body (an image edit, an upscale), with the model it asks for, for the metrics' label. */
class FormBody {
  readonly body: MultipartBody;
  constructor(
    parts: readonly FormPart[],
    readonly model?: string,
  ) {
    this.body = MultipartBody.of(parts);
  }
}

/** The model a request body names, if any: a metrics label only. */
function modelOf(body: unknown): string | undefined {
  if (body instanceof JsonText || body instanceof FormBody) return body.model;
  const model = typeof body === 'object' && body !== null ? (body as { model?: unknown }).model : undefined;
  return typeof model === 'string' ? model : undefined;
}

interface RawResponse {
  status: number;
  headers: Headers;
  body: Buffer;
  /** From sending the request to the last byte of the answer. */
  elapsedMs: number;
}

const header = (headers: Headers, name: string): string | undefined => {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/** The type an image file part goes with: what its bytes are (PNG when they say nothing). */
const imageContentType = (image: Buffer): string => `image/${sniffImageFormat(image) ?? 'png'}`;

const isTrue = (v: string | undefined) => v?.trim().toLowerCase() === 'true';

const numberHeader = (headers: Headers, name: string): number | undefined => {
  const text = header(headers, name)?.trim();
  if (!text) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
};

/**
 * Errors meaning the connection was never made, so the request provably never reached
 * Venice. Anything else (a reset, a socket closed mid-answer) may have come after Venice read
 * the request.
 */
const CONNECT_FAILURE_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  // TLS fails before a byte of HTTP is sent.
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_HAS_EXPIRED',
]);

/** Whether an error from undici, or any error in its cause chain, says the connection was never made. */
export function isConnectFailure(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    if (current instanceof undiciErrors.ConnectTimeoutError) return true;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECT_FAILURE_CODES.has(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** Venice prefixes its 400s with schema jargon; keep the human part, short and on one line. */
export function cleanVeniceMessage(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  const text = raw.replace(/\s+/g, ' ').trim();
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}

function describeDetails(details: unknown): string | undefined {
  if (typeof details === 'string') return details;
  if (details === null || typeof details !== 'object') return undefined;
  const parts: string[] = [];
  for (const [field, value] of Object.entries(details)) {
    if (field === '_errors') continue;
    const errs = (value as { _errors?: unknown })._errors;
    if (Array.isArray(errs) && errs.length > 0) parts.push(`${field}: ${errs.filter((e) => typeof e === 'string').join(', ')}`);
  }
  return parts.length > 0 ? parts.join('; ') : undefined;
}

export function createVeniceClient(options: VeniceClientOptions): VeniceClient {
  const policy: RetryPolicy = { ...defaultRetryPolicy, ...options.retry };
  const agent = new Agent({
    connections: 32,
    keepAliveTimeout: 30_000,
    connectTimeout: Math.min(10_000, options.timeoutMs),
    // undici's own timers tick coarsely and could fire early; the AbortSignal below is the
    // precise limit, these only catch a stuck socket.
    headersTimeout: options.timeoutMs + 5_000,
    bodyTimeout: options.timeoutMs + 5_000,
  });
  const log = options.log.child({ service: 'venice' });
  // Its own window (chat is limited apart from images), but the same room for failures: Venice's block counts the key's.
  const chatLimiter = options.chatLimiter ?? new VeniceRateLimiter(Date.now, options.pacerMetrics, options.limiter?.failureRoom);
  // Aborted by destroy(): ends requests in flight and pauses between retries at once.
  const lifetime = new AbortController();
  // One controller per request or pause in flight, aborted by destroy(). Not a listener on the
  // lifetime signal (dozens of requests at once would trip Node's listener warning) nor
  // AbortSignal.any with it (Node 20 keeps every signal combined with a long-lived one).
  const alive = new Set<AbortController>();

  /** Runs `run` with a signal that aborts with any of `signals` or with destroy(). */
  async function whileAlive<T>(signals: AbortSignal[], run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const stop = new AbortController();
    if (lifetime.signal.aborted) stop.abort(lifetime.signal.reason);
    alive.add(stop);
    try {
      return await run(AbortSignal.any([...signals, stop.signal]));
    } finally {
      alive.delete(stop);
    }
  }

  async function once(method: 'GET' | 'POST', path: string, body: unknown, signal: AbortSignal | undefined): Promise<RawResponse> {
    const timeout = AbortSignal.timeout(options.timeoutMs);
    try {
      return await whileAlive(signal ? [signal, timeout] : [timeout], async (combined) => {
        const sentAt = Date.now();
        const res = await request(`${options.baseUrl}${path}`, {
          method,
          dispatcher: agent,
          signal: combined,
          headers: {
            authorization: `Bearer ${options.apiKey}`,
            // Image answers (return_binary) come as image bytes; everything else, errors included, as JSON.
            accept: 'application/json, image/*',
            ...(body === undefined
              ? {}
              : body instanceof FormBody
                ? { 'content-type': body.body.contentType, 'content-length': String(body.body.length) }
                : { 'content-type': 'application/json' }),
          },
          body:
            body === undefined
              ? undefined
              : body instanceof FormBody
                ? // undici writes an iterable body chunk by chunk (its docs list Iterable; its types do not).
                  (body.body as unknown as Readable)
                : body instanceof JsonText
                  ? body.text
                  : JSON.stringify(body),
        });
        const bytes = await readBody(res.body, {
          contentLength: res.headers['content-length'],
          maxBytes: MAX_ANSWER_BYTES,
          tooLarge: () => new VeniceError('malformed', `Venice's answer to ${method} ${path} is over ${MAX_ANSWER_BYTES / 1024 ** 2} MB: more than any image it makes`),
        }).catch((err: unknown) => {
          // An answer refused before its end: its connection goes now, not at the timeout (undici
          // reports the destroyed body as an 'error' on it, which nobody reads).
          res.body.on('error', () => undefined).destroy();
          throw err;
        });
        return { status: res.statusCode, headers: res.headers, body: bytes, elapsedMs: Date.now() - sentAt };
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      if (err instanceof VeniceError) throw err;
      if (lifetime.signal.aborted) {
        // Whether a POST got to Venice before the shutdown is unknown, as after any drop.
        throw new VeniceError(method === 'POST' ? 'connection_lost' : 'network', `the Venice client was shut down during ${method} ${path}`, { cause: err });
      }
      if (timeout.aborted || err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError) {
        throw new VeniceError('timeout', `Venice did not answer ${method} ${path} within ${options.timeoutMs} ms`, { cause: err });
      }
      if (isConnectFailure(err)) throw new VeniceError('network', `could not connect to Venice for ${method} ${path}`, { cause: err });
      // Sent, perhaps read and billed: a GET may be asked again, a POST must not be.
      if (method === 'POST') {
        throw new VeniceError('connection_lost', `the connection to Venice dropped after ${method} ${path} was sent`, { cause: err });
      }
      throw new VeniceError('network', `the connection to Venice dropped during ${method} ${path}`, { cause: err });
    }
  }

  function errorFrom(res: RawResponse, path: string): VeniceError {
    let veniceMessage: string | undefined;
    try {
      const parsed = errorBodySchema.safeParse(JSON.parse(res.body.toString('utf8')));
      if (parsed.success) {
        const base = parsed.data.error ?? parsed.data.message ?? parsed.data.code;
        const details = describeDetails(parsed.data.details);
        veniceMessage = cleanVeniceMessage(details && base ? `${base} (${details})` : (base ?? details));
      }
    } catch {
      // Not JSON (a proxy's HTML page, say): the status alone has to speak.
    }
    // The rate-limit reset time comes on every answer; it says when to retry only on a 429.
    const wait = serverWaitMs({
      retryAfter: header(res.headers, 'retry-after'),
      resetRequests: res.status === 429 ? header(res.headers, 'x-ratelimit-reset-requests') : undefined,
    });
    return new VeniceError(kindForStatus(res.status), `Venice answered ${res.status} to ${path}`, {
      status: res.status,
      veniceMessage,
      requestId: header(res.headers, 'cf-ray'),
      retryAfterMs: wait,
    });
  }

  /** Sends a request, retrying only what Venice says is worth retrying, within the policy's bounds. */
  async function send(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    signal?: AbortSignal,
    limiter: VeniceRateLimiter | undefined = method === 'POST' ? options.limiter : undefined,
  ): Promise<RawResponse> {
    for (let attempt = 0; ; attempt++) {
      let failure: VeniceError;
      try {
        // Waiting for Venice's window is a place in line, however long: no error for it.
        let seq: number | undefined;
        if (limiter) {
          seq = await whileAlive(signal ? [signal] : [], (held) => limiter.acquire(held)).catch((err: unknown) => {
            if (signal?.aborted || !lifetime.signal.aborted) throw err;
            throw new VeniceError('network', `the Venice client was shut down before ${method} ${path} was sent`, { cause: err });
          });
        }
        let res: RawResponse;
        const sentAt = performance.now();
        try {
          res = await once(method, path, body, signal);
          options.metrics?.veniceRequest(path, modelOf(body), String(res.status), (performance.now() - sentAt) / 1000);
        } catch (err) {
          if (err instanceof VeniceError && !signal?.aborted) options.metrics?.veniceRequest(path, modelOf(body), err.kind, (performance.now() - sentAt) / 1000);
          // Never reached Venice: the turn is given back. Abandoned by its requester: no verdict on
          // Venice (so cancels cannot trip the failure guard). Sent and lost: a failure.
          if (err instanceof VeniceError && err.kind === 'network') limiter?.cancel(seq);
          else if (signal?.aborted) limiter?.release(seq);
          else limiter?.observe(0, {}, seq);
          throw err;
        }
        limiter?.observe(res.status, res.headers, seq);
        if (res.status >= 200 && res.status < 300) return res;
        failure = errorFrom(res, path);
      } catch (err) {
        if (!(err instanceof VeniceError)) throw err;
        failure = err;
      }
      const bound = failure.kind === 'rate_limited' ? policy.maxRateLimitedAttempts : policy.maxAttempts;
      const last = attempt + 1 >= bound;
      if (!isRetryable(failure, method) || last || lifetime.signal.aborted) throw failure;
      const jitter = backoffDelay(attempt, policy);
      // Paced requests wait out a 429 in the pacer, in line with everyone else; the rest honour Retry-After here.
      const wait = limiter && failure.kind === 'rate_limited' ? jitter : Math.max(jitter, Math.min(failure.retryAfterMs ?? 0, policy.maxServerWaitMs));
      log.warn({ path, status: failure.status, kind: failure.kind, attempt: attempt + 1, waitMs: wait, requestId: failure.requestId }, 'retrying Venice request');
      options.metrics?.veniceRetry(path, failure.kind);
      await whileAlive(signal ? [signal] : [], (pause) => sleep(wait, pause)).catch((err: unknown) => {
        // Shut down mid-pause: the last failure says what happened, not the abort.
        if (!signal?.aborted) throw failure;
        throw err;
      });
    }
  }

  function parseJson<T>(res: RawResponse, schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: unknown } }, path: string): T {
    let value: unknown;
    try {
      value = JSON.parse(res.body.toString('utf8'));
    } catch (cause) {
      throw new VeniceError('malformed', `Venice sent malformed JSON for ${path}`, { status: res.status, requestId: header(res.headers, 'cf-ray'), cause });
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      throw new VeniceError('malformed', `Venice's answer to ${path} has an unexpected shape`, { status: res.status, requestId: header(res.headers, 'cf-ray'), cause: parsed.error });
    }
    return parsed.data;
  }

  /** The answer's verdicts; `images` is how many images it carries, withheld if it is a content violation. */
  function verdicts(res: RawResponse, images = 1): Omit<GeneratedImages, 'images' | 'format'> {
    const deprecation: DeprecationNotice = {};
    const warning = header(res.headers, 'x-venice-model-deprecation-warning');
    const date = header(res.headers, 'x-venice-model-deprecation-date');
    const replacement = header(res.headers, 'x-venice-deprecated-replacement');
    if (warning) deprecation.warning = warning;
    if (date) deprecation.date = date;
    if (replacement) deprecation.replacement = replacement;
    const deprecated = isTrue(header(res.headers, 'x-venice-deprecated')) || Object.keys(deprecation).length > 0;
    // The spec documents X-Balance-Remaining (x402 accounts); Venice's clients read x-venice-balance-usd.
    const balance = numberHeader(res.headers, 'x-balance-remaining') ?? numberHeader(res.headers, 'x-venice-balance-usd');
    const contentViolation = isTrue(header(res.headers, 'x-venice-is-content-violation'));
    if (contentViolation) options.metrics?.imagesWithheld(images);
    return {
      blurred: isTrue(header(res.headers, 'x-venice-is-blurred')),
      contentViolation,
      ...(deprecated ? { deprecation } : {}),
      ...(header(res.headers, 'cf-ray') ? { requestId: header(res.headers, 'cf-ray') } : {}),
      ...(balance !== undefined ? { balanceUsd: balance } : {}),
    };
  }

  function decodeAll(encoded: string[], res: RawResponse, path: string): Buffer[] {
    return encoded.map((text) => {
      const bytes = decodeBase64Image(text);
      if (!bytes) throw new VeniceError('malformed', `Venice sent an incomplete image for ${path}`, { status: res.status, requestId: header(res.headers, 'cf-ray') });
      return bytes;
    });
  }

  /**
   * The format of a binary answer's image, checked whole. A content violation's bytes are a
   * placeholder that is never posted: its verdict stands whatever they are, so the member hears
   * that Venice refused the content (and the moderators are told) rather than of a broken answer.
   */
  function wholeImage(res: RawResponse, path: string, fallback: ImageFormat): ImageFormat {
    const format = sniffImageFormat(res.body);
    if (isTrue(header(res.headers, 'x-venice-is-content-violation'))) return format ?? fallback;
    if (format === undefined || !isCompleteImage(res.body)) {
      throw new VeniceError('malformed', `Venice sent an incomplete image for ${path}`, { status: res.status, requestId: header(res.headers, 'cf-ray') });
    }
    return format;
  }

  /** An editing endpoint's answer: the image bytes themselves, checked whole, with the response's verdicts. */
  function imageAnswer(res: RawResponse, path: string): EditedImage {
    const format = wholeImage(res, path, 'png');
    const { blurred, contentViolation, deprecation, requestId } = verdicts(res);
    return { image: res.body, format, blurred, contentViolation, ...(deprecation ? { deprecation } : {}), ...(requestId !== undefined ? { requestId } : {}) };
  }

  /** A model list of one type; a model in an unexpected shape is skipped, not the list. */
  async function listModels<T>(type: 'image' | 'inpaint' | 'text', schema: z.ZodType<T>, signal: AbortSignal | undefined): Promise<T[]> {
    const res = await send('GET', `/models?type=${type}`, undefined, signal);
    const list = parseJson(res, modelListSchema, '/models');
    const models: T[] = [];
    for (const entry of list.data) {
      const parsed = schema.safeParse(entry);
      if (parsed.success) models.push(parsed.data);
      else log.warn({ type, model: (entry as { id?: unknown } | null)?.id, issues: parsed.error.issues.slice(0, 3) }, 'skipping a model Venice listed in an unexpected shape');
    }
    return models;
  }

  return {
    listImageModels: (signal) => listModels('image', imageModelSchema, signal),

    async listImageTraits(signal) {
      const res = await send('GET', '/models/traits?type=image', undefined, signal);
      return parseJson(res, traitsSchema, '/models/traits').data;
    },

    async listStyles(signal) {
      const res = await send('GET', '/image/styles', undefined, signal);
      return parseJson(res, stylesSchema, '/image/styles').data;
    },

    async generateImage(body, signal) {
      const path = '/image/generate';
      // One image per request (each variant is its own), so ask for the bytes themselves: no
      // megabytes of base64 to parse and decode on the event loop. `variants` and
      // `return_binary` cannot go together, so a body with variants keeps the JSON form.
      const binary = body.variants === undefined || body.variants === 1;
      const res = await send('POST', path, { ...body, return_binary: binary }, signal);
      const contentType = header(res.headers, 'content-type') ?? '';
      if (binary && !contentType.includes('json')) {
        const format = wholeImage(res, path, body.format ?? 'webp');
        // The binary answer has no timing object: the round trip is what the member waited.
        return { images: [res.body], format, ...verdicts(res), timingMs: res.elapsedMs };
      }
      const parsed = parseJson(res, generateResponseSchema, path);
      const images = decodeAll(parsed.images, res, path);
      const format: ImageFormat = sniffImageFormat(images[0] ?? Buffer.alloc(0)) ?? body.format ?? 'webp';
      const timing = parsed.timing?.total ?? parsed.timing?.inferenceDuration;
      return { images, format, ...verdicts(res, images.length), ...(timing !== undefined ? { timingMs: timing } : {}) };
    },

    async generateOpenAi(body, signal) {
      const path = '/images/generations';
      const res = await send('POST', path, { ...body, response_format: 'b64_json' }, signal);
      const parsed = parseJson(res, openAiImagesResponseSchema, path);
      const images = decodeAll(
        parsed.data.map((d) => ('b64_json' in d ? d.b64_json : d.url)),
        res,
        path,
      );
      const format: ImageFormat = sniffImageFormat(images[0] ?? Buffer.alloc(0)) ?? body.output_format ?? 'png';
      return { images, format, ...verdicts(res, images.length) };
    },

    async upscaleImage(image, scale, signal) {
      const path = '/image/upscale';
      // As a file, not base64 in JSON: the image (up to 25 MB) is sent from its own bytes, with no
      // string a third larger built and serialised on the event loop.
      const form = new FormBody([
        { name: 'image', data: image, filename: 'image', contentType: imageContentType(image) },
        { name: 'scale', value: String(scale) },
      ]);
      const res = await send('POST', path, form, signal);
      wholeImage(res, path, 'png');
      const { blurred, contentViolation, requestId, balanceUsd } = verdicts(res);
      return {
        image: res.body,
        blurred,
        contentViolation,
        ...(requestId !== undefined ? { requestId } : {}),
        ...(balanceUsd !== undefined ? { balanceUsd } : {}),
      };
    },

    listEditModels: (signal) => listModels('inpaint', editModelSchema, signal),

    async editImage(request, signal) {
      const multi = request.images.length > 1;
      const path = multi ? '/image/multi-edit' : '/image/edit';
      // Multipart carries the bytes as they are: no base64 string of up to 25 MB built on the event loop.
      const parts: FormPart[] = [
        { name: multi ? 'modelId' : 'model', value: request.model },
        { name: 'prompt', value: request.prompt },
        ...request.images.map((image) => ({ name: multi ? 'images' : 'image', data: image.data, filename: image.name, contentType: image.contentType })),
      ];
      if (request.aspect_ratio !== undefined) parts.push({ name: 'aspect_ratio', value: request.aspect_ratio });
      if (request.resolution !== undefined) parts.push({ name: 'resolution', value: request.resolution });
      if (request.output_format !== undefined) parts.push({ name: 'output_format', value: request.output_format });
      if (request.safe_mode !== undefined) parts.push({ name: 'safe_mode', value: String(request.safe_mode) });
      return imageAnswer(await send('POST', path, new FormBody(parts, request.model), signal), path);
    },

    async removeBackground(image, signal) {
      const path = '/image/background-remove';
      const form = new FormBody([{ name: 'image', data: image, filename: 'image', contentType: imageContentType(image) }]);
      return imageAnswer(await send('POST', path, form, signal), path);
    },

    listTextModels: (signal) => listModels('text', textModelSchema, signal),

    async chatCompletion(body, signal) {
      const path = '/chat/completions';
      // Serialised once, here: the image's base64 may be tens of megabytes.
      const res = await send('POST', path, new JsonText(JSON.stringify(body), body.model), signal, chatLimiter);
      const parsed = parseJson(res, chatCompletionResponseSchema, path);
      const content = parsed.choices[0]?.message.content;
      const text =
        typeof content === 'string'
          ? content
          : Array.isArray(content)
            ? content.map((part) => ('text' in part && typeof part.text === 'string' ? part.text : '')).join('')
            : '';
      const requestId = header(res.headers, 'cf-ray');
      return {
        text,
        finishReason: parsed.choices[0]?.finish_reason ?? undefined,
        usage: parsed.usage ? { promptTokens: parsed.usage.prompt_tokens, completionTokens: parsed.usage.completion_tokens } : undefined,
        costUsd: parsed.cost?.usd,
        ...(requestId !== undefined ? { requestId } : {}),
      };
    },

    async close() {
      await agent.close();
    },

    async destroy() {
      lifetime.abort(new Error('the Venice client was destroyed'));
      for (const stop of alive) stop.abort(lifetime.signal.reason);
      await agent.destroy();
    },
  };
}
