import { z } from 'zod';
import type { Executor } from './schema.js';
import { StoreError } from './db.js';

export const GALLERY_STATES = ['posting', 'posted', 'removed'] as const;
export type GalleryState = (typeof GALLERY_STATES)[number];

const rowSchema = z.object({
  generation_id: z.string(),
  guild_id: z.string(),
  user_id: z.string(),
  source_channel_id: z.string(),
  source_message_id: z.string(),
  gallery_channel_id: z.string(),
  gallery_message_id: z.string().nullable(),
  gallery_thread_id: z.string().nullable(),
  state: z.enum(GALLERY_STATES),
  created_at: z.number(),
  removed_at: z.number().nullable(),
});

/** A result cross-posted (or being cross-posted) to a server's gallery: at most one per result, ever. */
export interface GalleryPost {
  generationId: string;
  guildId: string;
  /** The image's author: the only member who may take it out of the gallery. */
  userId: string;
  sourceChannelId: string;
  sourceMessageId: string;
  galleryChannelId: string;
  /** The gallery message (in a forum: the post's first message, whose id is the thread's). */
  galleryMessageId: string | null;
  /** The forum post (a thread), or null in a text channel. */
  galleryThreadId: string | null;
  state: GalleryState;
  createdAt: number;
  removedAt: number | null;
}

export type NewGalleryPost = Pick<GalleryPost, 'generationId' | 'guildId' | 'userId' | 'sourceChannelId' | 'sourceMessageId' | 'galleryChannelId'>;

function fromRow(raw: unknown): GalleryPost {
  const parsed = rowSchema.safeParse(raw);
  if (!parsed.success) throw new StoreError(`a gallery_posts row does not match the schema: ${parsed.error.issues[0]?.message ?? ''}`);
  const r = parsed.data;
  return {
    generationId: r.generation_id,
    guildId: r.guild_id,
    userId: r.user_id,
    sourceChannelId: r.source_channel_id,
    sourceMessageId: r.source_message_id,
    galleryChannelId: r.gallery_channel_id,
    galleryMessageId: r.gallery_message_id,
    galleryThreadId: r.gallery_thread_id,
    state: r.state,
    createdAt: r.created_at,
    removedAt: r.removed_at,
  };
}

export interface GalleryStore {
  /** Counts a member's ⭐ once: `added` is false when they had already pressed it. */
  vote(generationId: string, userId: string, now: number): Promise<{ added: boolean; count: number }>;
  votes(generationId: string): Promise<number>;
  /**
   * Claims the result's one gallery post: true for the caller who inserted the row (and must
   * post it), false when it is (or was) in the gallery already.
   */
  claim(post: NewGalleryPost, now: number): Promise<boolean>;
  get(generationId: string): Promise<GalleryPost | undefined>;
  posted(generationId: string, where: { messageId: string; threadId: string | null }): Promise<void>;
  /** A claim whose post failed: released, so a later ⭐ or approval can try again. */
  release(generationId: string): Promise<void>;
  /** Taken out of the gallery; never posted again. */
  markRemoved(generationId: string, now: number): Promise<void>;
}

const countSchema = z.object({ n: z.number() });

export function createGalleryStore(db: Executor): GalleryStore {
  const votes = async (generationId: string): Promise<number> =>
    countSchema.parse(await db.selectFrom('gallery_votes').select((eb) => eb.fn.countAll<number>().as('n')).where('generation_id', '=', generationId).executeTakeFirst()).n;
  return {
    async vote(generationId, userId, now) {
      // ON CONFLICT DO NOTHING: a second ⭐ from the same member inserts nothing, atomically.
      const inserted = await db
        .insertInto('gallery_votes')
        .values({ generation_id: generationId, user_id: userId, created_at: now })
        .onConflict((oc) => oc.columns(['generation_id', 'user_id']).doNothing())
        .executeTakeFirst();
      return { added: inserted.numInsertedOrUpdatedRows === 1n, count: await votes(generationId) };
    },
    votes,
    async claim(post, now) {
      const inserted = await db
        .insertInto('gallery_posts')
        .values({
          generation_id: post.generationId,
          guild_id: post.guildId,
          user_id: post.userId,
          source_channel_id: post.sourceChannelId,
          source_message_id: post.sourceMessageId,
          gallery_channel_id: post.galleryChannelId,
          state: 'posting',
          created_at: now,
        })
        .onConflict((oc) => oc.column('generation_id').doNothing())
        .executeTakeFirst();
      return inserted.numInsertedOrUpdatedRows === 1n;
    },
    async get(generationId) {
      const row = await db.selectFrom('gallery_posts').selectAll().where('generation_id', '=', generationId).executeTakeFirst();
      return row === undefined ? undefined : fromRow(row);
    },
    async posted(generationId, where) {
      await db.updateTable('gallery_posts').set({ state: 'posted', gallery_message_id: where.messageId, gallery_thread_id: where.threadId }).where('generation_id', '=', generationId).execute();
    },
    async release(generationId) {
      await db.deleteFrom('gallery_posts').where('generation_id', '=', generationId).where('state', '=', 'posting').execute();
    },
    async markRemoved(generationId, now) {
      await db.updateTable('gallery_posts').set({ state: 'removed', removed_at: now }).where('generation_id', '=', generationId).execute();
    },
  };
}
