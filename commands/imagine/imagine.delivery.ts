import { DiscordAPIError, HTTPError, type APIActionRowComponent, type APIComponentInMessageActionRow } from 'discord.js';
import type { JobReply } from '../../src/discord/job-reply.js';
import type { CommandContext } from '../../src/discord/command.js';
import { UserError, internalErrorText, newErrorId } from '../../src/errors.js';
import { message as say, translator, type Message } from '../../src/i18n/index.js';
import { DEAD_TOKEN_CODES, NO_MENTIONS, TOKEN_LIFETIME_MS, TOO_LARGE_CODES, replyEphemeral } from '../../src/discord/replies.js';
import { fitAttachment } from '../../src/jobs/fit-attachment.js';
import type { JobMessenger, JobRun } from '../../src/jobs/lifecycle.js';
import { VeniceError } from '../../src/venice/errors.js';
import { describeVeniceError } from '../../src/venice/user-messages.js';
import { renderCancelRow, renderInterrupted, type ResultMessage } from './imagine.view.js';

export const DEFAULT_FILE_LIMIT = 10 * 1024 * 1024;
/** Discord refuses request bodies over 25 MiB; leave room for the JSON part. */
const MESSAGE_BYTES = 24 * 1024 * 1024;
const FILES_PER_MESSAGE = 10;

export interface DeliveryTarget {
  /** The interaction to answer through: the live one, or its token's webhook (a job taken over). */
  interaction: JobReply;
  /** Asked in an age-restricted channel. */
  ageRestricted: boolean;
  placeholderId: string | undefined;
  userId: string;
  channelId: string;
  /** When this process received the interaction, by its own clock: the token's 15 minutes run from here. */
  receivedAt: number;
  /** False where only the interaction can answer (a user install in a server without the bot, a group DM). */
  canPostInChannel: boolean;
  /** The requester's Discord locale: what only they read (errors, refusals, private notices). */
  locale: string;
  /** The locale of what the whole channel reads: the result, its buttons, the placeholder and the queue position. */
  publicLocale: string;
  /**
   * Only the requester ever reads this job (a describe): `canPostInChannel` is false and
   * `publicLocale` is their own; an interrupted notice gets no Retry button.
   */
  private?: boolean;
}

export const tokenAlive = (target: { receivedAt: number }, ctx: CommandContext): boolean => ctx.now() - target.receivedAt < TOKEN_LIFETIME_MS;

export type Outgoing = ResultMessage & { components: APIActionRowComponent<APIComponentInMessageActionRow>[] };

const isDeadToken = (err: unknown) => err instanceof DiscordAPIError && typeof err.code === 'number' && DEAD_TOKEN_CODES.has(err.code);
const isTooLarge = (err: unknown) => err instanceof DiscordAPIError && ((typeof err.code === 'number' && TOO_LARGE_CODES.has(err.code)) || err.status === 413);

/** What the requester reads when Discord would not take a finished result: the images were made (and charged). */
export function describeDiscordRefusal(err: DiscordAPIError | HTTPError): Message {
  const code = err instanceof DiscordAPIError && typeof err.code === 'number' ? err.code : 0;
  switch (code) {
    case 50013:
    case 50001:
      return say('results.refusal.permissions');
    case 20009:
      return say('results.refusal.explicit');
    case 200000:
      return say('results.refusal.autoMod');
    case 400001:
      return say('results.refusal.uploadsLimited');
    case 40005:
    case 50045:
      return say('results.refusal.tooLarge');
    default:
      return code > 0 ? say('results.refusal.otherCode', { status: err.status, code }) : say('results.refusal.other', { status: err.status });
  }
}

/**
 * Every file within the per-file limit (re-encoded where needed), grouped so no message exceeds
 * Discord's caps. A boosted server's limit (50 or 100 MiB a file) is above what one request may
 * carry (25 MiB), so no file is left above `MESSAGE_BYTES` either: alone in its message it would
 * be refused as too large however often it were sent.
 */
export async function packFiles(files: ResultMessage['files'], limit: number): Promise<{ groups: ResultMessage['files'][]; reencoded: number }> {
  const perFile = Math.min(limit, MESSAGE_BYTES);
  let reencoded = 0;
  const fitted: ResultMessage['files'] = [];
  for (const f of files) {
    const dot = f.name.lastIndexOf('.');
    const out = await fitAttachment(f.attachment, f.name.slice(dot + 1), perFile);
    if (out.reencoded) reencoded++;
    fitted.push({ attachment: out.data, name: `${f.name.slice(0, dot)}.${out.extension}` });
  }
  const groups: ResultMessage['files'][] = [];
  let current: ResultMessage['files'] = [];
  let bytes = 0;
  for (const f of fitted) {
    if (current.length > 0 && (current.length >= FILES_PER_MESSAGE || bytes + f.attachment.length > MESSAGE_BYTES)) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(f);
    bytes += f.attachment.length;
  }
  groups.push(current);
  return { groups, reencoded };
}

/**
 * Every file fitted so that all of them go in one message under Discord's body limit: each
 * within `floor(24 MiB / n)` (and the attachment size limit), re-encoded where needed. For a
 * message that cannot be split, as a review message with its buttons.
 */
export async function packForOneMessage(files: ResultMessage['files'], attachmentLimit: number): Promise<{ files: ResultMessage['files']; reencoded: number }> {
  const perFile = Math.min(attachmentLimit, Math.floor(MESSAGE_BYTES / Math.max(1, files.length)));
  const { groups, reencoded } = await packFiles(files, perFile);
  return { files: groups.flat(), reencoded };
}

/** Counts the images a delivery posted, and those of them behind a spoiler. */
function countPosted(groups: ResultMessage['files'][], ctx: CommandContext): void {
  const files = groups.flat();
  ctx.metrics.imagesPosted(files.length, files.filter((f) => f.name.startsWith('SPOILER_')).length);
}

/** Where a result went, and whether all of its files did (Discord may refuse the rest once the first message is out). */
export interface Delivered {
  messageId: string;
  via: 'reply' | 'channel';
  complete: boolean;
}

/**
 * Posts a finished result where the user will see it: as the edit of the deferred reply
 * while its token lives, otherwise as a channel message replying to the placeholder. Files
 * too large are re-encoded, and a message too large is split; nothing is dropped unless Discord
 * refuses it for good (the requester is then told what is missing), and nothing
 * is posted twice: a retry (smaller files after Discord refused them as too large) or the move
 * to the channel (the token died between two messages) sends only what has not gone yet.
 */
export async function deliverResult(target: DeliveryTarget, message: Outgoing, ctx: CommandContext): Promise<Delivered> {
  // The result is public: its notes speak the channel's language.
  const t = translator(target.publicLocale);
  let limit = target.interaction.attachmentSizeLimit ?? DEFAULT_FILE_LIMIT;
  // The first message (content, embeds, buttons) once it is out, and the files posted so far, in order.
  let head: { messageId: string; via: 'reply' | 'channel' } | undefined;
  const posted: ResultMessage['files'][] = [];
  let sentFiles = 0;
  const done = (group: ResultMessage['files']) => {
    posted.push(group);
    sentFiles += group.length;
  };
  for (let attempt = 0; ; attempt++) {
    const { groups, reencoded } = await packFiles(message.files.slice(sentFiles), limit);
    const note = reencoded > 0 ? `\n${t.t('results.delivery.reencoded', { count: reencoded })}` : '';
    const content = `${message.content}${note}`.trim();
    let next = 0;
    try {
      if (head?.via !== 'channel' && tokenAlive(target, ctx)) {
        try {
          for (; next < groups.length; next++) {
            const group = groups[next]!;
            if (head) await target.interaction.followUp({ files: group, allowedMentions: NO_MENTIONS });
            else {
              const sent = await target.interaction.editReply({ content, embeds: message.embeds, files: group, components: message.components, allowedMentions: NO_MENTIONS });
              head = { messageId: sent.id, via: 'reply' };
            }
            done(group);
          }
          countPosted(posted, ctx);
          return { ...head!, complete: true };
        } catch (err) {
          // Where the bot is not a member, the interaction was the only way to answer.
          if (!isDeadToken(err) || !target.canPostInChannel) throw err;
          ctx.log.info({ err, posted: sentFiles }, 'interaction token no longer valid; posting the rest in the channel');
        }
      } else if (!target.canPostInChannel) {
        throw new UserError('results.delivery.expired');
      }
      for (; next < groups.length; next++) {
        const group = groups[next]!;
        const files = group.map((f) => ({ name: f.name, data: f.attachment }));
        if (head) await ctx.sendChannelMessage(target.channelId, { content: '', files, replyTo: head.messageId });
        else {
          const sent = await ctx.sendChannelMessage(target.channelId, {
            content: `<@${target.userId}> ${t.t('results.delivery.late')}\n${content}`.slice(0, 2000),
            embeds: message.embeds,
            components: message.components,
            files,
            replyTo: target.placeholderId,
            pingUser: target.userId,
          });
          head = { messageId: sent.id, via: 'channel' };
          await clearPlaceholder(target, ctx, t.t('results.delivery.done'));
        }
        done(group);
      }
      countPosted(posted, ctx);
      return { ...head!, complete: true };
    } catch (err) {
      // The server's real limit can be below what the interaction said: shrink and try once more.
      if (isTooLarge(err) && attempt === 0) {
        // Half of what the files were fitted to: with a boosted server's 50 MiB, half the limit would still be over the 24 MiB they had.
        limit = Math.floor(Math.min(limit, MESSAGE_BYTES) / 2);
        ctx.log.warn({ err, limit, posted: sentFiles }, 'Discord refused the files as too large; re-encoding the rest smaller');
        continue;
      }
      const refused = err instanceof DiscordAPIError || err instanceof HTTPError;
      if (head) {
        // Part of the result is out: it stays up (failing the job would take the reply, the
        // result itself, down with it), and the requester hears what is missing and why.
        const requester = translator(target.locale);
        const errorId = newErrorId();
        ctx.log.warn({ err, errorId, posted: sentFiles, of: message.files.length }, 'part of a result could not be posted');
        const reason = refused ? requester.render(describeDiscordRefusal(err)) : internalErrorText(requester, errorId);
        await tellUser(target, requester.t('results.delivery.partial', { posted: requester.number(sentFiles), total: requester.number(message.files.length), reason }), ctx);
        countPosted(posted, ctx);
        return { ...head, complete: false };
      }
      if (refused) {
        ctx.log.warn({ err }, 'Discord refused the result');
        const refusal = describeDiscordRefusal(err);
        throw new UserError(refusal.key, refusal.params);
      }
      throw err;
    }
  }
}

/**
 * Once the token is dead the placeholder ("Generating…" with its Cancel button) can only be
 * changed as the bot's own channel message: it says where the answer went, buttons removed.
 */
async function clearPlaceholder(target: DeliveryTarget, ctx: CommandContext, text: string): Promise<void> {
  if (!target.placeholderId) return;
  await ctx.editChannelMessage(target.channelId, target.placeholderId, { content: text, components: [] }).catch((err: unknown) => ctx.log.debug({ err }, 'could not clear the placeholder'));
}

/**
 * Tells the requester something privately, or in the channel when the interaction has
 * expired. With `replacesReply`, the job's public reply (placeholder, queue position or
 * "Generating…") is taken down too, so no dead message with a Cancel button stays behind.
 */
export async function tellUser(target: DeliveryTarget, text: string, ctx: CommandContext, options: { replacesReply?: boolean } = {}): Promise<void> {
  if (tokenAlive(target, ctx) && (await replyEphemeral(target.interaction, text, ctx.log, options))) return;
  if (!target.canPostInChannel) {
    ctx.log.warn('could not reach the user: the interaction expired and the bot cannot post where they asked');
    return;
  }
  const sent = await ctx
    .sendChannelMessage(target.channelId, { content: `<@${target.userId}> ${text}`.slice(0, 2000), replyTo: target.placeholderId, pingUser: target.userId })
    .then(() => true)
    .catch((err: unknown) => {
      ctx.log.error({ err }, 'could not reach the user at all');
      return false;
    });
  // The token is dead, so the placeholder can only go as a channel message of the bot's own.
  if (sent && options.replacesReply && target.placeholderId) {
    await ctx.deleteChannelMessage(target.channelId, target.placeholderId).catch((err: unknown) => ctx.log.debug({ err }, 'could not delete the placeholder'));
  }
}

/** The endpoint of a job's one call to Venice, for the log. */
type VenicePath = '/image/edit' | '/image/multi-edit' | '/image/background-remove' | '/image/upscale' | '/chat/completions';

/**
 * A job's one call to Venice (an edit, a background removal, an upscale, a description), its
 * failure made the requester's answer: what Venice's status means and what to do (a 402 says
 * the bot's Venice account is out of credit, a 400 quotes the field Venice named), instead of
 * the "something went wrong on our side" an unknown error gets. A cancel or shutdown is not a
 * Venice failure and goes on as it came.
 */
export async function askVenice<T>(call: () => Promise<T>, target: DeliveryTarget, run: JobRun, ctx: CommandContext, path: VenicePath, charge: (answer: T) => Promise<void>): Promise<T> {
  try {
    const answer = await call();
    // Billed by Venice: recorded before a Cancel that came meanwhile can end the job.
    await charge(answer);
    // What follows is the delivery: a Cancel from here on is told it comes too late.
    run.beginDelivery();
    return answer;
  } catch (err) {
    if (!(err instanceof VeniceError) || run.signal.aborted) throw err;
    run.log.warn({ err, path, requestId: err.requestId }, 'a job failed at Venice');
    // A model Venice no longer knows: the catalog is read again, so the next request does not offer it.
    if (err.kind === 'not_found') void ctx.catalog.refresh();
    throw new UserError('results.failure.venice', { reason: describeVeniceError(translator(target.locale), err) });
  }
}

/** `askVenice`'s charge for one image at `priceUsd`: none for a content violation, which Venice does not bill. */
export const chargeOneImage =
  (run: JobRun, priceUsd: number | undefined) =>
  (answer: { contentViolation: boolean }): Promise<void> =>
    answer.contentViolation ? Promise.resolve() : run.charge(priceUsd ?? 0, 1);

/** The further back in the line, the less often the position is worth an edit (Discord rate-limits edits). */
const editInterval = (position: number) => (position <= 5 ? 3_000 : position <= 25 ? 10_000 : 30_000);
/**
 * Each job waits up to half as long again between edits, chosen once. A burst of requests
 * enters the line together, and without it their edits came due together every 30 s: hundreds
 * of requests to Discord in one turn of the event loop, which stalled everything else the
 * bot was doing (acks, autocomplete) for tens of milliseconds.
 */
const editSpread = (): number => 1 + Math.random() / 2;

/**
 * The job's voice towards its requester, over the interaction: its place in the line (edited
 * at most once per interval and only when it changed; a trailing timer makes sure the last
 * change is shown), "Generating…" once it starts, and its end when it produced nothing.
 */
export function createJobMessenger(target: DeliveryTarget, generationId: string, ctx: CommandContext, options: { waited?: boolean } = {}): JobMessenger {
  const { interaction } = target;
  // The reply being edited is public; only a failure is told to the requester alone.
  const shown = translator(target.publicLocale);
  // A job taken over from another process waited in line there: its reply shows a place, which "Generating…" replaces.
  let lastShown: number | undefined = options.waited ? 0 : undefined;
  let lastEditAt = 0;
  const spread = editSpread();
  let latest: { position: number; etaMs: number } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const edit = (content: string, components: Outgoing['components']) =>
    interaction.editReply({ content, components, allowedMentions: NO_MENTIONS }).then(
      () => undefined,
      (err: unknown) => ctx.log.debug({ err }, 'job status not shown'),
    );
  /** `queued` when the queue has just told the place; a timer's flush asks the queue again. */
  const flush = (queued = false) => {
    timer = undefined;
    // Gone from the line (cancelled, taken at shutdown) since the timer was set: nothing to show.
    // (Asking costs a pass over the line, so not when the line itself is telling every job.)
    if (stopped || !latest || latest.position === lastShown || (!queued && ctx.queue.positionOf(generationId) === undefined)) return;
    const { position, etaMs } = latest;
    lastShown = position;
    lastEditAt = Date.now();
    const eta = shown.t('common.about', { duration: shown.duration(etaMs) });
    void edit(shown.t('results.queue.position', { position: shown.number(position), eta }), renderCancelRow(shown, generationId));
  };
  const stop = () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
  return {
    position(position, etaMs) {
      latest = { position, etaMs };
      if (stopped || position === lastShown || timer) return;
      const wait = lastEditAt + editInterval(position) * spread - Date.now();
      if (wait <= 0) flush(true);
      else {
        timer = setTimeout(() => flush(), wait);
        timer.unref();
      }
    },
    started() {
      stop();
      // Only worth an edit when a queue position was shown; otherwise "thinking..." says it.
      if (lastShown !== undefined && tokenAlive(target, ctx)) void edit(shown.t('results.queue.generating'), renderCancelRow(shown, generationId));
    },
    async cancelled() {
      stop();
      if (tokenAlive(target, ctx)) await edit(shown.t('results.queue.cancelled'), []);
    },
    async interrupted(chargedUsd) {
      stop();
      const charged = chargedUsd > 0 ? shown.t('results.interrupted.charged', { amount: shown.usd(chargedUsd) }) : undefined;
      const notice = renderInterrupted(shown, generationId, shown.t('results.interrupted.restarted'), charged, { retry: target.private !== true });
      if (tokenAlive(target, ctx)) await edit(notice.content, notice.components);
      else if (target.canPostInChannel) {
        await ctx.sendChannelMessage(target.channelId, { content: `<@${target.userId}> ${notice.content}`, components: notice.components, replyTo: target.placeholderId, pingUser: target.userId });
        await clearPlaceholder(target, ctx, shown.t('results.interrupted.placeholder'));
      }
    },
    async failed(said) {
      stop();
      await tellUser(target, translator(target.locale).render(said), ctx, { replacesReply: true });
    },
  };
}
