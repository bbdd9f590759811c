import { afterEach, describe, expect, it } from 'vitest';
import type { InteractionHandle } from '../support/discord/fake-discord.js';
import { decodeCustomId } from '../../src/discord/custom-id.js';
import type { GenerateImageBody } from '../../src/venice/types.js';
import { startHarness, type Harness } from './harness.js';
import { imageInfo, json } from './helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

// Generous waits: these bound a stuck test, they do not measure speed (CI machines may be loaded).
const resultEdit = (i: InteractionHandle, ms = 60_000) => i.originalEdit((r) => r.files.length > 0, ms);

/** One job at a time: Alice's slow one runs, Bob's waits behind it and shows its place with a Cancel button. */
async function bobWaitsBehindAlice(inferenceDelayMs: number, prompt: string) {
  h = await startHarness({ env: { MAX_CONCURRENT_JOBS: '1' } });
  h.venice.setInferenceDelay(inferenceDelayMs);
  const first = await h.discord.slashCommand('imagine', { prompt: 'slow one' }, { user: 'alice' });
  const second = await h.discord.slashCommand('imagine', { prompt }, { user: 'bob' });
  const queued = await second.originalEdit((r) => /In the queue/.test(json(r).content ?? ''));
  const cancelId = (JSON.stringify(json(queued).components).match(/"custom_id":"([^"]+)"/) ?? [])[1]!;
  expect(decodeCustomId(cancelId)?.action).toBe('cancel');
  return { h, first, second, cancelId };
}

describe('the fair queue', () => {
  it('serves two light users before the heavy user’s third image, and shows the heavy user their place', async () => {
    h = await startHarness({ env: { MAX_CONCURRENT_JOBS: '1', MAX_JOBS_PER_USER: '1' } });
    h.venice.setInferenceDelay(120);
    const heavy: InteractionHandle[] = [];
    for (let n = 0; n < 10; n++) heavy.push(await h.discord.slashCommand('imagine', { prompt: `heavy ${n}` }, { user: 'bob' }));
    const alice = await h.discord.slashCommand('imagine', { prompt: 'light one' }, { user: 'alice' });
    const admin = await h.discord.slashCommand('imagine', { prompt: 'light two' }, { user: 'admin' });

    const [aliceDone, adminDone, heavyThird] = await Promise.all([resultEdit(alice), resultEdit(admin), resultEdit(heavy[2]!)]);
    expect(aliceDone.at).toBeLessThan(heavyThird.at);
    expect(adminDone.at).toBeLessThan(heavyThird.at);

    // A job that waits is told where it stands, with a Cancel button.
    const queued = await heavy[9]!.originalEdit((r) => /In the queue: position \d+, about/.test(json(r).content ?? ''), 60_000);
    const components = JSON.stringify(json(queued).components);
    expect(components).toContain('Cancel');
    for (const i of heavy) await resultEdit(i);
  }, 180_000);

  it('never runs more jobs at once than MAX_CONCURRENT_JOBS', async () => {
    h = await startHarness({ env: { MAX_CONCURRENT_JOBS: '2', MAX_JOBS_PER_USER: '4' } });
    h.venice.setInferenceDelay(300);
    const jobs: InteractionHandle[] = [];
    for (const user of ['alice', 'bob', 'admin'] as const) for (let n = 0; n < 2; n++) jobs.push(await h.discord.slashCommand('imagine', { prompt: `${user} ${n}` }, { user }));
    await Promise.all(jobs.map((j) => resultEdit(j)));
    const starts = h.venice.generateRequests().map((r) => r.receivedAt);
    expect(starts).toHaveLength(6);
    for (const t of starts) {
      const inFlight = starts.filter((s) => s <= t && t < s + 280).length;
      expect(inFlight).toBeLessThanOrEqual(2);
    }
    expect(h.bot.queue.stats().peakRunning).toBe(2);
  });

  it('rides out a storm of 429s without losing a job', async () => {
    h = await startHarness();
    h.venice.script({ kind: 'error', status: 429, retryAfterSeconds: 1 }, { times: 4 });
    const jobs = await Promise.all((['alice', 'bob', 'admin'] as const).map((user) => h!.discord.slashCommand('imagine', { prompt: `storm ${user}` }, { user })));
    const edits = await Promise.all(jobs.map((j) => resultEdit(j)));
    expect(edits.every((e) => e.files.length === 1)).toBe(true);
    expect(h.venice.generateRequests().length).toBeGreaterThanOrEqual(7);
  }, 120_000);

  it('lets the requester cancel a queued job, which then never reaches Venice', async () => {
    const { h, first, second, cancelId } = await bobWaitsBehindAlice(1_500, 'to cancel');

    const stranger = await h.discord.button(cancelId, { id: '1' }, { user: 'alice' });
    expect(((await stranger.callback()).json as { data: { content: string } }).data.content).toMatch(/Only the person who asked/);

    const press = await h.discord.button(cancelId, { id: '1' }, { user: 'bob' });
    const pressed = await press.callback();
    const update = pressed.json as { type: number; data: { content: string; components: unknown[] } };
    expect(update.type).toBe(7);
    expect(update.data.content).toMatch(/Cancelled/);
    await resultEdit(first);
    expect(h.venice.generateRequests().map((r) => (r.body as GenerateImageBody).prompt)).toEqual(['slow one']);
    // No queue update comes back after the cancel (a trailing position edit would bring back the button).
    await new Promise((r) => setTimeout(r, 3_500));
    const afterCancel = second.requests().filter((r) => r.method === 'PATCH' && r.at > pressed.at && /In the queue/.test(json(r).content ?? ''));
    expect(afterCancel).toEqual([]);
  });
});

describe('a Cancel pressed while the result is being posted', () => {
  it('is told it comes too late, and the posted result keeps its text and buttons', async () => {
    const { h, first, second, cancelId } = await bobWaitsBehindAlice(600, 'posted anyway');
    // The upload of bob's images reaches Discord and stays there, as a slow one does.
    const upload = h.discord.hold((r) => r.method === 'PATCH' && r.path.includes(second.token) && r.files.length > 0);
    await upload.reached;
    const onScreen = await second.message();
    expect(JSON.stringify(onScreen.components)).toContain(cancelId);

    const press = await h.discord.button(cancelId, { id: String(onScreen['id']) }, { user: 'bob' });
    const answer = (await press.callback()).json as { type: number; data: { content: string; flags?: number } };
    upload.release();
    expect(answer.type).toBe(4);
    expect((answer.data.flags ?? 0) & 64).toBe(64);
    expect(answer.data.content).toMatch(/Too late to cancel/);

    const posted = await resultEdit(second);
    expect(posted.status).toBe(200);
    await resultEdit(first);
    const result = await second.message();
    expect(result['content']).toBe('');
    expect((result['embeds'] as Array<{ description?: string }>)[0]?.description).toBe('posted anyway');
    expect(result['attachments']).toHaveLength(1);
    expect(JSON.stringify(result['components'])).toMatch(/vi:imagine:reroll:/);
    // Nothing after the upload touched the reply, and the job was settled as posted, not cancelled.
    expect(second.requests().filter((r) => r.at > posted.at && r.method === 'PATCH')).toEqual([]);
    const id = decodeCustomId(cancelId)!.args[0]!;
    await h.discord.waitFor(async () => (await h.bot.store.generations.get(id))?.outcome === 'posted');
  });
});

describe('long jobs and large files', () => {
  it('posts a result that outlived its interaction token as a channel message replying to the placeholder', async () => {
    let offset = 0;
    h = await startHarness({ discordNow: () => Date.now() + offset });
    h.venice.setInferenceDelay(600);
    const i = await h.discord.slashCommand('imagine', { prompt: 'a very slow painting' });
    await i.callback();
    await h.discord.waitFor(() => h!.venice.generateRequests().length === 1);
    // Sixteen minutes pass while Venice works: the token is dead when the bot comes back.
    offset = 16 * 60 * 1000;
    const posted = await h.discord.waitFor(() => h!.discord.channelMessages('text').find((r) => r.files.length > 0), 15_000);
    const body = json(posted) as { content?: string; allowed_mentions?: { parse?: string[]; users?: string[] }; message_reference?: { message_id: string } };
    expect(body.content).toContain(`<@${h.discord.ids.users.alice}>`);
    expect(body.content).toMatch(/15 minutes/);
    expect(body.allowed_mentions).toEqual({ parse: [], users: [h.discord.ids.users.alice], replied_user: false });
    // discord.js built the body: attachment ids are snowflake strings, as the spec says.
    expect(posted.status).toBe(200);
    expect((json(posted).attachments as Array<{ id: unknown }>).map((a) => a.id)).toEqual(['0']);
    expect(body.message_reference?.message_id).toMatch(/^\d+$/);
    expect(posted.files.map((f) => f.filename)).toEqual(['image-1.webp']);
  });

  it('re-encodes an image over the attachment size limit instead of dropping it', async () => {
    h = await startHarness();
    const i = await h.discord.slashCommand('imagine', { prompt: 'a detailed map', format: 'png' }, { attachmentSizeLimit: 1_500 });
    const edit = await resultEdit(i);
    expect((h.venice.generateRequests()[0]?.body as GenerateImageBody).format).toBe('png');
    const file = edit.files[0]!;
    expect(file.size).toBeLessThanOrEqual(1_500);
    expect(file.filename).toMatch(/^image-1\.(webp|jpg)$/);
    expect((await imageInfo(file.data)).width).toBeGreaterThan(0);
    expect(json(edit).content).toMatch(/re-encoded to fit Discord's file size limit/);
  });

  it('tells the user when every variant failed even after the reply window closed', async () => {
    let offset = 0;
    h = await startHarness({ discordNow: () => Date.now() + offset });
    h.venice.script({ kind: 'error', status: 400, body: { error: 'Prompt rejected' }, delayMs: 400 });
    const i = await h.discord.slashCommand('imagine', { prompt: 'slow failure' });
    await i.callback();
    offset = 16 * 60 * 1000;
    const told = await h.discord.waitFor(() => h!.discord.channelMessages('text').find((r) => /Venice refused the request/.test(json(r).content ?? '')), 10_000);
    expect(json(told).content).toContain(`<@${h.discord.ids.users.alice}>`);
    // The private follow-up was tried first and refused by Discord: nothing reached the user that way.
    expect(i.requests().filter((r) => r.method === 'POST' && r.path.startsWith('/webhooks/') && r.status < 300)).toEqual([]);
  });
});
