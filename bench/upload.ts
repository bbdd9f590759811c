import { fork } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { releaseBuffer } from '../src/images/memory.js';
import { createLogger } from '../src/logger.js';
import { createVeniceClient } from '../src/venice/client.js';
import { startVeniceSimulator } from '../test/support/venice/simulator.js';
import { nodeFlagsOfStart } from './build.js';
import { describeMachine } from './report.js';
import { summarise } from './stats.js';

/*
 * npm run bench:upload [-- --quick]
 *
 * How long sending one large image to Venice holds the event loop: the upscale a member asks
 * for on a big picture, the edits of an uploaded one. Our Venice client runs alone in a child
 * process, the Venice simulator in this one on 127.0.0.1 (so its own decoding and encoding of
 * the images is not on the loop being measured). For each size, the child sends the image to
 * `/image/upscale` a few times and reports how long the call held the loop before its next turn
 * (what no other member's interaction can come between) and the event loop's longest delay over
 * the whole round trip, answer read included.
 */

interface Reading {
  bytes: number;
  syncMs: number[];
  lagMaxMs: number[];
  roundTripMs: number[];
}

type ChildMessage = { type: 'done'; readings: Reading[] } | { type: 'failed'; message: string };

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
        reading.syncMs.push(await turn);
        // Freed once done with, as the bot frees each upscale once posted.
        releaseBuffer((await pending).image);
        reading.roundTripMs.push(performance.now() - started);
        lag.disable();
        reading.lagMaxMs.push(Math.max(0, lag.max / 1e6 - LAG_RESOLUTION_MS));
      }
      readings.push(reading);
    }
    process.send?.({ type: 'done', readings } satisfies ChildMessage);
  } finally {
    await venice.close();
  }
}

/** A PNG of noise (it does not compress, so its file is about its pixels' size) of `side` x `side` pixels. */
async function noisePng(side: number): Promise<Buffer> {
  const pixels = Buffer.allocUnsafe(side * side * 3);
  let x = 0x9e3779b9;
  for (let i = 0; i < pixels.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    pixels[i] = x & 0xff;
  }
  return sharp(pixels, { raw: { width: side, height: side, channels: 3 } }).png({ compressionLevel: 1 }).toBuffer();
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const sides = quick ? [512] : [1024, 2048, 2800];
  const runs = quick ? 1 : 5;
  // The simulator's image work (decoding the upload, encoding the upscale) on one thread of
  // libvips, not on both cores: the other is the client's, whose waits are what is measured.
  sharp.concurrency(1);
  const venice = await startVeniceSimulator({ inferenceDelayMs: 0 });
  const dir = await mkdtemp(join(tmpdir(), 'venice-imagine-upload-'));
  try {
    const files: string[] = [];
    for (const side of sides) {
      const file = join(dir, `noise-${side}.png`);
      await writeFile(file, await noisePng(side));
      files.push(file);
    }
    // The client's node runs with the flags `npm start` gives the bot (its heap sizing changes the collections measured).
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { scripts?: Record<string, string> };
    const flags = nodeFlagsOfStart(pkg.scripts?.['start']);
    const child = fork(fileURLToPath(import.meta.url), ['client', venice.baseUrl, venice.apiKey, String(runs), ...files], {
      execArgv: [...process.execArgv, ...flags],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const answer = await new Promise<ChildMessage>((resolve, reject) => {
      child.once('message', (m) => resolve(m as ChildMessage));
      child.once('exit', (code) => reject(new Error(`bench: the upload client exited (code ${String(code)}) without an answer`)));
    });
    await new Promise((resolve) => child.once('exit', resolve));
    if (answer.type === 'failed') throw new Error(`bench: the upload client failed: ${answer.message}`);
    const refused = venice.requests.filter((r) => r.path === '/image/upscale' && r.status !== 200);
    if (refused.length > 0) throw new Error(`bench: Venice answered ${refused.map((r) => r.status).join(', ')} to the upscales`);

    const machine = describeMachine();
    const fixed = (v: number): string => (v < 10 ? v.toFixed(2) : v.toFixed(1));
    console.log('#### venice-imagine upload benchmark\n');
    console.log(`- machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB.toFixed(1)} GiB, ${machine.os}`);
    console.log(`- node ${machine.node}; command: \`npm run bench:upload${quick ? ' -- --quick' : ''}\`; ${runs} upscales (2x) of each image, a PNG of noise, after one not counted`);
    console.log(`- the client's node flags (from package.json's start script): ${flags.length > 0 ? flags.join(' ') : 'none'}; the simulator's sharp on one thread`);
    console.log(`- "until the next turn": from the call to a setImmediate scheduled just before it; "event-loop delay": the longest over the round trip, at ${LAG_RESOLUTION_MS} ms resolution\n`);
    console.log('| image | until the next turn, p50 / max (ms) | event-loop delay max, p50 / max (ms) | round trip p50 (ms) |');
    console.log('| --- | --- | --- | --- |');
    for (const [i, r] of answer.readings.entries()) {
      const side = sides[i] ?? 0;
      const [sync, lag, trip] = [summarise(r.syncMs), summarise(r.lagMaxMs), summarise(r.roundTripMs)];
      console.log(`| ${side}x${side} PNG, ${(r.bytes / 1e6).toFixed(1)} MB | ${fixed(sync.p50)} / ${fixed(sync.max)} | ${fixed(lag.p50)} / ${fixed(lag.max)} | ${fixed(trip.p50)} |`);
    }
  } finally {
    await venice.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'client') {
  const [, , , baseUrl = '', apiKey = '', runs = '1', ...files] = process.argv;
  runClient(baseUrl, apiKey, Number(runs), files).catch((err: unknown) => {
    process.send?.({ type: 'failed', message: err instanceof Error ? err.message : String(err) } satisfies ChildMessage);
    process.exitCode = 1;
  });
} else {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
