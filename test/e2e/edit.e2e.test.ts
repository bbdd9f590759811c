import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeCustomId } from '../../src/discord/custom-id.js';
import type { InteractionHandle, Upload } from '../support/discord/fake-discord.js';
import type { Harness } from './harness.js';
import { contentOf as content, harnessPerTest, resultWithFiles as resultEdit } from './harness-slot.js';
import { EPHEMERAL, ephemeralOf, json } from './helpers.js';

const slot = harnessPerTest();
let h: Harness | undefined;
const { wait } = slot;

/** A real PNG of the given size and colour, as a member would upload it. */
const png = (width: number, height: number, background: string) => sharp({ create: { width, height, channels: 3, background } }).png().toBuffer();
const upload = async (name: string, width = 512, height = 512, colour = 'red'): Promise<Upload> => ({ file: { name, data: await png(width, height, colour) } });

/** The stored message of a result and the custom id of one of its components. */
async function resultMessage(i: InteractionHandle) {
  const message = await i.message((m) => Array.isArray(m['attachments']) && (m['attachments'] as unknown[]).length > 0, 30_000);
  const ids = [...JSON.stringify(message['components'] ?? []).matchAll(/"custom_id":"([^"]+)"/g)].map((m) => m[1]!);
  const component = (action: string) => {
    const id = ids.find((c) => decodeCustomId(c)?.action === action);
    if (!id) throw new Error(`no ${action} component`);
    return id;
  };
  return { id: String(message['id']), component };
}

describe('/edit', () => {
  it('sends Venice exactly the uploaded bytes in a spec-valid request, and posts exactly the bytes Venice returned', async () => {
    h = await slot.start();
    const image = await upload('cat.png');
    const i = await h.discord.slashCommand('edit', { image, prompt: 'the same, but at night' });
    const edit = await resultEdit(i);
    expect(edit.status).toBe(200);

    const [sent] = h.venice.editRequests('/image/edit');
    expect(sent?.status).toBe(200);
    expect(sent?.body).toMatchObject({ model: 'firered-image-edit', prompt: 'the same, but at night', safe_mode: 'true' });
    expect(sent?.images?.[0]?.equals((image as { file: { data: Buffer } }).file.data)).toBe(true);
    expect(edit.files).toHaveLength(1);
    expect(edit.files[0]!.data.equals(sent!.answer!)).toBe(true);
    expect(content(edit)).toMatch(/^Edited from an uploaded image\./);
    expect(json(edit).allowed_mentions?.parse).toEqual([]);
    // The upload was fetched from Discord's CDN once, by the job.
    expect(h.discord.cdnFetches().filter((f) => f.attachmentId === i.attachments['image']?.id && f.status === 200)).toHaveLength(1);
    expect(await h.bot.store.usage.userSpent(h.discord.ids.guild, h.discord.ids.users.alice, Date.now())).toBeCloseTo(0.04, 9);
  });

  it('blends three images through /image/multi-edit, in the order given', async () => {
    h = await slot.start();
    const images = [await upload('a.png', 512, 512, 'red'), await upload('b.png', 512, 512, 'green'), await upload('c.png', 512, 512, 'blue')];
    const i = await h.discord.slashCommand('edit', { image: images[0]!, image2: images[1]!, image3: images[2]!, prompt: 'put them in one scene', model: 'flux-2-max-edit' });
    const edit = await resultEdit(i);
    const [sent] = h.venice.editRequests('/image/multi-edit');
    expect(sent?.status).toBe(200);
    expect(sent?.body).toMatchObject({ modelId: 'flux-2-max-edit', prompt: 'put them in one scene' });
    expect(sent?.images?.map((b, n) => b.equals((images[n] as { file: { data: Buffer } }).file.data))).toEqual([true, true, true]);
    expect(edit.files[0]!.data.equals(sent!.answer!)).toBe(true);
    expect(content(edit)).toMatch(/^Blend of 3 images from 3 uploaded images\./);
  });

  it('refuses, before Venice is called, a 30 MB file, a GIF, a 100x100 image and an attachment off Discord’s CDN', async () => {
    h = await slot.start();
    const gif = await sharp({ create: { width: 512, height: 512, channels: 3, background: 'red' } }).gif().toBuffer();
    const cases: Array<[Upload, RegExp]> = [
      [{ ...(await upload('huge.png')), size: 30 * 1024 * 1024 }, /is 31\.5 MB; Venice takes images under 25 MB/],
      [{ file: { name: 'anim.gif', data: gif } }, /`image\/gif`; Venice edits PNG, JPEG and WebP images only/],
      [await upload('tiny.png', 100, 100), /is 100×100 \(10,000 pixels\); Venice needs at least 65,536 pixels/],
      [{ url: 'https://images.example.com/cat.png', name: 'cat.png', size: 2048, contentType: 'image/png', width: 512, height: 512 }, /not a Discord attachment/],
    ];
    for (const [image, expected] of cases) {
      const i = await h.discord.slashCommand('edit', { image, prompt: 'brighter' });
      const told = await ephemeralOf(i, wait);
      expect(told.status).toBe(200);
      expect(content(told)).toMatch(expected);
    }
    expect(h.venice.editRequests()).toEqual([]);
    expect(h.discord.cdnFetches()).toEqual([]);
  });

  it('spoilers an edit Venice blurred, and withholds one it flags as a violation', async () => {
    h = await slot.start();
    h.venice.script({ kind: 'ok', blurred: true }, { path: '/image/edit' });
    const blurred = await resultEdit(await h.discord.slashCommand('edit', { image: await upload('a.png'), prompt: 'x' }));
    expect(blurred.files.map((f) => f.filename)).toEqual(['SPOILER_image-1.png']);
    const spent = () => h!.bot.store.usage.userSpent(h!.discord.ids.guild, h!.discord.ids.users.alice, Date.now());
    const afterBlurred = await spent();
    expect(afterBlurred).toBeGreaterThan(0);

    h.venice.script({ kind: 'ok', contentViolation: true }, { path: '/image/edit' });
    const refused = await h.discord.slashCommand('edit', { image: await upload('b.png'), prompt: 'y' });
    expect(content(await ephemeralOf(refused, wait))).toMatch(/Venice refused the content/);
    expect(refused.requests().some((r) => r.files.length > 0)).toBe(false);
    // Venice does not bill a content violation, so neither does the member's budget.
    expect(h.venice.editRequests('/image/edit').map((r) => r.status)).toEqual([200, 200]);
    expect(await spent()).toBe(afterBlurred);
  });
  it('says in an edit’s result that its model is going away, and tells the moderator log once', async () => {
    h = await slot.start();
    const modlog = await h.discord.slashCommand('settings', { channel: 'text' }, { user: 'admin', subcommand: 'modlog' });
    const saved = await wait(() => modlog.requests().find((r) => r.method === 'PATCH' && r.path.endsWith('/@original')));
    expect(saved.status).toBe(200);
    const notice = { warning: 'This model is deprecated', date: '2026-12-31T00:00:00.000Z', replacement: 'qwen-image-edit' };
    h.venice.script({ kind: 'ok', deprecation: notice }, { path: '/image/edit', times: 2 });
    for (const name of ['a.png', 'b.png']) {
      const edit = await resultEdit(await h.discord.slashCommand('edit', { image: await upload(name), prompt: 'x' }));
      expect(edit.status).toBe(200);
      expect(content(edit)).toMatch(/\n⚠️ .+ is deprecated and will be removed on Dec 31, 2026; use `qwen-image-edit` instead\.$/);
    }
    expect(h.venice.editRequests('/image/edit').map((r) => r.status)).toEqual([200, 200]);
    const told = h.discord.channelMessages('text').filter((r) => /is deprecated/.test(content(r)));
    expect(told.map((r) => [r.status, content(r)])).toEqual([[200, '⚠️ Model `firered-image-edit` is deprecated (removal Dec 31, 2026); Venice suggests `qwen-image-edit`.']]);
  });

  it('spoilers a blend when any of its inputs is a spoiler, not only the first', async () => {
    h = await slot.start();
    const i = await h.discord.slashCommand('edit', { image: await upload('a.png', 512, 512, 'red'), image2: await upload('SPOILER_b.png', 512, 512, 'green'), prompt: 'one scene', model: 'flux-2-max-edit' });
    const blend = await resultEdit(i);
    expect(blend.status).toBe(200);
    expect(h.venice.editRequests('/image/multi-edit')[0]?.status).toBe(200);
    expect(blend.files.map((f) => f.filename)).toEqual(['SPOILER_image-1.png']);
  });
});

describe('editing a result', () => {
  it('charges Edit to the member who pressed it, says whose image it came from without pinging, and Info shows the lineage', async () => {
    h = await slot.start();
    const made = await h.discord.slashCommand('imagine', { prompt: 'a harbour', variants: 2 }, { user: 'alice' });
    const result = await resultMessage(made);
    const press = await h.discord.selectMenu(result.component('retouch'), ['e2'], { id: result.id }, { user: 'bob' });
    const modal = (await press.callback()).json as { type: number; data: { custom_id: string } };
    expect(modal.type).toBe(9);
    const submit = await h.discord.modalSubmit(modal.data.custom_id, { prompt: 'the same, but at night' }, { user: 'bob', message: { id: result.id } });
    const edit = await resultEdit(submit);
    expect(content(edit)).toBe(`Edited from image 2 of \`${decodeCustomId(result.component('info'))?.args[0]}\` by <@${h.discord.ids.users.alice}>.`);
    expect(json(edit).allowed_mentions?.parse).toEqual([]);
    const [sent] = h.venice.editRequests('/image/edit');
    expect(sent?.body).toMatchObject({ prompt: 'the same, but at night' });
    const bobSpent = await h.bot.store.usage.userSpent(h.discord.ids.guild, h.discord.ids.users.bob, Date.now());
    expect(bobSpent).toBeCloseTo(0.04, 9);
    expect(await h.bot.store.usage.userSpent(h.discord.ids.guild, h.discord.ids.users.alice, Date.now())).toBeCloseTo(0.02, 9);

    const edited = await resultMessage(submit);
    const info = await h.discord.button(edited.component('info'), { id: edited.id }, { user: 'alice' });
    const reply = (await info.callback()).json as { data: { content: string; flags: number } };
    expect(reply.data.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(reply.data.content).toMatch(/Edited from image 2 of `[\w-]+`/);
  });

  it('says what Venice’s refusal of an edit, a background removal or an upscale means, and charges none of them', async () => {
    h = await slot.start();
    h.venice.script({ kind: 'error', status: 402 }, { path: '/image/edit' });
    const edit = await h.discord.slashCommand('edit', { image: await upload('a.png'), prompt: 'x' });
    const broke = await ephemeralOf(edit, wait);
    expect(broke.status).toBe(200);
    expect(content(broke)).toMatch(/^The bot's Venice account is out of credit or over its spending limit\. Ask the bot's operator to top it up/);
    expect(h.venice.editRequests('/image/edit')[0]?.status).toBe(402);
    expect(edit.requests().some((r) => r.files.length > 0)).toBe(false);

    const made = await h.discord.slashCommand('imagine', { prompt: 'a red apple' });
    const result = await resultMessage(made);
    h.venice.script({ kind: 'error', status: 503 }, { path: '/image/background-remove', times: Infinity });
    const removal = await h.discord.selectMenu(result.component('retouch'), ['b1'], { id: result.id }, { user: 'alice' });
    const busy = await ephemeralOf(removal, wait);
    expect(busy.status).toBe(200);
    expect(content(busy)).toMatch(/^The model is at capacity on Venice\. Try again in a minute/);
    expect(h.venice.editRequests('/image/background-remove').every((r) => r.status === 503)).toBe(true);

    h.venice.script({ kind: 'error', status: 400, body: { error: 'scale must be 2 or 4' } }, { path: '/image/upscale' });
    const upscale = await h.discord.selectMenu(result.component('upscale'), ['1x2'], { id: result.id }, { user: 'alice' });
    const refused = await ephemeralOf(upscale, wait);
    expect(refused.status).toBe(200);
    expect(content(refused)).toMatch(/^Venice refused the request\. Change the options and try again\..*scale must be 2 or 4/);
    expect(h.venice.editRequests('/image/upscale')[0]?.status).toBe(400);
    for (const told of [broke, busy, refused]) expect(content(told)).not.toMatch(/went wrong on our side/);
    // Only the generation was charged; the three that failed at Venice were given back.
    expect(await h.bot.store.usage.userSpent(h.discord.ids.guild, h.discord.ids.users.alice, Date.now())).toBeCloseTo(0.01, 9);
  });

  it('removes the background of an image and posts a PNG with transparency', async () => {
    h = await slot.start();
    const made = await h.discord.slashCommand('imagine', { prompt: 'a red apple' });
    const result = await resultMessage(made);
    const press = await h.discord.selectMenu(result.component('retouch'), ['b1'], { id: result.id }, { user: 'alice' });
    const edit = await resultEdit(press);
    expect(edit.files.map((f) => f.filename)).toEqual(['image-1.png']);
    const { data, info } = await sharp(edit.files[0]!.data).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    expect((await sharp(edit.files[0]!.data).metadata()).hasAlpha).toBe(true);
    // The corner pixel is fully transparent.
    expect(data[info.channels - 1]).toBe(0);
    expect(h.venice.editRequests('/image/background-remove')).toHaveLength(1);
    expect(content(edit)).toMatch(/^Background removed from image 1 of/);
  });

  it('holds an edit made in a review-mode channel for a moderator, and posts it only once approved', async () => {
    h = await slot.start();
    const set = await h.discord.slashCommand('settings', { enabled: true, review_channel: 'nsfw' }, { user: 'admin', subcommand: 'review' });
    await wait(() => set.requests().find((r) => r.method === 'PATCH' && r.path.endsWith('/@original')));
    const i = await h.discord.slashCommand('edit', { image: await upload('cat.png'), prompt: 'the same, but at night' }, { user: 'alice' });
    const review = await wait(() => h!.discord.channelMessages('nsfw').find((r) => r.files.length > 0), 30_000);
    expect(review.status).toBe(200);
    expect(content(review)).toMatch(/Review requested by/);
    await i.originalEdit((r) => /Waiting for a moderator/.test(content(r)));
    expect(i.requests().some((r) => r.files.length > 0)).toBe(false);
    expect(h.discord.channelMessages('text')).toHaveLength(0);

    const id = /generation `([^`]+)`/.exec(content(review))?.[1] ?? '';
    const reviewMessageId = await wait(async () => (await h!.bot.store.reviews.get(id))?.reviewMessageId ?? undefined);
    await h.discord.button(`vi:imagine:approve:${id}`, { id: reviewMessageId }, { user: 'admin', permissions: String(1n << 13n) });
    const posted = await wait(() => h!.discord.channelMessages('text').find((r) => r.files.length > 0), 30_000);
    expect(posted.files[0]!.data.equals(review.files[0]!.data)).toBe(true);
    expect(content(posted)).toMatch(/Edited from an uploaded image/);
    // An edit's buttons, as when posted directly: no Reroll or Vary.
    expect(JSON.stringify(json(posted).components)).not.toContain('vi:imagine:reroll:');
    expect(JSON.stringify(json(posted).components)).toContain('vi:imagine:info:');
  });

  it('tells the member of an edit still queued at shutdown that it was not started, with Retry', async () => {
    h = await slot.start({ env: { MAX_CONCURRENT_JOBS: '1' } });
    h.venice.script({ kind: 'hang' }, { times: 1 });
    const blocker = await h.discord.slashCommand('imagine', { prompt: 'slow' }, { user: 'admin' });
    await wait(() => h!.venice.generateRequests().length === 1);
    const queued = await h.discord.slashCommand('edit', { image: await upload('q.png'), prompt: 'later' }, { user: 'bob' });
    await queued.originalEdit((r) => /In the queue/.test(content(r)));
    await h.bot.stop();
    const told = await queued.originalEdit((r) => /restarting, and this request had not started yet/.test(content(r)));
    expect(told.status).toBe(200);
    expect(JSON.stringify(json(told).components)).toContain('Retry');
    expect(h.venice.editRequests()).toEqual([]);
    void blocker;
  });
});
