import { UserError, newErrorId } from '../errors.js';
import { message, type Message } from '../i18n/index.js';
import type { Logger } from '../logger.js';
import type { JobMetrics } from '../observability/metrics.js';
import type { Generation, Outcome } from '../store/generations.js';
import type { JobStore } from '../store/jobs.js';
import type { Ledger } from './ledger.js';
import { abortReason, type JobQueue, type QueuedJob } from './queue.js';

/** What a job's work reports when it produced something for the user. */
export interface JobResult {
  outcome: Outcome;
  requestIds: string[];
  messageId: string | null;
}

export interface JobRun {
  /** Aborted when the requester cancels or the bot shuts down. */
  signal: AbortSignal;
  /**
   * Records what Venice charged for one answer, at once (before anything is delivered). Never
   * fails the answer: a write the store refused is tried again when the job ends.
   */
  charge(usd: number, images: number): Promise<void>;
  /**
   * Called once Venice has answered, before anything is posted: throws the abort if the job was
   * stopped, and otherwise tells a later Cancel that it comes too late (the result is on its way).
   */
  beginDelivery(): void;
  log: Logger;
}

/** Calls Venice and delivers; throws a `UserError` for what the requester should read. */
export type JobWork = (run: JobRun) => Promise<JobResult>;

/** How a job talks to its requester at each step; implemented over the interaction. */
export interface JobMessenger {
  /** The job's place in the line changed (1 = next). */
  position(position: number, etaMs: number): void;
  /** The job left the line and started. */
  started(): void;
  /** Left the line or was stopped at the requester's wish. */
  cancelled(): Promise<void>;
  /** Stopped by a shutdown; `chargedUsd` is what Venice had already billed. */
  interrupted(chargedUsd: number): Promise<void>;
  /** The job failed: tell the requester privately and take down its public placeholder. */
  failed(said: Message): Promise<void>;
}

export interface LifecycleDeps {
  queue: JobQueue;
  ledger: Ledger;
  jobs: JobStore;
  log: Logger;
  now(): number;
  /** Run times and outcomes. */
  metrics?: Pick<JobMetrics, 'jobFinished'> | undefined;
}

/**
 * Writes that end a job outside its run (a cancel while it waited, a line that refused it):
 * the shutdown waits for them before closing the store, so none is cut off halfway.
 */
const trailingWrites = new Set<Promise<unknown>>();
const trail = (write: Promise<unknown>): void => {
  trailingWrites.add(write);
  void write.finally(() => trailingWrites.delete(write));
};

/** Resolves once the trailing writes have ended, or after `ms`. */
export async function settleTrailingWrites(ms: number): Promise<void> {
  if (trailingWrites.size === 0) return;
  await Promise.race([Promise.allSettled([...trailingWrites]), new Promise((resolve) => setTimeout(resolve, ms).unref())]);
}

/**
 * Puts an admitted job (its generation and reservation already recorded by `ledger.admit`)
 * in the fair queue, and runs it through the one lifecycle every action shares: start,
 * work (charging as Venice answers), then settle. Whatever fails on the way, the requester
 * is answered and the reservation is released; a crash leaves the job's row for the next
 * start to report.
 */
export function enqueueJob(deps: LifecycleDeps, generation: Generation, messenger: JobMessenger, work: JobWork, options: { handedOn?: boolean } = {}): void {
  deps.queue.enqueue({ ...lifecycleJob(deps, generation, messenger, work), ...(options.handedOn ? { handedOn: true } : {}) });
}

/**
 * The queue's job for an admitted generation: the lifecycle around `work`. `enqueueJob` puts it
 * in line; a process taking over a job another one handed on runs it as the line gives it.
 */
export function lifecycleJob(deps: Omit<LifecycleDeps, 'queue'>, generation: Generation, messenger: JobMessenger, work: JobWork): QueuedJob {
  const { ledger, log: parentLog } = deps;
  const id = generation.id;
  const log = parentLog.child({ generationId: id, kind: generation.kind });
  let charged = 0;
  /** Charges the store refused when they came: Venice billed them all the same. */
  const unrecorded: Array<{ usd: number; images: number; at: number }> = [];

  /** Writes the charges the store refused earlier; what it refuses again stays in the log, with its amount, for the operator. */
  const recordLateCharges = async (): Promise<void> => {
    for (const c of unrecorded.splice(0)) {
      try {
        await ledger.charge(id, { usd: c.usd, images: c.images }, c.at);
      } catch (err) {
        log.error({ err, usd: c.usd, images: c.images }, 'a charge Venice made could not be recorded: the budgets do not count it');
      }
    }
  };

  let startedAt: number | undefined;
  const count = (outcome: Outcome): void => deps.metrics?.jobFinished(generation.kind, outcome, startedAt === undefined ? undefined : (performance.now() - startedAt) / 1000);

  /** Releases the reservation even when the full settle cannot be written. */
  const finish = async (write: () => Promise<void>): Promise<boolean> => {
    try {
      await write();
      return true;
    } catch (err) {
      log.error({ err }, 'could not record the end of a job; releasing its reservation alone');
      try {
        await deps.jobs.remove(id);
      } catch (again) {
        log.error({ err: again }, 'could not release the reservation; the next start will report this job');
      }
      return false;
    }
  };

  return {
    id,
    userId: generation.userId,
    guildId: generation.guildId,
    // A describe asks the chat endpoint, paced apart: it does not wait for the image window.
    requests: generation.kind === 'describe' ? 0 : Math.max(1, generation.request.length),
    onPosition: (position, etaMs) => messenger.position(position, etaMs),
    onRejected: (err) => {
      count('failed');
      const errorId = newErrorId();
      log.error({ err, errorId }, 'could not put the job in line');
      trail(
        finish(() => ledger.abandon(id, 'failed')).then(() =>
          messenger.failed(message('common.internalError', { errorId })).catch((again: unknown) => log.warn({ err: again }, 'could not tell the requester')),
        ),
      );
    },
    onRemoved: () => {
      count('cancelled');
      trail(finish(() => ledger.abandon(id, 'cancelled')));
    },
    run: async (signal, stage) => {
      startedAt = performance.now();
      messenger.started();
      let result: JobResult | undefined;
      let failure: unknown;
      try {
        await ledger.start(id);
        result = await work({
          signal,
          log,
          charge: async (usd, images) => {
            // Billed by Venice whatever the store says: the image is still posted.
            charged += usd;
            const at = deps.now();
            try {
              await ledger.charge(id, { usd, images }, at);
            } catch (err) {
              log.error({ err, usd, images }, 'could not record a charge; it is written again when the job ends');
              unrecorded.push({ usd, images, at });
            }
          },
          beginDelivery: () => stage.beginDelivery(),
        });
      } catch (err) {
        failure = err;
      }

      // Before the reservation goes: the spend it held back is then counted where it belongs.
      await recordLateCharges();
      const aborted = abortReason(signal);
      if (aborted && result === undefined) {
        count(aborted === 'shutdown' ? 'interrupted' : 'cancelled');
        await finish(() => ledger.abandon(id, aborted === 'shutdown' ? 'interrupted' : 'cancelled'));
        await (aborted === 'shutdown' ? messenger.interrupted(charged) : messenger.cancelled()).catch((err: unknown) => log.warn({ err }, 'could not tell the requester'));
        return;
      }
      count(result?.outcome ?? 'failed');
      if (result !== undefined && (await finish(() => ledger.settle(id, result)))) return;
      if (result !== undefined) return; // delivered: the user has their images; the log keeps the rest
      await finish(() => ledger.abandon(id, 'failed'));
      let said: Message;
      if (failure instanceof UserError) said = failure.said;
      else {
        const errorId = newErrorId();
        log.error({ err: failure, errorId }, 'job failed');
        said = message('common.internalError', { errorId });
      }
      await messenger.failed(said).catch((err: unknown) => log.warn({ err }, 'could not tell the requester'));
    },
  };
}
