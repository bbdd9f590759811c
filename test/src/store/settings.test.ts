import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, mergeSettings } from '../../../src/store/settings.js';
import { openStore, type Store } from '../../../src/store/index.js';
import { dropTestDatabases, openFreshStore, STORE_TARGETS } from '../../support/store-targets.js';

afterAll(dropTestDatabases);

describe('settings', () => {
  it('merge defaults, then the server, then a thread parent, then the channel', async () => {
    const merged = mergeSettings({ maxVariants: 2, cooldownSeconds: 5 }, { maxVariants: 3, allowUnsafe: true }, { cooldownSeconds: 0 });
    expect(merged).toEqual({ ...DEFAULT_SETTINGS, maxVariants: 3, allowUnsafe: true, cooldownSeconds: 0 });
  });

  it('keep safe mode on and every model allowed by default', async () => {
    expect(DEFAULT_SETTINGS.allowUnsafe).toBe(false);
    expect(DEFAULT_SETTINGS.allowedModels).toEqual([]);
  });

});

describe.each(STORE_TARGETS)('stored settings on $name', (target) => {
  it('clear a field when it is updated to undefined, and keep channel and server apart', async () => {
    const store = await openFreshStore(target);
    await store.settings.update({ guildId: 'g' }, { userDailyBudgetUsd: 1, maxVariants: 2 });
    await store.settings.update({ guildId: 'g', channelId: 'c' }, { maxVariants: 4 });
    await store.settings.update({ guildId: 'g' }, { userDailyBudgetUsd: undefined });
    expect(await store.settings.guild('g')).toEqual({ maxVariants: 2 });
    expect((await store.settings.effective('g', ['c'])).maxVariants).toBe(4);
    expect((await store.settings.effective('g', ['other'])).maxVariants).toBe(2);
    expect(await store.settings.effective(null, ['c'])).toEqual(DEFAULT_SETTINGS);
    await store.close();
  });

  it('refuse a value outside its range', async () => {
    const store = await openFreshStore(target);
    await expect(store.settings.update({ guildId: 'g' }, { maxVariants: 7 })).rejects.toThrow();
    await store.close();
  });

  it('keep every one of many changes to a list made at once, whichever process makes them', async () => {
    const where = await target.fresh();
    const first = await openStore(where);
    // Two stores on one database are two processes; SQLite is one process's, so one store there.
    const second = target.name === 'postgres' ? await openStore(where) : first;
    const add = (store: Store, pattern: string) =>
      store.transaction((tx) => tx.settings.update({ guildId: 'g' }, (current) => ({ bannedPatterns: [...(current.bannedPatterns ?? []), pattern] })), { lock: 'settings' });
    const patterns = Array.from({ length: 12 }, (_, i) => `pattern-${i}`);
    await Promise.all(patterns.map((p, i) => add(i % 2 === 0 ? first : second, p)));
    expect((await first.settings.guild('g')).bannedPatterns?.sort()).toEqual([...patterns].sort());
    await first.close();
    if (second !== first) await second.close();
  });
});
