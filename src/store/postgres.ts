import pg from 'pg';
import { StoreError } from './db.js';
import { LATEST_VERSION, MIGRATIONS } from './migrations.js';

/**
 * PostgreSQL's BIGINT (times in milliseconds, COUNT) and NUMERIC (SUM of integers) arrive as
 * strings from `pg`, so that no precision is lost silently. Every such value of ours is a
 * whole number far below 2^53, so numbers are what the rows' schemas expect.
 */
const INT8 = 20;
const NUMERIC = 1700;
const asNumber = (value: string): number => Number(value);
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 || oid === NUMERIC ? asNumber : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** Every process holds this lock while it migrates, so two starting at once do not race. */
const MIGRATION_LOCK = 7_236_001;

/** A redacted form of the URL, for errors: the password never reaches a log. */
export const describePostgresUrl = (url: string): string => {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.username ? `${u.username}@` : ''}${u.host}${u.pathname}`;
  } catch {
    return 'the DATABASE_URL';
  }
};

/** A pool on `url`, checked with one query and brought to the latest schema. */
export async function openPostgres(url: string, options: { migrateTo?: number; max?: number } = {}): Promise<pg.Pool> {
  // A stalled server (or a lock never released) fails a query within 15 s, so an interaction
  // is answered with an error instead of hanging; nothing of ours takes near that long.
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10, types, connectionTimeoutMillis: 10_000, statement_timeout: 15_000, query_timeout: 20_000 });
  // An idle client that loses its server emits here; without a listener the process would die.
  pool.on('error', () => undefined);
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new StoreError(`cannot reach PostgreSQL at ${describePostgresUrl(url)} (${err instanceof Error ? err.message : String(err)}). Check DATABASE_URL and that the server is running.`, { cause: err });
  }
  try {
    await migratePostgres(client, options.migrateTo);
  } catch (err) {
    client.release();
    await pool.end().catch(() => undefined);
    throw err instanceof StoreError ? err : new StoreError(`could not upgrade the database at ${describePostgresUrl(url)}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  client.release();
  return pool;
}

async function migratePostgres(client: pg.PoolClient, target: number = LATEST_VERSION): Promise<void> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
  try {
    await client.query('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_version');
    let current = rows[0]?.version ?? 0;
    if (rows.length === 0) await client.query('INSERT INTO schema_version (version) VALUES (0)');
    if (current > LATEST_VERSION) {
      throw new StoreError(
        `the database was written by a newer venice-imagine (schema ${current}; this version knows up to ${LATEST_VERSION}). Upgrade the bot, or point DATABASE_URL at another database. It was left untouched.`,
      );
    }
    for (; current < target; current++) {
      const sql = MIGRATIONS[current]?.postgres;
      if (sql === undefined) break;
      await client.query('BEGIN');
      try {
        // No parameters: the simple protocol, which runs a migration's several statements.
        await client.query(sql);
        await client.query('UPDATE schema_version SET version = $1', [current + 1]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
  }
}
