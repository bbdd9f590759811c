import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '../../../src/i18n/index.js';
import { createLedger, type Ledger } from '../../../src/jobs/ledger.js';
import { lifecycleJob, type JobMessenger } from '../../../src/jobs/lifecycle.js';
import type { JobStage } from '../../../src/jobs/queue.js';
import { createLogger } from '../../../src/logger.js';
import { openStore, type Store } from '../../../src/store/index.js';
import { STORE_TARGETS } from '../../support/store-targets.js';

const NOON = Date.parse('2026-12-01T12:00:00Z');
const sqlite = STORE_TARGETS[0]!;

const opened: Store[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

/** A messenger that records what the requester would have been told. */
function recordingMessenger() {
  const failed: Message[] = [];
  const messenger: JobMessenger = {
    position: () => undefined,
    started: () => undefined,
    cancelled: () => Promise.resolve(),
    interrupted: () => Promise.resolve(),
    failed: (said) => {
      failed.push(said);
      return Promise.resolve();
    },
  };
  return { messenger, failed };
}

const stage: JobStage = { beginDelivery: () => undefined };

describe('a job whose charge the store refuses', () => {
  it('still delivers the image, and writes the charge when the job ends, so the budgets count what Venice billed', async () => {
    const store = await openStore(await sqlite.fresh());
    opened.push(store);
    const real = createLedger(store, { dailyBudgetUsd: undefined, dmDailyBudgetUsd: 1, dmCooldownSeconds: 0, allowDms: true });
    // The store refuses the first charge (a locked or full disk), then takes writes again.
    let refusals = 1;
    const ledger: Ledger = {
      ...real,
      charge: (id, charge, now) => (refusals-- > 0 ? Promise.reject(new Error('SQLITE_BUSY: database is locked')) : real.charge(id, charge, now)),
    };
    const generation = await real.admit(
      {
        generation: {
          kind: 'generate',
          source: null,
          guildId: '111111111111111111',
          channelId: '222222222222222222',
          userId: '333333333333333333',
          mode: 'native',
          model: 'z-image-turbo',
          options: { prompt: 'a fox' },
          request: [
            { model: 'z-image-turbo', prompt: 'a fox' },
            { model: 'z-image-turbo', prompt: 'a fox' },
          ],
          seeds: [1, 2],
          priceUsd: 0.02,
        },
        interaction: { applicationId: '555555555555555555', token: 'interaction-token', receivedAt: NOON, placeholderId: undefined, locale: 'en-US', publicLocale: 'en-US' },
        reserveUsd: 0.02,
        rules: { cooldownSeconds: 0, userDailyBudgetUsd: undefined, guildDailyBudgetUsd: undefined },
      },
      NOON,
    );
    const { messenger, failed } = recordingMessenger();
    const delivered: string[] = [];
    const job = lifecycleJob({ ledger, jobs: store.jobs, log: createLogger({ level: 'silent', secrets: [] }), now: () => NOON }, generation, messenger, async (run) => {
      // Each variant's answer is charged as it comes; the first write is refused.
      await run.charge(0.01, 1);
      await run.charge(0.01, 1);
      run.beginDelivery();
      delivered.push('two images');
      return { outcome: 'posted', requestIds: ['req-1', 'req-2'], messageId: '999999999999999999' };
    });
    await job.run(new AbortController().signal, stage);

    expect(delivered).toEqual(['two images']);
    expect(failed).toEqual([]);
    const record = await store.generations.get(generation.id);
    expect(record).toMatchObject({ outcome: 'posted', chargedUsd: 0.02, messageId: '999999999999999999' });
    // The reservation is gone: the budgets count the charges instead.
    expect(await store.jobs.all()).toEqual([]);
  });
});
