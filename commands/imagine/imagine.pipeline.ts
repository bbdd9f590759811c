import type { RepliableInteraction } from 'discord.js';
import { isAgeRestricted, settingsChannels } from '../../src/discord/channels.js';
import type { CommandContext } from '../../src/discord/command.js';
import { NO_MENTIONS, newErrorId, placeholderOf } from '../../src/discord/replies.js';
import { UserError } from '../../src/errors.js';
import { runVariants, type VariantCall, type VariantOutcome } from '../../src/jobs/image-job.js';
import { abortReason } from '../../src/jobs/queue.js';
import { budgetRefusal, checkBanned, checkCooldown } from '../../src/jobs/policy.js';
import type { Outcome } from '../../src/store/generations.js';
import type { EffectiveSettings } from '../../src/store/settings.js';
import { VeniceError } from '../../src/venice/errors.js';
import { buildOpenAiJob } from '../../src/venice/openai-request-builder.js';
import { buildImageJob, resolveModel, type ImagineOptions } from '../../src/venice/request-builder.js';
import { deliverResult, tellUser, type DeliveryTarget } from './imagine.delivery.js';
import { describeFailure, partitionOutcomes, renderCancelRow, renderInterrupted, renderResult, renderResultComponents, renderViolationNotice, trimPrompt, type ResultSummary } from './imagine.view.js';

interface PreparedJob {
  modelId: string;
  calls: VariantCall[];
  bodies: unknown[];
  seeds: Array<number | null>;
  summary: ResultSummary;
  totalPriceUsd: number | undefined;
}

/** Joins the user's negative prompt with the one the admins add to every request. */
function withAdminNegative(user: string | undefined, admin: string | undefined): string | undefined {
  const parts = [user?.trim(), admin?.trim()].filter((p): p is string => Boolean(p));
  return parts.length > 0 ? parts.join(', ') : undefined;
}

/** The model to use under the server's rules: the one asked for if allowed, else the server's default. */
function pickModelId(options: ImagineOptions, settings: EffectiveSettings, ctx: CommandContext): string | undefined {
  if (ctx.apiMode === 'openai') return options.model ?? settings.defaultModel;
  const snapshot = ctx.catalog.current();
  const allowed = settings.allowedModels;
  const model = resolveModel(snapshot, options.model, settings.defaultModel ?? ctx.catalog.defaultModel()?.id);
  if (allowed.length === 0 || allowed.includes(model.id)) return model.id;
  if (options.model) {
    throw new UserError(`This server allows only these models: ${allowed.map((m) => `\`${m}\``).join(', ')}. Pick one of them.`);
  }
  return allowed[0];
}

function prepare(interaction: RepliableInteraction, requested: ImagineOptions, settings: EffectiveSettings, ctx: CommandContext): PreparedJob {
  const ageRestricted = isAgeRestricted(interaction);
  checkBanned(settings.bannedPatterns, [requested.prompt, requested.negative_prompt]);
  if (requested.safe_mode === false && ageRestricted && !settings.allowUnsafe) {
    throw new UserError("This server's admins have not allowed safe mode to be turned off in this channel. Leave `safe_mode` on.");
  }
  if (requested.hide_watermark && !settings.allowHideWatermark) {
    throw new UserError("This server's admins have not allowed hiding the watermark. Leave `hide_watermark` off.");
  }
  const modelId = pickModelId(requested, settings, ctx);
  const options: ImagineOptions = { ...requested, model: modelId, negative_prompt: withAdminNegative(requested.negative_prompt, settings.negativePrompt) };
  // Safe mode may go off only where the channel is age-restricted AND the admins said yes.
  const unsafeAllowed = ageRestricted && settings.allowUnsafe;

  if (ctx.apiMode === 'openai') {
    const plan = buildOpenAiJob({ ...options, negative_prompt: requested.negative_prompt }, { ageRestricted: unsafeAllowed, maxVariants: settings.maxVariants });
    return {
      modelId: modelId ?? 'default',
      calls: plan.bodies.map((body) => ({ seed: undefined, run: (signal) => ctx.venice.generateOpenAi(body, signal) })),
      bodies: plan.bodies,
      seeds: plan.bodies.map(() => null),
      summary: { prompt: options.prompt, modelName: modelId ?? 'default', sizeLabel: plan.sizeLabel, style: undefined, pricePerImageUsd: undefined },
      totalPriceUsd: undefined,
    };
  }
  const plan = buildImageJob(options, ctx.catalog.current(), {
    ageRestricted: unsafeAllowed,
    randomSeed: ctx.randomSeed(),
    defaultModelId: modelId,
    maxVariants: settings.maxVariants,
  });
  return {
    modelId: plan.model.id,
    calls: plan.bodies.map((body) => ({ seed: body.seed, run: (signal) => ctx.venice.generateImage(body, signal) })),
    bodies: plan.bodies,
    seeds: plan.seeds,
    summary: { prompt: options.prompt, modelName: plan.model.name, sizeLabel: plan.sizeLabel, style: plan.style, pricePerImageUsd: plan.pricePerImageUsd },
    totalPriceUsd: plan.totalPriceUsd,
  };
}

const announcedDeprecations = new Set<string>();

async function notifyModerators(ctx: CommandContext, settings: EffectiveSettings, text: string): Promise<void> {
  if (!settings.modLogChannelId) return;
  await ctx.postToChannel(settings.modLogChannelId, text).catch((err: unknown) => ctx.log.warn({ err }, 'could not post to the moderator log'));
}

function outcomeOf(outcomes: readonly VariantOutcome[]): Outcome {
  const { posted, refused } = partitionOutcomes(outcomes);
  if (posted.length === outcomes.length) return 'posted';
  if (posted.length > 0) return 'partial';
  return refused.length > 0 ? 'refused' : 'failed';
}

const seconds = (ms: number) => (ms < 60_000 ? `${Math.max(1, Math.round(ms / 1000))} s` : `${Math.round(ms / 60_000)} min`);

/** The further back in the line, the less often the position is worth an edit (Discord rate-limits edits). */
const editInterval = (position: number) => (position <= 5 ? 3_000 : position <= 25 ? 10_000 : 30_000);

/**
 * Edits the deferred reply with the job's place in the line, at most once per interval and
 * only when it changed; a trailing timer makes sure the last change is shown.
 */
function positionReporter(interaction: RepliableInteraction, generationId: string, ctx: CommandContext) {
  let lastShown: number | undefined;
  let lastEditAt = 0;
  let latest: { position: number; etaMs: number } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const flush = () => {
    timer = undefined;
    if (stopped || !latest || latest.position === lastShown) return;
    const { position, etaMs } = latest;
    lastShown = position;
    lastEditAt = Date.now();
    void interaction
      .editReply({ content: `⏳ In the queue: position ${position}, about ${seconds(etaMs)}.`, components: renderCancelRow(generationId), allowedMentions: NO_MENTIONS })
      .catch((err: unknown) => ctx.log.debug({ err }, 'queue position not shown'));
  };
  return {
    update(position: number, etaMs: number) {
      latest = { position, etaMs };
      if (stopped || position === lastShown || timer) return;
      const wait = lastEditAt + editInterval(position) - Date.now();
      if (wait <= 0) flush();
      else timer = setTimeout(flush, wait);
    },
    /** Whether a queue message was shown (so "generating" is worth saying). */
    stop(): boolean {
      stopped = true;
      if (timer) clearTimeout(timer);
      return lastShown !== undefined;
    },
  };
}

/**
 * The whole life of one generation, for /imagine and for every button that redoes one:
 * the server's rules, the local checks and the budget, then a place in the fair queue; the
 * job then calls Venice and posts the result. The interaction must already be deferred
 * (publicly, with `deferWithPlaceholder`, so a late result can reply to the placeholder).
 */
export async function generateAndPost(interaction: RepliableInteraction, requested: ImagineOptions, ctx: CommandContext): Promise<void> {
  const placeholderId = placeholderOf(interaction);
  if (!ctx.queue.accepting) throw new UserError('The bot is restarting. Try again in a minute.');
  const guildId = interaction.guildId;
  const userId = interaction.user.id;
  const channelId = interaction.channelId ?? interaction.user.id;
  const settings = ctx.store.settings.effective(guildId, settingsChannels(interaction));
  const job = prepare(interaction, requested, settings, ctx);

  const now = ctx.now();
  checkCooldown(settings.cooldownSeconds, ctx.store.generations.lastStartedAt(guildId, userId), now);
  const refusal = budgetRefusal({
    priceUsd: job.totalPriceUsd,
    userSpentUsd: ctx.store.usage.userSpent(guildId, userId, now) + ctx.reservations.user(guildId, userId),
    userBudgetUsd: guildId ? settings.userDailyBudgetUsd : undefined,
    guildSpentUsd: guildId ? ctx.store.usage.guildSpent(guildId, now) + ctx.reservations.guild(guildId) : 0,
    guildBudgetUsd: guildId ? settings.guildDailyBudgetUsd : undefined,
  });
  if (refusal) {
    await notifyModerators(ctx, settings, `💸 <@${userId}> was refused in <#${channelId}>: the ${refusal.scope === 'user' ? "user's" : "server's"} daily budget is spent.`);
    throw new UserError(refusal.message);
  }

  const generation = ctx.store.generations.create(
    { guildId, channelId, userId, mode: ctx.apiMode, model: job.modelId, options: requested, request: job.bodies, seeds: job.seeds, priceUsd: job.totalPriceUsd ?? null },
    now,
  );
  const release = ctx.reservations.reserve(guildId, userId, job.totalPriceUsd ?? 0);
  ctx.store.jobs.add({
    id: generation.id,
    applicationId: interaction.applicationId,
    interactionToken: interaction.token,
    interactionAt: interaction.createdTimestamp,
    placeholderId: placeholderId ?? null,
    channelId,
    userId,
    state: 'queued',
    createdAt: now,
  });
  const target: DeliveryTarget = { interaction, placeholderId, userId, channelId };
  const log = ctx.log.child({ generationId: generation.id });
  const reporter = positionReporter(interaction, generation.id, ctx);

  ctx.queue.enqueue({
    id: generation.id,
    userId,
    guildId,
    onPosition: (position, etaMs) => reporter.update(position, etaMs),
    onRemoved: () => {
      reporter.stop();
      release();
      ctx.store.jobs.remove(generation.id);
      ctx.store.generations.setOutcome(generation.id, 'cancelled');
    },
    run: async (signal) => {
      const wasQueued = reporter.stop();
      ctx.store.jobs.setState(generation.id, 'running');
      ctx.store.generations.setOutcome(generation.id, 'running');
      if (wasQueued) {
        void interaction.editReply({ content: '🎨 Generating…', components: renderCancelRow(generation.id), allowedMentions: NO_MENTIONS }).catch(() => undefined);
      }
      try {
        await runJob({ job, generationId: generation.id, settings, target, requested, log, signal }, ctx);
      } catch (err) {
        if (err instanceof UserError) await tellUser(target, err.message, ctx);
        else {
          const errorId = newErrorId();
          log.error({ err, errorId }, 'image job failed');
          await tellUser(target, `Something went wrong on our side (error id \`${errorId}\`). Try again; if it keeps happening, give the id to the server's admins.`, ctx);
        }
        ctx.store.generations.setOutcome(generation.id, 'failed');
      } finally {
        release();
        ctx.store.jobs.remove(generation.id);
      }
    },
  });
}

interface JobRun {
  job: PreparedJob;
  generationId: string;
  settings: EffectiveSettings;
  target: DeliveryTarget;
  requested: ImagineOptions;
  log: CommandContext['log'];
  signal: AbortSignal;
}

async function runJob(run: JobRun, ctx: CommandContext): Promise<void> {
  const { job, generationId, settings, target, requested, log, signal } = run;
  const { userId, channelId } = target;
  const guildId = target.interaction.guildId;
  const outcomes = await runVariants(job.calls, signal);
  const aborted = abortReason(signal);
  if (aborted) {
    // Venice bills what it generated, but an abandoned result is not posted or counted.
    const shown = aborted === 'shutdown' ? renderInterrupted(generationId, 'The bot restarted before this request finished.') : { content: 'Cancelled. Nothing was posted.', components: [] };
    ctx.store.generations.setOutcome(generationId, aborted === 'shutdown' ? 'interrupted' : 'cancelled');
    await target.interaction.editReply({ ...shown, allowedMentions: NO_MENTIONS }).catch(() => undefined);
    return;
  }
  const { posted, refused, failed } = partitionOutcomes(outcomes);
  const requestIds = outcomes.flatMap((o) => (o.ok ? (o.result.requestId ?? []) : o.error instanceof VeniceError && o.error.requestId ? [o.error.requestId] : []));
  const pricePerImage = job.summary.pricePerImageUsd;
  const spent = pricePerImage === undefined ? null : Math.round(pricePerImage * posted.length * 1e6) / 1e6;
  log.info({ model: job.modelId, variants: outcomes.length, posted: posted.length, refused: refused.length, failed: failed.length }, 'image job finished');
  for (const f of failed) log.warn({ err: f.error, seed: f.seed, requestId: f.error instanceof VeniceError ? f.error.requestId : undefined }, 'variant failed');
  if (failed.some((f) => f.error instanceof VeniceError && f.error.kind === 'not_found')) void ctx.catalog.refresh();

  for (const o of refused) {
    if (o.ok) log.warn({ requestId: o.result.requestId, seed: o.seed, model: job.modelId }, 'Venice refused the content');
  }
  if (refused.length > 0) {
    await notifyModerators(
      ctx,
      settings,
      `🚫 Venice refused ${refused.length} image${refused.length > 1 ? 's' : ''} for <@${userId}> in <#${channelId}> (model \`${job.modelId}\`, generation \`${generationId}\`, request ${requestIds.map((r) => `\`${r}\``).join(', ') || 'unknown'}).\nPrompt: ${trimPrompt(requested.prompt, 500)}`,
    );
  }
  const deprecation = posted.find((o) => o.result.deprecation)?.result.deprecation;
  if (deprecation && !announcedDeprecations.has(job.modelId)) {
    announcedDeprecations.add(job.modelId);
    await notifyModerators(ctx, settings, `⚠️ Model \`${job.modelId}\` is deprecated${deprecation.date ? ` (removal ${deprecation.date.slice(0, 10)})` : ''}${deprecation.replacement ? `; Venice suggests \`${deprecation.replacement}\`` : ''}.`);
  }

  if (posted.length === 0) {
    ctx.store.generations.finish(generationId, { outcome: outcomeOf(outcomes), requestIds, messageId: null, priceUsd: 0 });
    if (refused.length > 0) {
      await tellUser(target, renderViolationNotice(refused.length, outcomes.length), ctx);
      return;
    }
    const first = failed[0]?.error;
    if (!(first instanceof VeniceError)) throw first;
    throw new UserError(describeFailure(first));
  }

  const message = renderResult(job.summary, outcomes);
  const imageNumbers = posted.map((o) => o.index + 1);
  const delivered = await deliverResult(target, { ...message, components: renderResultComponents(generationId, imageNumbers, ctx.apiMode === 'native') }, ctx);
  ctx.store.generations.finish(generationId, { outcome: outcomeOf(outcomes), requestIds, messageId: delivered.messageId, priceUsd: spent });
  ctx.store.usage.record({ guildId, userId, usd: spent ?? 0, images: posted.length }, ctx.now());
  if (refused.length > 0) await tellUser(target, renderViolationNotice(refused.length, outcomes.length), ctx);
}
