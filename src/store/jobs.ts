import { z } from 'zod';
import { prepared } from './prepared.js';
import type { Executor } from './schema.js';
import { sameGuild } from './where.js';
import { JOB_KINDS, type JobKind } from './generations.js';

const rowSchema = z.object({
  id: z.string(),
  kind: z.enum(JOB_KINDS),
  application_id: z.string(),
  interaction_token: z.string(),
  interaction_at: z.number(),
  placeholder_id: z.string().nullable(),
  channel_id: z.string(),
  guild_id: z.string().nullable(),
  user_id: z.string(),
  state: z.enum(['queued', 'running']),
  reserved_usd: z.number(),
  reserved_images: z.number().int(),
  locale: z.string(),
  public_locale: z.string(),
  created_at: z.number(),
  owner: z.string().nullable(),
  spec_json: z.string().nullable(),
});

export interface JobRecord {
  id: string;
  kind: JobKind;
  applicationId: string;
  interactionToken: string;
  /** When this process received the interaction, by its own clock (the token lasts 15 min from then). */
  interactionAt: number;
  placeholderId: string | null;
  channelId: string;
  guildId: string | null;
  userId: string;
  state: 'queued' | 'running';
  /** Money promised to this job and not yet charged: counted against every budget until it ends. */
  reservedUsd: number;
  /** Images promised to this job and not yet delivered by Venice (daily image counts). */
  reservedImages: number;
  /** The requester's Discord locale, for what only they read. */
  locale: string;
  /** The language of the job's public messages (the server's, or the one its admins set). */
  publicLocale: string;
  createdAt: number;
  /**
   * The process running it, in the scale-out mode; null for a bot that runs alone, and
   * `ANY_PROCESS` for one handed on for whichever process takes it next.
   */
  owner: string | null;
  /** What another process needs to run it (JSON, read by its kind's code); null when only its own can. */
  spec: string | null;
}

/** The owner of a job handed on at a rolling restart, for the next process free to run it. */
export const ANY_PROCESS = '*';

export interface JobStore {
  add(job: JobRecord): Promise<void>;
  get(id: string): Promise<JobRecord | undefined>;
  setState(id: string, state: 'queued' | 'running'): Promise<void>;
  /** Moves `usd` of the job's reservation into charged money (never below zero). */
  consumeReservation(id: string, usd: number, images: number): Promise<void>;
  remove(id: string): Promise<void>;
  /** Every job queued or running, oldest first. */
  all(): Promise<JobRecord[]>;
  /** Money reserved by unfinished jobs, for one user in one server (or outside any), one server, or all. */
  reservedByUser(guildId: string | null, userId: string): Promise<number>;
  reservedByGuild(guildId: string): Promise<number>;
  reservedByAll(): Promise<number>;
  reservedImagesByUser(guildId: string | null, userId: string): Promise<number>;
  /**
   * Makes `owner` the job's process if it still belongs to `from` (null: a bot that ran alone):
   * true for the one caller that did, so two processes never both report a job.
   */
  takeOver(id: string, from: string | null, owner: string): Promise<boolean>;
  /** Jobs of any process but `owner`'s, and of none. */
  notOwnedBy(owner: string): Promise<JobRecord[]>;
}

const sumSchema = z.object({ total: z.number().nullable() });
const total = (row: unknown): number => sumSchema.parse(row).total ?? 0;

function fromRow(raw: unknown): JobRecord {
  const r = rowSchema.parse(raw);
  return {
    id: r.id,
    kind: r.kind,
    applicationId: r.application_id,
    interactionToken: r.interaction_token,
    interactionAt: r.interaction_at,
    placeholderId: r.placeholder_id,
    channelId: r.channel_id,
    guildId: r.guild_id,
    userId: r.user_id,
    state: r.state,
    reservedUsd: r.reserved_usd,
    reservedImages: r.reserved_images,
    locale: r.locale,
    publicLocale: r.public_locale,
    createdAt: r.created_at,
    owner: r.owner,
    spec: r.spec_json,
  };
}

// What every job runs (see `prepared`).
const setState = prepared((db, v: { id: string; state: 'queued' | 'running' }) => db.updateTable('jobs').set({ state: v.state }).where('id', '=', v.id));
const consumeReservation = prepared((db, v: { id: string; usd: number; images: number }) =>
  db
    .updateTable('jobs')
    .set((eb) => ({
      reserved_usd: eb.case().when('reserved_usd', '>', v.usd).then(eb('reserved_usd', '-', v.usd)).else(0).end(),
      reserved_images: eb.case().when('reserved_images', '>', v.images).then(eb('reserved_images', '-', v.images)).else(0).end(),
    }))
    .where('id', '=', v.id),
);
const removeJob = prepared((db, v: { id: string }) => db.deleteFrom('jobs').where('id', '=', v.id));

export function createJobStore(db: Executor): JobStore {
  const jobs = () => db.selectFrom('jobs');
  return {
    add: async (job) => {
      await db
        .insertInto('jobs')
        .values({
          id: job.id,
          kind: job.kind,
          application_id: job.applicationId,
          interaction_token: job.interactionToken,
          interaction_at: job.interactionAt,
          placeholder_id: job.placeholderId,
          channel_id: job.channelId,
          guild_id: job.guildId,
          user_id: job.userId,
          state: job.state,
          reserved_usd: job.reservedUsd,
          reserved_images: job.reservedImages,
          locale: job.locale,
          public_locale: job.publicLocale,
          created_at: job.createdAt,
          owner: job.owner,
          spec_json: job.spec,
        })
        .execute();
    },
    get: async (id) => {
      const row = await jobs().selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : fromRow(row);
    },
    setState: async (id, state) => {
      await setState(db, { id, state });
    },
    consumeReservation: async (id, usd, images) => {
      await consumeReservation(db, { id, usd, images });
    },
    remove: async (id) => {
      await removeJob(db, { id });
    },
    all: async () => (await jobs().selectAll().orderBy('created_at').execute()).map(fromRow),
    reservedByUser: async (guildId, userId) =>
      total(await jobs().select((eb) => eb.fn.sum<number | null>('reserved_usd').as('total')).where(sameGuild(guildId)).where('user_id', '=', userId).executeTakeFirst()),
    reservedByGuild: async (guildId) => total(await jobs().select((eb) => eb.fn.sum<number | null>('reserved_usd').as('total')).where('guild_id', '=', guildId).executeTakeFirst()),
    reservedByAll: async () => total(await jobs().select((eb) => eb.fn.sum<number | null>('reserved_usd').as('total')).executeTakeFirst()),
    takeOver: async (id, from, owner) => {
      const result = await db
        .updateTable('jobs')
        .set({ owner })
        .where('id', '=', id)
        .where((eb) => (from === null ? eb('owner', 'is', null) : eb('owner', '=', from)))
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },
    notOwnedBy: async (owner) =>
      (await jobs().selectAll().where((eb) => eb.or([eb('owner', 'is', null), eb('owner', '<>', owner)])).orderBy('created_at').execute()).map(fromRow),
    reservedImagesByUser: async (guildId, userId) =>
      total(await jobs().select((eb) => eb.fn.sum<number | null>('reserved_images').as('total')).where(sameGuild(guildId)).where('user_id', '=', userId).executeTakeFirst()),
  };
}
