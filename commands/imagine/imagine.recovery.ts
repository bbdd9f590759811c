import type { CommandContext } from '../../src/discord/command.js';
import { TOKEN_LIFETIME_MS } from '../../src/discord/replies.js';
import type { JobRecord } from '../../src/store/jobs.js';
import { renderInterrupted } from './imagine.view.js';

/**
 * Tells a job's requester that it will not finish, with a Retry button: in place of the
 * "thinking..." reply while its token lives, else as a channel message replying to it.
 */
export async function reportInterrupted(job: JobRecord, reason: string, ctx: CommandContext): Promise<void> {
  const message = renderInterrupted(job.id, reason);
  try {
    if (ctx.now() - job.interactionAt < TOKEN_LIFETIME_MS) {
      await ctx.editOriginalByToken(job.applicationId, job.interactionToken, message);
    } else {
      await ctx.sendChannelMessage(job.channelId, { content: `<@${job.userId}> ${message.content}`, components: message.components, replyTo: job.placeholderId ?? undefined, pingUser: job.userId });
    }
  } catch (err) {
    ctx.log.warn({ err, generationId: job.id }, 'could not tell the user their job was interrupted');
  }
  ctx.store.generations.setOutcome(job.id, 'interrupted');
  ctx.store.jobs.remove(job.id);
}

/** At start: every job an earlier run left queued or running gets an answer. */
export async function recoverJobs(ctx: CommandContext): Promise<void> {
  const left = ctx.store.jobs.all();
  if (left.length === 0) return;
  ctx.log.warn({ jobs: left.length }, 'reporting jobs interrupted by the last shutdown');
  for (const job of left) {
    await reportInterrupted(job, job.state === 'running' ? 'The bot restarted while making these images.' : 'The bot restarted before this request started.', ctx);
  }
}

/**
 * At shutdown: queued jobs are told at once (their tokens still work), running ones get
 * until the deadline to finish, and whatever is left is aborted and reported.
 */
export async function drainJobs(ctx: CommandContext, deadlineMs: number): Promise<void> {
  // Nothing new may join while the line is being emptied.
  ctx.queue.close();
  // Read the records first: taking a job out of the line deletes its record.
  const records = new Map(ctx.store.jobs.all().map((j) => [j.id, j]));
  const pending = ctx.queue.takePending();
  for (const job of pending) {
    const record = records.get(job.id);
    if (record) await reportInterrupted(record, 'The bot is restarting, and this request had not started yet.', ctx);
  }
  const { finished } = await ctx.queue.drain(deadlineMs);
  if (!finished) {
    ctx.log.warn('shutdown deadline reached; aborting the jobs still running');
    ctx.queue.abortAll();
    // Give the aborted jobs a moment to edit their replies.
    await ctx.queue.drain(1_000);
  }
}
