import { afterAll, describe, expect, it } from 'vitest';
import { dropTestDatabases, openFreshStore, STORE_TARGETS, type StoreTarget } from '../../support/store-targets.js';

async function withGeneration(target: StoreTarget) {
  const store = await openFreshStore(target);
  const g = await store.generations.create(
    { kind: 'generate', source: null, guildId: 'g', channelId: 'c', userId: 'u', mode: 'native', model: 'm', options: { prompt: 'p' }, request: [], seeds: [1], priceUsd: 0.01 },
    1_000,
  );
  return { store, id: g.id };
}

const review = (id: string, createdAt: number, expiresAt: number) => ({
  id,
  guildId: 'g',
  channelId: 'c',
  userId: 'u',
  applicationId: 'a',
  interactionToken: 't',
  interactionAt: createdAt,
  placeholderId: 'p',
  locale: 'es-ES',
  publicLocale: 'zh-CN',
  reviewChannelId: 'r',
  resultContent: '',
  images: [{ image: 1, upscale: [2, 4] as Array<2 | 4> }],
  createdAt,
  expiresAt,
});

afterAll(dropTestDatabases);

describe.each(STORE_TARGETS)('reviews on $name', (target) => {
  it('keep a pending review with its locales and images, and let only one decision through', async () => {
    const { store, id } = await withGeneration(target);
    await store.reviews.add(review(id, 1_000, 5_000));
    expect(await store.reviews.get(id)).toMatchObject({ state: 'pending', locale: 'es-ES', publicLocale: 'zh-CN', images: [{ image: 1, upscale: [2, 4] }], reviewMessageId: null });
    expect(await store.reviews.transition(id, 'pending', 'rejected', { by: 'mod', at: 2_000, reason: 'no' })).toBe(true);
    expect(await store.reviews.transition(id, 'pending', 'approving', { by: 'other', at: 2_001 })).toBe(false);
    expect(await store.reviews.get(id)).toMatchObject({ state: 'rejected', decidedBy: 'mod', decidedAt: 2_000, reason: 'no' });
    await store.close();
  });

  it('list the approvals a process claimed and never finished, with the result message once it is kept', async () => {
    const { store, id } = await withGeneration(target);
    await store.reviews.add(review(id, 1_000, 5_000));
    expect(await store.reviews.approving()).toEqual([]);
    await store.reviews.transition(id, 'pending', 'approving', { by: 'mod', at: 2_000 });
    expect((await store.reviews.approving()).map((r) => [r.id, r.resultMessageId, r.decidedBy])).toEqual([[id, null, 'mod']]);
    await store.reviews.setResultMessage(id, 'm1');
    expect((await store.reviews.approving())[0]?.resultMessageId).toBe('m1');
    expect(await store.reviews.overdue(10_000)).toEqual([]);
    await store.reviews.transition(id, 'approving', 'approved');
    expect(await store.reviews.approving()).toEqual([]);
    await store.close();
  });

  it('remember whether a generation was made in an age-restricted channel', async () => {
    const store = await openFreshStore(target);
    const base = { kind: 'generate' as const, source: null, guildId: 'g', channelId: 'c', userId: 'u', mode: 'native' as const, model: 'm', options: { prompt: 'p' }, request: [], seeds: [1], priceUsd: 0.01 };
    const plain = await store.generations.create(base, 1_000);
    const restricted = await store.generations.create({ ...base, ageRestricted: true }, 1_000);
    expect((await store.generations.get(plain.id))?.ageRestricted).toBe(false);
    expect((await store.generations.get(restricted.id))?.ageRestricted).toBe(true);
    await store.close();
  });

  it('list as overdue only pending reviews whose wait ran out', async () => {
    const { store, id } = await withGeneration(target);
    await store.reviews.add(review(id, 1_000, 5_000));
    expect(await store.reviews.overdue(4_999)).toEqual([]);
    expect((await store.reviews.overdue(5_000)).map((r) => r.id)).toEqual([id]);
    await store.reviews.transition(id, 'pending', 'expired', { by: null, at: 5_000 });
    expect(await store.reviews.overdue(10_000)).toEqual([]);
    await store.close();
  });
});

describe.each(STORE_TARGETS)('gallery on $name', (target) => {
  it('counts one ⭐ per member and lets the result be claimed for the gallery once, ever', async () => {
    const { store, id } = await withGeneration(target);
    expect(await store.gallery.vote(id, 'a', 1)).toEqual({ added: true, count: 1 });
    expect(await store.gallery.vote(id, 'a', 2)).toEqual({ added: false, count: 1 });
    expect(await store.gallery.vote(id, 'b', 3)).toEqual({ added: true, count: 2 });
    const post = { generationId: id, guildId: 'g', userId: 'u', sourceChannelId: 'c', sourceMessageId: 'm', galleryChannelId: 'x' };
    expect(await store.gallery.claim(post, 4)).toBe(true);
    expect(await store.gallery.claim(post, 5)).toBe(false);
    await store.gallery.release(id);
    expect(await store.gallery.claim(post, 6)).toBe(true);
    await store.gallery.posted(id, { messageId: 'pm', threadId: 'pm' });
    await store.gallery.markRemoved(id, 7);
    expect(await store.gallery.get(id)).toMatchObject({ state: 'removed', galleryThreadId: 'pm', removedAt: 7 });
    expect(await store.gallery.claim(post, 8)).toBe(false);
    await store.close();
  });
});
