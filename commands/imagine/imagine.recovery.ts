import type { CommandContext } from '../../src/discord/command.js';
import { TOKEN_LIFETIME_MS } from '../../src/discord/replies.js';
import { translator, type MessageKey, type Translator } from '../../src/i18n/index.js';
import type { Generation } from '../../src/store/generations.js';
import { ANY_PROCESS, type JobRecord } from '../../src/store/jobs.js';
import type { QueuedJob } from '../../src/jobs/queue.js';
import { adoptGeneration } from './imagine.pipeline.js';
import { recoverApprovals, startReviewSweeper } from './imagine.review.js';
import { renderInterrupted } from './imagine.view.js';

/** What the interrupted message says about money: only what the ledger recorded as charged. */
function chargedNote(t: Translator, generation: Generation | undefined): string | undefined {
  const charged = generation?.chargedUsd ?? 0;
  return charged > 0 ? t.t('results.interrupted.charged', { amount: t.usd(charged) }) : undefined;
}

/**
 * Tells a job's requester that it will not finish, with a Retry button: in place of the
 * "thinking..." reply while its token lives, else as a channel message replying to it. The
 * job's row (and its reservation) goes only once this was tried, so a process that dies
 * first leaves the job for the next start to report.
 */
export async function reportInterrupted(job: JobRecord, reason: MessageKey, ctx: CommandContext): Promise<void> {
  // It replaces the job's public reply (or answers it in the channel): in the job's public language.
  const t = translator(job.publicLocale);
  // A store that does not answer now still lets the requester be told (without the charge).
  const generation = await ctx.store.generations.get(job.id).catch((err: unknown) => {
    ctx.log.warn({ err, generationId: job.id }, 'could not read an interrupted job’s generation');
    return undefined;
  });
  // A describe is private (its job speaks the member's language) and cannot be retried from a button.
  const isPrivate = job.kind === 'describe';
  const message = renderInterrupted(t, job.id, t.t(reason), chargedNote(t, generation), { retry: !isPrivate });
  try {
    if (ctx.now() - job.interactionAt < TOKEN_LIFETIME_MS) {
      await ctx.editOriginalByToken(job.applicationId, job.interactionToken, message);
    } else if (isPrivate) {
      ctx.log.info({ generationId: job.id }, 'a private job was interrupted after its token expired; nothing is said in the channel');
    } else {
      await ctx.sendChannelMessage(job.channelId, { content: `<@${job.userId}> ${message.content}`, components: message.components, replyTo: job.placeholderId ?? undefined, pingUser: job.userId });
    }
  } catch (err) {
    ctx.log.warn({ err, generationId: job.id }, 'could not tell the user their job was interrupted');
  }
  try {
    await ctx.ledger.abandon(job.id, 'interrupted');
  } catch (err) {
    ctx.log.error({ err, generationId: job.id }, 'could not record an interrupted job');
  }
}

/**
 * At start, before the gateway connects (so no interaction of this run can be mistaken for
 * a leftover): every job an earlier run left queued or running gets an answer. The calls go
 * out together; each is bounded by discord.js's REST timeout.
 */
export async function recoverJobs(ctx: CommandContext): Promise<void> {
  const left = await leftBehind(ctx);
  if (left.length > 0) {
    ctx.log.warn({ jobs: left.length }, 'reporting jobs interrupted by the last shutdown');
    await Promise.all(
      left.map((job) =>
        reportInterrupted(job, job.state === 'running' ? 'imagine.recovery.restartedRunning' : 'imagine.recovery.restartedQueued', ctx),
      ),
    );
  }
  // Approvals cut short are settled first; reviews still pending wait on (their images are on
  // the review message); overdue ones are rejected now.
  await recoverApprovals(ctx);
  await startReviewSweeper(ctx);
  if (ctx.sharedLine) startOrphanSweeper(ctx);
}

/**
 * The jobs no running process will finish: alone, every job the store holds (this process has
 * not started any yet); in the scale-out mode, those of a bot that ran alone, and those of
 * processes `gone` says are gone, each taken over first so that two processes never both
 * report one.
 */
async function leftBehind(ctx: CommandContext, gone: (owner: string, alive: boolean) => boolean = () => false): Promise<JobRecord[]> {
  const line = ctx.sharedLine;
  if (!line) return ctx.store.jobs.all();
  const others = await ctx.store.jobs.notOwnedBy(line.owner);
  const living = await line.living([...new Set(others.flatMap((j) => (j.owner === null || j.owner === ANY_PROCESS ? [] : [j.owner])))]);
  const taken: JobRecord[] = [];
  for (const job of others) {
    // Handed on: the line gives it to the next process free, unless nobody took it in time.
    if (job.owner === ANY_PROCESS) {
      if (ctx.now() - job.interactionAt < TOKEN_LIFETIME_MS) continue;
    } else if (job.owner !== null && !gone(job.owner, living.has(job.owner))) continue;
    if (await ctx.store.jobs.takeOver(job.id, job.owner, line.owner)) taken.push(job);
  }
  return taken;
}

/** Jobs the store says are handed on, within their interaction's time: back in line if Redis lost them. */
async function restoreHandedOn(ctx: CommandContext): Promise<void> {
  const line = ctx.sharedLine;
  if (!line) return;
  const waiting = (await ctx.store.jobs.notOwnedBy(line.owner)).filter((j) => j.owner === ANY_PROCESS && ctx.now() - j.interactionAt < TOKEN_LIFETIME_MS);
  if (waiting.length === 0) return;
  const generations = await Promise.all(waiting.map((j) => ctx.store.generations.get(j.id)));
  await line.restoreHandedOn(waiting.map((j, i) => ({ id: j.id, userId: j.userId, guildId: j.guildId, requests: generations[i]?.kind === 'describe' ? 0 : Math.max(1, generations[i]?.request.length ?? 1) })));
}

/** How often a process of the scale-out mode looks for the jobs of one that died. */
const ORPHAN_SWEEP_MS = 5_000;

/**
 * While the bot runs: a process killed mid-job (SIGKILL, a lost host) has its jobs reported by
 * this one. A process counts as gone once its heartbeat has been missing on two sweeps in a
 * row: one that was only cut off from Redis for a moment puts itself back in the line and
 * keeps its jobs.
 */
function startOrphanSweeper(ctx: CommandContext): void {
  let sweeping = false;
  /** Owners whose heartbeat was missing at the last sweep. */
  let missing = new Set<string>();
  const gone = (seen: Set<string>) => (owner: string, alive: boolean) => {
    if (alive) return false;
    seen.add(owner);
    return missing.has(owner);
  };
  const timer = setInterval(() => {
    if (!ctx.queue.accepting) {
      clearInterval(timer);
      return;
    }
    if (sweeping) return;
    sweeping = true;
    const seen = new Set<string>();
    restoreHandedOn(ctx)
      .then(() => leftBehind(ctx, gone(seen)))
      .then(async (jobs) => {
        missing = seen;
        if (jobs.length > 0) ctx.log.warn({ jobs: jobs.length }, 'reporting the jobs of a process that is gone');
        await Promise.all(jobs.map((job) => reportInterrupted(job, job.state === 'running' ? 'imagine.recovery.restartedRunning' : 'imagine.recovery.restartedQueued', ctx)));
      })
      .catch((err: unknown) => ctx.log.error({ err }, 'could not look for the jobs of processes that are gone'))
      .finally(() => {
        sweeping = false;
      });
  }, ORPHAN_SWEEP_MS);
  timer.unref();
}

const within = (promise: Promise<unknown>, ms: number): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, Math.max(0, ms));
    void promise
      .catch(() => undefined)
      .finally(() => {
        clearTimeout(timer);
        resolve();
      });
  });

/**
 * In the scale-out mode, a stopping process hands its waiting generations on instead of
 * telling their requesters to retry: they keep their places in the line, and another process
 * runs them from their store rows (a rolling restart loses no job). Others (edits, upscales,
 * describes, which need what only this process holds) are told, as before.
 */
async function handOnWaiting(ctx: CommandContext): Promise<void> {
  const line = ctx.sharedLine;
  if (!line) return;
  try {
    const mine = (await ctx.store.jobs.all()).filter((j) => j.owner === line.owner && j.state === 'queued' && j.kind === 'generate' && j.spec !== null);
    const handed = await line.handOver(mine.map((j) => j.id));
    if (handed.length > 0) ctx.log.info({ jobs: handed.length }, 'handed waiting jobs on to the other processes');
  } catch (err) {
    ctx.log.warn({ err }, 'could not hand the waiting jobs on; telling their requesters instead');
  }
}

/** Time kept back at the end of the grace period for aborted jobs to edit their replies. */
const ABORT_REPORT_MS = 1_000;

/**
 * At shutdown, all within `deadlineMs`: queued jobs are told at once, all together (their
 * tokens still work), while running ones get until shortly before the deadline to finish;
 * whatever is still running then is aborted and reports itself. A job not told in time keeps
 * its row, and the next start reports it.
 */
export async function drainJobs(ctx: CommandContext, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  // Nothing new may join while the line is being emptied.
  ctx.queue.close();
  await handOnWaiting(ctx);
  // Taken before the store is read: while it answers, the line would go on starting jobs.
  const pending = ctx.queue.takePending();
  const records = new Map((await ctx.store.jobs.all()).map((j) => [j.id, j]));
  const told = Promise.all(
    pending.map((job) => {
      const record = records.get(job.id);
      // Taken from the line, never run: the lifecycle does not see them end, so they are counted here.
      if (record) ctx.metrics.jobFinished(record.kind, 'interrupted', undefined);
      return record ? reportInterrupted(record, 'imagine.recovery.restarting', ctx) : Promise.resolve();
    }),
  );
  const runningBudget = Math.max(0, deadlineMs - ABORT_REPORT_MS);
  const [{ finished }] = await Promise.all([ctx.queue.drain(runningBudget), within(told, runningBudget)]);
  if (!finished) {
    ctx.log.warn('shutdown deadline reached; aborting the jobs still running');
    ctx.queue.abortAll();
    await ctx.queue.drain(Math.max(0, deadline - Date.now()));
  }
  await within(told, deadline - Date.now());
}

/**
 * A job another process handed on, which the line now gives this one: its row taken over, then
 * run here (see `adoptGeneration`). One that cannot be run here is reported instead.
 */
export async function adoptHandedOn(id: string, ctx: CommandContext): Promise<QueuedJob | undefined> {
  const line = ctx.sharedLine;
  const record = await ctx.store.jobs.get(id);
  if (!line || !record || record.owner !== ANY_PROCESS) return undefined;
  if (!(await ctx.store.jobs.takeOver(id, ANY_PROCESS, line.owner))) return undefined;
  const job = await adoptGeneration({ ...record, owner: line.owner }, ctx).catch((err: unknown) => {
    ctx.log.error({ err, generationId: id }, 'could not rebuild a job handed on');
    return undefined;
  });
  if (!job) await reportInterrupted(record, 'imagine.recovery.restartedQueued', ctx);
  return job;
}
