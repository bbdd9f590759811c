import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, StoreError } from '../../../src/store/db.js';
import { openStore } from '../../../src/store/index.js';
import { LATEST_VERSION } from '../../../src/store/migrations.js';
import { dropTestDatabases, POSTGRES_TARGET, queryPostgres, STORE_TARGETS, type StoreTarget } from '../../support/store-targets.js';

const tempFile = () => join(mkdtempSync(join(tmpdir(), 'vi-store-')), 'nested', 'bot.sqlite');

describe('the SQLite store', () => {
  it('creates the file and its folder, in WAL mode synced at checkpoints, at the latest schema', () => {
    const path = tempFile();
    const db = openDatabase(path);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    // NORMAL (1): synced at checkpoints, not at every commit (see openDatabase).
    expect(db.pragma('synchronous', { simple: true })).toBe(1);
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    db.close();
  });

  it('upgrades a database made by the first schema version without losing its rows', async () => {
    const path = tempFile();
    const v1 = openDatabase(path, { migrateTo: 1 });
    expect(v1.pragma('user_version', { simple: true })).toBe(1);
    v1.prepare(
      `INSERT INTO generations (id, guild_id, channel_id, user_id, created_at, mode, model, options_json, request_json, seeds_json, price_usd, request_ids, message_id, outcome)
       VALUES ('abc12345', '111111111111111111', '222222222222222222', '333333333333333333', 1700000000000, 'native', 'z-image-turbo', '{"prompt":"a fox","variants":2}', '[{"model":"z-image-turbo","prompt":"a fox","seed":5}]', '[5,6]', 0.02, '["ray-1"]', '444444444444444444', 'posted')`,
    ).run();
    v1.prepare(`INSERT INTO usage (day, guild_id, user_id, usd, images) VALUES ('2026-11-23', '111111111111111111', '333333333333333333', 0.02, 2)`).run();
    v1.close();

    const store = await openStore(path);
    await store.close();
    const raw = new Database(path);
    expect(raw.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    raw.close();
    await expectUpgradedRows(path);
  });

  it('refuses a database from a newer version and leaves it untouched', () => {
    const path = tempFile();
    openDatabase(path).close();
    const raw = new Database(path);
    raw.pragma(`user_version = ${LATEST_VERSION + 5}`);
    raw.close();
    const before = readFileSync(path);
    expect(() => openDatabase(path)).toThrow(StoreError);
    expect(() => openDatabase(path)).toThrow(/newer venice-imagine.*Upgrade the bot/);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('refuses a file that is not a database and leaves it untouched', () => {
    const path = tempFile();
    openDatabase(path).close();
    const garbage = Buffer.alloc(8192, 0x5a);
    writeFileSync(path, garbage);
    expect(() => openDatabase(path)).toThrow(/cannot be read.*corrupt or not a SQLite file/);
    expect(readFileSync(path).equals(garbage)).toBe(true);
  });

});

/** Rows written by schema 1, read back through the latest store (and the later tables usable). */
async function expectUpgradedRows(where: string): Promise<void> {
  const store = await openStore(where);
  try {
    const g = await store.generations.get('abc12345');
    expect(g).toMatchObject({ model: 'z-image-turbo', options: { prompt: 'a fox', variants: 2 }, seeds: [5, 6], requestIds: ['ray-1'], messageId: '444444444444444444', deletedAt: null, kind: 'generate', chargedUsd: 0, ageRestricted: false });
    expect(await store.usage.userSpent('111111111111111111', '333333333333333333', Date.parse('2026-11-23T12:00:00Z'))).toBeCloseTo(0.02, 9);
    // The tables the later versions add work on the upgraded database.
    await store.settings.update({ guildId: '111111111111111111' }, { maxVariants: 2 });
    expect((await store.settings.effective('111111111111111111', ['222222222222222222'])).maxVariants).toBe(2);
  } finally {
    await store.close();
  }
}

afterAll(dropTestDatabases);

describe.each(STORE_TARGETS)('the store on $name', (target) => {
  it('refuses settings rows that do not match the schema instead of guessing', async () => {
    const store = await openStore(await target.fresh());
    await sql`INSERT INTO guild_settings (guild_id, settings_json, updated_at) VALUES ('1', '{"maxVariants": 9}', 0)`.execute(store.db);
    await expect(store.settings.guild('1')).rejects.toThrow(StoreError);
    await store.close();
  });

  it('keeps times past 2^31 and amounts in full precision', async () => {
    const store = await openStore(await target.fresh());
    const at = Date.parse('2026-12-01T12:00:00Z');
    const g = await store.generations.create({ kind: 'generate', source: null, guildId: null, channelId: 'c', userId: 'u', mode: 'native', model: 'm', options: { prompt: 'p' }, request: [], seeds: [null], priceUsd: 0.000123456789 }, at);
    await store.usage.record({ guildId: null, userId: 'u', usd: 0.000123456789, images: 1 }, at);
    expect(await store.generations.get(g.id)).toMatchObject({ createdAt: at, priceUsd: 0.000123456789 });
    expect(await store.generations.lastStartedAt(null, 'u')).toBe(at);
    expect(await store.usage.userSpent(null, 'u', at)).toBe(0.000123456789);
    expect(await store.usage.userImages(null, 'u', at)).toBe(1);
    await store.close();
  });
});

// Only with a server to run on: CI always has one (store-targets.ts fails the run without it).
if (POSTGRES_TARGET) describePostgres(POSTGRES_TARGET);

function describePostgres(target: StoreTarget) {
describe('the PostgreSQL store', () => {

  it('upgrades a database made by the first schema version without losing its rows', async () => {
    const url = await target.fresh();
    await (await openStore(url, { migrateTo: 1 })).close();
    expect(await queryPostgres(url, 'SELECT version FROM schema_version')).toEqual([{ version: 1 }]);
    await queryPostgres(
      url,
      `INSERT INTO generations (id, guild_id, channel_id, user_id, created_at, mode, model, options_json, request_json, seeds_json, price_usd, request_ids, message_id, outcome)
       VALUES ('abc12345', '111111111111111111', '222222222222222222', '333333333333333333', 1700000000000, 'native', 'z-image-turbo', '{"prompt":"a fox","variants":2}', '[{"model":"z-image-turbo","prompt":"a fox","seed":5}]', '[5,6]', 0.02, '["ray-1"]', '444444444444444444', 'posted')`,
    );
    await queryPostgres(url, `INSERT INTO usage (day, guild_id, user_id, usd, images) VALUES ('2026-11-23', '111111111111111111', '333333333333333333', 0.02, 2)`);
    await expectUpgradedRows(url);
    expect(await queryPostgres(url, 'SELECT version FROM schema_version')).toEqual([{ version: LATEST_VERSION }]);
  });

  it('refuses a database from a newer version and leaves it untouched', async () => {
    const url = await target.fresh();
    await (await openStore(url)).close();
    await queryPostgres(url, 'UPDATE schema_version SET version = $1', [LATEST_VERSION + 5]);
    await expect(openStore(url)).rejects.toThrow(/newer venice-imagine.*Upgrade the bot/);
    expect(await queryPostgres(url, 'SELECT version FROM schema_version')).toEqual([{ version: LATEST_VERSION + 5 }]);
  });

  it('migrates once when two processes start on a new database at the same time', async () => {
    const url = await target.fresh();
    const stores = await Promise.all([openStore(url), openStore(url), openStore(url)]);
    await Promise.all(stores.map((s) => s.close()));
    expect(await queryPostgres(url, 'SELECT version FROM schema_version')).toEqual([{ version: LATEST_VERSION }]);
  });

  it('names an unreachable server without printing its password', async () => {
    const error = await openStore('postgres://bot:s3cret-password@127.0.0.1:1/none').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(StoreError);
    expect(String((error as Error).message)).toMatch(/cannot reach PostgreSQL at postgres:\/\/bot@127\.0\.0\.1:1\/none/);
    expect(String((error as Error).message)).not.toContain('s3cret-password');
  });

  it('has the same tables, columns, nullability and keys as the SQLite schema', async () => {
    const sqliteStore = await openStore(tempFile());
    const pgStore = await openStore(await target.fresh());
    try {
      const keys = async (store: typeof sqliteStore, query: string) => (await sql.raw<{ table: string; column: string }>(query).execute(store.db)).rows;
      const sqliteKeys = await keys(
        sqliteStore,
        `SELECT m.name AS "table", p.name AS "column" FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' AND p.pk > 0 ORDER BY 1, p.pk`,
      );
      const pgKeys = await keys(
        pgStore,
        `SELECT tc.table_name AS "table", k.column_name AS "column" FROM information_schema.table_constraints tc JOIN information_schema.key_column_usage k ON k.constraint_name = tc.constraint_name
         WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = 'public' AND tc.table_name <> 'schema_version' ORDER BY 1, k.ordinal_position`,
      );
      expect(pgKeys).toEqual(sqliteKeys);
      // SQLite lets a TEXT PRIMARY KEY hold NULL (a quirk it keeps for compatibility); PostgreSQL
      // does not. No code of ours writes one, so a key column counts as NOT NULL in both.
      const key = new Set(sqliteKeys.map((k) => `${k.table}.${k.column}`));
      const shape = async (store: typeof sqliteStore) =>
        (await store.db.introspection.getTables())
          .filter((t) => t.name !== 'schema_version')
          .map((t) => ({
            table: t.name,
            columns: t.columns
              .map((c) => ({ name: c.name, nullable: c.isNullable && !key.has(`${t.name}.${c.name}`), hasDefault: c.hasDefaultValue, type: family(c.dataType) }))
              .sort((a, b) => a.name.localeCompare(b.name)),
          }))
          .sort((a, b) => a.table.localeCompare(b.table));
      expect(await shape(pgStore)).toEqual(await shape(sqliteStore));
    } finally {
      await sqliteStore.close();
      await pgStore.close();
    }
  });
});
}

/** The same kind of value in both dialects' type names: text, a whole number, or a fractional one. */
function family(type: string): string {
  const t = type.toLowerCase();
  if (t === 'text') return 'text';
  if (t === 'integer' || t === 'int4' || t === 'int8' || t === 'bigint') return 'whole';
  if (t === 'real' || t === 'float8' || t === 'double precision') return 'fractional';
  return t;
}
