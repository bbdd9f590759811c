import { readFile } from 'node:fs/promises';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { releaseBuffer } from '../src/images/memory.js';
import { createLogger } from '../src/logger.js';
import { createVeniceClient } from '../src/venice/client.js';

/*
 * The measured side of `npm run bench:upload` (bench/upload.ts starts it): our Venice client
 * alone, importing nothing the bot does not (no simulator, no TypeScript compiler), so its heap
 * and its collections are the client's. Arguments: Venice's base URL, the key, runs per image,
 * the image files.
 */

export interface Reading {
  bytes: number;
  syncMs: number[];
  lagMaxMs: number[];
  roundTripMs: number[];
}

export type UploadChildMessage = { type: 'done'; readings: Reading[]; lagResolutionMs: number } | { type: 'failed'; message: string };

const LAG_RESOLUTION_MS = 1;

async function runClient(baseUrl: string, apiKey: string, runs: number, files: string[]): Promise<void> {
  const venice = createVeniceClient({ baseUrl, apiKey, timeoutMs: 120_000, log: createLogger({ level: 'silent', secrets: [apiKey] }) });
  const readings: Reading[] = [];
  try {
    // The first request pays for connecting and for compiling the client's code: not what is measured.
    const first = await readFile(files[0] ?? '');
    releaseBuffer((await venice.upscaleImage(first, 2)).image);
    for (const file of files) {
      const image = await readFile(file);
      const reading: Reading = { bytes: image.length, syncMs: [], lagMaxMs: [], roundTripMs: [] };
      for (let run = 0; run < runs; run++) {
        const lag = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
        lag.enable();
        const started = performance.now();
        // Scheduled before the call, it runs at the loop's next turn: after the call's synchronous
        // part and the microtasks it queued, which no other member's interaction can come between.
        const turn = new Promise<number>((resolve) => setImmediate(() => resolve(performance.now() - started)));
        const pending = venice.upscaleImage(image, 2);
        // A failure is reported below, when it is awaited, not as an unhandled rejection meanwhile.
        pending.catch(() => undefined);
        reading.syncMs.push(await turn);
        // Freed once done with, as the bot frees each upscale once posted.
        releaseBuffer((await pending).image);
        reading.roundTripMs.push(performance.now() - started);
        lag.disable();
        reading.lagMaxMs.push(Math.max(0, lag.max / 1e6 - LAG_RESOLUTION_MS));
      }
      readings.push(reading);
    }
    process.send?.({ type: 'done', readings, lagResolutionMs: LAG_RESOLUTION_MS } satisfies UploadChildMessage);
  } finally {
    await venice.close();
  }
}

const [, , baseUrl = '', apiKey = '', runs = '1', ...files] = process.argv;
runClient(baseUrl, apiKey, Number(runs), files).catch((err: unknown) => {
  process.send?.({ type: 'failed', message: err instanceof Error ? err.message : String(err) } satisfies UploadChildMessage);
  process.exitCode = 1;
});
