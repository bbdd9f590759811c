import { describe, expect, it } from 'vitest';
import type { FakeDiscord } from '../support/discord/fake-discord.js';
import { harnessPerTest } from './harness-slot.js';
import { EPHEMERAL, json } from './helpers.js';

const slot = harnessPerTest();

async function settings(discord: FakeDiscord, subcommand: string, options: Record<string, string | number | boolean>): Promise<string> {
  const i = await discord.slashCommand('settings', options, { user: 'admin', subcommand });
  const answer = await discord.waitFor(() => i.requests().find((r) => r.method === 'PATCH' && r.path.endsWith('/@original')), 10_000);
  return json(answer).content ?? '';
}

type Reply = { type: number; data: { content?: string; flags?: number } };

describe('the gallery', () => {
  it('cross-posts a result to a forum gallery as a new post once three members pressed ⭐, and its author can remove it', async () => {
    const h = await slot.start();
    expect(await settings(h.discord, 'gallery', { channel: 'gallery', stars: 3 })).toMatch(/Saved/);
    const i = await h.discord.slashCommand('imagine', { prompt: 'a red fox in the snow', seed: 11 }, { user: 'alice' });
    const result = await i.message((m) => Array.isArray(m['attachments']) && (m['attachments'] as unknown[]).length === 1, 20_000);
    const starId = `vi:imagine:star:${/vi:imagine:reroll:([^"]+)/.exec(JSON.stringify(result['components']))?.[1] ?? ''}`;
    expect(JSON.stringify(result['components'])).toContain(starId);

    const first = (await (await h.discord.button(starId, { id: String(result['id']) }, { user: 'alice' })).callback()).json as Reply;
    expect(first.data.flags! & EPHEMERAL).toBe(EPHEMERAL);
    expect(first.data.content).toMatch(/Starred \(1\/3\)/);
    const twice = (await (await h.discord.button(starId, { id: String(result['id']) }, { user: 'alice' })).callback()).json as Reply;
    expect(twice.data.content).toMatch(/already starred this image \(1\/3\)/);
    await (await h.discord.button(starId, { id: String(result['id']) }, { user: 'bob' })).callback();
    expect(h.discord.forumPosts()).toHaveLength(0);
    const third = await h.discord.button(starId, { id: String(result['id']) }, { user: 'admin' });
    await slot.wait(() => third.requests().find((r) => r.method === 'PATCH' && /now in the gallery/.test(json(r).content ?? '')), 20_000);

    const posts = h.discord.forumPosts();
    expect(posts).toHaveLength(1);
    const post = posts[0]!;
    expect(post.thread['name']).toBe('a red fox in the snow');
    const message = post.message!;
    expect((message['attachments'] as Array<{ filename: string }>).map((a) => a.filename)).toEqual(['image-1.webp']);
    expect(String(message['content'])).toContain(`https://discord.com/channels/${h.discord.ids.guild}/${h.discord.ids.channels.text}/${String(result['id'])}`);
    const embed = (message['embeds'] as Array<{ description: string; fields: Array<{ name: string; value: string }> }>)[0]!;
    expect(embed.description).toContain('a red fox in the snow');
    expect(embed.fields.map((f) => f.name)).toEqual(expect.arrayContaining(['Model', 'Seed', 'Size']));
    expect(embed.fields.find((f) => f.name === 'Seed')?.value).toBe('11');

    // A fourth ⭐ does not post it again.
    await (await h.discord.button(starId, { id: String(result['id']) }, { user: 'bob', permissions: '0' })).callback();
    expect(h.discord.forumPosts()).toHaveLength(1);

    const removeId = /"custom_id":"(vi:imagine:unlist:[^"]+)"/.exec(JSON.stringify(message['components']))?.[1] ?? '';
    const refused = (await (await h.discord.button(removeId, { id: String(message['id']) }, { user: 'bob' })).callback()).json as Reply;
    expect(refused.data.content).toMatch(/Only the person who made this image/);
    expect(h.discord.forumPosts()).toHaveLength(1);
    await (await h.discord.button(removeId, { id: String(message['id']) }, { user: 'alice' })).callback();
    await slot.wait(() => h.discord.deletedChannels().includes(String(post.thread['id'])));
    expect(h.discord.forumPosts()).toHaveLength(0);
  }, 60_000);

  it('cross-posts an approved result of a review-mode channel to the gallery', async () => {
    const h = await slot.start();
    await settings(h.discord, 'gallery', { channel: 'gallery' });
    await settings(h.discord, 'review', { enabled: true, review_channel: 'nsfw' });
    await h.discord.slashCommand('imagine', { prompt: 'a glass city' }, { user: 'alice' });
    const review = await slot.wait(() => h.discord.channelMessages('nsfw').find((r) => r.files.length > 0), 20_000);
    const id = /generation `([^`]+)`/.exec(json(review).content ?? '')?.[1] ?? '';
    const reviewMessageId = await slot.wait(async () => (await h.bot.store.reviews.get(id))?.reviewMessageId ?? undefined);
    await h.discord.button(`vi:imagine:approve:${id}`, { id: reviewMessageId }, { user: 'admin', permissions: String(1n << 13n) });
    await slot.wait(() => h.discord.forumPosts()[0], 20_000);
    expect(h.discord.forumPosts()[0]!.thread['name']).toBe('a glass city');
  }, 60_000);

  it('offers no ⭐ on, and never cross-posts, a result made with safe mode off in an age-restricted channel', async () => {
    const h = await slot.start();
    await settings(h.discord, 'gallery', { channel: 'gallery', stars: 1 });
    await settings(h.discord, 'nsfw', { allow: true, channel: 'nsfw' });
    const i = await h.discord.slashCommand('imagine', { prompt: 'a dark fairy tale', safe_mode: false }, { user: 'alice', channel: 'nsfw' });
    const result = await i.message((m) => Array.isArray(m['attachments']) && (m['attachments'] as unknown[]).length === 1, 20_000);
    expect(JSON.stringify(result['components'])).toContain('vi:imagine:reroll:');
    expect(JSON.stringify(result['components'])).not.toContain('vi:imagine:star:');

    // Approved in review mode: posted where it was asked for, and nowhere near the (ordinary) gallery.
    await settings(h.discord, 'review', { enabled: true, review_channel: 'text' });
    await h.discord.slashCommand('imagine', { prompt: 'another dark tale', safe_mode: false }, { user: 'alice', channel: 'nsfw' });
    const review = await slot.wait(() => h.discord.channelMessages('text').find((r) => r.files.length > 0), 20_000);
    const id = /generation `([^`]+)`/.exec(json(review).content ?? '')?.[1] ?? '';
    const reviewMessageId = await slot.wait(async () => (await h.bot.store.reviews.get(id))?.reviewMessageId ?? undefined);
    await h.discord.button(`vi:imagine:approve:${id}`, { id: reviewMessageId }, { user: 'admin', permissions: String(1n << 13n) });
    await slot.wait(() => h.discord.channelMessages('nsfw').find((r) => r.files.length > 0), 20_000);
    await slot.wait(() => h.logs().includes('not cross-posting'), 10_000);
    expect(h.discord.forumPosts()).toHaveLength(0);
    expect(await h.bot.store.gallery.get(id)).toBeUndefined();
  }, 60_000);
});
