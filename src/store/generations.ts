import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { prepared } from './prepared.js';
import type { Executor } from './schema.js';
import { sameGuild } from './where.js';
import { StoreError } from './db.js';

export const OUTCOMES = ['queued', 'running', 'posted', 'partial', 'failed', 'refused', 'interrupted', 'cancelled'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** The options a generation was made with, kept so any button can redo it after a restart. */
export const storedOptionsSchema = z.object({
  prompt: z.string(),
  model: z.string().optional(),
  style: z.string().optional(),
  negative_prompt: z.string().optional(),
  aspect_ratio: z.string().optional(),
  resolution: z.string().optional(),
  quality: z.string().optional(),
  variants: z.number().int().optional(),
  seed: z.number().int().optional(),
  cfg_scale: z.number().optional(),
  steps: z.number().int().optional(),
  format: z.enum(['webp', 'png', 'jpeg']).optional(),
  hide_watermark: z.boolean().optional(),
  safe_mode: z.boolean().optional(),
  enhance_prompt: z.boolean().optional(),
  web_search: z.boolean().optional(),
  /** A describe's prompts, in the order shown, so its Imagine buttons carry only an index. */
  prompts: z.array(z.string()).max(4).optional(),
});
export type StoredOptions = z.infer<typeof storedOptionsSchema>;

export const JOB_KINDS = ['generate', 'upscale', 'edit', 'background', 'describe'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/** One image a job worked on: a result of ours (generation and image number) or a member's upload. */
export const inputSchema = z.object({
  attachmentUrl: z.string(),
  generationId: z.string().nullable(),
  /** 1-based image number on that result; null for an upload. */
  image: z.number().int().min(1).nullable(),
});
export type GenerationInput = z.infer<typeof inputSchema>;

/**
 * Where an image made from others came from, so Retry can redo it and Info can say so: the
 * base image (flattened, as upscales have stored it from the start), the scale of an
 * upscale, and the further images of a blend.
 */
export const sourceSchema = inputSchema.extend({
  scale: z.union([z.literal(2), z.literal(4)]).optional(),
  spoiler: z.boolean(),
  more: z.array(inputSchema).optional(),
});
export type GenerationSource = z.infer<typeof sourceSchema>;

const rowSchema = z.object({
  id: z.string(),
  kind: z.enum(JOB_KINDS),
  source_json: z.string().nullable(),
  charged_usd: z.number(),
  guild_id: z.string().nullable(),
  channel_id: z.string(),
  user_id: z.string(),
  created_at: z.number(),
  mode: z.enum(['native', 'openai']),
  model: z.string(),
  options_json: z.string(),
  request_json: z.string(),
  seeds_json: z.string(),
  price_usd: z.number().nullable(),
  request_ids: z.string(),
  message_id: z.string().nullable(),
  outcome: z.enum(OUTCOMES),
  deleted_at: z.number().nullable(),
  age_restricted: z.number(),
});

export interface NewGeneration {
  kind: JobKind;
  /** For an upscale: the image it enlarges. */
  source: GenerationSource | null;
  guildId: string | null;
  channelId: string;
  userId: string;
  mode: 'native' | 'openai';
  model: string;
  options: StoredOptions;
  /** The bodies sent to Venice, exactly. */
  request: unknown[];
  /** The seed of each variant, in order (null where Venice chose, as in the OpenAI mode). */
  seeds: Array<number | null>;
  priceUsd: number | null;
  /** Made in an age-restricted channel (its nsfw flag when asked for); absent means no. */
  ageRestricted?: boolean;
}

export interface Generation extends NewGeneration {
  id: string;
  createdAt: number;
  requestIds: string[];
  messageId: string | null;
  outcome: Outcome;
  deletedAt: number | null;
  /** What Venice charged for it so far, recorded as each answer arrived. */
  chargedUsd: number;
}

const jsonArray = z.array(z.unknown());
const chargeTargetSchema = rowSchema.pick({ kind: true, guild_id: true, user_id: true });

function fromRow(raw: unknown): Generation {
  const parsed = rowSchema.safeParse(raw);
  if (!parsed.success) throw new StoreError(`a generations row does not match the schema: ${parsed.error.issues[0]?.message ?? ''}`);
  const r = parsed.data;
  try {
    return {
      id: r.id,
      kind: r.kind,
      source: r.source_json === null ? null : sourceSchema.parse(JSON.parse(r.source_json)),
      chargedUsd: r.charged_usd,
      guildId: r.guild_id,
      channelId: r.channel_id,
      userId: r.user_id,
      createdAt: r.created_at,
      mode: r.mode,
      model: r.model,
      options: storedOptionsSchema.parse(JSON.parse(r.options_json)),
      request: jsonArray.parse(JSON.parse(r.request_json)),
      seeds: z.array(z.number().int().nullable()).parse(JSON.parse(r.seeds_json)),
      priceUsd: r.price_usd,
      requestIds: z.array(z.string()).parse(JSON.parse(r.request_ids)),
      messageId: r.message_id,
      outcome: r.outcome,
      deletedAt: r.deleted_at,
      ageRestricted: r.age_restricted === 1,
    };
  } catch (cause) {
    throw new StoreError(`generation ${r.id} holds malformed JSON`, { cause });
  }
}

/**
 * Whether a result may have been made without Venice's safe mode: asked for with safe mode off,
 * or made in an age-restricted channel (where it may be off by default).
 */
export const madeUnsafe = (g: Pick<Generation, 'options' | 'ageRestricted'>): boolean => g.ageRestricted === true || g.options.safe_mode === false;

/** Short, unguessable enough for a custom id, and readable when a user quotes it. */
export const newGenerationId = (): string => randomBytes(6).toString('base64url');


export interface GenerationStore {
  create(g: NewGeneration, now: number): Promise<Generation>;
  get(id: string): Promise<Generation | undefined>;
  /** Whom a charge for this generation counts against, read without its stored JSON (once per image). */
  chargeTarget(id: string): Promise<{ kind: JobKind; guildId: string | null; userId: string } | undefined>;
  finish(id: string, result: { outcome: Outcome; requestIds: string[]; messageId: string | null }): Promise<void>;
  setOutcome(id: string, outcome: Outcome): Promise<void>;
  /** Replaces the stored options (a describe records its prompts once Venice has answered). */
  setOptions(id: string, options: StoredOptions): Promise<void>;
  /** Adds what Venice charged for one answer (the price of the generation follows it). */
  addCharge(id: string, usd: number): Promise<void>;
  markDeleted(id: string, now: number): Promise<void>;
  /** When this user last started a generation in this server (for cooldowns). */
  lastStartedAt(guildId: string | null, userId: string): Promise<number | undefined>;
  /** A member's latest jobs in a server (or outside any), newest first. */
  recent(guildId: string | null, userId: string, limit: number): Promise<Generation[]>;
  /** The models a server spent most on since `since`. */
  topModels(guildId: string, since: number, limit: number): Promise<Array<{ model: string; usd: number; jobs: number }>>;
}

const modelRow = z.object({ model: z.string(), usd: z.number(), jobs: z.number() });

// What every job runs (see `prepared`).
const chargeTarget = prepared((db, v: { id: string }) => db.selectFrom('generations').select(['kind', 'guild_id', 'user_id']).where('id', '=', v.id));
const addCharge = prepared((db, v: { id: string; usd: number }) =>
  db
    .updateTable('generations')
    .set((eb) => ({ charged_usd: eb('charged_usd', '+', v.usd) }))
    .where('id', '=', v.id),
);
const setOutcome = prepared((db, v: { id: string; outcome: Outcome }) => db.updateTable('generations').set({ outcome: v.outcome }).where('id', '=', v.id));
const finish = prepared((db, v: { id: string; outcome: Outcome; requestIds: string; messageId: string | null }) =>
  db
    .updateTable('generations')
    .set((eb) => ({ outcome: v.outcome, request_ids: v.requestIds, message_id: v.messageId, price_usd: eb.ref('charged_usd') }))
    .where('id', '=', v.id),
);

export function createGenerationStore(db: Executor): GenerationStore {
  const update = () => db.updateTable('generations');
  return {
    async create(g, now) {
      const id = newGenerationId();
      await db
        .insertInto('generations')
        .values({
          id,
          kind: g.kind,
          source_json: g.source === null ? null : JSON.stringify(g.source),
          guild_id: g.guildId,
          channel_id: g.channelId,
          user_id: g.userId,
          created_at: now,
          mode: g.mode,
          model: g.model,
          options_json: JSON.stringify(g.options),
          request_json: JSON.stringify(g.request),
          seeds_json: JSON.stringify(g.seeds),
          price_usd: g.priceUsd,
          age_restricted: g.ageRestricted === true ? 1 : 0,
          outcome: 'queued',
        })
        .execute();
      return { id, ...g, ageRestricted: g.ageRestricted === true, createdAt: now, requestIds: [], messageId: null, outcome: 'queued', deletedAt: null, chargedUsd: 0 };
    },
    async chargeTarget(id) {
      const [row] = (await chargeTarget(db, { id })).rows;
      if (row === undefined) return undefined;
      const parsed = chargeTargetSchema.safeParse(row);
      if (!parsed.success) throw new StoreError(`a generations row does not match the schema: ${parsed.error.issues[0]?.message ?? ''}`);
      return { kind: parsed.data.kind, guildId: parsed.data.guild_id, userId: parsed.data.user_id };
    },
    async get(id) {
      const row = await db.selectFrom('generations').selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : fromRow(row);
    },
    async finish(id, result) {
      await finish(db, { id, outcome: result.outcome, requestIds: JSON.stringify(result.requestIds), messageId: result.messageId });
    },
    async addCharge(id, usd) {
      await addCharge(db, { id, usd });
    },
    async setOutcome(id, outcome) {
      await setOutcome(db, { id, outcome });
    },
    async setOptions(id, options) {
      await update()
        .set({ options_json: JSON.stringify(storedOptionsSchema.parse(options)) })
        .where('id', '=', id)
        .execute();
    },
    async markDeleted(id, now) {
      await update().set({ deleted_at: now }).where('id', '=', id).execute();
    },
    recent: async (guildId, userId, limit) =>
      (await db.selectFrom('generations').selectAll().where(sameGuild(guildId)).where('user_id', '=', userId).orderBy('created_at', 'desc').limit(limit).execute()).map(fromRow),
    topModels: async (guildId, since, limit) =>
      (
        await db
          .selectFrom('generations')
          .select((eb) => ['model', eb.fn.sum<number>('charged_usd').as('usd'), eb.fn.countAll<number>().as('jobs')])
          .where('guild_id', '=', guildId)
          .where('created_at', '>=', since)
          .groupBy('model')
          .orderBy((eb) => eb.fn.sum('charged_usd'), 'desc')
          .orderBy((eb) => eb.fn.countAll(), 'desc')
          .limit(limit)
          .execute()
      ).map((r) => modelRow.parse(r)),
    async lastStartedAt(guildId, userId) {
      const row = await db
        .selectFrom('generations')
        .select((eb) => eb.fn.max<number | null>('created_at').as('at'))
        .where(sameGuild(guildId))
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return z.object({ at: z.number().nullable() }).parse(row).at ?? undefined;
    },
  };
}
