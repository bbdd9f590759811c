import { PassThrough } from 'node:stream';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, secretsOf } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import type { Tables } from '../../src/store/schema.js';
import { startBot, type Bot } from '../../src/main.js';
import { shardOfGuild } from '../support/discord/gateway.js';
import { startFakeDiscord, type FakeDiscord, type FakeDiscordOptions } from '../support/discord/fake-discord.js';
import { startVeniceSimulator, type VeniceSimulator } from '../support/venice/simulator.js';
import { fakeEnv } from './harness.js';
import { harnessPerTest, resultWithFiles } from './harness-slot.js';
import { assertNoInvalidRequests } from './helpers.js';
import { spawnBot } from './process.js';

const slot = harnessPerTest();

async function get(url: string): Promise<{ status: number; type: string | null; text: string }> {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

/** The value of one series in Prometheus text, e.g. `imagine_images_posted_total` or `x{a="b"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Polls until `probe` holds, for state the bot reaches on its own time (a reconnect). */
async function eventually(probe: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('health and metrics over HTTP (HTTP_PORT)', () => {
  it('serves nothing over HTTP unless HTTP_PORT is set', async () => {
    const h = await slot.start();
    expect(h.bot.httpUrl).toBeUndefined();
  });

  it('answers /healthz, and /readyz once the gateway, the catalogue and the store are all there', async () => {
    const h = await slot.start({ env: { HTTP_PORT: '0' } });
    const url = h.bot.httpUrl!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await get(`${url}/healthz`)).toMatchObject({ status: 200, text: 'ok\n' });
    const ready = await get(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.text).toBe('running: ok\ngateway: ok\ncatalog: ok\nstore: ok\n');
    expect((await get(`${url}/nowhere`)).status).toBe(404);
    expect((await fetch(`${url}/healthz`, { method: 'POST' })).status).toBe(405);
  });

  it('says 503 on /readyz while the gateway is down, and 200 again once the bot has resumed', async () => {
    const h = await slot.start({ env: { HTTP_PORT: '0' } });
    const url = h.bot.httpUrl!;
    const outage = h.discord.takeGatewayDown();
    await eventually(async () => (await get(`${url}/readyz`)).status === 503);
    const down = await get(`${url}/readyz`);
    expect(down.text).toContain('gateway: not ready');
    expect(down.text).toContain('store: ok');
    // The process itself is fine: liveness must not restart it for Discord's outage.
    expect((await get(`${url}/healthz`)).status).toBe(200);
    outage.restore();
    await eventually(async () => (await get(`${url}/readyz`)).status === 200);
    expect(h.discord.gateway.resumes).toBeGreaterThanOrEqual(1);
  });

  it('says 503 on /readyz when the store stops answering', async () => {
    const h = await slot.start({ env: { HTTP_PORT: '0' } });
    // A closed connection in the store's place for the probe; the real one is put back for the shutdown.
    const { db } = h.bot.store;
    const closed = new Database(':memory:');
    closed.close();
    h.bot.store.db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: closed }) });
    try {
      const res = await get(`${h.bot.httpUrl!}/readyz`);
      expect(res.status).toBe(503);
      expect(res.text).toContain('store: not ready');
    } finally {
      h.bot.store.db = db;
    }
    expect((await get(`${h.bot.httpUrl!}/readyz`)).status).toBe(200);
  });

  it('counts two /imagine jobs in /metrics, with no user, guild or channel id in any label', async () => {
    const h = await slot.start({ env: { HTTP_PORT: '0' } });
    for (const prompt of ['a red fox', 'a blue heron']) {
      const i = await h.discord.slashCommand('imagine', { prompt });
      await resultWithFiles(i);
    }
    // The job's end is recorded just after its result is posted.
    await eventually(async () => sample((await get(`${h.bot.httpUrl!}/metrics`)).text, 'imagine_jobs_finished_total{kind="generate",outcome="posted"}') === 2);
    const { status, type, text } = await get(`${h.bot.httpUrl!}/metrics`);
    expect(status).toBe(200);
    expect(type).toMatch(/^text\/plain; version=0\.0\.4/);

    expect(sample(text, 'imagine_jobs_finished_total{kind="generate",outcome="posted"}')).toBe(2);
    expect(sample(text, 'imagine_job_run_seconds_count{kind="generate"}')).toBe(2);
    expect(sample(text, 'imagine_job_queue_wait_seconds_count')).toBe(2);
    expect(sample(text, 'imagine_jobs{state="queued"}')).toBe(0);
    expect(sample(text, 'imagine_jobs{state="running"}')).toBe(0);
    expect(sample(text, 'imagine_images_posted_total')).toBe(2);
    expect(sample(text, 'imagine_images_spoilered_total')).toBe(0);
    expect(sample(text, 'imagine_venice_request_duration_seconds_count{endpoint="/image/generate",model="z-image-turbo"}')).toBe(2);
    expect(sample(text, 'imagine_venice_responses_total{endpoint="/image/generate",status="200"}')).toBe(2);
    // The catalogue's own loads name no model.
    expect(sample(text, 'imagine_venice_request_duration_seconds_count{endpoint="/models",model="none"}')).toBeGreaterThanOrEqual(1);
    const spent = sample(text, 'imagine_spent_usd_total{kind="generate"}');
    expect(spent).toBeGreaterThan(0);
    expect(spent).toBeCloseTo(await h.bot.store.usage.allSpent(Date.now()), 6);
    // Process metrics from prom-client, event-loop lag among them.
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect(text).toContain('# TYPE imagine_discord_gateway_latency_seconds gauge');

    const ids = [h.discord.ids.guild, h.discord.ids.application, h.discord.ids.botUser, ...Object.values(h.discord.ids.users), ...Object.values(h.discord.ids.channels)];
    for (const id of ids) expect(text).not.toContain(id);
    // Every label value is one of a bounded few: no snowflake-like number anywhere.
    expect(text).not.toMatch(/="\d{15,}"/);
  });

  it('counts the jobs still waiting in line at a shutdown as interrupted', async () => {
    const h = await slot.start({ env: { HTTP_PORT: '0', MAX_CONCURRENT_JOBS: '1', MAX_JOBS_PER_USER: '4', SHUTDOWN_GRACE_SECONDS: '1' } });
    h.venice.setInferenceDelay(5_000);
    for (const prompt of ['first', 'second', 'third']) await h.discord.slashCommand('imagine', { prompt });
    await h.discord.waitFor(() => h.venice.generateRequests().length === 1);
    await eventually(async () => sample((await get(`${h.bot.httpUrl!}/metrics`)).text, 'imagine_jobs{state="queued"}') === 2);
    await h.bot.stop();
    // The server is closed now; the registry it served is still there to read.
    const text = await h.bot.metrics.registry.metrics();
    // Two never started (taken from the line); the running one was cut short: three in all.
    expect(sample(text, 'imagine_jobs_finished_total{kind="generate",outcome="interrupted"}')).toBe(3);
  }, 30_000);

  it('counts the Discord REST errors it got, by method and status', async () => {
    const h = await slot.start({ env: { HTTP_PORT: '0' } });
    await h.bot.client.rest.get(`/channels/${'1'.repeat(18)}`).catch(() => undefined);
    const { text } = await get(`${h.bot.httpUrl!}/metrics`);
    expect(sample(text, 'imagine_discord_rest_errors_total{method="GET",status="404"}')).toBe(1);
  });
});

/** The harness's wiring, with the fake Discord's gateway options (shards) of the test's choosing. */
async function startSharded(discordOptions: FakeDiscordOptions, env: Record<string, string>) {
  const discord = await startFakeDiscord(discordOptions);
  const venice = await startVeniceSimulator();
  const config = loadConfig(fakeEnv(discord, venice, { LOG_LEVEL: 'warn', HTTP_PORT: '0', ...env }));
  const log = createLogger({ level: config.LOG_LEVEL, secrets: secretsOf(config), destination: new PassThrough().resume(), pretty: false });
  const bot = await startBot(config, log, { veniceRetry: { baseDelayMs: 5, maxDelayMs: 20 } });
  return { discord, venice, bot };
}

describe('sharding (SHARD_COUNT)', () => {
  let running: { discord: FakeDiscord; venice: VeniceSimulator; bot: Bot } | undefined;
  afterEach(async () => {
    if (!running) return;
    await running.bot.stop();
    await running.discord.close();
    await running.venice.close();
    assertNoInvalidRequests(running.discord);
    running = undefined;
  });

  async function expectTwoShardsServingTheGuild(r: { discord: FakeDiscord; bot: Bot }): Promise<void> {
    await r.bot.ready;
    await r.discord.ready();
    const shards = r.discord.gateway.identifies.map((i) => i.shard).sort();
    expect(shards).toEqual([
      [0, 2],
      [1, 2],
    ]);
    expect(r.bot.client.ws.shards.size).toBe(2);
    // The guild is on the shard Discord's formula puts it on, and its commands work there.
    const shard = shardOfGuild(r.discord.ids.guild, 2);
    expect(r.bot.client.guilds.cache.get(r.discord.ids.guild)?.shardId).toBe(shard);
    const i = await r.discord.slashCommand('imagine', { prompt: 'a lighthouse' });
    expect((await resultWithFiles(i)).files.map((f) => f.filename)).toEqual(['image-1.webp']);
    expect((await get(`${r.bot.httpUrl!}/readyz`)).status).toBe(200);
  }

  it('runs the number of shards it is told, each IDENTIFYing as [id, count]', async () => {
    running = await startSharded({ maxConcurrency: 2 }, { SHARD_COUNT: '2' });
    await expectTwoShardsServingTheGuild(running);
  });

  it('runs as many shards as GET /gateway/bot recommends with SHARD_COUNT=auto', async () => {
    running = await startSharded({ shards: 2, maxConcurrency: 2 }, { SHARD_COUNT: 'auto' });
    await expectTwoShardsServingTheGuild(running);
  });
});

describe('the bot process with HTTP_PORT and SHARD_COUNT=auto in its environment', () => {
  it('starts (discord.js reads SHARD_COUNT too) and serves /healthz and /readyz', async () => {
    const discord = await startFakeDiscord();
    const venice = await startVeniceSimulator();
    const bot = spawnBot(fakeEnv(discord, venice, { LOG_LEVEL: 'info', HTTP_PORT: '0', SHARD_COUNT: 'auto' }));
    try {
      await discord.waitFor(() => bot.output().includes('"msg":"ready"'), 20_000);
      const url = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(bot.output())?.[1];
      expect(url).toBeDefined();
      expect((await get(`${url!}/healthz`)).status).toBe(200);
      expect((await get(`${url!}/readyz`)).status).toBe(200);
      expect(await bot.stop()).toBe(0);
    } finally {
      bot.child.kill('SIGKILL');
      await discord.close();
      await venice.close();
    }
  });
});
