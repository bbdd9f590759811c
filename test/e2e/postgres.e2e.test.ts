import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { GenerateImageBody } from '../../src/venice/types.js';
import { dropTestDatabases, POSTGRES_TARGET, queryPostgres, type StoreTarget } from '../support/store-targets.js';
import { startHarness, type Harness } from './harness.js';
import { accepted, ephemeralOf, json, resultOf } from './helpers.js';

/**
 * The whole bot on PostgreSQL (DATABASE_URL), as the scale-out mode runs it: the same commands
 * and the same books, in a real server. Defined only where one runs: CI always has one
 * (test/support/store-targets.ts fails the run without TEST_DATABASE_URL there).
 */
if (POSTGRES_TARGET) describeOnPostgres(POSTGRES_TARGET);

function describeOnPostgres(target: StoreTarget) {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });
  afterAll(dropTestDatabases);


  describe('the bot on PostgreSQL', () => {
    it('makes an image, keeps its generation and charge in PostgreSQL, and holds a member to the budget set there', async () => {
      const url = await target.fresh();
      h = await startHarness({ env: { DATABASE_URL: url } });
      expect(h.bot.store.dialect).toBe('postgres');
      const admin = await h.discord.slashCommand('settings', { user_daily_budget: 0.01 }, { user: 'admin', subcommand: 'limits' });
      const saved = await h.discord.waitFor(() => admin.requests().find((r) => r.method === 'PATCH' && r.path.endsWith('/@original')));
      expect(accepted(saved).status).toBe(200);

      const first = await resultOf(await h.discord.slashCommand('imagine', { prompt: 'a fox in the snow' }));
      expect(first.files.map((f) => f.filename)).toEqual(['image-1.webp']);
      expect((h.venice.generateRequests()[0]?.body as GenerateImageBody).prompt).toBe('a fox in the snow');

      // The job settles just after the result is delivered.
      const generations = await h.discord.waitFor(async () => {
        const found = await queryPostgres(url, 'SELECT outcome, charged_usd, price_usd, created_at FROM generations');
        return found[0]?.outcome === 'posted' && found;
      });
      expect(generations).toHaveLength(1);
      expect(generations[0]).toMatchObject({ outcome: 'posted', charged_usd: 0.01, price_usd: 0.01 });
      expect(typeof generations[0]?.created_at).toBe('string'); // BIGINT, as pg returns it raw
      expect(await queryPostgres(url, 'SELECT usd, images FROM usage')).toEqual([{ usd: 0.01, images: 1 }]);
      expect(await queryPostgres(url, 'SELECT id FROM jobs')).toEqual([]);

      // The member's day is spent: the next request is refused before Venice is asked.
      const second = await h.discord.slashCommand('imagine', { prompt: 'another fox' });
      const refusal = await ephemeralOf(second, (probe, ms) => h!.discord.waitFor(probe, ms));
      expect(json(refusal).content).toMatch(/\$0\.01 daily budget in this server/);
      expect(h.venice.generateRequests()).toHaveLength(1);
    });

    it('reads back what an earlier process wrote: settings survive a restart on the same database', async () => {
      const url = await target.fresh();
      h = await startHarness({ env: { DATABASE_URL: url } });
      const set = await h.discord.slashCommand('settings', { max_variants: 2 }, { user: 'admin', subcommand: 'limits' });
      const answer = await h.discord.waitFor(() => set.requests().find((r) => r.method === 'PATCH' && r.path.endsWith('/@original')));
      expect(accepted(answer).status).toBe(200);
      const guildId = h.discord.ids.guild;
      await h.close();

      h = await startHarness({ env: { DATABASE_URL: url } });
      expect((await h.bot.store.settings.guild(guildId)).maxVariants).toBe(2);
    });
  });
}
