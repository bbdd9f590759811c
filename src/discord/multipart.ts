import { randomBytes } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Readable } from 'node:stream';
import { Headers, request, type Dispatcher } from 'undici';
import { DefaultRestOptions, type RawFile, type RESTOptions, type ResponseLike } from 'discord.js';
import { sniffImageFormat } from '../venice/image-bytes.js';

const IMAGE_TYPES = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' } as const;

/** A field's name or file name inside a quoted header value, escaped as WHATWG's FormData does. */
const quoted = (value: string): string => value.replace(/\n/g, '%0A').replace(/\r/g, '%0D').replace(/"/g, '%22');

/**
 * A request's files and JSON as a multipart/form-data body sent from the files' own bytes.
 *
 * discord.js copies every file into a `Blob` for its `FormData`, and undici then reads each
 * `Blob` back out in fresh chunks to write it: two more copies of every image, all garbage
 * once sent, which under a burst of results sat in memory until a full collection (see
 * docs/benchmarks.md). This body writes the caller's buffers to the socket as they are. It can
 * be read any number of times, once for each of discord.js's attempts; its length is known, so
 * it goes with a Content-Length like discord.js's own.
 */
export class MultipartBody implements Iterable<Uint8Array> {
  readonly contentType: string;
  readonly length: number;
  readonly #parts: readonly Uint8Array[];

  private constructor(parts: Uint8Array[], boundary: string) {
    this.#parts = parts;
    // i18n-exempt: an HTTP header, not text for people
    this.contentType = `multipart/form-data; boundary=${boundary}`;
    this.length = parts.reduce((n, p) => n + p.byteLength, 0);
  }

  /** The body for these files and this JSON payload, or undefined where a file is not bytes (discord.js's own path then). */
  static of(files: readonly RawFile[], payload: unknown): MultipartBody | undefined {
    if (!files.every((f) => f.data instanceof Uint8Array)) return undefined;
    const boundary = `----venice-imagine-${randomBytes(16).toString('hex')}`;
    const parts: Uint8Array[] = [];
    files.forEach((file, index) => {
      const data = file.data as Uint8Array;
      const type = file.contentType ?? imageType(data) ?? 'application/octet-stream';
      const name = file.key ?? `files[${index}]`;
      // i18n-exempt: multipart headers (RFC 7578), not text for people
      const head = `--${boundary}\r\nContent-Disposition: form-data; name="${quoted(name)}"; filename="${quoted(file.name)}"\r\nContent-Type: ${type}\r\n\r\n`;
      parts.push(Buffer.from(head), data, Buffer.from('\r\n'));
    });
    if (payload !== undefined && payload !== null) {
      // i18n-exempt: multipart headers (RFC 7578), not text for people
      parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="payload_json"\r\n\r\n${JSON.stringify(payload)}\r\n`));
    }
    parts.push(Buffer.from(`--${boundary}--\r\n`));
    return new MultipartBody(parts, boundary);
  }

  *[Symbol.iterator](): Iterator<Uint8Array> {
    yield* this.#parts;
  }
}

function imageType(data: Uint8Array): string | undefined {
  const format = sniffImageFormat(Buffer.from(data.buffer, data.byteOffset, Math.min(data.byteLength, 16)));
  return format === undefined ? undefined : IMAGE_TYPES[format];
}

type MakeRequest = RESTOptions['makeRequest'];

/**
 * discord.js's `makeRequest`, except that a `MultipartBody` goes to undici as it is: the
 * default would concatenate an iterable body into one more copy. The answer has the shape of
 * discord.js's own (`@discordjs/rest`'s undici strategy).
 */
export function multipartAware(fallback: MakeRequest = DefaultRestOptions.makeRequest): MakeRequest {
  return async (url, init) => {
    const body = init.body;
    if (!(body instanceof MultipartBody)) return fallback(url, init);
    // What discord.js's REST puts in: its own headers (Authorization among them) and the agent.
    const { dispatcher, headers, method, signal } = init as { dispatcher?: Dispatcher; headers?: Record<string, string>; method?: string; signal?: AbortSignal | null };
    const res = await request(url, {
      method: (method ?? 'POST') as Dispatcher.HttpMethod,
      headers: { ...headers, 'content-type': body.contentType, 'content-length': String(body.length) },
      // undici writes an iterable body chunk by chunk (its docs list Iterable; its types do not).
      body: body as unknown as Readable,
      dispatcher,
      signal: signal ?? undefined,
    });
    return {
      body: res.body,
      arrayBuffer: () => res.body.arrayBuffer(),
      json: () => res.body.json(),
      text: () => res.body.text(),
      get bodyUsed() {
        return res.body.bodyUsed;
      },
      headers: new Headers(res.headers as Record<string, string>),
      status: res.statusCode,
      statusText: STATUS_CODES[res.statusCode] ?? '',
      ok: res.statusCode >= 200 && res.statusCode < 300,
    } as ResponseLike;
  };
}
