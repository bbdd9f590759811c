import { z } from 'zod';
import type { Db } from './db.js';

/** Usage is counted per UTC day, so a budget resets at the same moment for everyone. */
export const dayOf = (now: number): string => new Date(now).toISOString().slice(0, 10);

/** When the UTC day of `now` ends, which is when every daily budget starts again. */
export const nextUtcMidnight = (now: number): number => {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
};

const sumSchema = z.object({ usd: z.number().nullable() });

export interface UsageStore {
  record(entry: { guildId: string | null; userId: string; usd: number; images: number }, now: number): void;
  userSpent(guildId: string | null, userId: string, now: number): number;
  guildSpent(guildId: string, now: number): number;
  /** Images charged to this member in this server (or outside any) today. */
  userImages(guildId: string | null, userId: string, now: number): number;
  /** Everything charged on this UTC day, every server and DM together (the operator's budget). */
  allSpent(now: number): number;
  /** A server's spend per day from `fromDay` (inclusive), oldest first, days with spend only. */
  guildDaily(guildId: string, fromDay: string): Array<{ day: string; usd: number; images: number }>;
  /** The members who spent most in a server since `fromDay`. */
  topUsers(guildId: string, fromDay: string, limit: number): Array<{ userId: string; usd: number; images: number }>;
}

export function createUsageStore(db: Db): UsageStore {
  const upsert = db.prepare(`INSERT INTO usage (day, guild_id, user_id, usd, images) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT(day, guild_id, user_id) DO UPDATE SET usd = usd + excluded.usd, images = images + excluded.images`);
  const user = db.prepare<[string, string, string]>('SELECT SUM(usd) AS usd FROM usage WHERE day = ? AND guild_id = ? AND user_id = ?');
  const guild = db.prepare<[string, string]>('SELECT SUM(usd) AS usd FROM usage WHERE day = ? AND guild_id = ?');
  const all = db.prepare<[string]>('SELECT SUM(usd) AS usd FROM usage WHERE day = ?');
  const daily = db.prepare<[string, string]>('SELECT day, SUM(usd) AS usd, SUM(images) AS images FROM usage WHERE guild_id = ? AND day >= ? GROUP BY day ORDER BY day');
  const top = db.prepare<[string, string, number]>('SELECT user_id, SUM(usd) AS usd, SUM(images) AS images FROM usage WHERE guild_id = ? AND day >= ? GROUP BY user_id ORDER BY SUM(usd) DESC, SUM(images) DESC LIMIT ?');
  const dayRow = z.object({ day: z.string(), usd: z.number(), images: z.number() });
  const userRow = z.object({ user_id: z.string(), usd: z.number(), images: z.number() });
  const images = db.prepare<[string, string, string]>('SELECT SUM(images) AS images FROM usage WHERE day = ? AND guild_id = ? AND user_id = ?');
  // DMs have no guild; '' keeps the primary key non-null.
  const g = (guildId: string | null) => guildId ?? '';
  return {
    record(entry, now) {
      upsert.run(dayOf(now), g(entry.guildId), entry.userId, entry.usd, entry.images);
    },
    userSpent: (guildId, userId, now) => sumSchema.parse(user.get(dayOf(now), g(guildId), userId)).usd ?? 0,
    guildSpent: (guildId, now) => sumSchema.parse(guild.get(dayOf(now), guildId)).usd ?? 0,
    allSpent: (now) => sumSchema.parse(all.get(dayOf(now))).usd ?? 0,
    guildDaily: (guildId, fromDay) => daily.all(guildId, fromDay).map((r) => dayRow.parse(r)),
    topUsers: (guildId, fromDay, limit) =>
      top.all(guildId, fromDay, limit).map((r) => {
        const row = userRow.parse(r);
        return { userId: row.user_id, usd: row.usd, images: row.images };
      }),
    userImages: (guildId, userId, now) => z.object({ images: z.number().nullable() }).parse(images.get(dayOf(now), g(guildId), userId)).images ?? 0,
  };
}
