import { UserError } from '../errors.js';
import type { MessageKey, MessageParams, Translator } from '../i18n/index.js';
import { nextUtcMidnight } from '../store/usage.js';

/**
 * Whose money a budget protects: a member's share in a server, the server's, a member's
 * outside any server (the operator's DM budget), and the operator's whole key.
 */
export type BudgetScope = 'user' | 'guild' | 'dm' | 'operator';

export interface BudgetLine {
  scope: BudgetScope;
  /** Undefined: no limit on this scope. */
  budgetUsd: number | undefined;
  /** Charged today plus reserved by unfinished jobs. */
  spentUsd: number;
}

/** A request the rules turn away before anything is spent; `scope` says which rule, for the moderator log. */
export class AdmissionRefused extends UserError {
  constructor(
    readonly scope: BudgetScope | 'cooldown' | 'dms' | 'images' | 'blocked' | 'user-install',
    key: MessageKey,
    params?: MessageParams,
  ) {
    super(key, params);
    this.name = 'AdmissionRefused';
  }
}

/** When the day's counts start again, as a Discord timestamp: each reader's client renders the relative part. */
const resetAt = (now: number): number => Math.floor(nextUtcMidnight(now) / 1000);

/** "It resets at 00:00 UTC (in 5 hours)": Discord renders the relative part in each reader's own terms. */
export function describeReset(t: Translator, now: number): string {
  return t.t('jobs.refusal.reset', { resetAt: resetAt(now) });
}

const EPSILON = 1e-9;

const BUDGET_KEY = {
  user: 'jobs.refusal.budget.user',
  guild: 'jobs.refusal.budget.guild',
  dm: 'jobs.refusal.budget.dm',
  operator: 'jobs.refusal.budget.operator',
} as const satisfies Record<BudgetScope, MessageKey>;

/**
 * The first budget the price would overrun, as the refusal the member reads; undefined when
 * every budget has room. Amounts are written for `t`, the language of the member who asked.
 */
export function findBudgetRefusal(t: Translator, priceUsd: number, lines: readonly BudgetLine[], now: number): AdmissionRefused | undefined {
  for (const line of lines) {
    if (line.budgetUsd === undefined) continue;
    if (line.spentUsd + priceUsd > line.budgetUsd + EPSILON) {
      return new AdmissionRefused(line.scope, BUDGET_KEY[line.scope], {
        price: t.usd(priceUsd),
        left: t.usd(Math.max(0, line.budgetUsd - line.spentUsd)),
        budget: t.usd(line.budgetUsd),
        resetAt: resetAt(now),
      });
    }
  }
  return undefined;
}

/** A member's daily image count that the request would pass, as its refusal. */
export function findImageQuotaRefusal(t: Translator, dailyImages: number | undefined, used: number, asked: number, now: number): AdmissionRefused | undefined {
  if (dailyImages === undefined || used + asked <= dailyImages) return undefined;
  const left = Math.max(0, dailyImages - used);
  const want = asked === 1 ? t.t('jobs.refusal.images.wantOne') : t.t('jobs.refusal.images.wantMore', { asked: t.number(asked) });
  return new AdmissionRefused('images', left > 0 ? 'jobs.refusal.images.some' : 'jobs.refusal.images.used', {
    count: dailyImages,
    left: t.number(left),
    daily: t.number(dailyImages),
    want,
    resetAt: resetAt(now),
  });
}

/** A cooldown still running, as its refusal; `where` names who set it. */
export function findCooldownRefusal(t: Translator, cooldownSeconds: number, lastStartedAt: number | undefined, now: number, where: 'server' | 'operator'): AdmissionRefused | undefined {
  if (cooldownSeconds <= 0 || lastStartedAt === undefined) return undefined;
  const readyAt = lastStartedAt + cooldownSeconds * 1000;
  if (now >= readyAt) return undefined;
  return new AdmissionRefused('cooldown', where === 'server' ? 'jobs.refusal.cooldown.server' : 'jobs.refusal.cooldown.operator', {
    cooldown: t.number(cooldownSeconds),
    wait: t.number(Math.ceil((readyAt - now) / 1000)),
  });
}
