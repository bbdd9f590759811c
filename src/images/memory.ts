import { MessageChannel } from 'node:worker_threads';

/** From this size an image's buffer gets pages of its own (a resizable ArrayBuffer is mapped, not malloc'd). */
const OWN_PAGES_FROM = 64 * 1024;

/** `ArrayBuffer`'s constructor with ES2024's options, which this project's ES2023 lib does not declare (Node 20 has it). */
const ResizableArrayBuffer = ArrayBuffer as unknown as new (length: number, options: { maxByteLength: number }) => ArrayBuffer;

/**
 * A buffer for an image's bytes (for the caller to fill), in memory mapped for it alone rather
 * than from glibc's heap. glibc takes buffers of this size (hundreds of KB) from its heap once
 * it has raised its mmap threshold past them, which it does after freeing the first few, and
 * its heap then fragments and is not given back: the leak check's RSS climbed by tens of MB
 * over 10,000 jobs while the JS heap stayed flat (the Docker image's MALLOC_MMAP_THRESHOLD_
 * fixed that only for the image). V8 maps a resizable ArrayBuffer's pages itself and unmaps
 * them when the buffer is freed or released. The price is a page fault for each new page as
 * the buffer is filled (about 150 µs for 192 KB on the benchmark's machine, against 30 µs
 * from a warm heap; docs/benchmarks.md). Small buffers stay ordinary.
 */
export function allocImageBuffer(length: number): Buffer {
  if (length < OWN_PAGES_FROM) return Buffer.allocUnsafeSlow(length);
  return Buffer.from(new ResizableArrayBuffer(length, { maxByteLength: length }), 0, length);
}

/** An `ArrayBuffer` that grows in place up to the length it was made with, as ES2024's resizable ones do. */
export type GrowableBuffer = ArrayBuffer & { resize(length: number): void };

/**
 * An empty buffer for an image whose length is not known ahead (a chunked answer) or is too
 * large to allocate before its bytes come, to be grown in place up to `maxBytes` as they come,
 * on pages of its own as `allocImageBuffer`'s: what is reserved ahead is address space, not memory.
 */
export function growableImageBuffer(maxBytes: number): GrowableBuffer {
  return new ResizableArrayBuffer(0, { maxByteLength: maxBytes }) as GrowableBuffer;
}

/** Below this a buffer is left to the collector: not worth a message (TLS reads are up to 16 KB). */
const MIN_BYTES = 16 * 1024;

let sink: MessageChannel | undefined;

/**
 * Frees an image's memory now, not at some later full garbage collection.
 *
 * An image buffer outlives a few young-generation collections while its job runs, so once it
 * is garbage it waits for a full one, and V8 starts those for external memory only after it has
 * grown by 64 MB: a burst of results held tens of MB of finished images (see
 * docs/benchmarks.md). Moving the buffer's memory into a message to a closed port detaches it
 * (from then on its length is 0, and slicing it, copying from it or reading a number out of it
 * throws), and the closed port drops the message on the event loop's next turn, freeing the
 * memory then. Only for a buffer that owns its whole memory and that nothing reads any more: a
 * slice of a shared one is left alone. Never throws: what cannot be moved is left to the collector.
 */
export function releaseBuffer(bytes: Uint8Array): void {
  const memory = bytes.buffer;
  if (!(memory instanceof ArrayBuffer) || bytes.byteOffset !== 0 || bytes.byteLength !== memory.byteLength || memory.byteLength < MIN_BYTES) return;
  if (sink === undefined) {
    sink = new MessageChannel();
    sink.port2.close();
    sink.port1.unref();
  }
  try {
    sink.port1.postMessage(null, [memory]);
  } catch {
    // An ArrayBuffer Node will not let go of (newer Nodes throw for those): the collector frees it.
  }
}
