import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { translator } from '../../../src/i18n/index.js';
import { AdmissionRefused } from '../../../src/jobs/admission.js';
import { createLedger, type AdmissionRequest, type OperatorLimits } from '../../../src/jobs/ledger.js';
import { openStore, type Store } from '../../../src/store/index.js';

const GUILD = '111111111111111111';
const CHANNEL = '222222222222222222';
const ALICE = '333333333333333333';
const BOB = '444444444444444444';
const NOON = Date.parse('2026-12-01T12:00:00Z');

let store: Store | undefined;
afterEach(() => {
  store?.close();
  store = undefined;
});

function open(limits: Partial<OperatorLimits> = {}) {
  store = openStore(join(mkdtempSync(join(tmpdir(), 'vi-ledger-')), 'bot.sqlite'));
  const ledger = createLedger(store, { dailyBudgetUsd: undefined, dmDailyBudgetUsd: 1, dmCooldownSeconds: 0, allowDms: true, ...limits });
  return { store, ledger };
}

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

const refusalOf = (fn: () => unknown): AdmissionRefused => {
  try {
    fn();
  } catch (err) {
    if (err instanceof AdmissionRefused) return err;
    throw err;
  }
  throw new Error('expected a refusal');
};

describe('the ledger', () => {
  it('admits until the reservations of unfinished jobs fill the budget, then refuses with the reset time', () => {
    const { ledger, store } = open();
    ledger.admit(request({ reserveUsd: 0.04, userBudget: 0.1 }), NOON);
    ledger.admit(request({ reserveUsd: 0.04, userBudget: 0.1 }), NOON);
    const refusal = refusalOf(() => ledger.admit(request({ reserveUsd: 0.04, userBudget: 0.1 }), NOON));
    expect(refusal.scope).toBe('user');
    expect(refusal.message).toMatch(/cost \$0\.04, but you have \$0\.02 left of your \$0\.10 daily budget in this server/);
    expect(refusal.message).toContain(`<t:${Date.parse('2026-12-02T00:00:00Z') / 1000}:R>`);
    // Nothing of the refused request was written.
    expect(store.jobs.all()).toHaveLength(2);
  });

  it('moves a charge from the reservation to the day’s usage at once, and releases the rest when the job settles', () => {
    const { ledger, store } = open();
    const g = ledger.admit(request({ reserveUsd: 0.04 }), NOON);
    ledger.start(g.id);
    ledger.charge(g.id, { usd: 0.01, images: 1 }, NOON);
    expect(store.usage.userSpent(GUILD, ALICE, NOON)).toBeCloseTo(0.01, 9);
    expect(store.jobs.reservedByUser(GUILD, ALICE)).toBeCloseTo(0.03, 9);
    ledger.settle(g.id, { outcome: 'partial', requestIds: ['ray'], messageId: '666666666666666666' });
    expect(store.jobs.reservedByAll()).toBe(0);
    expect(store.generations.get(g.id)).toMatchObject({ outcome: 'partial', chargedUsd: 0.01, priceUsd: 0.01, requestIds: ['ray'] });
  });

  it('keeps what was charged when a job is abandoned, and frees its reservation', () => {
    const { ledger, store } = open();
    const g = ledger.admit(request({ reserveUsd: 0.04, guildBudget: 0.05 }), NOON);
    ledger.charge(g.id, { usd: 0.02, images: 2 }, NOON);
    ledger.abandon(g.id, 'failed');
    expect(store.jobs.all()).toEqual([]);
    expect(store.usage.guildSpent(GUILD, NOON)).toBeCloseTo(0.02, 9);
    // 0.02 charged + 0.04 asked > 0.05.
    expect(refusalOf(() => ledger.admit(request({ userId: BOB, reserveUsd: 0.04, guildBudget: 0.05 }), NOON)).scope).toBe('guild');
  });

  it('holds a member outside any server to the operator’s DM budget and cooldown, or refuses DMs altogether', () => {
    const dm = open({ dmDailyBudgetUsd: 0.02, dmCooldownSeconds: 10 });
    dm.ledger.admit(request({ guildId: null, reserveUsd: 0.02 }), NOON);
    const cooldown = refusalOf(() => dm.ledger.admit(request({ guildId: null, reserveUsd: 0.01 }), NOON + 3_000));
    expect(cooldown.scope).toBe('cooldown');
    expect(cooldown.message).toMatch(/10 s cooldown.*Try again in 7 s/);
    const budget = refusalOf(() => dm.ledger.admit(request({ guildId: null, reserveUsd: 0.01 }), NOON + 11_000));
    expect(budget.scope).toBe('dm');
    expect(budget.message).toMatch(/outside a server/);
    // A server's own budget is not the DM budget's business.
    dm.ledger.admit(request({ reserveUsd: 0.5 }), NOON + 11_000);
    dm.store.close();

    const closed = open({ allowDms: false });
    expect(refusalOf(() => closed.ledger.admit(request({ guildId: null }), NOON)).scope).toBe('dms');
  });

  it('stops all spending at the operator’s daily budget, servers and DMs together', () => {
    const { ledger } = open({ dailyBudgetUsd: 0.05 });
    const a = ledger.admit(request({ reserveUsd: 0.03 }), NOON);
    ledger.charge(a.id, { usd: 0.03, images: 3 }, NOON);
    ledger.settle(a.id, { outcome: 'posted', requestIds: [], messageId: null });
    ledger.admit(request({ guildId: null, userId: BOB, reserveUsd: 0.02 }), NOON);
    const refusal = refusalOf(() => ledger.admit(request({ userId: BOB, reserveUsd: 0.01 }), NOON));
    expect(refusal.scope).toBe('operator');
    expect(refusal.message).toMatch(/\$0\.00 left of the \$0\.05 its operator allows/);
    // A new UTC day starts with a clean slate, reservations aside.
    ledger.admit(request({ userId: BOB, reserveUsd: 0.03 }), NOON + 24 * 3600_000);
  });

  it('writes a refusal for the member who asked, in their own language', () => {
    const { ledger } = open({ allowDms: false });
    const asking = (locale: string, over: Parameters<typeof request>[0]) => {
      const r = request(over);
      return { ...r, interaction: { ...r.interaction, locale, publicLocale: 'en-US' } };
    };
    ledger.admit(asking('zh-CN', { reserveUsd: 0.04, userBudget: 0.05 }), NOON);
    const zh = refusalOf(() => ledger.admit(asking('zh-CN', { reserveUsd: 0.04, userBudget: 0.05 }), NOON));
    expect(translator('zh-CN').render(zh.said)).toMatch(/^这次需要 US\$0\.04，但你在本服务器的每日预算 US\$0\.05 只剩 US\$0\.01。/);
    const dms = refusalOf(() => ledger.admit(asking('es-419', { guildId: null }), NOON));
    expect(translator('es-419').render(dms.said)).toBe('Este bot no acepta solicitudes por mensaje directo. Úsalo en un servidor donde esté.');
    // Its English text stays for the log.
    expect(dms.message).toBe('This bot does not take requests in direct messages. Use it in a server it is in.');
  });
});
