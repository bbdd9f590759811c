import type Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import { withPreparedStatements } from './statements.js';
import { openDatabase } from './db.js';
import { createGalleryStore, type GalleryStore } from './gallery.js';
import { createGenerationStore, type GenerationStore } from './generations.js';
import { createJobStore, type JobStore } from './jobs.js';
import { createReviewStore, type ReviewStore } from './reviews.js';
import type { Executor, Tables } from './schema.js';
import { createSettingsStore, type SettingsStore } from './settings.js';
import { createUsageStore, type UsageStore } from './usage.js';

export type Dialect = 'sqlite' | 'postgres';

/** The repositories, over the database or over one transaction. */
export interface Repositories {
  settings: SettingsStore;
  generations: GenerationStore;
  usage: UsageStore;
  jobs: JobStore;
  /** Results waiting for (or decided by) a moderator. */
  reviews: ReviewStore;
  /** Gallery cross-posts and the ⭐ votes behind them. */
  gallery: GalleryStore;
}

/**
 * What a transaction must hold for its whole length. `admission`: the check of every budget
 * and the reservation against it. One process on SQLite has one connection, so its
 * transactions never overlap; on PostgreSQL, several processes check at once, and this lock
 * (a transaction-scoped advisory lock) makes their checks take turns. `settings`: a change
 * of settings, read and written back whole.
 */
export type TransactionLock = 'admission' | 'settings';
const ADVISORY_LOCKS: Record<TransactionLock, number> = { admission: 7_236_002, settings: 7_236_003 };

export interface Store extends Repositories {
  db: Kysely<Tables>;
  dialect: Dialect;
  /** Runs `work` in one transaction, with repositories bound to it. */
  transaction<T>(work: (tx: Repositories) => Promise<T>, options?: { lock?: TransactionLock }): Promise<T>;
  /** Whether the database answers a query at all. */
  answers(): Promise<boolean>;
  close(): Promise<void>;
}

/** A health probe waits this long for the database: a server that hangs is not ready either. */
const ANSWER_MS = 2_000;

function withinMs<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

export const isPostgresUrl = (where: string): boolean => /^postgres(ql)?:\/\//i.test(where);

const repositories = (db: Executor): Repositories => ({
  settings: createSettingsStore(db),
  generations: createGenerationStore(db),
  usage: createUsageStore(db),
  jobs: createJobStore(db),
  reviews: createReviewStore(db),
  gallery: createGalleryStore(db),
});

/**
 * Opens the store at `where`: a `postgres://` URL (the scale-out mode), or else the path of
 * the SQLite file (created if missing). Either is migrated to the latest schema first.
 */
export async function openStore(where: string, options: { migrateTo?: number } = {}): Promise<Store> {
  let db: Kysely<Tables>;
  let dialect: Dialect;
  if (isPostgresUrl(where)) {
    // Loaded only for a PostgreSQL URL: pg costs the default SQLite bot memory it never uses.
    const { openPostgres } = await import('./postgres.js');
    const pool = await openPostgres(where, options);
    db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
    dialect = 'postgres';
  } else {
    const database: Database.Database = openDatabase(where, options);
    db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: withPreparedStatements(database) }) });
    dialect = 'sqlite';
  }
  const store: Store = {
    db,
    dialect,
    ...repositories(db),
    transaction: (work, opts) =>
      db.transaction().execute(async (trx) => {
        if (opts?.lock !== undefined && dialect === 'postgres') await sql`SELECT pg_advisory_xact_lock(${ADVISORY_LOCKS[opts.lock]})`.execute(trx);
        return work(repositories(trx));
      }),
    // Through `store.db`, so a test can put a broken connection in its place.
    answers: async () => {
      try {
        await withinMs(sql`SELECT 1`.execute(store.db), ANSWER_MS);
        return true;
      } catch {
        return false;
      }
    },
    close: () => db.destroy(),
  };
  return store;
}
