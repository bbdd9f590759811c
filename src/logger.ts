import { pino, stdSerializers, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/** Interaction and webhook tokens appear in discord.js error URLs; they grant 15 minutes of posting. */
const TOKEN_IN_URL = /\/(interactions|webhooks)\/(\d+)\/[A-Za-z0-9_.-]{20,}/g;

/** Returns a function that removes every secret and interaction token from a string. */
export function makeScrubber(secrets: readonly string[]): (text: string) => string {
  // Real tokens and keys are dozens of characters; a very short value would match innocent text.
  const needles = secrets.filter((s) => s.length >= 8);
  return (text) => {
    let out = text.replace(TOKEN_IN_URL, '/$1/$2/[redacted]');
    for (const s of needles) out = out.split(s).join('[redacted]');
    return out;
  };
}

/** Longer strings are cut: an error's properties can quote a whole response body. */
const MAX_STRING_CHARS = 2_000;
/** The stack, causes included, is what finds a bug: it gets more room than other strings. */
const MAX_STACK_CHARS = 8_000;
const MAX_DEPTH = 8;
const MAX_ARRAY_ITEMS = 100;
/** Defence in depth: whatever a call site logs, no line grows past this. */
const MAX_LINE_BYTES = 16 * 1024;

const truncate = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max)}… [${text.length} chars]` : text);

/** What one serialisation carries down: the scrubber (run before a cut, which could halve a secret) and the path, for cycles. */
interface Walk {
  scrub: (text: string) => string;
  path: WeakSet<object>;
}

const isErrorLike = (value: unknown): value is Error => typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string';

const byteCount = (value: unknown): number => {
  if (value instanceof ArrayBuffer) return value.byteLength;
  if (ArrayBuffer.isView(value)) return value.byteLength;
  if (typeof value === 'string') return Buffer.byteLength(value);
  return 0;
};

/**
 * discord.js keeps the request on its errors (`requestBody: { files, json }`): uploaded images
 * and the message sent. The log needs only how much was sent.
 */
function summariseRequestBody(body: unknown): { files: number; bytes: number } {
  // The bot's own multipart upload (src/discord/multipart.ts) is the `json` there, and says what it carries.
  const sent = (body as { json?: unknown } | null | undefined)?.json as { fileCount?: unknown; fileBytes?: unknown } | null | undefined;
  if (typeof sent?.fileCount === 'number' && typeof sent.fileBytes === 'number') return { files: sent.fileCount, bytes: sent.fileBytes };
  const files = (body as { files?: unknown } | null | undefined)?.files;
  const list = Array.isArray(files) ? files : [];
  return { files: list.length, bytes: list.reduce((sum: number, f: unknown) => sum + byteCount((f as { data?: unknown } | null)?.data), 0) };
}

/** A copy fit for a log line: bytes become their size, long strings are cut, cycles and depth are bounded. */
function sanitise(value: unknown, depth: number, walk: Walk): unknown {
  const { path } = walk;
  if (typeof value === 'string') return truncate(walk.scrub(value), MAX_STRING_CHARS);
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return `[${byteCount(value)} bytes]`;
  if (isErrorLike(value)) return serialiseError(value, depth, walk);
  if (path.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return Array.isArray(value) ? '[Array]' : '[Object]';
  path.add(value);
  try {
    if (Array.isArray(value)) {
      const items = value.slice(0, MAX_ARRAY_ITEMS).map((item) => sanitise(item, depth + 1, walk));
      if (value.length > MAX_ARRAY_ITEMS) items.push(`[${value.length - MAX_ARRAY_ITEMS} more]`);
      return items;
    }
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = key === 'requestBody' ? summariseRequestBody(item) : sanitise(item, depth + 1, walk);
    }
    return out;
  } finally {
    path.delete(value);
  }
}

function serialiseError(err: Error, depth: number, walk: Walk, withStack = true): unknown {
  const { path } = walk;
  if (path.has(err)) return '[Circular]';
  if (depth >= MAX_DEPTH) return { type: err.name, message: truncate(walk.scrub(err.message), MAX_STRING_CHARS) };
  // pino's own serializer: type, message and stack with every cause's appended, own properties.
  const base = stdSerializers.err(err) as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  path.add(err);
  try {
    for (const [key, value] of Object.entries(base)) {
      if (key === 'stack') {
        if (withStack && typeof value === 'string') out[key] = truncate(walk.scrub(value), MAX_STACK_CHARS);
      } else if (key === 'requestBody') {
        out[key] = summariseRequestBody(value);
      } else {
        out[key] = sanitise(value, depth + 1, walk);
      }
    }
    // pino folds a cause into the message and stack but drops its properties, where the
    // useful facts live (`code: 'ECONNRESET'`, a Discord status). The stack is already above.
    const cause: unknown = (err as { cause?: unknown }).cause;
    if (cause !== undefined && !('cause' in out)) {
      out['cause'] = isErrorLike(cause) ? serialiseError(cause, depth + 1, walk, false) : sanitise(cause, depth + 1, walk);
    }
  } finally {
    path.delete(err);
  }
  return out;
}

/**
 * The `err` serializer: pino's, minus what makes a line huge (request bodies, Buffers, long
 * strings), plus the properties of each cause. `scrub` removes secrets before a string is cut.
 */
export function createErrorSerializer(scrub: (text: string) => string): (err: unknown) => unknown {
  return (err) => {
    const walk: Walk = { scrub, path: new WeakSet() };
    return isErrorLike(err) ? serialiseError(err, 0, walk) : sanitise(err, 0, walk);
  };
}

function scalarsOf(value: unknown, maxChars: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (typeof value !== 'object' || value === null) return out;
  for (const [key, item] of Object.entries(value)) {
    if (typeof item === 'number' || typeof item === 'boolean') out[key] = item;
    else if (typeof item === 'string' && item.length <= maxChars) out[key] = item;
  }
  return out;
}

/**
 * Shortens a finished line longer than {@link MAX_LINE_BYTES} to one that is still JSON: the
 * short top-level fields and the error's, the message, and how long the line was.
 */
export function capLogLine(line: string, maxBytes: number = MAX_LINE_BYTES): string {
  // UTF-8 takes at most three bytes per UTF-16 unit: most lines need no counting.
  if (line.length * 3 <= maxBytes) return line;
  const originalBytes = Buffer.byteLength(line);
  if (originalBytes <= maxBytes) return line;
  let parsed: Record<string, unknown> = {};
  try {
    const value: unknown = JSON.parse(line);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) parsed = value as Record<string, unknown>;
  } catch {
    // Not JSON (pino always writes JSON, but a hook may not): keep only the facts below.
  }
  const msg = typeof parsed['msg'] === 'string' ? truncate(parsed['msg'], 1_000) : undefined;
  const kept: Record<string, unknown> = { ...scalarsOf(parsed, 200), ...(msg !== undefined ? { msg } : {}) };
  if (typeof parsed['err'] === 'object' && parsed['err'] !== null) {
    const err = scalarsOf(parsed['err'], 1_000);
    delete err['stack'];
    kept['err'] = err;
  }
  const mark = { truncated: true, originalBytes };
  const out = `${JSON.stringify({ ...kept, ...mark })}\n`;
  if (Buffer.byteLength(out) <= maxBytes) return out;
  const minimal = { level: parsed['level'], time: parsed['time'], msg: msg?.slice(0, 200), ...mark };
  return `${JSON.stringify(minimal)}\n`;
}

export interface LoggerOptions {
  level: string;
  secrets: readonly string[];
  /** Defaults to stdout; tests pass a stream to read what was logged. */
  destination?: DestinationStream;
  pretty?: boolean;
}

/**
 * One pino logger for the process: object first, secrets redacted by path and by value,
 * pretty output only when a person is watching a terminal.
 */
export function createLogger(options: LoggerOptions): Logger {
  const scrub = makeScrubber(options.secrets);
  const pretty = options.pretty ?? (options.destination === undefined && process.stdout.isTTY === true);
  const base = {
    level: options.level,
    redact: {
      paths: [
        'authorization',
        '*.authorization',
        'headers.authorization',
        '*.headers.authorization',
        'req.headers.authorization',
        'token',
        '*.token',
        'apiKey',
        '*.apiKey',
        'config.DISCORD_TOKEN',
        'config.VENICE_API_KEY',
        'DISCORD_TOKEN',
        'VENICE_API_KEY',
      ],
      censor: '[redacted]',
    },
    serializers: { err: createErrorSerializer(scrub) },
    hooks: {
      // Scrub the finished line, not the objects: a secret or an interaction URL is caught in any
      // field, binding or error property, and pino has already turned cycles and bigints into text.
      streamWrite: (line: string) => capLogLine(scrub(line)),
    },
  };
  if (pretty) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true } } });
  }
  return options.destination ? pino(base, options.destination) : pino(base);
}
