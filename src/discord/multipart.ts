import { randomBytes } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Readable } from 'node:stream';
import { Headers, request, type Dispatcher } from 'undici';
import { DefaultRestOptions, type RawFile, type RESTOptions, type ResponseLike } from 'discord.js';
import { sniffImageFormat } from '../venice/image-bytes.js';

const IMAGE_TYPES = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' } as const;

/** A name inside a quoted header value, escaped as WHATWG's FormData (undici's) escapes it. */
const quoted = (value: string): string => value.replace(/\n/g, '%0A').replace(/\r/g, '%0D').replace(/"/g, '%22');
/** A field's name has its line breaks made CRLF before that, as FormData does; a file name does not. */
const fieldName = (value: string): string => quoted(value.replace(/\r?\n|\r/g, '\r\n'));

/** A `Blob`'s type as the `Blob` constructor keeps it: lowercased, or none when it has characters outside printable ASCII. */
const blobType = (type: string | undefined): string => (type !== undefined && /^[\x20-\x7e]*$/.test(type) ? type.toLowerCase() : '');

/**
 * A request's files and JSON as a multipart/form-data body sent from the files' own bytes.
 *
 * discord.js copies every file into a `Blob` for its `FormData`, and undici then reads each
 * `Blob` back out in fresh chunks to write it: two more copies of every image, all garbage
 * once sent, which under a burst of results sat in memory until a full collection (see
 * docs/benchmarks.md). This body writes the caller's buffers to the socket as they are. It can
 * be read any number of times, once for each of discord.js's attempts; its length is known, so
 * it goes with a Content-Length like discord.js's own.
 *
 * The buffers are read when the request is sent, which may be after a rate-limit wait, and
 * again on a retry (discord.js copied them when the request was queued): whoever frees them
 * (`releaseBuffer`) must wait until the request has settled. A buffer freed early shows as a
 * body shorter than its Content-Length, which undici refuses rather than send.
 */
export class MultipartBody implements Iterable<Uint8Array> {
  readonly contentType: string;
  readonly length: number;
  /** How many files it carries and their bytes: what a log line says of a refused upload. */
  readonly fileCount: number;
  readonly fileBytes: number;
  readonly #parts: readonly Uint8Array[];

  private constructor(parts: Uint8Array[], boundary: string, files: readonly Uint8Array[]) {
    this.#parts = parts;
    this.fileCount = files.length;
    this.fileBytes = files.reduce((n, f) => n + f.byteLength, 0);
    // i18n-exempt: an HTTP header, not text for people
    this.contentType = `multipart/form-data; boundary=${boundary}`;
    this.length = parts.reduce((n, p) => n + p.byteLength, 0);
  }

  /** The body for these files and this JSON payload, or undefined where a file is not bytes (discord.js's own path then). */
  static of(files: readonly RawFile[], payload: unknown): MultipartBody | undefined {
    if (!files.every((f) => f.data instanceof Uint8Array)) return undefined;
    const boundary = `----venice-imagine-${randomBytes(16).toString('hex')}`;
    const parts: Uint8Array[] = [];
    const data = files.map((file) => file.data as Uint8Array);
    files.forEach((file, index) => {
      const bytes = data[index] as Uint8Array;
      // As discord.js: the file's own type if it has one, else what its bytes say.
      const type = blobType(file.contentType) || (imageType(bytes) ?? 'application/octet-stream');
      const name = file.key ?? `files[${index}]`;
      // i18n-exempt: a multipart header (RFC 7578), not text for people
      const filename = file.name ? `; filename="${quoted(file.name)}"` : '';
      // i18n-exempt: multipart headers (RFC 7578), not text for people
      const head = `--${boundary}\r\nContent-Disposition: form-data; name="${fieldName(name)}"${filename}\r\nContent-Type: ${type}\r\n\r\n`;
      parts.push(Buffer.from(head), bytes, Buffer.from('\r\n'));
    });
    if (payload !== undefined && payload !== null) {
      // i18n-exempt: multipart headers (RFC 7578), not text for people
      parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="payload_json"\r\n\r\n${JSON.stringify(payload)}\r\n`));
    }
    parts.push(Buffer.from(`--${boundary}--\r\n`));
    return new MultipartBody(parts, boundary, data);
  }

  *[Symbol.iterator](): Iterator<Uint8Array> {
    yield* this.#parts;
  }
}

/** PNG, JPEG, WebP (what the bot posts) and GIF; discord.js knows more types, none of which the bot sends. */
function imageType(data: Uint8Array): string | undefined {
  const head = Buffer.from(data.buffer, data.byteOffset, Math.min(data.byteLength, 16));
  const format = sniffImageFormat(head);
  if (format !== undefined) return IMAGE_TYPES[format];
  const magic = head.toString('latin1', 0, 6);
  return magic === 'GIF87a' || magic === 'GIF89a' ? 'image/gif' : undefined;
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
