import {
  ComponentType,
  DiscordAPIError,
  HTTPError,
  MessageFlags,
  PermissionFlagsBits,
  Routes,
  TextInputStyle,
  type Client,
  type MessageComponentInteraction,
  type ModalSubmitInteraction,
} from 'discord.js';
import type { CommandContext } from '../../src/discord/command.js';
import { encodeCustomId } from '../../src/discord/custom-id.js';
import { NO_MENTIONS } from '../../src/discord/replies.js';
import { UserError } from '../../src/errors.js';
import { translator, type Translator } from '../../src/i18n/index.js';
import type { Review, ReviewImage } from '../../src/store/reviews.js';
import type { EffectiveSettings } from '../../src/store/settings.js';
import { DEFAULT_FILE_LIMIT, describeDiscordRefusal, packForOneMessage, tokenAlive, type DeliveryTarget, type Outgoing } from './imagine.delivery.js';
import { crossPost, downloadImages } from './imagine.gallery.js';
import { renderCancelRow, renderResultComponents, renderReviewButtons, trimPrompt } from './imagine.view.js';

const HOUR_MS = 3_600_000;
/** How long an approval may be under way before a process of the scale-out mode takes it for cut short. */
const APPROVAL_SETTLED_MS = 5 * 60_000;

/** How often overdue reviews are looked for while the bot runs. */
const SWEEP_INTERVAL_MS = 60_000;

/** Whether a result asked for here waits for a moderator: review mode on, a review channel chosen, and a channel the bot can post in. */
export function reviewApplies(settings: EffectiveSettings, target: Pick<DeliveryTarget, 'canPostInChannel'>, guildId: string | null): boolean {
  return guildId !== null && target.canPostInChannel && settings.reviewEnabled && settings.reviewChannelId !== undefined;
}

/** Posts to the moderator log, if the server has one; `text` is already in the server's language. */
async function logDecision(ctx: CommandContext, guildId: string, text: string): Promise<void> {
  const channelId = (await ctx.store.settings.effective(guildId, [])).modLogChannelId;
  if (!channelId) return;
  await ctx.postToChannel(channelId, text).catch((err: unknown) => ctx.log.warn({ err }, 'could not post to the moderator log'));
}

const reviewTokenAlive = (review: Review, ctx: CommandContext) => tokenAlive({ receivedAt: review.interactionAt }, ctx);

/** Replaces the requester's public placeholder: through its token while it lives, else as the bot's own channel message. */
async function editPlaceholder(review: Review, content: string, ctx: CommandContext): Promise<void> {
  try {
    if (reviewTokenAlive(review, ctx)) await ctx.editOriginalByToken(review.applicationId, review.interactionToken, { content, components: [] });
    else if (review.placeholderId) await ctx.editChannelMessage(review.channelId, review.placeholderId, { content, components: [] });
  } catch (err) {
    ctx.log.debug({ err, generationId: review.id }, 'could not edit the placeholder');
  }
}

/** Says on the review message what became of it, its buttons removed. */
async function closeReviewMessage(review: Review, content: string, ctx: CommandContext): Promise<void> {
  if (!review.reviewMessageId) return;
  await ctx
    .editChannelMessage(review.reviewChannelId, review.reviewMessageId, { content: content.slice(0, 2000), components: [] })
    .catch((err: unknown) => ctx.log.warn({ err, generationId: review.id }, 'could not update the review message'));
}

export interface ReviewSubmission {
  generationId: string;
  target: DeliveryTarget;
  guildId: string;
  settings: EffectiveSettings;
  /** The result as it would have been posted (in the public language), without components. */
  message: Omit<Outgoing, 'components'>;
  images: ReviewImage[];
  blurred: boolean;
}

/**
 * Holds a finished (and already charged) result for a moderator: the review row first, so a
 * crash leaves a record, then the review message with the images, prompt, model, seeds and the
 * requester (named, never pinged), Approve and Reject; the requester's placeholder then says
 * it waits, and keeps its Cancel button.
 */
export async function submitForReview(sub: ReviewSubmission, ctx: CommandContext): Promise<void> {
  const { target, settings, generationId } = sub;
  const reviewChannelId = settings.reviewChannelId;
  if (!reviewChannelId) throw new Error('review mode without a review channel');
  const shown = translator(target.publicLocale);
  const now = ctx.now();
  const review = await ctx.store.reviews.add({
    id: generationId,
    guildId: sub.guildId,
    channelId: target.channelId,
    userId: target.userId,
    applicationId: target.interaction.applicationId,
    interactionToken: target.interaction.token,
    interactionAt: target.receivedAt,
    placeholderId: target.placeholderId ?? null,
    locale: target.locale,
    publicLocale: target.publicLocale,
    reviewChannelId,
    resultContent: sub.message.content,
    images: sub.images,
    createdAt: now,
    expiresAt: now + settings.reviewTimeoutHours * HOUR_MS,
  });
  const header = shown.t('review.request.header', { userId: target.userId, channelId: target.channelId, generationId, expires: Math.floor(review.expiresAt / 1000) });
  const lines = [header, sub.blurred ? shown.t('review.request.blurred') : '', sub.message.content].filter(Boolean);
  // One message (its buttons decide for all its images): every file shrunk to fit it whole.
  const { files } = await packForOneMessage(sub.message.files, target.interaction.attachmentSizeLimit ?? DEFAULT_FILE_LIMIT);
  try {
    const sent = await ctx.sendChannelMessage(reviewChannelId, {
      content: lines.join('\n').slice(0, 2000),
      embeds: sub.message.embeds,
      components: renderReviewButtons(shown, generationId),
      files: files.map((f) => ({ name: f.name, data: f.attachment })),
    });
    await ctx.store.reviews.setReviewMessage(generationId, sent.id);
  } catch (err) {
    // Nothing can be decided on a review message that does not exist: closed, and said so to
    // the moderators and (through the job's failure) to the requester, never silently.
    await ctx.store.reviews.transition(generationId, 'pending', 'rejected', { by: null, at: ctx.now() });
    ctx.log.warn({ err, generationId, reviewChannelId, files: files.length, bytes: files.reduce((n, f) => n + f.attachment.length, 0) }, 'could not post a result for review');
    const refusal = err instanceof DiscordAPIError || err instanceof HTTPError ? describeDiscordRefusal(err) : undefined;
    const logged = { generationId, userId: target.userId, channelId: target.channelId };
    await logDecision(ctx, sub.guildId, refusal ? shown.t('review.modLog.notPosted', { ...logged, reason: shown.render(refusal) }) : shown.t('review.modLog.notPostedError', logged));
    if (refusal) throw new UserError(refusal.key, refusal.params);
    throw err;
  }
  ctx.log.info({ generationId, reviewChannelId }, 'result held for review');
  const waiting = { content: shown.t('review.request.waiting'), components: renderCancelRow(shown, generationId) };
  try {
    if (tokenAlive(target, ctx)) await target.interaction.editReply({ ...waiting, embeds: [], allowedMentions: NO_MENTIONS });
    else if (target.placeholderId) await ctx.editChannelMessage(target.channelId, target.placeholderId, waiting);
  } catch (err) {
    ctx.log.debug({ err, generationId }, 'could not say the result waits for review');
  }
}

/** Moderators only, checked when pressed: the interaction's own permissions for the member. */
function requireModerator(interaction: MessageComponentInteraction | ModalSubmitInteraction): void {
  if (interaction.memberPermissions?.has(PermissionFlagsBits.ManageMessages) !== true) throw new UserError('review.errors.notAllowed');
}

async function pendingReview(ctx: CommandContext, id: string | undefined): Promise<Review> {
  const review = id === undefined ? undefined : await ctx.store.reviews.get(id);
  if (!review || review.state !== 'pending') throw new UserError('review.errors.decided');
  return review;
}

/** After `deferUpdate` the reply is the review message itself: errors go to the moderator as a private follow-up. */
async function answerPrivately(interaction: MessageComponentInteraction | ModalSubmitInteraction, content: string, ctx: CommandContext): Promise<void> {
  await interaction.followUp({ content, flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS }).catch((err: unknown) => ctx.log.warn({ err }, 'could not answer the moderator'));
}

async function failPrivately(interaction: MessageComponentInteraction | ModalSubmitInteraction, t: Translator, err: unknown, ctx: CommandContext): Promise<void> {
  if (err instanceof UserError) {
    await answerPrivately(interaction, t.render(err.said), ctx);
    return;
  }
  throw err;
}

/** Approve: the images come back from the review message and are posted where they were asked for, replying to the placeholder. */
export async function approve(interaction: MessageComponentInteraction, [id]: string[], ctx: CommandContext): Promise<void> {
  requireModerator(interaction);
  const review = await pendingReview(ctx, id);
  const t = translator(interaction.locale);
  if (!await ctx.store.reviews.transition(review.id, 'pending', 'approving', { by: interaction.user.id, at: ctx.now() })) throw new UserError('review.errors.decided');
  await interaction.deferUpdate();
  try {
    const files = await downloadImages(interaction.message, ctx);
    const generation = await ctx.store.generations.get(review.id);
    if (!generation) throw new UserError('imagine.buttons.gone');
    const shown = translator(review.publicLocale);
    const settings = await ctx.store.settings.effective(review.guildId, []);
    const embeds = interaction.message.embeds.map((e) => e.toJSON());
    const components = renderResultComponents(
      shown,
      review.id,
      review.images.map((i) => i.image),
      new Map(review.images.map((i) => [i.image, i.upscale])),
      // An edit's or a background removal's result has no Reroll or Vary, as when posted directly.
      generation.kind === 'generate' ? 'generation' : 'derived',
    );
    const sent = await ctx.sendChannelMessage(review.channelId, {
      content: [shown.t('review.approved.posted', { userId: review.userId }), review.resultContent].filter(Boolean).join('\n').slice(0, 2000),
      embeds,
      components,
      files,
      replyTo: review.placeholderId ?? undefined,
    });
    // Kept at once: a restart from here on finishes this approval instead of posting it twice.
    await ctx.store.reviews.setResultMessage(review.id, sent.id);
    ctx.metrics.imagesPosted(files.length, files.filter((f) => f.name.startsWith('SPOILER_')).length);
    await finishApproval(review, sent.id, interaction.user.id, interaction.message.content, ctx);
    await crossPost(interaction.client, { generation, guildId: review.guildId, channelId: review.channelId, messageId: sent.id, files, embeds }, settings, review.publicLocale, ctx).catch((err: unknown) =>
      ctx.log.warn({ err, generationId: review.id }, 'could not cross-post to the gallery'),
    );
    await answerPrivately(interaction, t.t('review.approved.done', { channelId: review.channelId }), ctx);
  } catch (err) {
    // Nothing was posted: the review waits again for a moderator.
    if (!(await ctx.store.reviews.get(review.id))?.resultMessageId) await ctx.store.reviews.transition(review.id, 'approving', 'pending');
    ctx.log.warn({ err, generationId: review.id }, 'approval failed');
    await failPrivately(interaction, t, err, ctx);
  }
}

/**
 * What follows once the approved result is posted (its message id already stored): the review
 * is closed and the generation points at the result, the placeholder and the review message
 * say so, and the moderator log records it.
 */
async function finishApproval(review: Review, resultMessageId: string, moderatorId: string, priorContent: string | undefined, ctx: CommandContext): Promise<void> {
  const shown = translator(review.publicLocale);
  const closed = await ctx.store.transaction(async (tx) => {
    if (!(await tx.reviews.transition(review.id, 'approving', 'approved'))) return false;
    const generation = await tx.generations.get(review.id);
    if (generation) await tx.generations.finish(review.id, { outcome: generation.outcome, requestIds: generation.requestIds, messageId: resultMessageId });
    return true;
  });
  // Someone else finished (or undid) it meanwhile: what follows is theirs to say.
  if (!closed) {
    ctx.log.warn({ generationId: review.id }, 'an approval was already closed elsewhere');
    return;
  }
  ctx.log.info({ generationId: review.id, moderatorId }, 'review approved');
  await editPlaceholder(review, shown.t('review.approved.placeholder'), ctx);
  const line = shown.t('review.approved.review', { moderatorId, channelId: review.channelId });
  await closeReviewMessage(review, priorContent ? `${priorContent}\n${line}` : line, ctx);
  await logDecision(ctx, review.guildId, shown.t('review.modLog.approved', { moderatorId, generationId: review.id, userId: review.userId, channelId: review.channelId }));
}

/**
 * At start: approvals an earlier process claimed and did not finish. One whose result was
 * posted is finished (placeholder, review message, moderator log; the gallery is left out, as
 * its files are on the posted message); one that posted nothing waits again for a moderator,
 * whose Approve button on the review message still works (or for its timeout).
 */
export async function recoverApprovals(ctx: CommandContext): Promise<void> {
  for (const review of await ctx.store.reviews.approving()) {
    // With several processes, a recent approval is most likely another one's, under way now:
    // an approval takes seconds, so only one claimed minutes ago was cut short.
    if (ctx.sharedLine && ctx.now() - (review.decidedAt ?? 0) < APPROVAL_SETTLED_MS) continue;
    try {
      if (review.resultMessageId) {
        ctx.log.warn({ generationId: review.id }, 'finishing an approval a restart cut short');
        await finishApproval(review, review.resultMessageId, review.decidedBy ?? '', undefined, ctx);
      } else if (await ctx.store.reviews.transition(review.id, 'approving', 'pending')) {
        ctx.log.warn({ generationId: review.id }, 'an approval a restart cut short waits again for a moderator');
      }
    } catch (err) {
      ctx.log.error({ err, generationId: review.id }, 'could not recover an interrupted approval');
    }
  }
}

/** Reject: a form for the optional reason, the first answer to the press. */
export async function reject(interaction: MessageComponentInteraction, [id]: string[], ctx: CommandContext): Promise<void> {
  requireModerator(interaction);
  const review = await pendingReview(ctx, id);
  const t = translator(interaction.locale);
  await interaction.showModal({
    custom_id: encodeCustomId('imagine', 'reject', review.id),
    title: t.t('review.modal.title'),
    components: [
      {
        type: ComponentType.ActionRow,
        components: [{ type: ComponentType.TextInput, custom_id: 'reason', label: t.t('review.modal.reason'), style: TextInputStyle.Paragraph, required: false, max_length: 500 }],
      },
    ],
  });
}

/**
 * Tells the requester privately: an ephemeral follow-up while the interaction token lives,
 * else a DM; where DMs are closed, the placeholder itself says it (no image, no ping).
 */
async function tellRequester(client: Client, review: Review, text: string, ctx: CommandContext): Promise<void> {
  if (reviewTokenAlive(review, ctx)) {
    try {
      await client.rest.post(Routes.webhook(review.applicationId, review.interactionToken), {
        body: { content: text.slice(0, 2000), flags: MessageFlags.Ephemeral, allowed_mentions: { parse: [] } },
        auth: false,
      });
      await client.rest.delete(Routes.webhookMessage(review.applicationId, review.interactionToken, '@original'), { auth: false }).catch((err: unknown) => ctx.log.debug({ err }, 'could not delete the placeholder'));
      return;
    } catch (err) {
      ctx.log.info({ err, generationId: review.id }, 'interaction token no longer valid; sending a DM');
    }
  }
  try {
    await client.users.send(review.userId, { content: text.slice(0, 2000), allowedMentions: NO_MENTIONS });
    if (review.placeholderId) await ctx.deleteChannelMessage(review.channelId, review.placeholderId).catch((err: unknown) => ctx.log.debug({ err }, 'could not delete the placeholder'));
  } catch (err) {
    ctx.log.info({ err, generationId: review.id }, 'could not DM the requester; saying it on the placeholder');
    // The placeholder is public: the channel's language, and neither the prompt nor the reason.
    await editPlaceholder(review, translator(review.publicLocale).t('review.rejected.inChannel', { userId: review.userId }), ctx);
  }
}

/** The reason form, submitted: the review is closed, the requester told privately, the moderator log told. */
export async function rejectSubmitted(interaction: ModalSubmitInteraction, [id]: string[], ctx: CommandContext): Promise<void> {
  requireModerator(interaction);
  const review = await pendingReview(ctx, id);
  const t = translator(interaction.locale);
  const reason = interaction.fields.getTextInputValue('reason').trim().slice(0, 500) || null;
  if (!await ctx.store.reviews.transition(review.id, 'pending', 'rejected', { by: interaction.user.id, at: ctx.now(), reason })) throw new UserError('review.errors.decided');
  await interaction.deferUpdate();
  ctx.log.info({ generationId: review.id, moderatorId: interaction.user.id }, 'review rejected');
  const shown = translator(review.publicLocale);
  const moderatorId = interaction.user.id;
  const prior = interaction.message?.content ?? '';
  await closeReviewMessage(review, `${prior}\n${reason ? shown.t('review.rejected.reviewReason', { moderatorId, reason }) : shown.t('review.rejected.review', { moderatorId })}`, ctx);
  const requester = translator(review.locale);
  const prompt = trimPrompt((await ctx.store.generations.get(review.id))?.options.prompt ?? '', 200);
  await tellRequester(interaction.client, review, reason ? requester.t('review.rejected.requesterReason', { prompt, reason }) : requester.t('review.rejected.requester', { prompt }), ctx);
  const logged = { moderatorId, generationId: review.id, userId: review.userId, channelId: review.channelId };
  await logDecision(ctx, review.guildId, reason ? shown.t('review.modLog.rejectedReason', { ...logged, reason }) : shown.t('review.modLog.rejected', logged));
  await answerPrivately(interaction, t.t('review.rejected.done'), ctx);
}

/**
 * Cancel pressed while the result waits: the review is withdrawn (its message says so, its
 * buttons go) and the placeholder says that what Venice charged stays charged. False when
 * the generation has no pending review.
 */
export async function withdrawReview(interaction: MessageComponentInteraction, id: string, ctx: CommandContext): Promise<boolean> {
  const review = await ctx.store.reviews.get(id);
  if (!review || review.state !== 'pending') return false;
  if (!await ctx.store.reviews.transition(review.id, 'pending', 'withdrawn', { by: interaction.user.id, at: ctx.now() })) return false;
  const shown = translator(review.publicLocale);
  const charged = (await ctx.store.generations.get(review.id))?.chargedUsd ?? 0;
  await interaction.update({ content: shown.t('review.withdrawn.requester', { amount: shown.usd(charged) }), components: [], allowedMentions: NO_MENTIONS });
  ctx.log.info({ generationId: review.id }, 'review withdrawn');
  await closeReviewMessage(review, shown.t('review.withdrawn.review'), ctx);
  await logDecision(ctx, review.guildId, shown.t('review.modLog.withdrawn', { userId: review.userId, generationId: review.id, channelId: review.channelId }));
  return true;
}

/**
 * Rejects every review that waited past its server's limit: the review message and the
 * requester's placeholder say so, and the moderator log records it. Never loses one: each is
 * claimed in the store before anything is said.
 */
export async function expireOverdueReviews(ctx: CommandContext): Promise<void> {
  const overdue = await ctx.store.reviews.overdue(ctx.now());
  for (const review of overdue) {
    if (!await ctx.store.reviews.transition(review.id, 'pending', 'expired', { by: null, at: ctx.now() })) continue;
    const hours = Math.max(1, Math.round((review.expiresAt - review.createdAt) / HOUR_MS));
    const shown = translator(review.publicLocale);
    ctx.log.info({ generationId: review.id }, 'review expired');
    await closeReviewMessage(review, shown.t('review.expired.review', { hours: shown.number(hours) }), ctx);
    await editPlaceholder(review, shown.t('review.expired.requester', { userId: review.userId, hours: shown.number(hours) }), ctx);
    await logDecision(ctx, review.guildId, shown.t('review.modLog.expired', { generationId: review.id, userId: review.userId, channelId: review.channelId, hours: shown.number(hours) }));
  }
}

/**
 * Looks for overdue reviews now and every minute while the bot takes work; the timer stops
 * itself once the queue closes at shutdown, so nothing outlives the bot's context.
 */
export async function startReviewSweeper(ctx: CommandContext): Promise<void> {
  const sweep = () => expireOverdueReviews(ctx).catch((err: unknown) => ctx.log.error({ err }, 'could not expire overdue reviews'));
  await sweep();
  const timer = setInterval(() => {
    if (!ctx.queue.accepting) {
      clearInterval(timer);
      return;
    }
    void sweep();
  }, SWEEP_INTERVAL_MS);
  timer.unref();
}
