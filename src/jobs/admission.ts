import { UserError } from '../errors.js';
import { nextUtcMidnight } from '../store/usage.js';
import { formatUsd } from '../venice/models.js';

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
    message: string,
  ) {
    super(message);
    this.name = 'AdmissionRefused';
  }
}

/** "at 00:00 UTC (in 5 hours)": Discord renders the relative part in each reader's own terms. */
export function describeReset(now: number): string {
  return `It resets at 00:00 UTC (<t:${Math.floor(nextUtcMidnight(now) / 1000)}:R>)`;
}

const EPSILON = 1e-9;

function budgetMessage(scope: BudgetScope, price: number, left: number, budget: number, now: number): string {
  const cost = `This would cost ${formatUsd(price)}, but`;
  const reset = describeReset(now);
  switch (scope) {
    case 'user':
      return `${cost} you have ${formatUsd(left)} left of your ${formatUsd(budget)} daily budget in this server. ${reset}. Ask for fewer variants or a cheaper model, or try again then.`;
    case 'guild':
      return `${cost} this server has ${formatUsd(left)} left of its ${formatUsd(budget)} daily budget. ${reset}. Try fewer variants or a cheaper model, or try again then.`;
    case 'dm':
      return `${cost} you have ${formatUsd(left)} left of your ${formatUsd(budget)} daily budget for using the bot outside a server. ${reset}. Try fewer variants or a cheaper model, or use the bot in a server.`;
    case 'operator':
      return `${cost} the bot has ${formatUsd(left)} left of the ${formatUsd(budget)} its operator allows it to spend per day across every server. ${reset}; try again then.`;
  }
}

/** The first budget the price would overrun, as the refusal the member reads; undefined when every budget has room. */
export function findBudgetRefusal(priceUsd: number, lines: readonly BudgetLine[], now: number): AdmissionRefused | undefined {
  for (const line of lines) {
    if (line.budgetUsd === undefined) continue;
    if (line.spentUsd + priceUsd > line.budgetUsd + EPSILON) {
      return new AdmissionRefused(line.scope, budgetMessage(line.scope, priceUsd, Math.max(0, line.budgetUsd - line.spentUsd), line.budgetUsd, now));
    }
  }
  return undefined;
}

/** A member's daily image count that the request would pass, as its refusal. */
export function findImageQuotaRefusal(dailyImages: number | undefined, used: number, asked: number, now: number): AdmissionRefused | undefined {
  if (dailyImages === undefined || used + asked <= dailyImages) return undefined;
  const left = Math.max(0, dailyImages - used);
  const want = asked === 1 ? 'one more image' : `${asked} more images`;
  return new AdmissionRefused(
    'images',
    `You have ${left} of your ${dailyImages} image${dailyImages === 1 ? '' : 's'} a day left in this server, and this asks for ${want}. ${describeReset(now)}.${left > 0 ? ' Ask for fewer variants, or try again then.' : ''}`,
  );
}

/** A cooldown still running, as its refusal; `where` names who set it. */
export function findCooldownRefusal(cooldownSeconds: number, lastStartedAt: number | undefined, now: number, where: 'server' | 'operator'): AdmissionRefused | undefined {
  if (cooldownSeconds <= 0 || lastStartedAt === undefined) return undefined;
  const readyAt = lastStartedAt + cooldownSeconds * 1000;
  if (now >= readyAt) return undefined;
  const who = where === 'server' ? 'This server has' : 'Outside a server the bot has';
  return new AdmissionRefused('cooldown', `${who} a ${cooldownSeconds} s cooldown between requests. Try again in ${Math.ceil((readyAt - now) / 1000)} s.`);
}
