import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, mergeSettings } from '../../../src/store/settings.js';
import { openStore } from '../../../src/store/index.js';

describe('settings', () => {
  it('merge defaults, then the server, then a thread parent, then the channel', () => {
    const merged = mergeSettings({ maxVariants: 2, cooldownSeconds: 5 }, { maxVariants: 3, allowUnsafe: true }, { cooldownSeconds: 0 });
    expect(merged).toEqual({ ...DEFAULT_SETTINGS, maxVariants: 3, allowUnsafe: true, cooldownSeconds: 0 });
  });

  it('keep safe mode on and every model allowed by default', () => {
    expect(DEFAULT_SETTINGS.allowUnsafe).toBe(false);
    expect(DEFAULT_SETTINGS.allowedModels).toEqual([]);
  });

  it('clear a field when it is updated to undefined, and keep channel and server apart', () => {
    const store = openStore(':memory:');
    store.settings.update({ guildId: 'g' }, { userDailyBudgetUsd: 1, maxVariants: 2 });
    store.settings.update({ guildId: 'g', channelId: 'c' }, { maxVariants: 4 });
    store.settings.update({ guildId: 'g' }, { userDailyBudgetUsd: undefined });
    expect(store.settings.guild('g')).toEqual({ maxVariants: 2 });
    expect(store.settings.effective('g', ['c']).maxVariants).toBe(4);
    expect(store.settings.effective('g', ['other']).maxVariants).toBe(2);
    expect(store.settings.effective(null, ['c'])).toEqual(DEFAULT_SETTINGS);
    store.close();
  });

  it('refuse a value outside its range', () => {
    const store = openStore(':memory:');
    expect(() => store.settings.update({ guildId: 'g' }, { maxVariants: 7 })).toThrow();
    store.close();
  });
});
