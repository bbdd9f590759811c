import { allocImageBuffer, growableImageBuffer, releaseBuffer } from '../images/memory.js';

/** An image's bytes are allocated ahead of them up to this length (Venice's 4x upscales are tens of MB). */
const PREALLOCATE_MAX = 64 * 1024 * 1024;

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
  // A length past the limit is refused before anything is read (the caller abandons the body).
  if (declared !== undefined && declared > options.maxBytes) throw options.tooLarge();
  // A length within the limit is allocated ahead, up to a size V8 would otherwise count, unwritten,
  // towards its next collections; past that, and without a length, one buffer grows in place.
  const sized = declared !== undefined && declared <= PREALLOCATE_MAX ? allocImageBuffer(declared) : undefined;
  const growing = sized ? undefined : growableImageBuffer(declared ?? options.maxBytes);
  const target = sized ?? new Uint8Array(growing as ArrayBuffer);
  let at = 0;
  try {
    for await (const chunk of body) {
      const end = at + chunk.byteLength;
      const refusal =
        end > options.maxBytes
          ? options.tooLarge()
          : // undici ends the body with an error on a length mismatch; this only guards the copy.
            declared !== undefined && end > declared
            ? new RangeError(`the body is longer than its Content-Length (${declared})`)
            : undefined;
      if (refusal) {
        releaseBuffer(chunk);
        throw refusal;
      }
      growing?.resize(end);
      target.set(chunk, at);
      at = end;
      releaseBuffer(chunk);
    }
    if (declared !== undefined && at !== declared) throw new RangeError(`the body ended after ${at} of its ${declared} bytes`);
  } catch (err) {
    // What was read is not an answer: its pages go back now, not at a full collection.
    releaseBuffer(sized ?? Buffer.from(target.buffer, 0, at));
    throw err;
  }
  return sized ?? Buffer.from(target.buffer, 0, at);
}
