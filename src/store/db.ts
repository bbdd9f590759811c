import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { LATEST_VERSION, MIGRATIONS } from './migrations.js';

/** The SQLite handle itself, for migrations and checks that Kysely's API does not cover. */
export type SqliteDb = Database.Database;

/** A database the bot must not touch: the operator has to look at it. */
export class StoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
  }
}

/** Applies the migrations after the database's current version, up to `target`, each in a transaction. */
export function migrate(db: SqliteDb, target: number = LATEST_VERSION): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > LATEST_VERSION) {
    throw new StoreError(
      `the database was written by a newer venice-imagine (schema ${current}; this version knows up to ${LATEST_VERSION}). Upgrade the bot, or point DATABASE_PATH at another file. The file was left untouched.`,
    );
  }
  for (let v = current; v < target; v++) {
    const sql = MIGRATIONS[v]?.sqlite;
    if (sql === undefined) break;
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

/**
 * Opens (or creates) the SQLite file, checks it is a sound database of a version we know,
 * and brings it up to date. A corrupt or foreign file stops the bot; it is never rewritten.
 */
export function openDatabase(path: string, options: { migrateTo?: number } = {}): SqliteDb {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  let db: SqliteDb;
  try {
    db = new Database(path);
    const journal: unknown = db.pragma('journal_mode = WAL', { simple: true });
    // In WAL mode NORMAL syncs at checkpoints, not at every commit, and still never corrupts the
    // file. A crashed or killed bot loses nothing (its commits are in the OS's hands); a power
    // cut or an OS crash can undo the commits of the last few seconds (the OS's writeback delay,
    // about 30 s on Linux at most). FULL made each of a job's seven commits wait for the disk's
    // fsync on the event loop: 240 µs a commit on the dev machine's disk against 18 with NORMAL,
    // and a cloud volume's fsync takes milliseconds. Where WAL is refused (some network file
    // systems), the default FULL stays: without WAL, NORMAL could corrupt the file.
    if (journal === 'wal') db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new StoreError(`quick_check said: ${String(check)}`);
  } catch (err) {
    throw new StoreError(
      `the database at ${path} cannot be read (${err instanceof Error ? err.message : String(err)}). It may be corrupt or not a SQLite file. Restore a backup or point DATABASE_PATH at another file; the bot did not change it.`,
      { cause: err },
    );
  }
  try {
    migrate(db, options.migrateTo);
  } catch (err) {
    db.close();
    throw err instanceof StoreError ? err : new StoreError(`could not upgrade the database at ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return db;
}
