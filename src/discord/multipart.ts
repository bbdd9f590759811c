import { STATUS_CODES } from 'node:http';
import type { Readable } from 'node:stream';
import { Headers, request, type Dispatcher } from 'undici';
import { DefaultRestOptions, type RawFile, type RESTOptions, type ResponseLike } from 'discord.js';
import { blobType, MultipartBody, type FormPart } from '../http/multipart-body.js';
import { sniffImageFormat } from '../venice/image-bytes.js';

const IMAGE_TYPES = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' } as const;

/**
 * A request's files and JSON as a multipart/form-data body sent from the files' own bytes.
 *
 * discord.js copies every file into a `Blob` for its `FormData`, and undici then reads each
 * `Blob` back out in fresh chunks to write it: two more copies of every image, all garbage
 * once sent, which under a burst of results sat in memory until a full collection (see
 * docs/benchmarks.md). This body writes the caller's buffers to the socket as they are, once
 * for each of discord.js's attempts. The buffers are read when the request is sent, which may
 * be after a rate-limit wait, and again on a retry (discord.js copied them when the request
 * was queued): whoever frees them (`releaseBuffer`) must wait until the request has settled.
 *
 * Undefined where a file is not bytes: discord.js's own path then.
 */
export function discordMultipart(files: readonly RawFile[], payload: unknown): MultipartBody | undefined {
  if (!files.every((f) => f.data instanceof Uint8Array)) return undefined;
  const parts: FormPart[] = files.map((file, index) => {
    const data = file.data as Uint8Array;
    // As discord.js: the file's own type if it has one, else what its bytes say.
    const contentType = blobType(file.contentType) || (imageType(data) ?? 'application/octet-stream');
    return { name: file.key ?? `files[${index}]`, data, filename: file.name, contentType };
  });
  if (payload !== undefined && payload !== null) parts.push({ name: 'payload_json', value: JSON.stringify(payload) });
  return MultipartBody.of(parts);
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
