import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openStore, type Store } from '../../src/store/index.js';

/**
 * The databases the store's tests run on: SQLite always, and the real PostgreSQL server at
 * TEST_DATABASE_URL when it is set (`.ci/run` starts one; see the README). CI must have it:
 * there a missing URL fails the run instead of quietly testing one dialect.
 */
export interface StoreTarget {
  name: 'sqlite' | 'postgres';
  /** A location no other test uses: a new SQLite file, or a new PostgreSQL database. */
  fresh(): Promise<string>;
}

const testDatabaseUrl = process.env.TEST_DATABASE_URL;
if (process.env.CI && !testDatabaseUrl) throw new Error('TEST_DATABASE_URL is not set: CI runs the store tests on PostgreSQL too (.ci/run starts it)');

/** The real Redis server of the scale-out tests (`.ci/services` starts one); required in CI. */
export const TEST_REDIS_URL: string | undefined = process.env.TEST_REDIS_URL;
if (process.env.CI && !TEST_REDIS_URL) throw new Error('TEST_REDIS_URL is not set: CI runs the scale-out tests on a real Redis (.ci/run starts it)');

/** A key prefix no other test uses, so tests share one Redis without seeing each other. */
export const freshRedisPrefix = (): string => `vi-test-${randomBytes(6).toString('hex')}:`;

const sqlite: StoreTarget = {
  name: 'sqlite',
  fresh: async () => join(mkdtempSync(join(tmpdir(), 'vi-store-')), 'bot.sqlite'),
};

/** Databases this run created, dropped when it ends (`dropTestDatabases`, in the global teardown). */
const created: string[] = [];

const postgres = (url: string): StoreTarget => ({
  name: 'postgres',
  async fresh() {
    const name = `vi_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
    created.push(name);
    const u = new URL(url);
    u.pathname = `/${name}`;
    return u.toString();
  },
});

export const STORE_TARGETS: readonly StoreTarget[] = testDatabaseUrl ? [sqlite, postgres(testDatabaseUrl)] : [sqlite];

/** The PostgreSQL target alone, for what only it can show (several processes on one database). */
export const POSTGRES_TARGET: StoreTarget | undefined = testDatabaseUrl ? postgres(testDatabaseUrl) : undefined;

/** Opens a store on a fresh location of `target`; `close` it when done. */
export async function openFreshStore(target: StoreTarget, options: { migrateTo?: number } = {}): Promise<Store> {
  return openStore(await target.fresh(), options);
}

/** Drops the databases this process created (each test file's, once its stores are closed). */
export async function dropTestDatabases(): Promise<void> {
  if (!testDatabaseUrl || created.length === 0) return;
  const admin = new pg.Client({ connectionString: testDatabaseUrl });
  await admin.connect();
  try {
    for (const name of created.splice(0)) await dropDatabase(admin, name);
  } finally {
    await admin.end();
  }
}

const sqlState = (error: unknown): unknown => (error instanceof Error && 'code' in error ? error.code : undefined);

/**
 * FORCE ends the connections a test left open (ours, of our own role), but PostgreSQL 15
 * refuses it while an autovacuum worker is on the database (the worker has no role, so it
 * asks for pg_signal_backend; a CI run failed on it). A plain DROP stops such a worker itself,
 * but waits 5 s on any other connection. So: FORCE while a client holds the database, plain
 * otherwise, and on either refusal (42501 for FORCE, 55006 "in use" for plain) the other.
 */
async function dropDatabase(admin: pg.Client, name: string): Promise<void> {
  const held = await admin.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'",
    [name],
  );
  let force = (held.rows[0]?.n ?? 0) > 0;
  for (let attempt = 1; ; attempt++) {
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${name}${force ? ' WITH (FORCE)' : ''}`);
      return;
    } catch (error) {
      const retry = force ? sqlState(error) === '42501' : sqlState(error) === '55006';
      if (!retry || attempt === 4) throw error;
      force = !force;
    }
  }
}

/** One query on its own connection, for a test to read or change a database behind the bot's back. */
export async function queryPostgres(url: string, text: string, values: unknown[] = []): Promise<Array<Record<string, unknown>>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as Array<Record<string, unknown>>;
  } finally {
    await client.end();
  }
}
