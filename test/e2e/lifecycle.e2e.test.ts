import { afterEach, describe, expect, it } from 'vitest';
import { decodeCustomId } from '../../src/discord/custom-id.js';
import { startFakeDiscord, type FakeDiscord, type InteractionHandle } from '../support/discord/fake-discord.js';
import { startVeniceSimulator, type VeniceSimulator } from '../support/venice/simulator.js';
import { fakeEnv, tempDatabasePath } from './harness.js';
import { json } from './helpers.js';
import { spawnBot, type BotProcess } from './process.js';

let discord: FakeDiscord;
let venice: VeniceSimulator;
let processes: BotProcess[] = [];

afterEach(async () => {
  for (const p of processes) p.child.kill('SIGKILL');
  processes = [];
  await discord?.close();
  await venice?.close();
});

async function start(env: Record<string, string>): Promise<BotProcess> {
  const p = spawnBot(env);
  processes.push(p);
  await discord.waitFor(() => p.output().includes('"msg":"ready"'), 60_000);
  return p;
}

const interruptedEdit = (i: InteractionHandle, pattern: RegExp) => i.originalEdit((r) => pattern.test(json(r).content ?? ''), 30_000);

describe('jobs across a crash and a shutdown', () => {
  it('reports every job a killed process left queued or running, and Retry runs it again', async () => {
    discord = await startFakeDiscord();
    venice = await startVeniceSimulator();
    // Venice never answers the first process, so its jobs are surely unfinished when it dies.
    venice.script({ kind: 'hang' }, { times: Infinity });
    const env = fakeEnv(discord, venice, { DATABASE_PATH: tempDatabasePath(), MAX_CONCURRENT_JOBS: '1' });
    const first = await start(env);
    const running = await discord.slashCommand('imagine', { prompt: 'in flight' }, { user: 'alice' });
    const queued = await discord.slashCommand('imagine', { prompt: 'waiting' }, { user: 'bob' });
    await discord.waitFor(() => venice.generateRequests().length === 1, 30_000);
    await queued.originalEdit((r) => /In the queue/.test(json(r).content ?? ''));
    first.child.kill('SIGKILL');
    await first.exit;

    venice.reset();
    await start(env);
    const a = await interruptedEdit(running, /restarted while making these images.*Nothing was charged/s);
    const b = await interruptedEdit(queued, /restarted before this request started/);
    for (const edit of [a, b]) expect(JSON.stringify(json(edit).components)).toContain('Retry');

    const retryId = (JSON.stringify(json(b).components).match(/"custom_id":"([^"]+)"/) ?? [])[1]!;
    expect(decodeCustomId(retryId)?.action).toBe('retry');
    const retry = await discord.button(retryId, { id: '1' }, { user: 'bob' });
    const result = await retry.originalEdit((r) => r.files.length > 0, 20_000);
    expect(result.files.map((f) => f.filename)).toEqual(['image-1.webp']);
    expect(venice.generateRequests().at(-1)?.body).toMatchObject({ prompt: 'waiting' });
  }, 150_000);

  it('on SIGTERM lets the running job finish, tells the queued one, and exits 0', async () => {
    discord = await startFakeDiscord();
    venice = await startVeniceSimulator({ inferenceDelayMs: 1_500 });
    const bot = await start(fakeEnv(discord, venice, { MAX_CONCURRENT_JOBS: '1' }));
    const running = await discord.slashCommand('imagine', { prompt: 'finish me' }, { user: 'alice' });
    const queued = await discord.slashCommand('imagine', { prompt: 'not started' }, { user: 'bob' });
    await discord.waitFor(() => venice.generateRequests().length === 1, 10_000);
    expect(await bot.stop()).toBe(0);
    expect((await running.originalEdit((r) => r.files.length > 0)).files).toHaveLength(1);
    await interruptedEdit(queued, /restarting, and this request had not started yet/);
    expect(venice.generateRequests()).toHaveLength(1);
  }, 120_000);

  it('completes an interaction that arrives the moment the gateway is up, while the last run’s job is reported', async () => {
    discord = await startFakeDiscord();
    venice = await startVeniceSimulator();
    venice.script({ kind: 'hang' }, { times: Infinity });
    const env = fakeEnv(discord, venice, { DATABASE_PATH: tempDatabasePath() });
    const first = await start(env);
    const left = await discord.slashCommand('imagine', { prompt: 'left behind' }, { user: 'alice' });
    await discord.waitFor(() => venice.generateRequests().length === 1, 30_000);
    first.child.kill('SIGKILL');
    await first.exit;

    venice.reset();
    const second = spawnBot(env);
    processes.push(second);
    // No waiting for "ready": the interaction lands as soon as the new session is identified.
    await discord.waitFor(() => discord.gateway.identifies.length === 2, 60_000);
    await discord.ready(60_000);
    const fresh = await discord.slashCommand('imagine', { prompt: 'just in time' }, { user: 'bob' });
    const result = await fresh.originalEdit((r) => r.files.length > 0, 30_000);
    expect(result.status).toBe(200);
    expect(fresh.requests().some((r) => /restarted/.test(json(r).content ?? ''))).toBe(false);
    await interruptedEdit(left, /restarted while making these images/);
  }, 150_000);

  it('exits within the grace period plus 2 s on SIGTERM while an upscale hangs at Venice, and tells its requester', async () => {
    discord = await startFakeDiscord();
    venice = await startVeniceSimulator();
    const bot = await start(fakeEnv(discord, venice, { SHUTDOWN_GRACE_SECONDS: '2' }));
    const made = await discord.slashCommand('imagine', { prompt: 'to enlarge' });
    const posted = await made.message((m) => Array.isArray(m['attachments']) && (m['attachments'] as unknown[]).length === 1, 30_000);
    const menu = (JSON.stringify(posted['components']).match(/"custom_id":"(vi:imagine:upscale:[^"]+)"/) ?? [])[1]!;
    venice.script({ kind: 'hang' }, { path: '/image/upscale', times: Infinity });
    const press = await discord.selectMenu(menu, ['1x2'], { id: String(posted['id']) }, { user: 'bob' });
    await discord.waitFor(() => venice.requests.some((r) => r.path === '/image/upscale'), 30_000);

    const sentAt = Date.now();
    expect(await bot.stop()).toBe(0);
    expect(Date.now() - sentAt).toBeLessThanOrEqual(2_000 + 2_000);
    const told = await interruptedEdit(press, /restarted before this request finished/);
    expect(told.status).toBe(200);
    expect(JSON.stringify(json(told).components)).toContain('Retry');
  }, 120_000);
});
