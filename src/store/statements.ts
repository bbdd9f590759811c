import type { Database } from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/** Distinct SQL texts kept prepared; the bot's queries number a few dozen, IN lists add some. */
const KEPT = 256;

/**
 * The SQLite database as Kysely sees it, with its statements prepared once. Kysely's SQLite
 * driver prepares every query anew, and under load SQLite's compiling took about 6 % of the bot's CPU.
 * Kysely gives its one SQLite connection to one query (or stream, or transaction) at a time,
 * so one statement per text serves every caller.
 */
export function withPreparedStatements(db: Database, kept = KEPT): SqliteDatabase {
  const prepared = new Map<string, SqliteStatement>();
  return {
    close: () => db.close(),
    prepare(sql: string): SqliteStatement {
      const hit = prepared.get(sql);
      if (hit) {
        // Most recently used last, so the first entry is the one to drop.
        prepared.delete(sql);
        prepared.set(sql, hit);
        return hit;
      }
      const statement = db.prepare(sql);
      prepared.set(sql, statement);
      if (prepared.size > kept) prepared.delete(prepared.keys().next().value as string);
      return statement;
    },
  };
}
