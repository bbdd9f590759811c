import type { CompiledQuery, Compilable, DialectAdapter, QueryResult } from 'kysely';
import type { Executor } from './schema.js';

/** Stands where a run's value goes: the compiled query carries it as a parameter, to be swapped. */
class Slot {
  constructor(readonly name: string) {}
}

/**
 * A query Kysely builds and compiles once per dialect; each run binds its own values, by name.
 * Kysely builds a tree of frozen nodes and compiles it to SQL on every call: for the queries
 * every job makes (its charges, its start and end: about twenty a job) that building was the
 * largest share of the garbage the bot made under load, and so of its collector's pauses.
 *
 * `build` gets stand-ins for the values; it must pass each one to Kysely as a value (compared,
 * inserted, set), never look at it, and never leave one out, since a stand-in is never
 * `undefined` or `null` and Kysely treats those two specially.
 */
export function prepared<A extends Record<string, unknown>, R>(build: (db: Executor, values: A) => Compilable<R>): (db: Executor, values: A) => Promise<QueryResult<R>> {
  // Keyed by the dialect's adapter: the same object for a store and its transactions.
  const compiled = new WeakMap<DialectAdapter, CompiledQuery<R>>();
  const slots = new Proxy({}, { get: (_target, name) => new Slot(String(name)) }) as A;
  return async (db, values) => {
    // Kysely marks getExecutor internal: should a release drop it, each run compiles anew
    // (correct, only slower), and the test that counts builds says so.
    const adapter = typeof db.getExecutor === 'function' ? db.getExecutor().adapter : undefined;
    let query = adapter && compiled.get(adapter);
    if (query === undefined) {
      query = build(db, slots).compile();
      if (adapter) compiled.set(adapter, query);
    }
    const parameters = query.parameters.map((p) => {
      if (!(p instanceof Slot)) return p;
      const value = values[p.name];
      if (value === undefined) throw new Error(`prepared query: no value for "${p.name}"`);
      return value;
    });
    return await db.executeQuery<R>({ ...query, parameters });
  };
}
