import { z } from 'zod';
import type { Executor } from './schema.js';
import { StoreError } from './db.js';

export const REVIEW_STATES = ['pending', 'approving', 'approved', 'rejected', 'withdrawn', 'expired'] as const;
export type ReviewState = (typeof REVIEW_STATES)[number];

/** One posted image of a result under review: its number, and the upscales Venice can deliver for it. */
export const reviewImageSchema = z.object({
  image: z.number().int().min(1).max(4),
  upscale: z.array(z.union([z.literal(2), z.literal(4)])),
});
export type ReviewImage = z.infer<typeof reviewImageSchema>;

const rowSchema = z.object({
  id: z.string(),
  guild_id: z.string(),
  channel_id: z.string(),
  user_id: z.string(),
  application_id: z.string(),
  interaction_token: z.string(),
  interaction_at: z.number(),
  placeholder_id: z.string().nullable(),
  locale: z.string(),
  public_locale: z.string(),
  review_channel_id: z.string(),
  review_message_id: z.string().nullable(),
  result_content: z.string(),
  images_json: z.string(),
  state: z.enum(REVIEW_STATES),
  created_at: z.number(),
  expires_at: z.number(),
  decided_by: z.string().nullable(),
  decided_at: z.number().nullable(),
  reason: z.string().nullable(),
  result_message_id: z.string().nullable(),
});

/** A result held for a moderator: where it was asked for, how to reach its requester, where it waits. */
export interface Review {
  /** The generation's id. */
  id: string;
  guildId: string;
  /** Where it was asked for, and where it is posted once approved. */
  channelId: string;
  userId: string;
  applicationId: string;
  interactionToken: string;
  /** Local receipt time of the interaction (its token lasts 15 minutes from then). */
  interactionAt: number;
  placeholderId: string | null;
  /** The requester's locale, and the language of the result's public messages. */
  locale: string;
  publicLocale: string;
  reviewChannelId: string;
  /** Null until the review message is posted. */
  reviewMessageId: string | null;
  /** The result's own text (failed variants, withheld images), already in the public language. */
  resultContent: string;
  images: ReviewImage[];
  state: ReviewState;
  createdAt: number;
  expiresAt: number;
  decidedBy: string | null;
  decidedAt: number | null;
  reason: string | null;
  resultMessageId: string | null;
}

export type NewReview = Omit<Review, 'state' | 'reviewMessageId' | 'decidedBy' | 'decidedAt' | 'reason' | 'resultMessageId'>;

function fromRow(raw: unknown): Review {
  const parsed = rowSchema.safeParse(raw);
  if (!parsed.success) throw new StoreError(`a reviews row does not match the schema: ${parsed.error.issues[0]?.message ?? ''}`);
  const r = parsed.data;
  let images: ReviewImage[];
  try {
    images = z.array(reviewImageSchema).parse(JSON.parse(r.images_json));
  } catch (cause) {
    throw new StoreError(`review ${r.id} holds malformed JSON`, { cause });
  }
  return {
    id: r.id,
    guildId: r.guild_id,
    channelId: r.channel_id,
    userId: r.user_id,
    applicationId: r.application_id,
    interactionToken: r.interaction_token,
    interactionAt: r.interaction_at,
    placeholderId: r.placeholder_id,
    locale: r.locale,
    publicLocale: r.public_locale,
    reviewChannelId: r.review_channel_id,
    reviewMessageId: r.review_message_id,
    resultContent: r.result_content,
    images,
    state: r.state,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    decidedBy: r.decided_by,
    decidedAt: r.decided_at,
    reason: r.reason,
    resultMessageId: r.result_message_id,
  };
}

export interface ReviewStore {
  /** Records a result as pending review (before its review message is posted). */
  add(review: NewReview): Promise<Review>;
  get(id: string): Promise<Review | undefined>;
  setReviewMessage(id: string, messageId: string): Promise<void>;
  /**
   * Moves a review from one state to another only if it is still in `from`: true when this
   * call made the change, so two moderators (or a moderator and the requester) pressing at
   * once cannot both decide it.
   */
  transition(id: string, from: ReviewState, to: ReviewState, decision?: { by: string | null; at: number; reason?: string | null }): Promise<boolean>;
  setResultMessage(id: string, messageId: string): Promise<void>;
  /** Pending reviews whose wait ran out by `now`, oldest first. */
  overdue(now: number): Promise<Review[]>;
  /** Every review still waiting for a moderator. */
  pending(): Promise<Review[]>;
  /** Approvals a process began and did not finish (a restart cut them short), oldest first. */
  approving(): Promise<Review[]>;
}

export function createReviewStore(db: Executor): ReviewStore {
  const reviews = () => db.selectFrom('reviews').selectAll();
  const store: ReviewStore = {
    async add(review) {
      await db
        .insertInto('reviews')
        .values({
          id: review.id,
          guild_id: review.guildId,
          channel_id: review.channelId,
          user_id: review.userId,
          application_id: review.applicationId,
          interaction_token: review.interactionToken,
          interaction_at: review.interactionAt,
          placeholder_id: review.placeholderId,
          locale: review.locale,
          public_locale: review.publicLocale,
          review_channel_id: review.reviewChannelId,
          result_content: review.resultContent,
          images_json: JSON.stringify(review.images),
          state: 'pending',
          created_at: review.createdAt,
          expires_at: review.expiresAt,
        })
        .execute();
      const added = await store.get(review.id);
      if (!added) throw new StoreError(`review ${review.id} was not recorded`);
      return added;
    },
    async get(id) {
      const row = await reviews().where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : fromRow(row);
    },
    async setReviewMessage(id, messageId) {
      await db.updateTable('reviews').set({ review_message_id: messageId }).where('id', '=', id).execute();
    },
    async setResultMessage(id, messageId) {
      await db.updateTable('reviews').set({ result_message_id: messageId }).where('id', '=', id).execute();
    },
    async transition(id, from, to, decision) {
      const result = await db
        .updateTable('reviews')
        .set((eb) => ({
          state: to,
          decided_by: decision?.by != null ? decision.by : eb.ref('decided_by'),
          decided_at: decision !== undefined ? decision.at : eb.ref('decided_at'),
          reason: decision?.reason != null ? decision.reason : eb.ref('reason'),
        }))
        .where('id', '=', id)
        .where('state', '=', from)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },
    overdue: async (now) => (await reviews().where('state', '=', 'pending').where('expires_at', '<=', now).orderBy('expires_at').execute()).map(fromRow),
    pending: async () => (await reviews().where('state', '=', 'pending').orderBy('created_at').execute()).map(fromRow),
    approving: async () => (await reviews().where('state', '=', 'approving').orderBy('created_at').execute()).map(fromRow),
  };
  return store;
}
