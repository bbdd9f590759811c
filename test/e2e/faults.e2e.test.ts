import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { decodeCustomId } from '../../src/discord/custom-id.js';
import type { GenerateImageBody } from '../../src/venice/types.js';
import type { InteractionHandle, RecordedRequest } from '../support/discord/fake-discord.js';
import type { Harness } from './harness.js';
import { contentOf as content, harnessPerTest, resultWithFiles as resultEdit } from './harness-slot.js';
import { EPHEMERAL, ephemeralOf, json } from './helpers.js';

/*
 * The fault suite: each test injects one fault found in the reliability review, over the
 * wire, and asserts what the member sees and what the bot recorded. docs/reliability.md
 * keeps the table.
 */

const slot = harnessPerTest();
let h: Harness | undefined;
const harness = slot.get;
const { wait } = slot;
const accepted = (r: RecordedRequest) => r.status >= 200 && r.status < 300;

async function settings(subcommand: string, options: Record<string, string | number | boolean>): Promise<string> {
  const i = await harness().discord.slashCommand('settings', options, { user: 'admin', subcommand });
  const answer = await wait(() => i.requests().find((r) => (r.method === 'PATCH' && r.path.endsWith('/@original')) || (r.method === 'POST' && /^\/webhooks\//.test(r.path))));
  expect(accepted(answer)).toBe(true);
  return `${content(answer)}${JSON.stringify(json(answer).embeds ?? [])}`;
}

describe('fault suite', () => {
  it('matches an admin’s catastrophic pattern in linear time, and refuses one it cannot run', async () => {
    h = await slot.start();
    expect(await settings('banned', { action: 'add', pattern: '/(a+)+$/' })).toMatch(/Saved/);
    expect(await settings('banned', { action: 'add', pattern: '/(?=a)b/' })).toMatch(/look-around or back-reference/);

    const i = await h.discord.slashCommand('imagine', { prompt: `${'a'.repeat(40)}!` });
    // The defer made it inside Discord's 3 s window: the event loop was never stuck.
    const callback = await i.callback();
    expect(accepted(callback)).toBe(true);
    expect((await resultEdit(i)).files).toHaveLength(1);
    const matched = await h.discord.slashCommand('imagine', { prompt: 'a'.repeat(5_000) });
    expect(content(await ephemeralOf(matched, wait))).toMatch(/matches rule #1/);
    expect(h.venice.generateRequests()).toHaveLength(1);
  });

  it('stops a DM spender at DM_DAILY_BUDGET_USD, and everyone at DAILY_BUDGET_USD', async () => {
    h = await slot.start({ env: { DM_DAILY_BUDGET_USD: '0.02', DAILY_BUDGET_USD: '0.03', DM_COOLDOWN_SECONDS: '0' } });
    for (let n = 0; n < 2; n++) await resultEdit(await h.discord.slashCommand('imagine', { prompt: `dm ${n}` }, { channel: 'dm' }));
    const third = await h.discord.slashCommand('imagine', { prompt: 'dm 2' }, { channel: 'dm' });
    expect(content(await ephemeralOf(third, wait))).toMatch(/\$0\.00 left of your \$0\.02 daily budget for using the bot outside a server\. It resets at 00:00 UTC \(<t:\d+:R>\)/);
    expect(h.venice.generateRequests()).toHaveLength(2);

    await resultEdit(await h.discord.slashCommand('imagine', { prompt: 'in a server' }, { user: 'bob' }));
    const over = await h.discord.slashCommand('imagine', { prompt: 'one too many' }, { user: 'admin' });
    expect(content(await ephemeralOf(over, wait))).toMatch(/its operator allows it to spend per day across every server/);
    expect(h.venice.generateRequests()).toHaveLength(3);
    expect(await h.bot.store.usage.allSpent(Date.now())).toBeCloseTo(0.03, 9);
  });

  it('answers DMs with a clear refusal when ALLOW_DMS is false', async () => {
    h = await slot.start({ env: { ALLOW_DMS: 'false' } });
    const i = await h.discord.slashCommand('imagine', { prompt: 'hello' }, { channel: 'dm' });
    expect(content(await ephemeralOf(i, wait))).toMatch(/does not take requests in direct messages/);
    expect(h.venice.generateRequests()).toHaveLength(0);
  });

  it('lets five parallel upscale presses on a one-upscale budget call Venice once', async () => {
    h = await slot.start();
    const i = await h.discord.slashCommand('imagine', { prompt: 'a castle' });
    const posted = await i.message((m) => Array.isArray(m['attachments']) && (m['attachments'] as unknown[]).length === 1, 30_000);
    const menu = storedComponentId(posted, 'upscale');
    // Bob may spend exactly one ×2 upscale ($0.02) today.
    await settings('limits', { user_daily_budget: 0.02 });
    const presses = await Promise.all(Array.from({ length: 5 }, () => h!.discord.selectMenu(menu, ['1x2'], { id: String(posted['id']) }, { user: 'bob' })));
    const answered = (p: InteractionHandle) => p.requests().some((r) => accepted(r) && ((r.method === 'PATCH' && r.files.length > 0) || (r.method === 'POST' && ((json(r).flags ?? 0) & EPHEMERAL) !== 0)));
    await wait(() => presses.every(answered), 30_000);
    expect(h.venice.requests.filter((r) => r.path === '/image/upscale')).toHaveLength(1);
    const refusals = presses.filter((p) => p.requests().some((r) => accepted(r) && /left of your \$0\.02 daily budget in this server/.test(content(r))));
    expect(refusals).toHaveLength(4);
    const delivered = presses.flatMap((p) => p.requests().filter((r) => accepted(r) && r.files.length > 0));
    expect(delivered.map((r) => r.files.map((f) => f.filename))).toEqual([['image-1-x2.png']]);
    // Exactly the bytes Venice returned: the bot frees its copy only once Discord has them.
    const [upscale] = h.venice.editRequests('/image/upscale');
    expect(upscale?.answer && delivered[0]?.files[0]?.data.equals(upscale.answer)).toBe(true);
    expect(await h.bot.store.usage.userSpent(h.discord.ids.guild, h.discord.ids.users.bob, Date.now())).toBeCloseTo(0.02, 9);
  });

  it('keeps the spend when Discord answers 500 to the delivery, and tells the member what happened', async () => {
    h = await slot.start();
    // Every edit of the reply fails, discord.js's own retries included.
    h.discord.fail({ method: 'PATCH', path: /\/messages\/@original$/ }, { status: 500 }, 20);
    const i = await h.discord.slashCommand('imagine', { prompt: 'a bridge', variants: 2 });
    const told = await ephemeralOf(i, wait);
    expect(accepted(told)).toBe(true);
    expect(content(told)).toMatch(/Your images were made, but Discord would not take them \(HTTP 500\)/);
    expect(h.venice.generateRequests()).toHaveLength(2);
    expect(await h.bot.store.usage.userSpent(h.discord.ids.guild, h.discord.ids.users.alice, Date.now())).toBeCloseTo(0.02, 9);
    expect(await h.bot.store.jobs.all()).toEqual([]);
  });

  it('answers the member and releases the reservation when the database fails mid-job', async () => {
    h = await slot.start();
    await settings('limits', { user_daily_budget: 0.01 });
    // A real failure inside SQLite, on the job's first state change.
    await sql.raw(`CREATE TRIGGER injected_failure BEFORE UPDATE OF outcome ON generations WHEN NEW.outcome = 'running' BEGIN SELECT RAISE(ABORT, 'injected disk failure'); END`).execute(h.bot.store.db);
    const first = await h.discord.slashCommand('imagine', { prompt: 'doomed' });
    expect(content(await ephemeralOf(first, wait))).toMatch(/Something went wrong on our side \(error id `[0-9a-f]{8}`\)/);
    await wait(() => first.requests().some((r) => r.method === 'DELETE' && accepted(r)));
    expect(await h.bot.store.jobs.all()).toEqual([]);
    expect(h.venice.generateRequests()).toHaveLength(0);
    await sql`DROP TRIGGER injected_failure`.execute(h.bot.store.db);
    // The budget is whole again: the next request is admitted and made.
    expect((await resultEdit(await h.discord.slashCommand('imagine', { prompt: 'fine now' }))).files).toHaveLength(1);
  });

  it('writes no log line over 16 KB while Discord refuses every upload as too large', async () => {
    h = await slot.start();
    h.discord.fail({ method: 'PATCH', path: /\/messages\/@original$/ }, { status: 413, code: 40005 }, 20);
    h.discord.fail({ method: 'POST', path: /^\/channels\/\d+\/messages$/ }, { status: 413, code: 40005 }, 20);
    const jobs = await Promise.all([0, 1, 2].map((n) => h!.discord.slashCommand('imagine', { prompt: `storm ${n}`, variants: 4, format: 'png' }, { user: (['alice', 'bob', 'admin'] as const)[n]! })));
    for (const j of jobs) expect(content(await ephemeralOf(j, wait))).toMatch(/too large for this server's upload limit/);
    const lines = h.logs().split('\n').filter((l) => l !== '');
    expect(lines.some((l) => l.includes('40005'))).toBe(true);
    for (const line of lines) {
      expect(Buffer.byteLength(line)).toBeLessThan(16 * 1024);
      JSON.parse(line);
    }
  });

  it('does not retry a generation whose connection dropped after the request was sent', async () => {
    h = await slot.start();
    h.venice.script({ kind: 'drop-connection' });
    const i = await h.discord.slashCommand('imagine', { prompt: 'maybe billed' });
    expect(content(await ephemeralOf(i, wait))).toMatch(/connection to Venice dropped/i);
    expect(h.venice.generateRequests()).toHaveLength(1);
  });

  it('answers through the interaction even when the host clock is minutes ahead of Discord’s', async () => {
    // The host's clock runs 16 minutes ahead of Discord's: every interaction id looks 16 minutes old here.
    h = await slot.start({ discordNow: () => Date.now() - 16 * 60_000 });
    const i = await h.discord.slashCommand('imagine', { prompt: 'on time' });
    const edit = await resultEdit(i);
    expect(accepted(edit)).toBe(true);
    expect(h.discord.channelMessages('text')).toEqual([]);
  });

  it('takes down a queued job’s public message when the job fails, and tells the member privately', async () => {
    h = await slot.start({ env: { MAX_CONCURRENT_JOBS: '1' } });
    h.venice.setInferenceDelay(800);
    h.venice.script({ kind: 'error', status: 400, body: { error: 'Prompt rejected' } }, { match: (r) => (r.body as GenerateImageBody).prompt === 'second' });
    const first = await h.discord.slashCommand('imagine', { prompt: 'first' }, { user: 'alice' });
    const second = await h.discord.slashCommand('imagine', { prompt: 'second' }, { user: 'bob' });
    await second.originalEdit((r) => /In the queue/.test(content(r)));
    await resultEdit(first);
    const told = await ephemeralOf(second, wait);
    expect(content(told)).toMatch(/Venice refused the request/);
    const removed = await wait(() => second.requests().find((r) => r.method === 'DELETE' && r.path.endsWith('/@original')));
    expect(accepted(removed)).toBe(true);
    await expect(second.message(undefined, 1_000)).rejects.toThrow();
  });

  it('offers only the upscales Venice can deliver in full', async () => {
    h = await slot.start();
    const i = await h.discord.slashCommand('imagine', { prompt: 'wide', aspect_ratio: '1280x1024' });
    const menu = JSON.stringify(json(await resultEdit(i)).components);
    expect(menu).toContain('Image 1 ×2');
    // 5120 × 4096 is over Venice's 16,777,216-pixel cap.
    expect(menu).not.toContain('Image 1 ×4');
  });

  it('enforces the allowed models and prices images in the OpenAI-compatible mode', async () => {
    h = await slot.start({ env: { VENICE_API_MODE: 'openai' } });
    await settings('models', { allowed: 'venice-sd35' });
    const refused = await h.discord.slashCommand('imagine', { prompt: 'a map', model: 'z-image-turbo' });
    expect(content(await ephemeralOf(refused, wait))).toMatch(/allows only these models: `venice-sd35`/);
    await resultEdit(await h.discord.slashCommand('imagine', { prompt: 'a map' }));
    const sent = h.venice.requests.filter((r) => r.path === '/images/generations');
    expect(sent.map((r) => (r.body as { model?: string }).model)).toEqual(['venice-sd35']);
    expect(await h.bot.store.usage.userSpent(h.discord.ids.guild, h.discord.ids.users.alice, Date.now())).toBeCloseTo(0.01, 9);
    expect(await settings('show', {})).toMatch(/OpenAI-compatible/);
  });
});

/** The custom id of the component with this action on a message as the fake stores it. */
function storedComponentId(message: Record<string, unknown>, action: string): string {
  const ids = [...JSON.stringify(message['components'] ?? []).matchAll(/"custom_id":"([^"]+)"/g)].map((m) => m[1]!);
  const id = ids.find((c) => decodeCustomId(c)?.action === action);
  if (!id) throw new Error(`no ${action} component on the message`);
  return id;
}
