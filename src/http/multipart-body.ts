import { randomBytes } from 'node:crypto';

/** One part of a form: a text field, or a file sent from its own bytes. */
export type FormPart = { name: string; value: string } | { name: string; data: Uint8Array; filename?: string; contentType?: string };

/** A name inside a quoted header value, escaped as WHATWG's FormData (undici's) escapes it. */
const quoted = (value: string): string => value.replace(/\n/g, '%0A').replace(/\r/g, '%0D').replace(/"/g, '%22');
/** Line breaks made CRLF, as FormData does to a field's name and to a text value (not to a file name). */
const crlf = (value: string): string => value.replace(/\r?\n|\r/g, '\r\n');

/** A `Blob`'s type as the `Blob` constructor keeps it: lowercased, or none when it has characters outside printable ASCII. */
export const blobType = (type: string | undefined): string => (type !== undefined && /^[\x20-\x7e]*$/.test(type) ? type.toLowerCase() : '');

/**
 * A multipart/form-data body sent from the files' own bytes, byte for byte what undici's
 * `FormData` would send for the same parts.
 *
 * A `FormData` wants each file as a `Blob`, and making one copies the bytes on the event loop:
 * for an image of up to 25 MB that is a copy and thousands of fresh pages, all at once, and
 * undici then reads the `Blob` back out in more copies to write it. This body hands the
 * caller's buffers to the socket as they are. It can be read any number of times, once for
 * each attempt, and its length is known, so it goes with a Content-Length.
 *
 * The buffers are read when the request is sent and again on a retry: whoever frees them must
 * wait until the request has settled. A buffer freed early cuts the body short of its
 * Content-Length after part of it has gone; undici then fails the request.
 */
export class MultipartBody implements Iterable<Uint8Array> {
  readonly contentType: string;
  readonly length: number;
  /** How many files it carries and their bytes: what a log line says of a refused upload. */
  readonly fileCount: number;
  readonly fileBytes: number;
  readonly #chunks: readonly Uint8Array[];

  private constructor(chunks: Uint8Array[], boundary: string, files: readonly Uint8Array[]) {
    this.#chunks = chunks;
    this.fileCount = files.length;
    this.fileBytes = files.reduce((n, f) => n + f.byteLength, 0);
    // i18n-exempt: an HTTP header, not text for people
    this.contentType = `multipart/form-data; boundary=${boundary}`;
    this.length = chunks.reduce((n, c) => n + c.byteLength, 0);
  }

  static of(parts: readonly FormPart[]): MultipartBody {
    const boundary = `----venice-imagine-${randomBytes(16).toString('hex')}`;
    const chunks: Uint8Array[] = [];
    const files: Uint8Array[] = [];
    for (const part of parts) {
      // i18n-exempt: a multipart header (RFC 7578), not text for people
      const disposition = `--${boundary}\r\nContent-Disposition: form-data; name="${quoted(crlf(part.name))}"`;
      if ('value' in part) {
        chunks.push(Buffer.from(`${disposition}\r\n\r\n${crlf(part.value)}\r\n`));
        continue;
      }
      // As FormData: a file's name ("blob" when it was given none; no parameter when it is empty) and its type.
      const name = part.filename ?? 'blob';
      const filename = name === '' ? '' : `; filename="${quoted(name)}"`;
      const type = blobType(part.contentType) || 'application/octet-stream';
      // i18n-exempt: multipart headers (RFC 7578), not text for people
      chunks.push(Buffer.from(`${disposition}${filename}\r\nContent-Type: ${type}\r\n\r\n`), part.data, Buffer.from('\r\n'));
      files.push(part.data);
    }
    chunks.push(Buffer.from(`--${boundary}--\r\n`));
    return new MultipartBody(chunks, boundary, files);
  }

  *[Symbol.iterator](): Iterator<Uint8Array> {
    yield* this.#chunks;
  }
}
