import { z } from 'zod';
import type { Db } from './db.js';
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
  add(review: NewReview): Review;
  get(id: string): Review | undefined;
  setReviewMessage(id: string, messageId: string): void;
  /**
   * Moves a review from one state to another only if it is still in `from`: true when this
   * call made the change, so two moderators (or a moderator and the requester) pressing at
   * once cannot both decide it.
   */
  transition(id: string, from: ReviewState, to: ReviewState, decision?: { by: string | null; at: number; reason?: string | null }): boolean;
  setResultMessage(id: string, messageId: string): void;
  /** Pending reviews whose wait ran out by `now`, oldest first. */
  overdue(now: number): Review[];
  /** Every review still waiting for a moderator. */
  pending(): Review[];
  /** Approvals a process began and did not finish (a restart cut them short), oldest first. */
  approving(): Review[];
}

export function createReviewStore(db: Db): ReviewStore {
  // i18n-exempt: SQL, read by SQLite alone
  const insert = db.prepare(`INSERT INTO reviews (id, guild_id, channel_id, user_id, application_id, interaction_token, interaction_at, placeholder_id, locale, public_locale,
    review_channel_id, result_content, images_json, state, created_at, expires_at)
    VALUES (@id, @guild_id, @channel_id, @user_id, @application_id, @interaction_token, @interaction_at, @placeholder_id, @locale, @public_locale,
    @review_channel_id, @result_content, @images_json, 'pending', @created_at, @expires_at)`);
  // i18n-exempt: SQL, read by SQLite alone
  const select = db.prepare<[string]>('SELECT * FROM reviews WHERE id = ?');
  // i18n-exempt: SQL, read by SQLite alone
  const setMessage = db.prepare('UPDATE reviews SET review_message_id = ? WHERE id = ?');
  // i18n-exempt: SQL, read by SQLite alone
  const setResult = db.prepare('UPDATE reviews SET result_message_id = ? WHERE id = ?');
  // i18n-exempt: SQL, read by SQLite alone
  const transition = db.prepare(
    // i18n-exempt: SQL, read by SQLite alone
    'UPDATE reviews SET state = @to, decided_by = COALESCE(@by, decided_by), decided_at = COALESCE(@at, decided_at), reason = COALESCE(@reason, reason) WHERE id = @id AND state = @from',
  );
  // i18n-exempt: SQL, read by SQLite alone
  const overdue = db.prepare<[number]>("SELECT * FROM reviews WHERE state = 'pending' AND expires_at <= ? ORDER BY expires_at");
  // i18n-exempt: SQL, read by SQLite alone
  const pending = db.prepare("SELECT * FROM reviews WHERE state = 'pending' ORDER BY created_at");
  // i18n-exempt: SQL, read by SQLite alone
  const approving = db.prepare("SELECT * FROM reviews WHERE state = 'approving' ORDER BY created_at");

  const store: ReviewStore = {
    add(review) {
      insert.run({
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
        created_at: review.createdAt,
        expires_at: review.expiresAt,
      });
      const added = store.get(review.id);
      if (!added) throw new StoreError(`review ${review.id} was not recorded`);
      return added;
    },
    get(id) {
      const row = select.get(id);
      return row === undefined ? undefined : fromRow(row);
    },
    setReviewMessage: (id, messageId) => void setMessage.run(messageId, id),
    setResultMessage: (id, messageId) => void setResult.run(messageId, id),
    transition: (id, from, to, decision) =>
      transition.run({ id, from, to, by: decision?.by ?? null, at: decision?.at ?? null, reason: decision?.reason ?? null }).changes === 1,
    overdue: (now) => overdue.all(now).map(fromRow),
    pending: () => pending.all().map(fromRow),
    approving: () => approving.all().map(fromRow),
  };
  return store;
}
