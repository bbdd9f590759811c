import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCustomId } from '../../src/discord/custom-id.js';
import type { GenerateImageBody } from '../../src/venice/types.js';
import { startFakeDiscord, type FakeDiscord, type Probed } from '../support/discord/fake-discord.js';
import { startVeniceSimulator, type VeniceSimulator } from '../support/venice/simulator.js';
import { fakeEnv, tempDatabasePath } from './harness.js';
import { EPHEMERAL, imageInfo, json } from './helpers.js';
import { spawnBot, type BotProcess } from './process.js';

let discord: FakeDiscord;
let venice: VeniceSimulator;
let env: Record<string, string>;
let bot: BotProcess | undefined;
/** The message the first bot process posted, as Discord stores it. */
let posted: Record<string, unknown>;
let originalImage2: Buffer;

const wait = <T>(probe: () => Probed<T> | Promise<Probed<T>>, ms = 15_000) => discord.waitFor(probe, ms);

async function startProcess(): Promise<BotProcess> {
  const p = spawnBot(env);
  await wait(() => p.output().includes('"msg":"ready"'), 30_000);
  return p;
}

/** The custom id of the component with this action on the posted message. */
function componentId(action: string): string {
  const rows = posted['components'] as Array<{ components: Array<{ custom_id?: string }> }>;
  const id = rows.flatMap((r) => r.components).map((c) => c.custom_id ?? '').find((c) => decodeCustomId(c)?.action === action);
  if (!id) throw new Error(`no ${action} component on the message`);
  return id;
}

beforeAll(async () => {
  discord = await startFakeDiscord();
  venice = await startVeniceSimulator();
  env = fakeEnv(discord, venice, { DATABASE_PATH: tempDatabasePath() });

  // First process: generate, then stop it.
  const first = await startProcess();
  const i = await discord.slashCommand('imagine', { prompt: 'a lighthouse', variants: 2, seed: 42 });
  posted = await i.message((m) => Array.isArray(m['attachments']) && (m['attachments'] as unknown[]).length === 2, 15_000);
  const edit = await i.originalEdit();
  originalImage2 = edit.files.find((f) => f.filename === 'image-2.webp')!.data;
  expect(await first.stop()).toBe(0);

  // Second process, same database file: every button must still work.
  bot = await startProcess();
  venice.reset();
}, 90_000);

afterAll(async () => {
  await bot?.stop();
  await discord?.close();
  await venice?.close();
});

describe('buttons on a result, after the bot restarted', () => {
  it('Reroll makes the same request with new seeds', async () => {
    const press = await discord.button(componentId('reroll'), { id: String(posted['id']) });
    expect((await press.callback()).json).toMatchObject({ type: 5 });
    const edit = await press.originalEdit(undefined, 15_000);
    expect(edit.files.map((f) => f.filename)).toEqual(['image-1.webp', 'image-2.webp']);
    const bodies = venice.generateRequests().map((r) => r.body as GenerateImageBody);
    expect(bodies).toHaveLength(2);
    expect(bodies.every((b) => b.prompt === 'a lighthouse' && b.model === 'z-image-turbo')).toBe(true);
    const seeds = bodies.map((b) => b.seed!).sort((a, b) => a - b);
    expect(seeds[1]! - seeds[0]!).toBe(1);
    expect(seeds).not.toEqual([42, 43]);
    venice.reset();
  });

  it('Vary opens a modal, then generates the edited prompt with the same seed', async () => {
    const press = await discord.button(componentId('vary'), { id: String(posted['id']) });
    const modal = (await press.callback()).json as { type: number; data: { custom_id: string; components: unknown[] } };
    expect(modal.type).toBe(9);
    expect(JSON.stringify(modal.data.components)).toContain('a lighthouse');
    const submit = await discord.modalSubmit(modal.data.custom_id, { prompt: 'a lighthouse at night', negative_prompt: 'boats' }, { message: { id: String(posted['id']) } });
    const edit = await submit.originalEdit(undefined, 15_000);
    expect(edit.files).toHaveLength(2);
    const bodies = venice.generateRequests().map((r) => r.body as GenerateImageBody);
    expect(bodies.map((b) => [b.prompt, b.negative_prompt, b.seed]).sort()).toEqual([
      ['a lighthouse at night', 'boats', 42],
      ['a lighthouse at night', 'boats', 43],
    ]);
    venice.reset();
  });

  it('Upscale sends the posted image to Venice and posts the PNG it returns', async () => {
    const press = await discord.selectMenu(componentId('upscale'), ['2x2'], { id: String(posted['id']) });
    const edit = await press.originalEdit(undefined, 15_000);
    expect(edit.files.map((f) => f.filename)).toEqual(['image-2-x2.png']);
    expect(await imageInfo(edit.files[0]!.data)).toEqual({ format: 'png', width: 2048, height: 2048 });
    const upscale = venice.requests.find((r) => r.path === '/image/upscale');
    expect(upscale?.status).toBe(200);
    // As a file part, not base64 in JSON: the posted image's own bytes, as Venice received them.
    expect(String(upscale?.headers['content-type'])).toMatch(/^multipart\/form-data; boundary=/);
    expect(upscale?.body).toEqual({ scale: '2' });
    expect(upscale?.files?.map((f) => [f.field, f.filename, f.contentType])).toEqual([['image', 'image', 'image/webp']]);
    expect(upscale?.files?.[0]?.bytes.equals(originalImage2)).toBe(true);
  });

  it('Info shows every parameter privately', async () => {
    const press = await discord.button(componentId('info'), { id: String(posted['id']) }, { user: 'bob' });
    const reply = (await press.callback()).json as { type: number; data: { content: string; flags: number; allowed_mentions: { parse: string[] } } };
    expect(reply.type).toBe(4);
    expect(reply.data.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(reply.data.content).toMatch(/Model: `z-image-turbo`/);
    expect(reply.data.content).toMatch(/Seeds: 42, 43/);
    expect(reply.data.content).toMatch(/prompt: a lighthouse/);
    expect(reply.data.allowed_mentions.parse).toEqual([]);
  });

  it('Delete is refused to someone else, and done for the requester', async () => {
    const bobPress = await discord.button(componentId('delete'), { id: String(posted['id']) }, { user: 'bob' });
    const refusal = (await bobPress.callback()).json as { data: { content: string; flags: number } };
    expect(refusal.data.content).toMatch(/Only the person who asked for this image/);
    expect(discord.message(String(posted['id']))).toBeDefined();

    const alicePress = await discord.button(componentId('delete'), { id: String(posted['id']) }, { user: 'alice' });
    await wait(() => discord.deletedMessages().includes(String(posted['id'])));
    const done = await wait(() => alicePress.requests().find((r) => r.method === 'PATCH' && json(r).content === 'Deleted.'));
    expect(done).toBeDefined();
  });

  it('a button whose generation the store does not have says so', async () => {
    const press = await discord.button('vi:imagine:reroll:AAAAAAAA', { id: '1' });
    const reply = (await press.callback()).json as { type: number; data: { content: string; flags: number } };
    expect(reply.type).toBe(4);
    expect(reply.data.content).toMatch(/no longer in the bot’s history/);
    expect(reply.data.flags & EPHEMERAL).toBe(EPHEMERAL);
  });
});
