import { translator } from '../i18n/index.js';
import type { JobMetrics } from '../observability/metrics.js';
import type { Repositories, Store } from '../store/index.js';
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
  /** What another process would need to run the job (see `JobRecord.spec`). */
  spec?: string | undefined;
  /** Whose job it is, when not this process's: `ANY_PROCESS` for one handed on from the start. */
  owner?: string | undefined;
}

export interface Ledger {
  /**
   * Checks the cooldown and every budget against what is charged and reserved, then records
   * the generation and its job with the reservation: one transaction, so two requests at
   * once cannot both pass a check that only one of them fits.
   */
  admit(request: AdmissionRequest, now: number): Promise<Generation>;
  /** The job left the line and is running. */
  start(id: string): Promise<void>;
  /** Venice answered and charged `usd` for `images` images: recorded now, before any delivery. */
  charge(id: string, charge: { usd: number; images: number }, now: number): Promise<void>;
  /** The job ended with a result: its record is final, its reservation released. */
  settle(id: string, result: { outcome: Outcome; requestIds: string[]; messageId: string | null }): Promise<void>;
  /** The job ended without a result (cancelled, failed, interrupted): its reservation is released. */
  abandon(id: string, outcome: Outcome): Promise<void>;
}

/**
 * `metrics` hears what Venice charged, by kind of job; `owner` names this process on every
 * job it admits, in the scale-out mode (see `SharedQueue`).
 */
export function createLedger(store: Store, limits: OperatorLimits, metrics?: Pick<JobMetrics, 'charged'>, owner: string | null = null): Ledger {
  async function refusalFor({ generations, jobs, usage }: Repositories, request: AdmissionRequest, now: number): Promise<AdmissionRefused | undefined> {
    const { guildId, userId } = request.generation;
    // A refusal is read privately by the member who asked, in their own language.
    const t = translator(request.interaction.locale);
    // Only what a limit that is set needs is read: with none set (the default), admission
    // reads nothing, and each sum is a query inside the admission lock.
    const line = async (scope: BudgetLine['scope'], budgetUsd: number | undefined, spent: () => Promise<number>): Promise<BudgetLine> => ({
      scope,
      budgetUsd,
      spentUsd: budgetUsd === undefined ? 0 : await spent(),
    });
    const operator = () => line('operator', limits.dailyBudgetUsd, async () => (await usage.allSpent(now)) + (await jobs.reservedByAll()));
    const userSpent = async () => (await usage.userSpent(guildId, userId, now)) + (await jobs.reservedByUser(guildId, userId));
    const lastStarted = (cooldownSeconds: number) => (cooldownSeconds > 0 ? generations.lastStartedAt(guildId, userId) : Promise.resolve(undefined));
    if (guildId === null) {
      if (!limits.allowDms && request.inDm !== false) return new AdmissionRefused('dms', 'jobs.refusal.dms');
      const cooldown = findCooldownRefusal(t, limits.dmCooldownSeconds, await lastStarted(limits.dmCooldownSeconds), now, 'operator');
      if (cooldown) return cooldown;
      return findBudgetRefusal(t, request.reserveUsd, [await line('dm', limits.dmDailyBudgetUsd, userSpent), await operator()], now);
    }
    const cooldown = findCooldownRefusal(t, request.rules.cooldownSeconds, await lastStarted(request.rules.cooldownSeconds), now, 'server');
    if (cooldown) return cooldown;
    if (request.rules.dailyImages !== undefined) {
      const imagesUsed = (await usage.userImages(guildId, userId, now)) + (await jobs.reservedImagesByUser(guildId, userId));
      const quota = findImageQuotaRefusal(t, request.rules.dailyImages, imagesUsed, request.reserveImages ?? 1, now);
      if (quota) return quota;
    }
    return findBudgetRefusal(
      t,
      request.reserveUsd,
      [
        await line('user', request.rules.userDailyBudgetUsd, userSpent),
        await line('guild', request.rules.guildDailyBudgetUsd, async () => (await usage.guildSpent(guildId, now)) + (await jobs.reservedByGuild(guildId))),
        await operator(),
      ],
      now,
    );
  }

  // The checks and the reservation are one transaction holding the admission lock, so two
  // requests at once (in this process or, on PostgreSQL, in any) cannot both pass a check that
  // only one of them fits.
  const admit = (request: AdmissionRequest, now: number): Promise<Generation> =>
    store.transaction(
      async (tx) => {
        const refusal = await refusalFor(tx, request, now);
        if (refusal) throw refusal;
        const generation = await tx.generations.create(request.generation, now);
        await tx.jobs.add({
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
          owner: request.owner ?? owner,
          spec: request.spec ?? null,
        });
        return generation;
      },
      { lock: 'admission' },
    );

  const start = (id: string): Promise<void> =>
    store.transaction(async (tx) => {
      await tx.jobs.setState(id, 'running');
      await tx.generations.setOutcome(id, 'running');
    });

  // The reservation shrinks by what was charged in the same transaction that records the
  // charge, and under the admission lock, so a check running meanwhile never counts it twice.
  const recordCharge = (id: string, amount: { usd: number; images: number }, now: number) =>
    store.transaction(
      async (tx) => {
        const generation = await tx.generations.chargeTarget(id);
        if (!generation) return undefined;
        await tx.usage.record({ guildId: generation.guildId, userId: generation.userId, usd: amount.usd, images: amount.images }, now);
        await tx.generations.addCharge(id, amount.usd);
        // A job already settled has no row left, and so nothing reserved to shrink.
        await tx.jobs.consumeReservation(id, amount.usd, amount.images);
        return generation.kind;
      },
      { lock: 'admission' },
    );
  // Counted once the transaction has committed, so the metric never runs ahead of the books.
  const charge = async (id: string, amount: { usd: number; images: number }, now: number): Promise<void> => {
    const kind = await recordCharge(id, amount, now);
    if (kind !== undefined) metrics?.charged(kind, amount.usd);
  };

  const settle = (id: string, result: { outcome: Outcome; requestIds: string[]; messageId: string | null }): Promise<void> =>
    store.transaction(async (tx) => {
      await tx.generations.finish(id, result);
      await tx.jobs.remove(id);
    });

  const abandon = (id: string, outcome: Outcome): Promise<void> =>
    store.transaction(async (tx) => {
      await tx.generations.setOutcome(id, outcome);
      await tx.jobs.remove(id);
    });

  return { admit, start, charge, settle, abandon };
}
