import { translator } from '../i18n/index.js';
import type { JobMetrics } from '../observability/metrics.js';
import type { Store } from '../store/index.js';
import type { Generation, NewGeneration, Outcome } from '../store/generations.js';
import { AdmissionRefused, findBudgetRefusal, findCooldownRefusal, findImageQuotaRefusal, type BudgetLine } from './admission.js';

/** The operator's own limits, from the environment: they hold in every server and outside any. */
export interface OperatorLimits {
  /** All spend, every server and DM, per UTC day; undefined means none. */
  dailyBudgetUsd: number | undefined;
  /** Per user, outside any server. */
  dmDailyBudgetUsd: number;
  dmCooldownSeconds: number;
  allowDms: boolean;
}

/** A server's rules for the member asking; ignored outside a server, where the operator's apply. */
export interface ServerRules {
  /** Images per member per UTC day, from the member's rule. */
  dailyImages?: number | undefined;
  cooldownSeconds: number;
  userDailyBudgetUsd: number | undefined;
  guildDailyBudgetUsd: number | undefined;
}

export interface AdmissionRequest {
  generation: NewGeneration;
  interaction: {
    applicationId: string;
    token: string;
    receivedAt: number;
    placeholderId: string | undefined;
    /** The requester's Discord locale, and the language of the job's public messages. */
    locale: string;
    publicLocale: string;
  };
  /** The most this job can cost: held against every budget until Venice's answers say what it cost. */
  reserveUsd: number;
  /** How many images the job may deliver, held against the member's daily count. */
  reserveImages?: number;
  rules: ServerRules;
  /** Asked in a DM or group DM (ALLOW_DMS), rather than in a server without the bot. */
  inDm?: boolean;
}

export interface Ledger {
  /**
   * Checks the cooldown and every budget against what is charged and reserved, then records
   * the generation and its job with the reservation: one transaction, so two requests at
   * once cannot both pass a check that only one of them fits.
   */
  admit(request: AdmissionRequest, now: number): Generation;
  /** The job left the line and is running. */
  start(id: string): void;
  /** Venice answered and charged `usd` for `images` images: recorded now, before any delivery. */
  charge(id: string, charge: { usd: number; images: number }, now: number): void;
  /** The job ended with a result: its record is final, its reservation released. */
  settle(id: string, result: { outcome: Outcome; requestIds: string[]; messageId: string | null }): void;
  /** The job ended without a result (cancelled, failed, interrupted): its reservation is released. */
  abandon(id: string, outcome: Outcome): void;
}

/** `metrics` hears what Venice charged, by kind of job. */
export function createLedger(store: Store, limits: OperatorLimits, metrics?: Pick<JobMetrics, 'charged'>): Ledger {
  const { db, generations, jobs, usage } = store;

  function refusalFor(request: AdmissionRequest, now: number): AdmissionRefused | undefined {
    const { guildId, userId } = request.generation;
    // A refusal is read privately by the member who asked, in their own language.
    const t = translator(request.interaction.locale);
    const operator: BudgetLine = { scope: 'operator', budgetUsd: limits.dailyBudgetUsd, spentUsd: usage.allSpent(now) + jobs.reservedByAll() };
    const userSpent = usage.userSpent(guildId, userId, now) + jobs.reservedByUser(guildId, userId);
    if (guildId === null) {
      if (!limits.allowDms && request.inDm !== false) return new AdmissionRefused('dms', 'jobs.refusal.dms');
      const cooldown = findCooldownRefusal(t, limits.dmCooldownSeconds, generations.lastStartedAt(null, userId), now, 'operator');
      if (cooldown) return cooldown;
      return findBudgetRefusal(t, request.reserveUsd, [{ scope: 'dm', budgetUsd: limits.dmDailyBudgetUsd, spentUsd: userSpent }, operator], now);
    }
    const cooldown = findCooldownRefusal(t, request.rules.cooldownSeconds, generations.lastStartedAt(guildId, userId), now, 'server');
    if (cooldown) return cooldown;
    const quota = findImageQuotaRefusal(t, request.rules.dailyImages, usage.userImages(guildId, userId, now) + jobs.reservedImagesByUser(guildId, userId), request.reserveImages ?? 1, now);
    if (quota) return quota;
    return findBudgetRefusal(
      t,
      request.reserveUsd,
      [
        { scope: 'user', budgetUsd: request.rules.userDailyBudgetUsd, spentUsd: userSpent },
        { scope: 'guild', budgetUsd: request.rules.guildDailyBudgetUsd, spentUsd: usage.guildSpent(guildId, now) + jobs.reservedByGuild(guildId) },
        operator,
      ],
      now,
    );
  }

  const admit = db.transaction((request: AdmissionRequest, now: number): Generation => {
    const refusal = refusalFor(request, now);
    if (refusal) throw refusal;
    const generation = generations.create(request.generation, now);
    jobs.add({
      id: generation.id,
      kind: request.generation.kind,
      applicationId: request.interaction.applicationId,
      interactionToken: request.interaction.token,
      interactionAt: request.interaction.receivedAt,
      placeholderId: request.interaction.placeholderId ?? null,
      channelId: request.generation.channelId,
      guildId: request.generation.guildId,
      userId: request.generation.userId,
      state: 'queued',
      reservedUsd: request.reserveUsd,
      reservedImages: request.reserveImages ?? 1,
      locale: request.interaction.locale,
      publicLocale: request.interaction.publicLocale,
      createdAt: now,
    });
    return generation;
  });

  const start = db.transaction((id: string) => {
    jobs.setState(id, 'running');
    generations.setOutcome(id, 'running');
  });

  const recordCharge = db.transaction((id: string, amount: { usd: number; images: number }, now: number) => {
    const job = jobs.get(id);
    const generation = generations.get(id);
    if (!generation) return undefined;
    usage.record({ guildId: generation.guildId, userId: generation.userId, usd: amount.usd, images: amount.images }, now);
    generations.addCharge(id, amount.usd);
    if (job) jobs.consumeReservation(id, amount.usd, amount.images);
    return generation.kind;
  });
  // Counted once the transaction has committed, so the metric never runs ahead of the books.
  const charge = (id: string, amount: { usd: number; images: number }, now: number): void => {
    const kind = recordCharge(id, amount, now);
    if (kind !== undefined) metrics?.charged(kind, amount.usd);
  };

  const settle = db.transaction((id: string, result: { outcome: Outcome; requestIds: string[]; messageId: string | null }) => {
    generations.finish(id, result);
    jobs.remove(id);
  });

  const abandon = db.transaction((id: string, outcome: Outcome) => {
    generations.setOutcome(id, outcome);
    jobs.remove(id);
  });

  return { admit, start, charge, settle, abandon };
}
