import { UserError } from '../errors.js';
import { formatUsd } from '../venice/models.js';

/**
 * Compiles an admin's banned pattern: `/expr/flags` is a regular expression, anything else a
 * whole word or phrase, matched case-insensitively. Returns undefined for a broken regex.
 */
export function compilePattern(pattern: string): RegExp | undefined {
  const re = /^\/(.+)\/([a-z]*)$/s.exec(pattern);
  try {
    if (re) return new RegExp(re[1]!, re[2]!.includes('i') ? re[2] : `${re[2]}i`);
    const escaped = pattern.trim().replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+');
    return new RegExp(`(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])`, 'iu');
  } catch {
    return undefined;
  }
}

/** The 1-based number of the first banned rule any text matches, if any. */
export function findBannedRule(patterns: readonly string[], texts: ReadonlyArray<string | undefined>): number | undefined {
  for (const [i, pattern] of patterns.entries()) {
    const re = compilePattern(pattern);
    if (re && texts.some((t) => t !== undefined && re.test(t))) return i + 1;
  }
  return undefined;
}

/** Refuses a prompt that matches a banned rule, naming the rule but never repeating the text. */
export function checkBanned(patterns: readonly string[], texts: ReadonlyArray<string | undefined>): void {
  const rule = findBannedRule(patterns, texts);
  if (rule !== undefined) {
    throw new UserError(`Your prompt matches rule #${rule} of this server's banned-words list, so it was not sent. Rephrase it and try again.`);
  }
}

export function checkCooldown(cooldownSeconds: number, lastStartedAt: number | undefined, now: number): void {
  if (cooldownSeconds <= 0 || lastStartedAt === undefined) return;
  const readyAt = lastStartedAt + cooldownSeconds * 1000;
  if (now < readyAt) {
    throw new UserError(`This server has a ${cooldownSeconds} s cooldown between generations. Try again in ${Math.ceil((readyAt - now) / 1000)} s.`);
  }
}

export interface BudgetCheck {
  priceUsd: number | undefined;
  userSpentUsd: number;
  userBudgetUsd: number | undefined;
  guildSpentUsd: number;
  guildBudgetUsd: number | undefined;
}

/** Which budget a request would exceed, if any, and the message that says what is left. */
export function budgetRefusal(check: BudgetCheck): { scope: 'user' | 'guild'; message: string } | undefined {
  const price = check.priceUsd ?? 0;
  const left = (budget: number, spent: number) => Math.max(0, budget - spent);
  if (check.userBudgetUsd !== undefined && check.userSpentUsd + price > check.userBudgetUsd + 1e-9) {
    const remaining = left(check.userBudgetUsd, check.userSpentUsd);
    return {
      scope: 'user',
      message: `This would cost ${formatUsd(price)}, but you have ${formatUsd(remaining)} left of your ${formatUsd(check.userBudgetUsd)} daily budget in this server. Ask for fewer variants or a cheaper model, or try again tomorrow (UTC).`,
    };
  }
  if (check.guildBudgetUsd !== undefined && check.guildSpentUsd + price > check.guildBudgetUsd + 1e-9) {
    const remaining = left(check.guildBudgetUsd, check.guildSpentUsd);
    return {
      scope: 'guild',
      message: `This would cost ${formatUsd(price)}, but this server has ${formatUsd(remaining)} left of its ${formatUsd(check.guildBudgetUsd)} daily budget. Try fewer variants or a cheaper model, or try again tomorrow (UTC).`,
    };
  }
  return undefined;
}
