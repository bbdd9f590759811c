import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeDiscord, type FakeDiscord, type RecordedRequest } from '../support/discord/fake-discord.js';
import { startVeniceSimulator, type VeniceSimulator } from '../support/venice/simulator.js';
import { harnessPerTest } from './harness-slot.js';
import { fakeEnv, tempDatabasePath } from './harness.js';
import { EPHEMERAL, accepted, assertNoInvalidRequests, json } from './helpers.js';
import { spawnBot, type BotProcess } from './process.js';

const slot = harnessPerTest();
const MANAGE_MESSAGES = String(1n << 13n);
/** Alice's everyday permissions, without Manage Messages. */
const MEMBER = String((1n << 10n) | (1n << 11n));

async function settings(discord: FakeDiscord, subcommand: string, options: Record<string, string | number | boolean>): Promise<string> {
  const i = await discord.slashCommand('settings', options, { user: 'admin', subcommand });
  const answer = await discord.waitFor(() => i.requests().find((r) => r.method === 'PATCH' && r.path.endsWith('/@original')), 10_000);
  return json(answer).content ?? '';
}

const generationIdOf = (r: RecordedRequest): string => /generation `([^`]+)`/.exec(json(r).content ?? '')?.[1] ?? '';
const reviewPosts = (discord: FakeDiscord) => discord.channelMessages('nsfw').filter((r) => r.files.length > 0);

/** One database and one environment for a bot process started, stopped and started again. */
function restartableBot(discord: FakeDiscord, venice: VeniceSimulator) {
  const databasePath = tempDatabasePath();
  const env = fakeEnv(discord, venice, { DATABASE_PATH: databasePath });
  const start = async (): Promise<BotProcess> => {
    const p = spawnBot(env);
    await discord.waitFor(() => p.output().includes('"msg":"ready"'), 60_000);
    return p;
  };
  return { databasePath, start };
}

describe('review mode', () => {
  it('shows a result only in the review channel until a moderator approves it, then where it was asked for', async () => {
    const h = await slot.start();
    expect(await settings(h.discord, 'review', { enabled: true, review_channel: 'nsfw' })).toMatch(/Saved/);
    await settings(h.discord, 'modlog', { channel: 'thread' });
    const i = await h.discord.slashCommand('imagine', { prompt: 'a quiet harbour @everyone', seed: 7 }, { user: 'alice' });

    const review = accepted(await slot.wait(() => reviewPosts(h.discord)[0], 20_000));
    expect(json(review).content).toContain(`<@${h.discord.ids.users.alice}>`);
    expect(json(review).allowed_mentions?.parse).toEqual([]);
    expect(review.files.map((f) => f.filename)).toEqual(['image-1.webp']);
    const fields = json(review).embeds?.[0]?.fields?.map((f) => f.name);
    expect(fields).toEqual(expect.arrayContaining(['Model', 'Seed', 'Size']));
    expect(json(review).embeds?.[0]?.description).toContain('a quiet harbour');
    await i.originalEdit((r) => /Waiting for a moderator/.test(json(r).content ?? ''));
    // Nothing public yet: no result with files in the channel, by reply or by message.
    expect(i.requests().some((r) => r.files.length > 0)).toBe(false);
    expect(h.discord.channelMessages('text')).toHaveLength(0);

    const id = generationIdOf(review);
    const reviewMessageId = await slot.wait(async () => (await h.bot.store.reviews.get(id))?.reviewMessageId ?? undefined);
    // A member without Manage Messages cannot approve.
    const refused = await h.discord.button(`vi:imagine:approve:${id}`, { id: reviewMessageId }, { user: 'bob', permissions: MEMBER });
    const refusal = (await refused.callback()).json as { type: number; data: { content: string; flags: number } };
    expect(refusal.type).toBe(4);
    expect(refusal.data.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(refusal.data.content).toMatch(/Only members with the Manage Messages permission/);
    expect(h.discord.channelMessages('text')).toHaveLength(0);

    const approved = await h.discord.button(`vi:imagine:approve:${id}`, { id: reviewMessageId }, { user: 'admin', permissions: MANAGE_MESSAGES });
    expect(((await approved.callback()).json as { type: number }).type).toBe(6);
    const posted = accepted(await slot.wait(() => h.discord.channelMessages('text').find((r) => r.files.length > 0), 20_000));
    expect(posted.files.map((f) => f.filename)).toEqual(['image-1.webp']);
    expect(posted.files[0]!.data.equals(review.files[0]!.data)).toBe(true);
    expect(json(posted).allowed_mentions?.parse).toEqual([]);
    expect((json(posted) as { message_reference?: { message_id?: string } }).message_reference?.message_id).toBe((await i.message()).id);
    expect(JSON.stringify(json(posted).components)).toContain('vi:imagine:reroll:');
    // /metrics counts the approved image as posted, once (nothing was posted before the approval).
    const postedCount = async () => /^imagine_images_posted_total (\d+)$/m.exec(await h.bot.metrics.registry.metrics())?.[1];
    for (const until = Date.now() + 10_000; (await postedCount()) !== '1' && Date.now() < until; ) await new Promise((r) => setTimeout(r, 50));
    expect(await postedCount()).toBe('1');
    await slot.wait(() => h.discord.requests.find((r) => r.method === 'PATCH' && r.path.endsWith(`/messages/${reviewMessageId}`) && /Approved by/.test(json(r).content ?? '')));
    await slot.wait(() => h.discord.channelMessages('thread').find((r) => /approved generation/.test(json(r).content ?? '')));

    // Decided once: a second press is told so.
    const again = await h.discord.button(`vi:imagine:approve:${id}`, { id: reviewMessageId }, { user: 'admin', permissions: MANAGE_MESSAGES });
    expect(((await again.callback()).json as { data: { content: string } }).data.content).toMatch(/already been decided/);
  }, 60_000);

  it('Reject tells the requester privately, with the moderator’s reason, and posts nothing', async () => {
    const h = await slot.start();
    await settings(h.discord, 'review', { enabled: true, review_channel: 'nsfw' });
    await settings(h.discord, 'modlog', { channel: 'thread' });
    const i = await h.discord.slashCommand('imagine', { prompt: 'a lighthouse' }, { user: 'alice' });
    const review = await slot.wait(() => reviewPosts(h.discord)[0], 20_000);
    const id = generationIdOf(review);
    const reviewMessageId = await slot.wait(async () => (await h.bot.store.reviews.get(id))?.reviewMessageId ?? undefined);

    const press = await h.discord.button(`vi:imagine:reject:${id}`, { id: reviewMessageId }, { user: 'admin', permissions: MANAGE_MESSAGES });
    const modal = (await press.callback()).json as { type: number; data: { custom_id: string } };
    expect(modal.type).toBe(9);
    const submit = await h.discord.modalSubmit(modal.data.custom_id, { reason: 'off-topic for this server' }, { user: 'admin', permissions: MANAGE_MESSAGES, message: { id: reviewMessageId } });
    await submit.callback();

    const told = await slot.wait(() => i.followUps().find((r) => /did not approve/.test(json(r).content ?? '')), 10_000);
    expect(accepted(told).status).toBeLessThan(300);
    expect((json(told).flags ?? 0) & EPHEMERAL).toBe(EPHEMERAL);
    expect(json(told).content).toContain('off-topic for this server');
    await slot.wait(() => h.discord.requests.find((r) => r.method === 'PATCH' && r.path.endsWith(`/messages/${reviewMessageId}`) && /Rejected by/.test(json(r).content ?? '')));
    await slot.wait(() => h.discord.channelMessages('thread').find((r) => /rejected generation .*off-topic/.test(json(r).content ?? '')));
    expect(h.discord.channelMessages('text').some((r) => r.files.length > 0)).toBe(false);
  }, 60_000);

  it('Cancel while waiting withdraws the review and says the charge stays', async () => {
    const h = await slot.start();
    await settings(h.discord, 'review', { enabled: true, review_channel: 'nsfw' });
    const i = await h.discord.slashCommand('imagine', { prompt: 'a windmill' }, { user: 'alice' });
    const review = await slot.wait(() => reviewPosts(h.discord)[0], 20_000);
    const id = generationIdOf(review);
    const reviewMessageId = await slot.wait(async () => (await h.bot.store.reviews.get(id))?.reviewMessageId ?? undefined);
    const placeholder = await i.message((m) => /Waiting for a moderator/.test(String(m['content'])));
    const cancel = await h.discord.button(`vi:imagine:cancel:${id}`, { id: String(placeholder['id']) }, { user: 'alice' });
    const update = (await cancel.callback()).json as { type: number; data: { content: string; components: unknown[] } };
    expect(update.type).toBe(7);
    expect(update.data.content).toMatch(/will not be posted.*stays charged/);
    await slot.wait(() => h.discord.requests.find((r) => r.method === 'PATCH' && r.path.endsWith(`/messages/${reviewMessageId}`) && /Withdrawn/.test(json(r).content ?? '') && (json(r).components ?? []).length === 0));
    const approve = await h.discord.button(`vi:imagine:approve:${id}`, { id: reviewMessageId }, { user: 'admin', permissions: MANAGE_MESSAGES });
    expect(((await approve.callback()).json as { data: { content: string } }).data.content).toMatch(/already been decided/);
  }, 60_000);

  it('reviews a result Venice blurred as a spoiler, and keeps it one when approved', async () => {
    const h = await slot.start();
    await settings(h.discord, 'review', { enabled: true, review_channel: 'nsfw' });
    h.venice.script({ kind: 'ok', blurred: true });
    await h.discord.slashCommand('imagine', { prompt: 'a beach' }, { user: 'alice' });
    const review = await slot.wait(() => reviewPosts(h.discord)[0], 20_000);
    expect(review.files.map((f) => f.filename)).toEqual(['SPOILER_image-1.webp']);
    const id = generationIdOf(review);
    const reviewMessageId = await slot.wait(async () => (await h.bot.store.reviews.get(id))?.reviewMessageId ?? undefined);
    await h.discord.button(`vi:imagine:approve:${id}`, { id: reviewMessageId }, { user: 'admin', permissions: MANAGE_MESSAGES });
    const posted = await slot.wait(() => h.discord.channelMessages('text').find((r) => r.files.length > 0), 20_000);
    expect(posted.files.map((f) => f.filename)).toEqual(['SPOILER_image-1.webp']);
  }, 60_000);

  it('says a rejection on the public placeholder in the server’s language, without the prompt or the reason, when the requester cannot be reached privately', async () => {
    const h = await slot.start();
    await settings(h.discord, 'review', { enabled: true, review_channel: 'nsfw' });
    await h.discord.slashCommand('imagine', { prompt: 'a secret garden' }, { user: 'alice', locale: 'zh-CN' });
    const review = await slot.wait(() => reviewPosts(h.discord)[0], 20_000);
    const id = generationIdOf(review);
    const reviewMessageId = await slot.wait(async () => (await h.bot.store.reviews.get(id))?.reviewMessageId ?? undefined);
    // Her interaction token has expired, and her DMs are closed.
    await h.bot.store.db.updateTable('reviews').set({ interaction_at: 0 }).where('id', '=', id).execute();
    h.discord.fail({ method: 'POST', path: new RegExp(`/channels/${h.discord.ids.channels.dm}/messages`) }, { status: 403, code: 50007, message: 'Cannot send messages to this user' });
    const placeholderId = (await h.bot.store.reviews.get(id))!.placeholderId!;

    const press = await h.discord.button(`vi:imagine:reject:${id}`, { id: reviewMessageId }, { user: 'admin', permissions: MANAGE_MESSAGES });
    const modal = (await press.callback()).json as { data: { custom_id: string } };
    const submit = await h.discord.modalSubmit(modal.data.custom_id, { reason: 'too close to a real person' }, { user: 'admin', permissions: MANAGE_MESSAGES, message: { id: reviewMessageId } });
    await submit.callback();

    const edited = accepted(await slot.wait(() => h.discord.requests.find((r) => r.method === 'PATCH' && r.path.endsWith(`/messages/${placeholderId}`)), 10_000));
    const said = json(edited).content ?? '';
    expect(said).toContain(`<@${h.discord.ids.users.alice}>`);
    expect(said).toMatch(/did not approve/);
    expect(said).not.toContain('too close to a real person');
    expect(said).not.toContain('a secret garden');
    expect(said).not.toMatch(/[\u4e00-\u9fff]/);
  }, 60_000);
});

describe('a pending review across a restart', () => {
  let discord: FakeDiscord | undefined;
  let venice: VeniceSimulator | undefined;
  let bot: BotProcess | undefined;
  afterEach(async () => {
    bot?.child.kill('SIGKILL');
    await discord?.close();
    await venice?.close();
    if (discord) assertNoInvalidRequests(discord);
    discord = undefined;
  });

  it('survives a SIGTERM and is approved by the next process', async () => {
    discord = await startFakeDiscord();
    venice = await startVeniceSimulator();
    const { databasePath, start } = restartableBot(discord, venice);
    bot = await start();
    await settings(discord, 'review', { enabled: true, review_channel: 'nsfw' });
    await discord.slashCommand('imagine', { prompt: 'a snowy pass' }, { user: 'alice' });
    const review = await discord.waitFor(() => reviewPosts(discord!)[0], 30_000);
    const id = generationIdOf(review);
    expect(await bot.stop()).toBe(0);

    const db = new Database(databasePath, { readonly: true });
    const row = db.prepare('SELECT state, review_message_id FROM reviews WHERE id = ?').get(id) as { state: string; review_message_id: string };
    db.close();
    expect(row.state).toBe('pending');

    bot = await start();
    await discord.button(`vi:imagine:approve:${id}`, { id: row.review_message_id }, { user: 'admin', permissions: MANAGE_MESSAGES });
    const posted = await discord.waitFor(() => discord!.channelMessages('text').find((r) => r.files.length > 0), 30_000);
    expect(posted.files.map((f) => f.filename)).toEqual(['image-1.webp']);
    expect(posted.files[0]!.data.equals(review.files[0]!.data)).toBe(true);
  }, 150_000);

  it('settles approvals a restart cut short: one that posted nothing waits again for Approve, one that posted is finished', async () => {
    discord = await startFakeDiscord();
    venice = await startVeniceSimulator();
    const { databasePath, start } = restartableBot(discord, venice);
    bot = await start();
    await settings(discord, 'review', { enabled: true, review_channel: 'nsfw' });
    await settings(discord, 'modlog', { channel: 'thread' });
    await discord.slashCommand('imagine', { prompt: 'a frozen lake' }, { user: 'alice' });
    const first = await discord.waitFor(() => reviewPosts(discord!)[0], 30_000);
    await discord.slashCommand('imagine', { prompt: 'a burning forest' }, { user: 'bob' });
    const second = await discord.waitFor(() => reviewPosts(discord!)[1], 30_000);
    const [cut, posted] = [generationIdOf(first), generationIdOf(second)];
    expect(await bot.stop()).toBe(0);

    // Both were claimed by a moderator's Approve when the process died; the second had already been posted.
    const db = new Database(databasePath);
    db.prepare("UPDATE reviews SET state = 'approving', decided_by = ? WHERE id IN (?, ?)").run(discord.ids.users.admin, cut, posted);
    db.prepare('UPDATE reviews SET result_message_id = ? WHERE id = ?').run('123456789012345678', posted);
    const reviewMessageOf = (id: string) => (db.prepare('SELECT review_message_id FROM reviews WHERE id = ?').get(id) as { review_message_id: string }).review_message_id;
    const [cutMessage, postedMessage] = [reviewMessageOf(cut), reviewMessageOf(posted)];
    db.close();

    bot = await start();
    const stateOf = (id: string) => {
      const read = new Database(databasePath, { readonly: true });
      const row = read.prepare('SELECT state FROM reviews WHERE id = ?').get(id) as { state: string };
      read.close();
      return row.state;
    };
    await discord.waitFor(() => stateOf(posted) === 'approved', 10_000);
    expect(stateOf(cut)).toBe('pending');
    await discord.waitFor(() => discord!.requests.find((r) => r.method === 'PATCH' && r.path.endsWith(`/messages/${postedMessage}`) && /Approved by/.test(json(r).content ?? '')), 10_000);
    await discord.waitFor(() => discord!.channelMessages('thread').find((r) => new RegExp(`approved generation \`${posted}\``).test(json(r).content ?? '')), 10_000);
    expect(discord.channelMessages('text').some((r) => r.files.length > 0)).toBe(false);

    // The one that posted nothing: its review message's Approve works again.
    await discord.button(`vi:imagine:approve:${cut}`, { id: cutMessage }, { user: 'admin', permissions: MANAGE_MESSAGES });
    const result = await discord.waitFor(() => discord!.channelMessages('text').find((r) => r.files.length > 0), 30_000);
    expect(result.files[0]!.data.equals(first.files[0]!.data)).toBe(true);
    await discord.waitFor(() => stateOf(cut) === 'approved', 10_000);
  }, 150_000);
});
