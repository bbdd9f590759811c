import { z } from 'zod';
import type { Db } from './db.js';
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
}

export interface JobStore {
  add(job: JobRecord): void;
  get(id: string): JobRecord | undefined;
  setState(id: string, state: 'queued' | 'running'): void;
  /** Moves `usd` of the job's reservation into charged money (never below zero). */
  consumeReservation(id: string, usd: number, images: number): void;
  remove(id: string): void;
  /** Every job queued or running, oldest first. */
  all(): JobRecord[];
  /** Money reserved by unfinished jobs, for one user in one server (or outside any), one server, or all. */
  reservedByUser(guildId: string | null, userId: string): number;
  reservedByGuild(guildId: string): number;
  reservedByAll(): number;
  reservedImagesByUser(guildId: string | null, userId: string): number;
}

const sumSchema = z.object({ usd: z.number().nullable() });

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
  };
}

export function createJobStore(db: Db): JobStore {
  const insert = db.prepare(
    `INSERT INTO jobs (id, kind, application_id, interaction_token, interaction_at, placeholder_id, channel_id, guild_id, user_id, state, reserved_usd, reserved_images, locale, public_locale, created_at)
     VALUES (@id, @kind, @applicationId, @interactionToken, @interactionAt, @placeholderId, @channelId, @guildId, @userId, @state, @reservedUsd, @reservedImages, @locale, @publicLocale, @createdAt)`,
  );
  const select = db.prepare<[string]>('SELECT * FROM jobs WHERE id = ?');
  const setState = db.prepare('UPDATE jobs SET state = ? WHERE id = ?');
  const consume = db.prepare('UPDATE jobs SET reserved_usd = MAX(0, reserved_usd - ?), reserved_images = MAX(0, reserved_images - ?) WHERE id = ?');
  const imagesByUser = db.prepare<[string | null, string]>('SELECT SUM(reserved_images) AS images FROM jobs WHERE guild_id IS ? AND user_id = ?');
  const remove = db.prepare('DELETE FROM jobs WHERE id = ?');
  const all = db.prepare('SELECT * FROM jobs ORDER BY created_at');
  const byUser = db.prepare<[string | null, string]>('SELECT SUM(reserved_usd) AS usd FROM jobs WHERE guild_id IS ? AND user_id = ?');
  const byGuild = db.prepare<[string]>('SELECT SUM(reserved_usd) AS usd FROM jobs WHERE guild_id = ?');
  const byAll = db.prepare('SELECT SUM(reserved_usd) AS usd FROM jobs');
  const sum = (row: unknown) => sumSchema.parse(row).usd ?? 0;
  return {
    add: (job) => void insert.run(job),
    get: (id) => {
      const row = select.get(id);
      return row === undefined ? undefined : fromRow(row);
    },
    setState: (id, state) => void setState.run(state, id),
    consumeReservation: (id, usd, images) => void consume.run(usd, images, id),
    remove: (id) => void remove.run(id),
    all: () => all.all().map(fromRow),
    reservedByUser: (guildId, userId) => sum(byUser.get(guildId, userId)),
    reservedByGuild: (guildId) => sum(byGuild.get(guildId)),
    reservedByAll: () => sum(byAll.get()),
    reservedImagesByUser: (guildId, userId) => z.object({ images: z.number().nullable() }).parse(imagesByUser.get(guildId, userId)).images ?? 0,
  };
}
