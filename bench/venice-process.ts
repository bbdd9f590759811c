import { startVeniceSimulator, type InferenceDelay, type VeniceSimulatorOptions } from '../test/support/venice/simulator.js';
import type { BenchFormat, RealisticImage } from './images.js';
import { startVeniceProxy } from './venice-proxy.js';

/*
 * The Venice simulator and the bench's proxy in front of it, in a process of their own, started
 * by `venice-child.ts`. In the parent they shared one event loop with the fake Discord, whose
 * clock stamps every latency: the simulator's and the proxy's work on a bot's Venice requests
 * (validating bodies, holding the inference delay, writing the images) then delayed the fake's
 * reading of an autocomplete or ack answer that had already arrived, and counted against the
 * bot. Here it runs beside the fake Discord instead of in its turn. Spoken to over IPC
 * (advanced serialisation: the images come as Buffers).
 */

export type VeniceChildRequest =
  | { id: number; op: 'start'; options: VeniceSimulatorOptions; images: Record<BenchFormat, RealisticImage> }
  | { id: number; op: 'setInferenceDelay'; delay: InferenceDelay }
  | { id: number; op: 'reset' }
  | { id: number; op: 'rateStats' }
  | { id: number; op: 'close' };

export type VeniceChildAnswer = { id: number; ok: true; value?: unknown } | { id: number; ok: false; message: string };

type Started = { close(): Promise<void>; handle(request: VeniceChildRequest): Promise<unknown> };

async function start(options: VeniceSimulatorOptions, images: Record<BenchFormat, RealisticImage>): Promise<{ value: unknown; started: Started }> {
  const venice = await startVeniceSimulator(options);
  const proxy = await startVeniceProxy(venice.baseUrl, images).catch(async (err: unknown) => {
    await venice.close();
    throw err;
  });
  // Nothing reads the recorded requests in the bench: dropped, or the leak check's 10,000 jobs pile up here.
  const forget = setInterval(() => venice.requests.splice(0), 1_000);
  const started: Started = {
    async close() {
      clearInterval(forget);
      await proxy.close();
      await venice.close();
    },
    handle(request) {
      switch (request.op) {
        case 'setInferenceDelay':
          venice.setInferenceDelay(request.delay);
          return Promise.resolve(undefined);
        case 'reset':
          venice.reset();
          return Promise.resolve(undefined);
        case 'rateStats':
          return Promise.resolve(venice.rateStats());
        default:
          return Promise.reject(new Error(`venice-process: ${request.op} is not asked of a started simulator`));
      }
    },
  };
  return { value: { baseUrl: proxy.baseUrl, apiKey: venice.apiKey, timeScale: venice.timeScale }, started };
}

let running: Started | undefined;

function answer(message: VeniceChildAnswer): void {
  process.send?.(message);
}

process.on('message', (raw: unknown) => {
  const request = raw as VeniceChildRequest;
  const work = async (): Promise<unknown> => {
    if (request.op === 'start') {
      if (running) throw new Error('venice-process: already started');
      const { value, started } = await start(request.options, request.images);
      running = started;
      return value;
    }
    if (request.op === 'close') {
      await running?.close();
      running = undefined;
      // The answer goes out before the channel closes, then the process ends on its own.
      setImmediate(() => process.disconnect());
      return undefined;
    }
    if (!running) throw new Error(`venice-process: ${request.op} before start`);
    return running.handle(request);
  };
  work().then(
    (value) => answer({ id: request.id, ok: true, value }),
    (err: unknown) => answer({ id: request.id, ok: false, message: err instanceof Error ? err.message : String(err) }),
  );
});
