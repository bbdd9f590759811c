import { fork } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { startVeniceSimulator } from '../test/support/venice/simulator.js';
import { nodeFlagsOfStart } from './node-flags.js';
import type { UploadChildMessage } from './upload-client.js';
import { describeMachine } from './report.js';
import { summarise } from './stats.js';

/*
 * npm run bench:upload [-- --quick]
 *
 * How long sending one large image to Venice holds the event loop: the upscale a member asks
 * for on a big picture, the edits of an uploaded one. Our Venice client runs alone in a child
 * process (bench/upload-client.ts, under tsx, with the flags of `npm start`), the Venice
 * simulator in this one on 127.0.0.1 (so its own decoding and encoding of the images is not on
 * the loop being measured). For each size, the child sends the image to
 * `/image/upscale` a few times and reports how long the call held the loop before its next turn
 * (what no other member's interaction can come between) and the event loop's longest delay over
 * the whole round trip, answer read included.
 */

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
    const child = fork(fileURLToPath(new URL('./upload-client.ts', import.meta.url)), [venice.baseUrl, venice.apiKey, String(runs), ...files], {
      execArgv: [...process.execArgv, ...flags],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const answer = await new Promise<UploadChildMessage>((resolve, reject) => {
      child.once('message', (m) => resolve(m as UploadChildMessage));
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
    console.log(`- "until the next turn": from the call to a setImmediate scheduled just before it; "event-loop delay": the longest over the round trip, at ${answer.lagResolutionMs} ms resolution\n`);
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

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
