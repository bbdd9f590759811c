import { afterAll, describe, expect, it } from 'vitest';
import { prepared } from '../../../src/store/prepared.js';
import { dropTestDatabases, openFreshStore, STORE_TARGETS } from '../../support/store-targets.js';

afterAll(dropTestDatabases);

describe.each(STORE_TARGETS)('a query prepared once on $name', (target) => {
  it('binds each run its own values, in and out of a transaction, and builds once', async () => {
    const store = await openFreshStore(target);
    let builds = 0;
    const addSpend = prepared((db, v: { day: string; userId: string; usd: number }) => {
      builds++;
      return db
        .insertInto('usage')
        .values({ day: v.day, guild_id: 'g', user_id: v.userId, usd: v.usd, images: 1 })
        .onConflict((oc) => oc.columns(['day', 'guild_id', 'user_id']).doUpdateSet((eb) => ({ usd: eb('usage.usd', '+', eb.ref('excluded.usd')) })));
    });
    const spentBy = prepared((db, v: { userId: string }) => {
      builds++;
      return db.selectFrom('usage').select(['user_id', 'usd']).where('user_id', '=', v.userId);
    });
    await addSpend(store.db, { day: '2026-12-01', userId: 'ann', usd: 0.25 });
    await addSpend(store.db, { day: '2026-12-01', userId: 'bob', usd: 1 });
    await store.db.transaction().execute(async (trx) => {
      await addSpend(trx, { day: '2026-12-01', userId: 'ann', usd: 0.5 });
    });
    await expect(
      store.db.transaction().execute(async (trx) => {
        await addSpend(trx, { day: '2026-12-01', userId: 'bob', usd: 100 });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect((await spentBy(store.db, { userId: 'ann' })).rows).toEqual([{ user_id: 'ann', usd: 0.75 }]);
    expect((await spentBy(store.db, { userId: 'bob' })).rows).toEqual([{ user_id: 'bob', usd: 1 }]);
    expect((await spentBy(store.db, { userId: 'nobody' })).rows).toEqual([]);
    // One build per query: the store and its transactions share the dialect.
    expect(builds).toBe(2);
    await store.close();
  });

  it('binds null where a column takes it, and one value used twice both times (the store\'s own queries)', async () => {
    const store = await openFreshStore(target);
    const g = await store.generations.create({ kind: 'generate', source: null, guildId: 'g', channelId: 'c', userId: 'u', mode: 'native', model: 'm', options: { prompt: 'p' }, request: [], seeds: [1], priceUsd: 0.04 }, 1_000);
    await store.generations.addCharge(g.id, 0.01);
    await store.generations.finish(g.id, { outcome: 'failed', requestIds: ['r1'], messageId: null });
    expect(await store.generations.get(g.id)).toMatchObject({ outcome: 'failed', requestIds: ['r1'], messageId: null, chargedUsd: 0.01, priceUsd: 0.01 });
    await store.generations.finish(g.id, { outcome: 'posted', requestIds: [], messageId: '444' });
    expect(await store.generations.get(g.id)).toMatchObject({ outcome: 'posted', messageId: '444' });
    expect(await store.generations.chargeTarget(g.id)).toEqual({ kind: 'generate', guildId: 'g', userId: 'u' });
    expect(await store.generations.chargeTarget('missing')).toBeUndefined();
    await store.close();
  });

  it('refuses a run that leaves a value out, instead of binding nothing', async () => {
    const store = await openFreshStore(target);
    const byUser = prepared((db, v: { userId: string }) => db.selectFrom('usage').select('usd').where('user_id', '=', v.userId));
    await expect(byUser(store.db, {} as { userId: string })).rejects.toThrow('no value for "userId"');
    await store.close();
  });
});
