import { z } from 'zod';
import { prepared } from './prepared.js';
import type { Executor } from './schema.js';

/** Usage is counted per UTC day, so a budget resets at the same moment for everyone. */
export const dayOf = (now: number): string => new Date(now).toISOString().slice(0, 10);

/** When the UTC day of `now` ends, which is when every daily budget starts again. */
export const nextUtcMidnight = (now: number): number => {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
};

const totalSchema = z.object({ total: z.number().nullable() });
const total = (row: unknown): number => totalSchema.parse(row).total ?? 0;

export interface UsageStore {
  record(entry: { guildId: string | null; userId: string; usd: number; images: number }, now: number): Promise<void>;
  userSpent(guildId: string | null, userId: string, now: number): Promise<number>;
  guildSpent(guildId: string, now: number): Promise<number>;
  /** Images charged to this member in this server (or outside any) today. */
  userImages(guildId: string | null, userId: string, now: number): Promise<number>;
  /** Everything charged on this UTC day, every server and DM together (the operator's budget). */
  allSpent(now: number): Promise<number>;
  /** A server's spend per day from `fromDay` (inclusive), oldest first, days with spend only. */
  guildDaily(guildId: string, fromDay: string): Promise<Array<{ day: string; usd: number; images: number }>>;
  /** The members who spent most in a server since `fromDay`. */
  topUsers(guildId: string, fromDay: string, limit: number): Promise<Array<{ userId: string; usd: number; images: number }>>;
}

const dayRow = z.object({ day: z.string(), usd: z.number(), images: z.number() });
const userRow = z.object({ user_id: z.string(), usd: z.number(), images: z.number() });

// Every charge runs it (see `prepared`).
const record = prepared((db, v: { day: string; guildId: string; userId: string; usd: number; images: number }) =>
  db
    .insertInto('usage')
    .values({ day: v.day, guild_id: v.guildId, user_id: v.userId, usd: v.usd, images: v.images })
    .onConflict((oc) =>
      oc.columns(['day', 'guild_id', 'user_id']).doUpdateSet((eb) => ({
        usd: eb('usage.usd', '+', eb.ref('excluded.usd')),
        images: eb('usage.images', '+', eb.ref('excluded.images')),
      })),
    ),
);

export function createUsageStore(db: Executor): UsageStore {
  // DMs have no guild; '' keeps the primary key non-null.
  const g = (guildId: string | null) => guildId ?? '';
  const usage = () => db.selectFrom('usage');
  return {
    async record(entry, now) {
      await record(db, { day: dayOf(now), guildId: g(entry.guildId), userId: entry.userId, usd: entry.usd, images: entry.images });
    },
    userSpent: async (guildId, userId, now) =>
      total(await usage().select((eb) => eb.fn.sum<number | null>('usd').as('total')).where('day', '=', dayOf(now)).where('guild_id', '=', g(guildId)).where('user_id', '=', userId).executeTakeFirst()),
    guildSpent: async (guildId, now) => total(await usage().select((eb) => eb.fn.sum<number | null>('usd').as('total')).where('day', '=', dayOf(now)).where('guild_id', '=', guildId).executeTakeFirst()),
    allSpent: async (now) => total(await usage().select((eb) => eb.fn.sum<number | null>('usd').as('total')).where('day', '=', dayOf(now)).executeTakeFirst()),
    userImages: async (guildId, userId, now) =>
      total(await usage().select((eb) => eb.fn.sum<number | null>('images').as('total')).where('day', '=', dayOf(now)).where('guild_id', '=', g(guildId)).where('user_id', '=', userId).executeTakeFirst()),
    guildDaily: async (guildId, fromDay) =>
      (
        await usage()
          .select((eb) => ['day', eb.fn.sum<number>('usd').as('usd'), eb.fn.sum<number>('images').as('images')])
          .where('guild_id', '=', guildId)
          .where('day', '>=', fromDay)
          .groupBy('day')
          .orderBy('day')
          .execute()
      ).map((r) => dayRow.parse(r)),
    topUsers: async (guildId, fromDay, limit) =>
      (
        await usage()
          .select((eb) => ['user_id', eb.fn.sum<number>('usd').as('usd'), eb.fn.sum<number>('images').as('images')])
          .where('guild_id', '=', guildId)
          .where('day', '>=', fromDay)
          .groupBy('user_id')
          .orderBy((eb) => eb.fn.sum('usd'), 'desc')
          .orderBy((eb) => eb.fn.sum('images'), 'desc')
          .limit(limit)
          .execute()
      ).map((r) => {
        const row = userRow.parse(r);
        return { userId: row.user_id, usd: row.usd, images: row.images };
      }),
  };
}
