import { allocImageBuffer, joinChunks, releaseBuffer } from '../images/memory.js';

/** Venice's largest answers are 4x upscales (4096² PNG, tens of MB); more than this is not allocated ahead. */
const PREALLOCATE_MAX = 64 * 1024 * 1024;

/**
 * A response body read whole into one buffer, each chunk freed once copied.
 *
 * undici's `arrayBuffer()` keeps every chunk read off the socket until the end and then copies
 * them all at once: a PNG's 1.66 MB in one synchronous copy, and twice its size in memory V8
 * counts towards its next full collection (the benchmark's PNG jobs ran one every few hundred
 * milliseconds). Here the bytes go into a buffer of the declared length as they arrive, and a
 * chunk that owns its memory (a read off the socket) gives it back at once. Without a length
 * (a chunked answer), the chunks are joined at the end. The whole is an `allocImageBuffer`.
 */
export async function readWhole(body: AsyncIterable<Uint8Array>, contentLength: string | string[] | undefined): Promise<Buffer> {
  const declared = typeof contentLength === 'string' && /^\d+$/.test(contentLength) ? Number(contentLength) : undefined;
  // A length past any image Venice makes is not taken on trust: its memory is taken as the bytes come.
  if (declared === undefined || !Number.isSafeInteger(declared) || declared > PREALLOCATE_MAX) {
    const chunks: Uint8Array[] = [];
    let length = 0;
    for await (const chunk of body) {
      chunks.push(chunk);
      length += chunk.byteLength;
    }
    return joinChunks(chunks, length);
  }
  const whole = allocImageBuffer(declared);
  let at = 0;
  for await (const chunk of body) {
    // undici ends the body with an error on a length mismatch; this only guards the copy.
    if (at + chunk.byteLength > declared) throw new RangeError(`the body is longer than its Content-Length (${declared})`);
    whole.set(chunk, at);
    at += chunk.byteLength;
    releaseBuffer(chunk);
  }
  if (at !== declared) throw new RangeError(`the body ended after ${at} of its ${declared} bytes`);
  return whole;
}
