import { sql } from 'kysely';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { translator } from '../../../src/i18n/index.js';
import { AdmissionRefused } from '../../../src/jobs/admission.js';
import { createLedger, type AdmissionRequest, type OperatorLimits } from '../../../src/jobs/ledger.js';
import { openStore, type Store } from '../../../src/store/index.js';
import { dropTestDatabases, STORE_TARGETS } from '../../support/store-targets.js';

const GUILD = '111111111111111111';
const CHANNEL = '222222222222222222';
const ALICE = '333333333333333333';
const BOB = '444444444444444444';
const NOON = Date.parse('2026-12-01T12:00:00Z');

const opened: Store[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});
afterAll(dropTestDatabases);

const LIMITS: OperatorLimits = { dailyBudgetUsd: undefined, dmDailyBudgetUsd: 1, dmCooldownSeconds: 0, allowDms: true };

function request(over: { guildId?: string | null; userId?: string; reserveUsd?: number; userBudget?: number; guildBudget?: number; cooldown?: number } = {}): AdmissionRequest {
  const guildId = over.guildId === undefined ? GUILD : over.guildId;
  return {
    generation: {
      kind: 'generate',
      source: null,
      guildId,
      channelId: CHANNEL,
      userId: over.userId ?? ALICE,
      mode: 'native',
      model: 'z-image-turbo',
      options: { prompt: 'a fox' },
      request: [{ model: 'z-image-turbo', prompt: 'a fox' }],
      seeds: [1],
      priceUsd: over.reserveUsd ?? 0.01,
    },
    interaction: { applicationId: '555555555555555555', token: 'interaction-token', receivedAt: NOON, placeholderId: undefined, locale: 'en-US', publicLocale: 'en-US' },
    reserveUsd: over.reserveUsd ?? 0.01,
    rules: { cooldownSeconds: over.cooldown ?? 0, userDailyBudgetUsd: over.userBudget, guildDailyBudgetUsd: over.guildBudget },
  };
}

const refusalOf = async (fn: () => Promise<unknown>): Promise<AdmissionRefused> => {
  try {
    await fn();
  } catch (err) {
    if (err instanceof AdmissionRefused) return err;
    throw err;
  }
  throw new Error('expected a refusal');
};

describe.each(STORE_TARGETS)('the ledger on $name', (target) => {
  async function open(limits: Partial<OperatorLimits> = {}, at?: string) {
    const where = at ?? (await target.fresh());
    const store = await openStore(where);
    opened.push(store);
    const ledger = createLedger(store, { ...LIMITS, ...limits });
    return { store, ledger, where };
  }

  it('admits until the reservations of unfinished jobs fill the budget, then refuses with the reset time', async () => {
    const { ledger, store } = await open();
    await ledger.admit(request({ reserveUsd: 0.04, userBudget: 0.1 }), NOON);
    await ledger.admit(request({ reserveUsd: 0.04, userBudget: 0.1 }), NOON);
    const refusal = await refusalOf(() => ledger.admit(request({ reserveUsd: 0.04, userBudget: 0.1 }), NOON));
    expect(refusal.scope).toBe('user');
    expect(refusal.message).toMatch(/cost \$0\.04, but you have \$0\.02 left of your \$0\.10 daily budget in this server/);
    expect(refusal.message).toContain(`<t:${Date.parse('2026-12-02T00:00:00Z') / 1000}:R>`);
    // Nothing of the refused request was written.
    expect(await store.jobs.all()).toHaveLength(2);
  });

  it('moves a charge from the reservation to the day’s usage at once, and releases the rest when the job settles', async () => {
    const { ledger, store } = await open();
    const g = await ledger.admit(request({ reserveUsd: 0.04 }), NOON);
    await ledger.start(g.id);
    await ledger.charge(g.id, { usd: 0.01, images: 1 }, NOON);
    expect(await store.usage.userSpent(GUILD, ALICE, NOON)).toBeCloseTo(0.01, 9);
    expect(await store.jobs.reservedByUser(GUILD, ALICE)).toBeCloseTo(0.03, 9);
    await ledger.settle(g.id, { outcome: 'partial', requestIds: ['ray'], messageId: '666666666666666666' });
    expect(await store.jobs.reservedByAll()).toBe(0);
    expect(await store.generations.get(g.id)).toMatchObject({ outcome: 'partial', chargedUsd: 0.01, priceUsd: 0.01, requestIds: ['ray'] });
  });

  it('keeps what was charged when a job is abandoned, and frees its reservation', async () => {
    const { ledger, store } = await open();
    const g = await ledger.admit(request({ reserveUsd: 0.04, guildBudget: 0.05 }), NOON);
    await ledger.charge(g.id, { usd: 0.02, images: 2 }, NOON);
    await ledger.abandon(g.id, 'failed');
    expect(await store.jobs.all()).toEqual([]);
    expect(await store.usage.guildSpent(GUILD, NOON)).toBeCloseTo(0.02, 9);
    // 0.02 charged + 0.04 asked > 0.05.
    expect((await refusalOf(() => ledger.admit(request({ userId: BOB, reserveUsd: 0.04, guildBudget: 0.05 }), NOON))).scope).toBe('guild');
  });

  it('holds a member outside any server to the operator’s DM budget and cooldown, or refuses DMs altogether', async () => {
    const dm = await open({ dmDailyBudgetUsd: 0.02, dmCooldownSeconds: 10 });
    await dm.ledger.admit(request({ guildId: null, reserveUsd: 0.02 }), NOON);
    const cooldown = await refusalOf(() => dm.ledger.admit(request({ guildId: null, reserveUsd: 0.01 }), NOON + 3_000));
    expect(cooldown.scope).toBe('cooldown');
    expect(cooldown.message).toMatch(/10 s cooldown.*Try again in 7 s/);
    const budget = await refusalOf(() => dm.ledger.admit(request({ guildId: null, reserveUsd: 0.01 }), NOON + 11_000));
    expect(budget.scope).toBe('dm');
    expect(budget.message).toMatch(/outside a server/);
    // A server's own budget is not the DM budget's business.
    await dm.ledger.admit(request({ reserveUsd: 0.5 }), NOON + 11_000);

    const closed = await open({ allowDms: false });
    expect((await refusalOf(() => closed.ledger.admit(request({ guildId: null }), NOON))).scope).toBe('dms');
  });

  it('stops all spending at the operator’s daily budget, servers and DMs together', async () => {
    const { ledger } = await open({ dailyBudgetUsd: 0.05 });
    const a = await ledger.admit(request({ reserveUsd: 0.03 }), NOON);
    await ledger.charge(a.id, { usd: 0.03, images: 3 }, NOON);
    await ledger.settle(a.id, { outcome: 'posted', requestIds: [], messageId: null });
    await ledger.admit(request({ guildId: null, userId: BOB, reserveUsd: 0.02 }), NOON);
    const refusal = await refusalOf(() => ledger.admit(request({ userId: BOB, reserveUsd: 0.01 }), NOON));
    expect(refusal.scope).toBe('operator');
    expect(refusal.message).toMatch(/\$0\.00 left of the \$0\.05 its operator allows/);
    // A new UTC day starts with a clean slate, reservations aside.
    await ledger.admit(request({ userId: BOB, reserveUsd: 0.03 }), NOON + 24 * 3600_000);
  });

  it('writes a refusal for the member who asked, in their own language', async () => {
    const { ledger } = await open({ allowDms: false });
    const asking = (locale: string, over: Parameters<typeof request>[0]) => {
      const r = request(over);
      return { ...r, interaction: { ...r.interaction, locale, publicLocale: 'en-US' } };
    };
    await ledger.admit(asking('zh-CN', { reserveUsd: 0.04, userBudget: 0.05 }), NOON);
    const zh = await refusalOf(() => ledger.admit(asking('zh-CN', { reserveUsd: 0.04, userBudget: 0.05 }), NOON));
    expect(translator('zh-CN').render(zh.said)).toMatch(/^这次需要 US\$0\.04，但你在本服务器的每日预算 US\$0\.05 只剩 US\$0\.01。/);
    const dms = await refusalOf(() => ledger.admit(asking('es-419', { guildId: null }), NOON));
    expect(translator('es-419').render(dms.said)).toBe('Este bot no acepta solicitudes por mensaje directo. Úsalo en un servidor donde esté.');
    // Its English text stays for the log.
    expect(dms.message).toBe('This bot does not take requests in direct messages. Use it in a server it is in.');
  });

  it('lets only as many of many simultaneous requests through as the budget fits, across two processes', async () => {
    // Two stores on one database are what two bot processes are; on SQLite (one process by
    // design) both requests go through the same store.
    const first = await open();
    const second = target.name === 'postgres' ? await open({}, first.where) : first;
    // Connections opened beforehand, so the requests below overlap instead of queueing for one.
    await Promise.all([first, second].flatMap((p) => Array.from({ length: 6 }, () => sql`SELECT pg_sleep(0.05)`.execute(p.store.db).catch(() => undefined))));
    const asked = Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? first : second).ledger.admit(request({ reserveUsd: 0.04, userBudget: 0.1 }), NOON));
    const results = await Promise.allSettled(asked);
    const admitted = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(admitted).toHaveLength(2);
    expect(refused.every((r) => r.reason instanceof AdmissionRefused && r.reason.scope === 'user')).toBe(true);
    expect(await first.store.jobs.reservedByUser(GUILD, ALICE)).toBeCloseTo(0.08, 9);
  });
});
