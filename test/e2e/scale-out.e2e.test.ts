import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { shardOfGuild } from '../support/discord/gateway.js';
import { startFakeDiscord, type FakeDiscord, type InteractionHandle } from '../support/discord/fake-discord.js';
import { dropTestDatabases, freshRedisPrefix, POSTGRES_TARGET, queryPostgres, TEST_REDIS_URL, type StoreTarget } from '../support/store-targets.js';
import type { SimRequest, VeniceSimulator } from '../support/venice/simulator.js';
import { startVeniceSimulator } from '../support/venice/simulator.js';
import type { GenerateImageBody } from '../../src/venice/types.js';
import { freePort } from '../support/ports.js';
import { fakeEnv } from './harness.js';
import { json } from './helpers.js';
import { spawnBot, type BotProcess } from './process.js';

/**
 * The scale-out mode as an operator runs it: separate bot processes, each with its own shard
 * of a fake Discord that routes every event to its shard (the server on shard 1, DMs on 0),
 * sharing a real PostgreSQL and a real Redis. Defined only where both run: CI always has them
 * (test/support/store-targets.ts fails the run without TEST_DATABASE_URL and TEST_REDIS_URL).
 */
if (POSTGRES_TARGET && TEST_REDIS_URL) describeScaleOut(POSTGRES_TARGET, TEST_REDIS_URL);

function describeScaleOut(database: StoreTarget, redisUrl: string) {
  let discord: FakeDiscord | undefined;
  let venice: VeniceSimulator | undefined;
  let bots: BotProcess[] = [];
  afterEach(async () => {
    for (const bot of bots) bot.child.kill('SIGKILL');
    await Promise.all(bots.map((b) => b.exit));
    bots = [];
    await discord?.close();
    await venice?.close();
  });
  afterAll(dropTestDatabases);

  interface Gateway {
    process: BotProcess;
    http: string;
  }

  /**
   * Two processes, shard 0 and shard 1 of 2, on one database and one Redis; with `workers`,
   * they are ROLE=gateway and that many ROLE=worker processes run the jobs.
   */
  async function start(extra: Record<string, string> = {}, options: { inferenceDelayMs?: number; workers?: number } = {}): Promise<{ zero: Gateway; one: Gateway; workers: Gateway[]; url: string }> {
    discord = await startFakeDiscord({ shards: 2, guildOnShard: [1, 2] });
    venice = await startVeniceSimulator({ inferenceDelayMs: options.inferenceDelayMs ?? 1_200 });
    expect(shardOfGuild(discord.ids.guild, 2)).toBe(1);
    const url = await database.fresh();
    const env = fakeEnv(discord, venice, { DATABASE_URL: url, REDIS_URL: redisUrl, REDIS_PREFIX: freshRedisPrefix(), SHARD_COUNT: '2', LOG_LEVEL: 'info', ...extra });
    const split = options.workers !== undefined;
    const launch = async (own: Record<string, string>): Promise<Gateway> => {
      const port = await freePort();
      const p = spawnBot({ ...env, ...own, HTTP_PORT: String(port) });
      bots.push(p);
      return { process: p, http: `http://127.0.0.1:${port}` };
    };
    const gateways = await Promise.all(['0', '1'].map((shard) => launch({ SHARD_IDS: shard, ...(split ? { ROLE: 'gateway' } : {}) })));
    const workers = await Promise.all(Array.from({ length: options.workers ?? 0 }, () => launch({ ROLE: 'worker' })));
    await discord.waitFor(() => [...gateways, ...workers].every((g) => g.process.output().includes('"msg":"ready"')), 90_000);
    await discord.ready();
    return { zero: gateways[0]!, one: gateways[1]!, workers, url };
  }

  const promptOf = (r: SimRequest) => (r.body as GenerateImageBody).prompt;
  /** The most of `prefix`'s requests Venice was working on at one moment. */
  function peakAtOnce(requests: SimRequest[], prefix: string): number {
    const mine = requests.filter((r) => promptOf(r).startsWith(prefix));
    let peak = 0;
    for (const r of mine) {
      const at = r.receivedAt;
      peak = Math.max(peak, mine.filter((o) => o.receivedAt <= at && (o.answeredAt ?? Number.POSITIVE_INFINITY) > at).length);
    }
    return peak;
  }
  const done = (i: InteractionHandle) => i.originalEdit((r) => r.files.length > 0, 60_000);
  const metric = async (gateway: Gateway, name: string): Promise<number> => {
    const text = await (await fetch(`${gateway.http}/metrics`)).text();
    return text
      .split('\n')
      .filter((line) => line.startsWith(name))
      .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
  };

  describe('several processes on PostgreSQL and Redis', () => {
    it('holds a member’s cap of 2 running jobs across both gateways, never 3, and finishes all of them', async () => {
      // No DM cooldown: her three DM requests come at once.
      const { zero, one } = await start({ MAX_JOBS_PER_USER: '2', DM_COOLDOWN_SECONDS: '0' });
      const asked: InteractionHandle[] = [];
      // Three in the server (shard 1's process) and three in her DM (shard 0's), all at once.
      for (let n = 0; n < 3; n++) {
        asked.push(await discord!.slashCommand('imagine', { prompt: `alice server ${n}` }, { user: 'alice' }));
        asked.push(await discord!.slashCommand('imagine', { prompt: `alice dm ${n}` }, { user: 'alice', channel: 'dm' }));
      }
      const results = await Promise.all(asked.map(done));
      for (const r of results) expect(r.status).toBe(200);
      const requests = venice!.generateRequests();
      expect(requests).toHaveLength(6);
      expect(peakAtOnce(requests, 'alice')).toBe(2);
      // Each process ran the jobs asked of it: both did work.
      expect(await metric(one, 'imagine_jobs_finished_total')).toBe(3);
      expect(await metric(zero, 'imagine_jobs_finished_total')).toBe(3);
    }, 180_000);

    it('serves two light members asking on one gateway before the heavy member’s third job on the other', async () => {
      await start({ MAX_CONCURRENT_JOBS: '2', MAX_JOBS_PER_USER: '2' });
      const heavy: InteractionHandle[] = [];
      for (let n = 0; n < 4; n++) heavy.push(await discord!.slashCommand('imagine', { prompt: `heavy ${n}` }, { user: 'alice' }));
      await discord!.waitFor(() => venice!.generateRequests().length >= 1, 30_000);
      const light = [
        await discord!.slashCommand('imagine', { prompt: 'light bob' }, { user: 'bob', channel: 'dm' }),
        await discord!.slashCommand('imagine', { prompt: 'light admin' }, { user: 'admin', channel: 'dm' }),
      ];
      await Promise.all([...heavy, ...light].map(done));
      const order = venice!
        .generateRequests()
        .sort((a, b) => a.receivedAt - b.receivedAt)
        .map(promptOf);
      // Her jobs are admitted concurrently, so which of them goes third is whichever got in line third.
      const hers = order.filter((p) => p.startsWith('heavy'));
      const third = order.indexOf(hers[2]!);
      expect(order.indexOf('light bob')).toBeLessThan(third);
      expect(order.indexOf('light admin')).toBeLessThan(third);
      // One line for both processes: never more than MAX_CONCURRENT_JOBS at once anywhere (the
      // process the light members asked on had nothing of its own running), and the heavy
      // member's later jobs were told their place in it.
      expect(peakAtOnce(venice!.generateRequests(), '')).toBe(2);
      const waited = heavy.filter((_, n) => hers.indexOf(`heavy ${n}`) >= 2);
      expect(waited).toHaveLength(2);
      for (const i of waited) expect(i.requests().some((r) => /In the queue: position \d/.test(json(r).content ?? ''))).toBe(true);
    }, 180_000);

    it('reports the job of a process killed mid-job from the process that lives, and loses none', async () => {
      const { zero, url } = await start({}, { inferenceDelayMs: 60_000 });
      const doomed = await discord!.slashCommand('imagine', { prompt: 'in flight when its process dies' }, { user: 'alice' });
      await discord!.waitFor(() => venice!.generateRequests().length === 1, 30_000);
      const [, one] = bots;
      one!.child.kill('SIGKILL');
      await one!.exit;
      // The surviving process (shard 0) finds the job of the one that is gone and tells its requester.
      const told = await doomed.originalEdit((r) => /restarted while making these images/.test(json(r).content ?? ''), 60_000);
      expect(told.status).toBe(200);
      expect(JSON.stringify(json(told).components)).toContain('Retry');
      // Told first, then its row and reservation go.
      await discord!.waitFor(async () => (await queryPostgres(url, 'SELECT id FROM jobs')).length === 0, 15_000);
      expect(await queryPostgres(url, 'SELECT outcome FROM generations')).toEqual([{ outcome: 'interrupted' }]);
      expect((await fetch(`${zero.http}/readyz`)).status).toBe(200);
    }, 180_000);

    it('loses no job in a rolling restart: the stopping process hands its waiting jobs on, and the other runs them', async () => {
      const { url } = await start({ MAX_CONCURRENT_JOBS: '1', MAX_JOBS_PER_USER: '3' }, { inferenceDelayMs: 2_500 });
      // Three in the server (shard 1's process): one running, two waiting in the shared line.
      const asked: InteractionHandle[] = [await discord!.slashCommand('imagine', { prompt: 'rolling 0' }, { user: 'alice' })];
      // The first at Venice before the others are asked (admissions otherwise race for the line).
      await discord!.waitFor(() => venice!.generateRequests().length === 1, 30_000);
      for (let n = 1; n < 3; n++) asked.push(await discord!.slashCommand('imagine', { prompt: `rolling ${n}` }, { user: 'alice' }));
      for (const waiting of asked.slice(1)) await waiting.originalEdit((r) => /In the queue/.test(json(r).content ?? ''), 30_000);
      const [, one] = bots;
      one!.child.kill('SIGTERM');
      expect(await one!.exit).toBe(0);
      // The running job finished on its way out; the waiting ones were made by shard 0's process.
      const results = await Promise.all(asked.map(done));
      for (const r of results) expect(r.status).toBe(200);
      expect(venice!.generateRequests().map(promptOf).sort()).toEqual(['rolling 0', 'rolling 1', 'rolling 2']);
      for (const i of asked) expect(i.requests().some((r) => /restart/i.test(json(r).content ?? ''))).toBe(false);
      await discord!.waitFor(async () => (await queryPostgres(url, 'SELECT id FROM jobs')).length === 0, 15_000);
      expect(await queryPostgres(url, "SELECT count(*)::int AS n FROM generations WHERE outcome = 'posted'")).toEqual([{ n: 3 }]);
    }, 180_000);

    it('with two gateways and two workers: the workers make every image, a member’s cap holds, and a killed worker’s job is reported', async () => {
      const { zero, one, workers, url } = await start({ MAX_JOBS_PER_USER: '2', DM_COOLDOWN_SECONDS: '0' }, { workers: 2 });
      const asked: InteractionHandle[] = [];
      for (let n = 0; n < 3; n++) {
        asked.push(await discord!.slashCommand('imagine', { prompt: `alice server ${n}` }, { user: 'alice' }));
        asked.push(await discord!.slashCommand('imagine', { prompt: `alice dm ${n}` }, { user: 'alice', channel: 'dm' }));
      }
      for (const r of await Promise.all(asked.map(done))) expect(r.status).toBe(200);
      expect(peakAtOnce(venice!.generateRequests(), 'alice')).toBe(2);
      // Counted where they ran: nothing on the gateways, all six on the workers.
      expect((await metric(zero, 'imagine_jobs_finished_total')) + (await metric(one, 'imagine_jobs_finished_total'))).toBe(0);
      expect((await metric(workers[0]!, 'imagine_jobs_finished_total')) + (await metric(workers[1]!, 'imagine_jobs_finished_total'))).toBe(6);
      // A worker has no gateway, and is ready all the same.
      expect(await (await fetch(`${workers[0]!.http}/readyz`)).text()).not.toContain('gateway');

      // A worker killed while Venice works on its job: another process tells the requester.
      venice!.setInferenceDelay(60_000);
      const doomed = await discord!.slashCommand('imagine', { prompt: 'its worker dies' }, { user: 'bob' });
      await discord!.waitFor(() => venice!.generateRequests().length === 7, 30_000);
      // The worker that took it is named in the job's row (its host, pid and a random part).
      const victim = await discord!.waitFor(async () => {
        const [row] = await queryPostgres(url, 'SELECT owner FROM jobs');
        const i = workers.findIndex((w) => String(row?.owner).includes(`-${w.process.child.pid}-`));
        return i >= 0 ? i : undefined;
      }, 15_000);
      workers[victim]!.process.child.kill('SIGKILL');
      const told = await doomed.originalEdit((r) => /restarted while making these images/.test(json(r).content ?? ''), 60_000);
      expect(told.status).toBe(200);
      await discord!.waitFor(async () => (await queryPostgres(url, 'SELECT id FROM jobs')).length === 0, 15_000);
    }, 240_000);

    it('passes a Cancel pressed on the gateway on to the worker running the job, which stops it', async () => {
      const { url } = await start({ MAX_CONCURRENT_JOBS: '1' }, { workers: 1, inferenceDelayMs: 4_000 });
      // Venice never answers Bob's request: it is surely running when he cancels.
      venice!.script({ kind: 'hang' }, { match: (r) => promptOf(r) === 'to cancel while it runs' });
      const first = await discord!.slashCommand('imagine', { prompt: 'slow one' }, { user: 'alice' });
      // Alice's at Venice first, so Bob's waits behind it (admissions otherwise race).
      await discord!.waitFor(() => venice!.generateRequests().length === 1, 30_000);
      const second = await discord!.slashCommand('imagine', { prompt: 'to cancel while it runs' }, { user: 'bob' });
      const queued = await second.originalEdit((r) => /In the queue/.test(json(r).content ?? ''), 30_000);
      const cancelId = (JSON.stringify(json(queued).components).match(/"custom_id":"([^"]+)"/) ?? [])[1]!;
      await done(first);
      await discord!.waitFor(() => venice!.generateRequests().some((r) => promptOf(r) === 'to cancel while it runs'), 30_000);
      const press = await discord!.button(cancelId, { id: '1' }, { user: 'bob' });
      // The gateway cannot know whether the worker is posting already: it tells Bob alone and leaves the reply to the worker.
      const answer = (await press.callback()).json as { type: number; data: { content: string; flags?: number } };
      expect(answer.type).toBe(4);
      expect((answer.data.flags ?? 0) & 64).toBe(64);
      expect(answer.data.content).toMatch(/Cancelling… If its images are already being posted/);
      const stopped = await second.originalEdit((r) => json(r).content === 'Cancelled. Nothing was posted.', 20_000);
      expect(stopped.status).toBe(200);
      await discord!.waitFor(async () => (await queryPostgres(url, "SELECT outcome FROM generations WHERE outcome = 'cancelled'")).length === 1, 20_000);
      expect(await queryPostgres(url, 'SELECT id FROM jobs')).toEqual([]);
      expect(second.requests().some((r) => r.files.length > 0)).toBe(false);
    }, 180_000);

    it('says 503 on /readyz of each process while the gateway is down, and 200 once it is back', async () => {
      const { zero, one } = await start();
      const outage = discord!.takeGatewayDown();
      try {
        await discord!.waitFor(async () => (await fetch(`${one.http}/readyz`)).status === 503, 30_000);
        expect((await fetch(`${zero.http}/readyz`)).status).toBe(503);
      } finally {
        outage.restore();
      }
      await discord!.waitFor(async () => (await fetch(`${one.http}/readyz`)).status === 200 && (await fetch(`${zero.http}/readyz`)).status === 200, 60_000);
    }, 180_000);
  });
}
