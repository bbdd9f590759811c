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
  /** Everything charged on this UTC day, every server and DM together (the operator's budget). */
  allSpent(now: number): number;
}

export function createUsageStore(db: Db): UsageStore {
  const upsert = db.prepare(`INSERT INTO usage (day, guild_id, user_id, usd, images) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT(day, guild_id, user_id) DO UPDATE SET usd = usd + excluded.usd, images = images + excluded.images`);
  const user = db.prepare<[string, string, string]>('SELECT SUM(usd) AS usd FROM usage WHERE day = ? AND guild_id = ? AND user_id = ?');
  const guild = db.prepare<[string, string]>('SELECT SUM(usd) AS usd FROM usage WHERE day = ? AND guild_id = ?');
  const all = db.prepare<[string]>('SELECT SUM(usd) AS usd FROM usage WHERE day = ?');
  // DMs have no guild; '' keeps the primary key non-null.
  const g = (guildId: string | null) => guildId ?? '';
  return {
    record(entry, now) {
      upsert.run(dayOf(now), g(entry.guildId), entry.userId, entry.usd, entry.images);
    },
    userSpent: (guildId, userId, now) => sumSchema.parse(user.get(dayOf(now), g(guildId), userId)).usd ?? 0,
    guildSpent: (guildId, now) => sumSchema.parse(guild.get(dayOf(now), guildId)).usd ?? 0,
    allSpent: (now) => sumSchema.parse(all.get(dayOf(now))).usd ?? 0,
  };
}
