import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openDatabase, StoreError } from '../../../src/store/db.js';
import { openStore } from '../../../src/store/index.js';
import { LATEST_VERSION } from '../../../src/store/migrations.js';

const tempFile = () => join(mkdtempSync(join(tmpdir(), 'vi-store-')), 'nested', 'bot.sqlite');

describe('the SQLite store', () => {
  it('creates the file and its folder, in WAL mode, at the latest schema', () => {
    const path = tempFile();
    const db = openDatabase(path);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    db.close();
  });

  it('upgrades a database made by the first schema version without losing its rows', () => {
    const path = tempFile();
    const v1 = openDatabase(path, { migrateTo: 1 });
    expect(v1.pragma('user_version', { simple: true })).toBe(1);
    v1.prepare(
      `INSERT INTO generations (id, guild_id, channel_id, user_id, created_at, mode, model, options_json, request_json, seeds_json, price_usd, request_ids, message_id, outcome)
       VALUES ('abc12345', '111111111111111111', '222222222222222222', '333333333333333333', 1700000000000, 'native', 'z-image-turbo', '{"prompt":"a fox","variants":2}', '[{"model":"z-image-turbo","prompt":"a fox","seed":5}]', '[5,6]', 0.02, '["ray-1"]', '444444444444444444', 'posted')`,
    ).run();
    v1.prepare(`INSERT INTO usage (day, guild_id, user_id, usd, images) VALUES ('2026-11-23', '111111111111111111', '333333333333333333', 0.02, 2)`).run();
    v1.close();

    const store = openStore(path);
    expect(store.db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    const g = store.generations.get('abc12345');
    expect(g).toMatchObject({ model: 'z-image-turbo', options: { prompt: 'a fox', variants: 2 }, seeds: [5, 6], requestIds: ['ray-1'], messageId: '444444444444444444', deletedAt: null });
    expect(store.usage.userSpent('111111111111111111', '333333333333333333', Date.parse('2026-11-23T12:00:00Z'))).toBeCloseTo(0.02);
    // The tables the later versions add work on the upgraded file.
    store.settings.update({ guildId: '111111111111111111' }, { maxVariants: 2 });
    expect(store.settings.effective('111111111111111111', ['222222222222222222']).maxVariants).toBe(2);
    store.close();
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

  it('refuses settings rows that do not match the schema instead of guessing', () => {
    const store = openStore(tempFile());
    store.db.prepare(`INSERT INTO guild_settings (guild_id, settings_json, updated_at) VALUES ('1', '{"maxVariants": 9}', 0)`).run();
    expect(() => store.settings.guild('1')).toThrow(StoreError);
    store.close();
  });
});
