import { describe, expect, it } from 'vitest';
import { openStore } from '../../../src/store/index.js';

function withGeneration() {
  const store = openStore(':memory:');
  const g = store.generations.create(
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

describe('reviews', () => {
  it('keep a pending review with its locales and images, and let only one decision through', () => {
    const { store, id } = withGeneration();
    store.reviews.add(review(id, 1_000, 5_000));
    expect(store.reviews.get(id)).toMatchObject({ state: 'pending', locale: 'es-ES', publicLocale: 'zh-CN', images: [{ image: 1, upscale: [2, 4] }], reviewMessageId: null });
    expect(store.reviews.transition(id, 'pending', 'rejected', { by: 'mod', at: 2_000, reason: 'no' })).toBe(true);
    expect(store.reviews.transition(id, 'pending', 'approving', { by: 'other', at: 2_001 })).toBe(false);
    expect(store.reviews.get(id)).toMatchObject({ state: 'rejected', decidedBy: 'mod', decidedAt: 2_000, reason: 'no' });
    store.close();
  });

  it('list the approvals a process claimed and never finished, with the result message once it is kept', () => {
    const { store, id } = withGeneration();
    store.reviews.add(review(id, 1_000, 5_000));
    expect(store.reviews.approving()).toEqual([]);
    store.reviews.transition(id, 'pending', 'approving', { by: 'mod', at: 2_000 });
    expect(store.reviews.approving().map((r) => [r.id, r.resultMessageId, r.decidedBy])).toEqual([[id, null, 'mod']]);
    store.reviews.setResultMessage(id, 'm1');
    expect(store.reviews.approving()[0]?.resultMessageId).toBe('m1');
    expect(store.reviews.overdue(10_000)).toEqual([]);
    store.reviews.transition(id, 'approving', 'approved');
    expect(store.reviews.approving()).toEqual([]);
    store.close();
  });

  it('remember whether a generation was made in an age-restricted channel', () => {
    const store = openStore(':memory:');
    const base = { kind: 'generate' as const, source: null, guildId: 'g', channelId: 'c', userId: 'u', mode: 'native' as const, model: 'm', options: { prompt: 'p' }, request: [], seeds: [1], priceUsd: 0.01 };
    const plain = store.generations.create(base, 1_000);
    const restricted = store.generations.create({ ...base, ageRestricted: true }, 1_000);
    expect(store.generations.get(plain.id)?.ageRestricted).toBe(false);
    expect(store.generations.get(restricted.id)?.ageRestricted).toBe(true);
    store.close();
  });

  it('list as overdue only pending reviews whose wait ran out', () => {
    const { store, id } = withGeneration();
    store.reviews.add(review(id, 1_000, 5_000));
    expect(store.reviews.overdue(4_999)).toEqual([]);
    expect(store.reviews.overdue(5_000).map((r) => r.id)).toEqual([id]);
    store.reviews.transition(id, 'pending', 'expired', { by: null, at: 5_000 });
    expect(store.reviews.overdue(10_000)).toEqual([]);
    store.close();
  });
});

describe('gallery', () => {
  it('counts one ⭐ per member and lets the result be claimed for the gallery once, ever', () => {
    const { store, id } = withGeneration();
    expect(store.gallery.vote(id, 'a', 1)).toEqual({ added: true, count: 1 });
    expect(store.gallery.vote(id, 'a', 2)).toEqual({ added: false, count: 1 });
    expect(store.gallery.vote(id, 'b', 3)).toEqual({ added: true, count: 2 });
    const post = { generationId: id, guildId: 'g', userId: 'u', sourceChannelId: 'c', sourceMessageId: 'm', galleryChannelId: 'x' };
    expect(store.gallery.claim(post, 4)).toBe(true);
    expect(store.gallery.claim(post, 5)).toBe(false);
    store.gallery.release(id);
    expect(store.gallery.claim(post, 6)).toBe(true);
    store.gallery.posted(id, { messageId: 'pm', threadId: 'pm' });
    store.gallery.markRemoved(id, 7);
    expect(store.gallery.get(id)).toMatchObject({ state: 'removed', galleryThreadId: 'pm', removedAt: 7 });
    expect(store.gallery.claim(post, 8)).toBe(false);
    store.close();
  });
});
