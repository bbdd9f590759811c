/**
 * The scale-out mode's figures: jobs per second and the p99 of the interaction ack, with one
 * bot process (both shards), two (a shard each), and two gateways with one worker and with two
 * (ROLE), on one real PostgreSQL and one real Redis, against the fake Discord and the Venice simulator on 127.0.0.1. Members ask in the
 * server (shard 1) and in DMs (shard 0), so with two processes both have work.
 *
 *   npm run bench:scale [-- --jobs 400] [-- --quick]
 *
 * Reads TEST_DATABASE_URL and TEST_REDIS_URL (`bash .ci/services` prints them). Prints its
 * figures and the machine; asserts nothing about speed.
 */
import { parseArgs } from 'node:util';
import { startFakeDiscord, type FakeDiscord, type InteractionHandle, type UserKey } from '../test/support/discord/fake-discord.js';
import { dropTestDatabases, freshRedisPrefix, POSTGRES_TARGET, TEST_REDIS_URL } from '../test/support/store-targets.js';
import { startVeniceSimulator, type VeniceSimulator } from '../test/support/venice/simulator.js';
import { fakeEnv } from '../test/e2e/harness.js';
import { spawnBot, type BotProcess } from '../test/e2e/process.js';
import { freePort } from '../test/support/ports.js';
import { describeMachine } from './report.js';
import { summarise } from './stats.js';

const { values } = parseArgs({ options: { jobs: { type: 'string', default: '240' }, quick: { type: 'boolean', default: false } } });
const JOBS = values.quick ? 12 : Number(values.jobs);
const INFERENCE_MS = 300;
const USERS: readonly UserKey[] = ['alice', 'bob', 'admin'];

/** Who runs: one process for everything, one per shard, or gateways with their workers. */
interface Shape {
  name: string;
  processes: Array<Record<string, string>>;
}

const SHAPES: readonly Shape[] = [
  { name: '1 process (both shards)', processes: [{}] },
  { name: '2 processes (a shard each)', processes: [{ SHARD_IDS: '0' }, { SHARD_IDS: '1' }] },
  { name: '2 gateways + 1 worker', processes: [{ SHARD_IDS: '0', ROLE: 'gateway' }, { SHARD_IDS: '1', ROLE: 'gateway' }, { ROLE: 'worker' }] },
  { name: '2 gateways + 2 workers', processes: [{ SHARD_IDS: '0', ROLE: 'gateway' }, { SHARD_IDS: '1', ROLE: 'gateway' }, { ROLE: 'worker' }, { ROLE: 'worker' }] },
];

interface Run {
  shape: string;
  jobsPerSecond: number;
  ackP50: number;
  ackP99: number;
  failed: number;
}

async function measure(shape: Shape, databaseUrl: string, redisUrl: string): Promise<Run> {
  const discord: FakeDiscord = await startFakeDiscord({ shards: 2, guildOnShard: [1, 2] });
  const venice: VeniceSimulator = await startVeniceSimulator({ inferenceDelayMs: INFERENCE_MS });
  // Venice's limits are not what is measured here: a generous window.
  venice.setRateLimit({ requests: 100_000, windowMs: 60_000 });
  const env = fakeEnv(discord, venice, {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    REDIS_PREFIX: freshRedisPrefix(),
    SHARD_COUNT: '2',
    // Info: its "ready" line says the commands are registered (as in a real start, logs cost something).
    LOG_LEVEL: 'info',
    MAX_CONCURRENT_JOBS: '32',
    MAX_JOBS_PER_USER: '32',
    MAX_JOBS_PER_GUILD: '32',
    DM_COOLDOWN_SECONDS: '0',
    DM_DAILY_BUDGET_USD: '1000',
  });
  const bots: BotProcess[] = [];
  try {
    const health: string[] = [];
    for (const own of shape.processes) {
      const port = await freePort();
      health.push(`http://127.0.0.1:${port}/readyz`);
      bots.push(spawnBot({ ...env, ...own, HTTP_PORT: String(port) }));
    }
    // Ready: every shard connected, the catalogue loaded, the store and Redis answering.
    const ready = async () =>
      bots.every((b) => b.output().includes('"msg":"ready"')) && (await Promise.all(health.map((url) => fetch(url).then((r) => r.status === 200, () => false)))).every(Boolean);
    await discord.waitFor(ready, 90_000);
    await discord.ready();

    const acks: number[] = [];
    const asked: InteractionHandle[] = [];
    const started = performance.now();
    for (let n = 0; n < JOBS; n++) {
      const user = USERS[n % USERS.length]!;
      const inDm = n % 2 === 1;
      const sentAt = Date.now();
      const i = await discord.slashCommand('imagine', { prompt: `scale ${n}` }, { user, ...(inDm ? { channel: 'dm' as const } : {}) });
      asked.push(i);
      void i.callback(30_000).then((cb) => acks.push(cb.at - sentAt), () => undefined);
    }
    const results = await Promise.allSettled(asked.map((i) => i.originalEdit((r) => r.files.length > 0, 300_000)));
    const seconds = (performance.now() - started) / 1000;
    const ack = summarise(acks);
    return { shape: shape.name, jobsPerSecond: results.filter((r) => r.status === 'fulfilled').length / seconds, ackP50: ack.p50, ackP99: ack.p99, failed: results.filter((r) => r.status === 'rejected').length };
  } finally {
    for (const b of bots) b.child.kill('SIGTERM');
    await Promise.all(bots.map((b) => b.exit));
    await discord.close();
    await venice.close();
  }
}

async function main(): Promise<void> {
  if (!POSTGRES_TARGET || !TEST_REDIS_URL) throw new Error('set TEST_DATABASE_URL and TEST_REDIS_URL (bash .ci/services prints them)');
  const machine = describeMachine();
  console.log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB.toFixed(0)} GiB, ${machine.os}, node ${machine.node}`);
  console.log(`${JOBS} /imagine jobs (one image each, ${INFERENCE_MS} ms of Venice time), half in the server (shard 1), half in DMs (shard 0)`);
  const runs: Run[] = [];
  try {
    for (const shape of SHAPES) runs.push(await measure(shape, await POSTGRES_TARGET.fresh(), TEST_REDIS_URL));
  } finally {
    await dropTestDatabases();
  }
  console.log('| processes | jobs/s | ack p50 (ms) | ack p99 (ms) | failed |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const r of runs) console.log(`| ${r.shape} | ${r.jobsPerSecond.toFixed(1)} | ${r.ackP50.toFixed(1)} | ${r.ackP99.toFixed(1)} | ${r.failed} |`);
  if (runs.some((r) => r.failed > 0)) process.exitCode = 1;
}

await main();
