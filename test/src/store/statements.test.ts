import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { withPreparedStatements } from '../../../src/store/statements.js';

interface Tables {
  notes: { id: number; text: string };
}

/** An in-memory database that counts the statements SQLite was asked to compile. */
function counted() {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)');
  let compiled = 0;
  const prepare = db.prepare.bind(db);
  db.prepare = ((source: string) => {
    compiled++;
    return prepare(source);
  }) as typeof db.prepare;
  return { db, compiled: () => compiled };
}

const open: Array<Kysely<Tables>> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((k) => k.destroy()));
});

function kysely(db: Database.Database, kept?: number): Kysely<Tables> {
  const k = new Kysely<Tables>({ dialect: new SqliteDialect({ database: withPreparedStatements(db, kept) }) });
  open.push(k);
  return k;
}

describe('prepared statements for Kysely on SQLite', () => {
  it('compiles a query once however often it runs, with each run its own values', async () => {
    const { db, compiled } = counted();
    const k = kysely(db);
    for (let i = 1; i <= 20; i++) await k.insertInto('notes').values({ id: i, text: `note ${i}` }).execute();
    const texts = [];
    for (const id of [3, 17, 20]) texts.push((await k.selectFrom('notes').select('text').where('id', '=', id).executeTakeFirstOrThrow()).text);
    expect(texts).toEqual(['note 3', 'note 17', 'note 20']);
    // One INSERT text and one SELECT text (Kysely's own begin/commit never ran).
    expect(compiled()).toBe(2);
    const { numUpdatedRows } = await k.updateTable('notes').set({ text: 'changed' }).where('id', '<', 5).executeTakeFirstOrThrow();
    expect(numUpdatedRows).toBe(4n);
  });

  it('runs transactions through the kept statements and rolls back what fails', async () => {
    const { db } = counted();
    const k = kysely(db);
    await k.insertInto('notes').values({ id: 1, text: 'kept' }).execute();
    await expect(
      k.transaction().execute(async (trx) => {
        await trx.insertInto('notes').values({ id: 2, text: 'gone' }).execute();
        await trx.insertInto('notes').values({ id: 1, text: 'duplicate' }).execute();
      }),
    ).rejects.toThrow(/UNIQUE/);
    await k.transaction().execute(async (trx) => {
      await trx.insertInto('notes').values({ id: 3, text: 'committed' }).execute();
    });
    expect((await k.selectFrom('notes').select('id').orderBy('id').execute()).map((r) => r.id)).toEqual([1, 3]);
  });

  it('keeps only the most recently used texts once there are more than it keeps', async () => {
    const { db, compiled } = counted();
    const k = kysely(db, 2);
    const byLimit = (n: number) => sql<{ n: number }>`SELECT ${sql.raw(String(n))} AS n`.execute(k);
    await byLimit(1);
    await byLimit(2);
    await byLimit(1); // 1 is now the most recent, so 2 goes first
    await byLimit(3);
    expect(compiled()).toBe(3);
    await byLimit(1);
    expect(compiled()).toBe(3);
    await byLimit(2);
    expect(compiled()).toBe(4);
    expect((await byLimit(2)).rows).toEqual([{ n: 2 }]);
  });

  it('leaves the statement usable after a cursor on it was broken off', async () => {
    const { db } = counted();
    const k = kysely(db);
    for (let i = 1; i <= 3; i++) await k.insertInto('notes').values({ id: i, text: `n${i}` }).execute();
    const query = k.selectFrom('notes').select('text').orderBy('id');
    expect((await query.execute()).length).toBe(3);
    const seen: string[] = [];
    for await (const row of query.stream()) {
      seen.push(row.text);
      break;
    }
    expect((await query.execute()).map((r) => r.text)).toEqual(['n1', 'n2', 'n3']);
    expect(seen).toEqual(['n1']);
  });
});
