import { allocImageBuffer, growableImageBuffer, releaseBuffer } from '../images/memory.js';

export interface ReadBodyOptions {
  /** The Content-Length header as received, if any. */
  contentLength: string | string[] | undefined;
  /** More than this is refused, whatever the header said; with no header, the bytes are taken as they come up to it. */
  maxBytes: number;
  /** The error for a body over `maxBytes` (the body is left for the caller to abandon). */
  tooLarge: () => Error;
}

/**
 * A response body read whole into one image buffer (`allocImageBuffer`), each chunk freed once
 * copied.
 *
 * undici's `arrayBuffer()` keeps every chunk read off the socket until the end and then copies
 * them all at once: a PNG's 1.66 MB in one synchronous copy, and twice its size in memory V8
 * counts towards its next full collection. Here the bytes go into one buffer as they arrive (of
 * the declared length, or grown in place when there is none), and a chunk that owns its memory
 * (a read off the socket) gives it back at once.
 *
 * Without a length, the chunks are not kept to be joined at the end: that was one synchronous
 * copy of the whole image (a 25 MB upload to edit, copied into fresh pages at about 0.8 ms a
 * megabyte here) while every other member's interaction waited.
 */
export async function readBody(body: AsyncIterable<Uint8Array>, options: ReadBodyOptions): Promise<Buffer> {
  const header = options.contentLength;
  const declared = typeof header === 'string' && /^\d+$/.test(header) ? Number(header) : undefined;
  // A length past the limit is refused before anything is read; one within it is allocated ahead.
  if (declared !== undefined && declared > options.maxBytes) throw options.tooLarge();
  // Without a length, one buffer grown in place (its pages are mapped as they are written).
  const growing = declared === undefined ? growableImageBuffer(options.maxBytes) : undefined;
  const sized = declared === undefined ? undefined : allocImageBuffer(declared);
  const target = sized ?? new Uint8Array(growing as ArrayBuffer);
  let at = 0;
  for await (const chunk of body) {
    const end = at + chunk.byteLength;
    if (end > options.maxBytes) throw options.tooLarge();
    if (growing) growing.resize(end);
    // undici ends the body with an error on a length mismatch; this only guards the copy.
    else if (end > target.byteLength) throw new RangeError(`the body is longer than its Content-Length (${declared})`);
    target.set(chunk, at);
    at = end;
    releaseBuffer(chunk);
  }
  if (declared !== undefined && at !== declared) throw new RangeError(`the body ended after ${at} of its ${declared} bytes`);
  return sized ?? Buffer.from(target.buffer, 0, at);
}
