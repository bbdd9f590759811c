import type { GuildMember, Interaction } from 'discord.js';
import type { EffectiveSettings, RoleRule } from '../store/settings.js';

/** The limits one member works under in one channel. */
export interface MemberRules {
  /** Images per UTC day; undefined: no count. */
  dailyImages: number | undefined;
  dailyBudgetUsd: number | undefined;
  maxVariants: number;
  /** Empty: every model. */
  allowedModels: string[];
  cooldownSeconds: number;
  /** Which rule it came from, for `/usage`. */
  from: 'default' | { roleIds: string[] };
}

/** Of two limits, the more generous: unset means no limit at all. */
const looser = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : Math.max(a, b));

/**
 * The rule for a member: the server's default rule (its limits), or, for a member holding
 * roles that have rules, the most generous of those. A role rule overrides only the limits it
 * sets; what it leaves unset comes from the default rule.
 */
export function memberRules(settings: EffectiveSettings, roleIds: readonly string[]): MemberRules {
  const base: MemberRules = {
    dailyImages: settings.userDailyImages,
    dailyBudgetUsd: settings.userDailyBudgetUsd,
    maxVariants: settings.maxVariants,
    allowedModels: settings.allowedModels,
    cooldownSeconds: settings.cooldownSeconds,
    from: 'default',
  };
  const held = settings.roleRules.filter((r) => roleIds.includes(r.roleId));
  if (held.length === 0) return base;
  const applied = held.map((r: RoleRule) => ({
    dailyImages: r.dailyImages === null ? undefined : (r.dailyImages ?? base.dailyImages),
    dailyBudgetUsd: r.dailyBudgetUsd === null ? undefined : (r.dailyBudgetUsd ?? base.dailyBudgetUsd),
    maxVariants: r.maxVariants ?? base.maxVariants,
    allowedModels: r.allowedModels ?? base.allowedModels,
    cooldownSeconds: r.cooldownSeconds ?? base.cooldownSeconds,
  }));
  const [first, ...rest] = applied;
  let out = { ...first! };
  for (const r of rest) {
    out = {
      dailyImages: looser(out.dailyImages, r.dailyImages),
      dailyBudgetUsd: looser(out.dailyBudgetUsd, r.dailyBudgetUsd),
      maxVariants: Math.max(out.maxVariants, r.maxVariants),
      allowedModels: out.allowedModels.length === 0 || r.allowedModels.length === 0 ? [] : [...new Set([...out.allowedModels, ...r.allowedModels])],
      cooldownSeconds: Math.min(out.cooldownSeconds, r.cooldownSeconds),
    };
  }
  return { ...out, from: { roleIds: held.map((r) => r.roleId) } };
}

/** Whether the server's admins blocked this member, by id or by a role they hold. */
export function isBlocked(settings: EffectiveSettings, userId: string, roleIds: readonly string[]): boolean {
  return settings.blockedUserIds.includes(userId) || roleIds.some((r) => settings.blockedRoleIds.includes(r));
}

/** The member's role ids from the interaction itself (no privileged intent, no member cache). */
export function memberRoleIds(interaction: Interaction): string[] {
  const member = interaction.member;
  if (!member) return [];
  if (Array.isArray(member.roles)) return [...member.roles];
  // A GuildMember built from the interaction keeps the raw ids, whether or not the roles are cached.
  const raw: unknown = Reflect.get(member, '_roles');
  if (Array.isArray(raw)) return raw.filter((r): r is string => typeof r === 'string');
  return [...(member as GuildMember).roles.cache.keys()].filter((id) => id !== interaction.guildId);
}
