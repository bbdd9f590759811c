import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface RecordedFile {
  field: string;
  filename: string;
  contentType: string;
  size: number;
  data: Buffer;
}

export const MAX_BODY_BYTES = 25 * 1024 * 1024;

export interface ReadBody {
  raw: Buffer;
  /** Bytes received, even past the limit (only the first MAX_BODY_BYTES are kept). */
  size: number;
  tooLarge: boolean;
}

/**
 * Reads the whole body even when it is over the limit: answering 413 while the client is
 * still uploading resets the connection, and @discordjs/rest retries ECONNRESET, which would
 * hide the 413 from the bot.
 */
export function readBody(req: IncomingMessage): Promise<ReadBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve({ raw: Buffer.concat(chunks), size, tooLarge: size > MAX_BODY_BYTES }));
    req.on('error', reject);
  });
}

export interface ParsedBody {
  json: unknown;
  files: RecordedFile[];
  multipart: boolean;
  /** Why the body could not be read as Discord would (bad JSON, bad payload_json). */
  error?: string;
}

export async function parseBody(contentType: string | undefined, raw: Buffer): Promise<ParsedBody> {
  if (raw.length === 0) return { json: undefined, files: [], multipart: false };
  const type = (contentType ?? '').toLowerCase();
  if (type.startsWith('multipart/form-data')) {
    let form: FormData;
    try {
      form = await new Response(raw, { headers: { 'content-type': contentType ?? '' } }).formData();
    } catch (error) {
      return { json: undefined, files: [], multipart: true, error: `unreadable multipart body: ${String(error)}` };
    }
    const files: RecordedFile[] = [];
    const fields: Record<string, string> = {};
    let json: unknown;
    let error: string | undefined;
    for (const [field, value] of form.entries()) {
      if (typeof value === 'string') {
        if (field === 'payload_json') {
          try {
            json = JSON.parse(value);
          } catch {
            error = 'payload_json is not valid JSON';
          }
        } else {
          fields[field] = value;
        }
        continue;
      }
      const data = Buffer.from(await value.arrayBuffer());
      files.push({ field, filename: value.name, contentType: value.type, size: data.length, data });
    }
    // Without payload_json Discord reads the other form fields as the body.
    if (json === undefined && Object.keys(fields).length > 0) json = fields;
    return { json, files, multipart: true, ...(error ? { error } : {}) };
  }
  const text = raw.toString('utf8');
  try {
    return { json: JSON.parse(text) as unknown, files: [], multipart: false };
  } catch {
    return { json: text, files: [], multipart: false, error: 'body is not valid JSON' };
  }
}

function cfRay(): string {
  return `${randomBytes(8).toString('hex')}-AMS`;
}

/** Headers every Discord answer carries (Cloudflare in front of Google's load balancer). */
function baseHeaders(): Record<string, string> {
  return {
    date: new Date().toUTCString(),
    server: 'cloudflare',
    'cf-ray': cfRay(),
    via: '1.1 google',
    'x-content-type-options': 'nosniff',
    'strict-transport-security': 'max-age=31536000; includeSubDomains; preload',
    'cache-control': 'no-cache, no-store, must-revalidate',
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...baseHeaders(),
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text).toString(),
    ...extra,
  });
  res.end(text);
}

/** A 204 carries no content-type: discord.js would try to parse the empty body as JSON. */
export function sendNoContent(res: ServerResponse): void {
  res.writeHead(204, baseHeaders());
  res.end();
}

/**
 * A file as Discord's CDN serves it: no JSON, no API headers, long-lived caching. A HEAD
 * answer carries the same headers without the bytes.
 */
export function sendBytes(res: ServerResponse, data: Buffer, contentType: string, head: boolean): void {
  res.writeHead(200, {
    date: new Date().toUTCString(),
    server: 'cloudflare',
    'cf-ray': cfRay(),
    'content-type': contentType,
    'content-length': data.length.toString(),
    'cache-control': 'public, max-age=31536000',
    'accept-ranges': 'bytes',
    'x-content-type-options': 'nosniff',
  });
  res.end(head ? undefined : data);
}

/** A CDN refusal: plain text, as the CDN answers, not the API's JSON error shape. */
export function sendCdnError(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    date: new Date().toUTCString(),
    server: 'cloudflare',
    'cf-ray': cfRay(),
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text).toString(),
    'cache-control': 'no-store',
  });
  res.end(text);
}
