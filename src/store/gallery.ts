import { z } from 'zod';
import type { Db } from './db.js';
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
  vote(generationId: string, userId: string, now: number): { added: boolean; count: number };
  votes(generationId: string): number;
  /**
   * Claims the result's one gallery post: true for the caller who inserted the row (and must
   * post it), false when it is (or was) in the gallery already.
   */
  claim(post: NewGalleryPost, now: number): boolean;
  get(generationId: string): GalleryPost | undefined;
  posted(generationId: string, where: { messageId: string; threadId: string | null }): void;
  /** A claim whose post failed: released, so a later ⭐ or approval can try again. */
  release(generationId: string): void;
  /** Taken out of the gallery; never posted again. */
  markRemoved(generationId: string, now: number): void;
}

export function createGalleryStore(db: Db): GalleryStore {
  // i18n-exempt: SQL, read by SQLite alone
  const addVote = db.prepare('INSERT OR IGNORE INTO gallery_votes (generation_id, user_id, created_at) VALUES (?, ?, ?)');
  // i18n-exempt: SQL, read by SQLite alone
  const count = db.prepare<[string]>('SELECT COUNT(*) AS n FROM gallery_votes WHERE generation_id = ?');
  // i18n-exempt: SQL, read by SQLite alone
  const claim = db.prepare(`INSERT OR IGNORE INTO gallery_posts (generation_id, guild_id, user_id, source_channel_id, source_message_id, gallery_channel_id, state, created_at)
    VALUES (@generationId, @guildId, @userId, @sourceChannelId, @sourceMessageId, @galleryChannelId, 'posting', @now)`);
  // i18n-exempt: SQL, read by SQLite alone
  const select = db.prepare<[string]>('SELECT * FROM gallery_posts WHERE generation_id = ?');
  // i18n-exempt: SQL, read by SQLite alone
  const posted = db.prepare("UPDATE gallery_posts SET state = 'posted', gallery_message_id = ?, gallery_thread_id = ? WHERE generation_id = ?");
  // i18n-exempt: SQL, read by SQLite alone
  const release = db.prepare("DELETE FROM gallery_posts WHERE generation_id = ? AND state = 'posting'");
  // i18n-exempt: SQL, read by SQLite alone
  const removed = db.prepare("UPDATE gallery_posts SET state = 'removed', removed_at = ? WHERE generation_id = ?");
  const countOf = (id: string) => z.object({ n: z.number() }).parse(count.get(id)).n;

  const vote = db.transaction((generationId: string, userId: string, now: number) => {
    const added = addVote.run(generationId, userId, now).changes === 1;
    return { added, count: countOf(generationId) };
  });

  return {
    vote: (generationId, userId, now) => vote(generationId, userId, now),
    votes: countOf,
    claim: (post, now) => claim.run({ ...post, now }).changes === 1,
    get(generationId) {
      const row = select.get(generationId);
      return row === undefined ? undefined : fromRow(row);
    },
    posted: (generationId, where) => void posted.run(where.messageId, where.threadId, generationId),
    release: (generationId) => void release.run(generationId),
    markRemoved: (generationId, now) => void removed.run(now, generationId),
  };
}
