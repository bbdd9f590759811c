import type { CommandContext } from '../../src/discord/command.js';
import { TOKEN_LIFETIME_MS } from '../../src/discord/replies.js';
import { translator, type MessageKey, type Translator } from '../../src/i18n/index.js';
import type { JobRecord } from '../../src/store/jobs.js';
import { recoverApprovals, startReviewSweeper } from './imagine.review.js';
import { renderInterrupted } from './imagine.view.js';

/** What the interrupted message says about money: only what the ledger recorded as charged. */
async function chargedNote(t: Translator, job: JobRecord, ctx: CommandContext): Promise<string | undefined> {
  const charged = (await ctx.store.generations.get(job.id))?.chargedUsd ?? 0;
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
  // A describe is private (its job speaks the member's language) and cannot be retried from a button.
  const isPrivate = (await ctx.store.generations.get(job.id))?.kind === 'describe';
  const message = renderInterrupted(t, job.id, t.t(reason), await chargedNote(t, job, ctx), { retry: !isPrivate });
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
  const left = await ctx.store.jobs.all();
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
}

const within = (promise: Promise<unknown>, ms: number): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, Math.max(0, ms));
    void promise.finally(() => {
      clearTimeout(timer);
      resolve();
    });
  });

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
