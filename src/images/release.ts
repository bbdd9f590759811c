import { MessageChannel } from 'node:worker_threads';

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
 * (the buffer reads as empty from then on), and the closed port drops the message on the event
 * loop's next turn, freeing the memory then. Only for a buffer that owns its
 * whole memory and that nothing reads any more: a slice of a shared one is left alone.
 */
export function releaseBuffer(bytes: Uint8Array): void {
  const memory = bytes.buffer;
  if (!(memory instanceof ArrayBuffer) || bytes.byteOffset !== 0 || bytes.byteLength !== memory.byteLength || memory.byteLength < MIN_BYTES) return;
  if (sink === undefined) {
    sink = new MessageChannel();
    sink.port2.close();
    sink.port1.unref();
  }
  sink.port1.postMessage(null, [memory]);
}
