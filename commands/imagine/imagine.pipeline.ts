import type { RepliableInteraction } from 'discord.js';
import { isAgeRestricted } from '../../src/discord/channels.js';
import { TOKEN_LIFETIME_MS } from '../../src/discord/replies.js';
import type { CommandContext } from '../../src/discord/command.js';
import { UserError } from '../../src/errors.js';
import { publicLocaleOf, translator, type Translator } from '../../src/i18n/index.js';
import { AdmissionRefused } from '../../src/jobs/admission.js';
import { runVariants, type VariantCall, type VariantOutcome } from '../../src/jobs/image-job.js';
import { upscalableImages } from '../../src/jobs/upscale-plan.js';
import { releaseBuffer } from '../../src/images/memory.js';
import { enqueueJob, lifecycleJob, type JobResult, type JobRun } from '../../src/jobs/lifecycle.js';
import type { QueuedJob } from '../../src/jobs/queue.js';
import { ANY_PROCESS, type JobRecord } from '../../src/store/jobs.js';
import { mergeSettings, settingsSchema } from '../../src/store/settings.js';
import type { GenerateImageBody, OpenAiImageBody } from '../../src/venice/types.js';
import { z } from 'zod';
import { checkBanned } from '../../src/jobs/policy.js';
import { madeUnsafe, type Generation, type NewGeneration, type Outcome } from '../../src/store/generations.js';
import type { EffectiveSettings } from '../../src/store/settings.js';
import { VeniceError } from '../../src/venice/errors.js';
import type { DeprecationNotice } from '../../src/venice/types.js';
import { buildOpenAiJob } from '../../src/venice/openai-request-builder.js';
import { pricePerImage } from '../../src/venice/models.js';
import { buildImageJob, resolveModel, type ImagineOptions } from '../../src/venice/request-builder.js';
import { createJobMessenger, deliverResult, tellUser, type DeliveryTarget } from './imagine.delivery.js';
import { reviewApplies, submitForReview } from './imagine.review.js';
import { budgetsApply, requestScope, type RequestScope } from './imagine.scope.js';
import { describeFailure, partitionOutcomes, renderResult, renderResultComponents, renderViolationNotice, trimPrompt, type ResultSummary } from './imagine.view.js';

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
  const allowed = settings.allowedModels;
  const refuse = () => new UserError('results.admission.modelsAllowed', { models: allowed.map((m) => `\`${m}\``).join(', ') });
  if (ctx.apiMode === 'openai') {
    // The endpoint takes any id (Venice falls back to its default for unknown ones), so the
    // list is enforced on the id as written, and with a list the model is always named.
    const wanted = options.model?.trim() || settings.defaultModel;
    if (allowed.length === 0) return wanted;
    if (wanted === undefined) return allowed[0];
    if (allowed.includes(wanted)) return wanted;
    if (options.model) throw refuse();
    return allowed[0];
  }
  const snapshot = ctx.catalog.current();
  const model = resolveModel(snapshot, options.model, settings.defaultModel ?? ctx.catalog.defaultModel()?.id);
  if (allowed.length === 0 || allowed.includes(model.id)) return model.id;
  if (options.model) throw refuse();
  return allowed[0];
}

/** The OpenAI-compatible endpoint publishes no prices; when it is Venice, the catalogue knows the model's. */
function openAiPricePerImage(modelId: string | undefined, ctx: CommandContext): number | undefined {
  const model = modelId === undefined ? ctx.catalog.defaultModel() : ctx.catalog.current().byId.get(modelId);
  return model ? pricePerImage(model, {}) : undefined;
}

function prepare(interaction: RepliableInteraction, requested: ImagineOptions, settings: EffectiveSettings, ctx: CommandContext): PreparedJob {
  const ageRestricted = isAgeRestricted(interaction);
  checkBanned(settings.bannedPatterns, [requested.prompt, requested.negative_prompt]);
  if (requested.safe_mode === false && ageRestricted && !settings.allowUnsafe) {
    throw new UserError('results.admission.unsafeNotAllowed');
  }
  if (requested.hide_watermark && !settings.allowHideWatermark) {
    throw new UserError('results.admission.watermarkNotAllowed');
  }
  const modelId = pickModelId(requested, settings, ctx);
  const options: ImagineOptions = { ...requested, model: modelId, negative_prompt: withAdminNegative(requested.negative_prompt, settings.negativePrompt) };
  // Safe mode may go off only where the channel is age-restricted AND the admins said yes.
  const unsafeAllowed = ageRestricted && settings.allowUnsafe;

  if (ctx.apiMode === 'openai') {
    const plan = buildOpenAiJob({ ...options, negative_prompt: requested.negative_prompt }, { ageRestricted: unsafeAllowed, maxVariants: settings.maxVariants });
    const price = openAiPricePerImage(modelId, ctx);
    return {
      modelId: modelId ?? 'default',
      calls: plan.bodies.map((body) => ({ seed: undefined, run: (signal) => ctx.venice.generateOpenAi(body, signal) })),
      bodies: plan.bodies,
      seeds: plan.bodies.map(() => null),
      summary: { prompt: options.prompt, modelName: modelId ?? 'default', sizeLabel: plan.sizeLabel, style: undefined, pricePerImageUsd: price },
      totalPriceUsd: price === undefined ? undefined : Math.round(price * plan.bodies.length * 1e6) / 1e6,
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

/** Posts to the server's moderator log, if it has one; `text` is already said in the server's public language. */
export async function notifyModerators(ctx: CommandContext, settings: EffectiveSettings, text: string): Promise<void> {
  if (!settings.modLogChannelId) return;
  await ctx.postToChannel(settings.modLogChannelId, text).catch((err: unknown) => ctx.log.warn({ err }, 'could not post to the moderator log'));
}

/** The moderator log's line about a deprecated model, with its removal day and Venice's replacement when known. */
function describeDeprecationForModerators(t: Translator, model: string, deprecation: DeprecationNotice): string {
  const date = deprecation.date ? t.day(deprecation.date.slice(0, 10)) : undefined;
  const { replacement } = deprecation;
  if (date && replacement) return t.t('results.modLog.deprecatedOnInstead', { model, date, replacement });
  if (date) return t.t('results.modLog.deprecatedOn', { model, date });
  if (replacement) return t.t('results.modLog.deprecatedInstead', { model, replacement });
  return t.t('results.modLog.deprecated', { model });
}

/** Tells the moderator log, once per model and run, that Venice is retiring a model the server uses. */
export async function announceDeprecation(ctx: CommandContext, settings: EffectiveSettings, shown: Translator, modelId: string, deprecation: DeprecationNotice): Promise<void> {
  if (ctx.announcedDeprecations.has(modelId)) return;
  ctx.announcedDeprecations.add(modelId);
  await notifyModerators(ctx, settings, describeDeprecationForModerators(shown, modelId, deprecation));
}

function outcomeOf(outcomes: readonly VariantOutcome[]): Outcome {
  const { posted, refused } = partitionOutcomes(outcomes);
  if (posted.length === outcomes.length) return 'posted';
  if (posted.length > 0) return 'partial';
  return refused.length > 0 ? 'refused' : 'failed';
}

/**
 * Who asks, where, and the interaction to answer through. A private job (a describe) is
 * answered only through the interaction, in the member's own language, never in the channel.
 */
export function deliveryTarget(interaction: RepliableInteraction, scope: RequestScope, ctx: CommandContext, options: { private?: boolean } = {}): DeliveryTarget {
  const isPrivate = options.private === true;
  return {
    interaction,
    ageRestricted: isAgeRestricted(interaction),
    placeholderId: ctx.interactions.placeholderOf(interaction),
    userId: interaction.user.id,
    channelId: interaction.channelId ?? interaction.user.id,
    receivedAt: ctx.interactions.receivedAt(interaction),
    canPostInChannel: scope.canPostInChannel && !isPrivate,
    locale: interaction.locale,
    publicLocale: isPrivate ? interaction.locale : publicLocaleOf(interaction, scope.settings.language),
    private: isPrivate,
  };
}

/**
 * Admits a job (the rules, then the reservation, in one transaction) and puts it in the
 * line: the one door every action goes through. A refusal is told to the moderators when it
 * was a budget.
 */
export async function admitAndEnqueue(
  interaction: RepliableInteraction,
  admission: {
    generation: Omit<NewGeneration, 'guildId' | 'channelId' | 'userId'>;
    /** Undefined when Venice lists no price: refused wherever a budget would have to count it. */
    reserveUsd: number | undefined;
    reserveImages: number;
    scope: RequestScope;
    /** Answered to the member alone (a describe): see `deliveryTarget`. */
    private?: boolean;
    /** For a job another process may run (see `adoptGeneration`): the rules and the result's summary. */
    portable?: { settings: EffectiveSettings; summary: ResultSummary };
  },
  work: (generation: Generation, target: DeliveryTarget, run: JobRun) => Promise<JobResult>,
  ctx: CommandContext,
): Promise<void> {
  if (!ctx.queue.accepting) throw new UserError('results.admission.restarting');
  const { scope } = admission;
  const { settings } = scope;
  const target = deliveryTarget(interaction, scope, ctx, { private: admission.private === true });
  const handOn = ctx.role === 'gateway' && ctx.sharedLine !== undefined && admission.portable !== undefined && !target.private;
  if (admission.reserveUsd === undefined && budgetsApply(scope, ctx)) {
    throw new UserError('results.admission.noPrice');
  }
  let generation: Generation;
  try {
    generation = await ctx.ledger.admit(
      {
        // Outside a server that has the bot, usage counts as the member's own, under the operator's limits.
        generation: { ...admission.generation, guildId: scope.guildId, channelId: target.channelId, userId: target.userId, ageRestricted: isAgeRestricted(interaction) },
        interaction: {
          applicationId: interaction.applicationId,
          token: interaction.token,
          receivedAt: target.receivedAt,
          placeholderId: target.placeholderId,
          locale: target.locale,
          publicLocale: target.publicLocale,
        },
        reserveUsd: admission.reserveUsd ?? 0,
        reserveImages: admission.reserveImages,
        inDm: interaction.guildId === null,
        rules: { cooldownSeconds: settings.cooldownSeconds, userDailyBudgetUsd: settings.userDailyBudgetUsd, guildDailyBudgetUsd: settings.guildDailyBudgetUsd, dailyImages: settings.userDailyImages },
        spec: admission.portable && !target.private ? JSON.stringify(specOf(target, admission.portable)) : undefined,
        // A gateway's generation is for the workers from the start: whichever one is free takes it.
        owner: handOn ? ANY_PROCESS : undefined,
      },
      ctx.now(),
    );
  } catch (err) {
    if (err instanceof AdmissionRefused && (err.scope === 'user' || err.scope === 'guild' || err.scope === 'operator' || err.scope === 'images')) {
      const key = ({ images: 'results.modLog.refusedImages', user: 'results.modLog.refusedUser', guild: 'results.modLog.refusedGuild', operator: 'results.modLog.refusedOperator' } as const)[err.scope];
      const text = translator(target.publicLocale).t(key, { userId: target.userId, channelId: target.channelId });
      return notifyModerators(ctx, settings, text).then(() => {
        throw err;
      });
    }
    throw err;
  }
  // A shutdown may have closed the line while the store answered: the reservation goes back.
  if (!ctx.queue.accepting) {
    await ctx.ledger.abandon(generation.id, 'interrupted');
    throw new UserError('results.admission.restarting');
  }
  enqueueJob(
    { queue: ctx.queue, ledger: ctx.ledger, jobs: ctx.store.jobs, log: ctx.log, now: ctx.now, metrics: ctx.metrics },
    generation,
    createJobMessenger(target, generation.id, ctx),
    async (run) => {
      checkAnswerable(target, ctx);
      return work(generation, target, run);
    },
    { handedOn: handOn },
  );
}

/**
 * The longest a job should take from its start to its answer: Venice's inference, a retry, the
 * upload. A job its interaction alone can answer (no channel to fall back to: a user install in
 * a server without the bot, a group DM, a describe) whose token would die sooner is not started:
 * Venice would bill images nobody could be shown. It ends as failed, its reservation given back.
 */
const RUN_ALLOWANCE_MS = 60_000;

function checkAnswerable(target: DeliveryTarget, ctx: CommandContext): void {
  if (!target.canPostInChannel && ctx.now() - target.receivedAt > TOKEN_LIFETIME_MS - RUN_ALLOWANCE_MS) throw new UserError('results.delivery.tooLate');
}

/**
 * The whole life of one generation, for /imagine and for every button that redoes one:
 * the server's rules and the local checks, then admission (budget and reservation) and a
 * place in the fair queue; the job then calls Venice and posts the result. The interaction
 * must already be deferred publicly (through `ctx.interactions.defer`, so a late result can
 * reply to the placeholder).
 */
export async function generateAndPost(interaction: RepliableInteraction, requested: ImagineOptions, ctx: CommandContext): Promise<void> {
  const scope = await requestScope(interaction, ctx);
  const { settings } = scope;
  const job = prepare(interaction, requested, settings, ctx);
  await admitAndEnqueue(
    interaction,
    {
      generation: {
        kind: 'generate',
        source: null,
        mode: ctx.apiMode,
        model: job.modelId,
        options: requested,
        request: job.bodies,
        seeds: job.seeds,
        priceUsd: job.totalPriceUsd ?? null,
      },
      // The OpenAI-compatible endpoint publishes no prices: there, unknown means $0, as /settings show says.
      reserveUsd: job.totalPriceUsd ?? (ctx.apiMode === 'openai' ? 0 : undefined),
      reserveImages: job.calls.length,
      scope,
      portable: { settings, summary: job.summary },
    },
    (generation, target, run) => runGeneration({ job, generationId: generation.id, settings, target, requested }, run, ctx),
    ctx,
  );
}

interface GenerationRun {
  job: PreparedJob;
  generationId: string;
  settings: EffectiveSettings;
  target: DeliveryTarget;
  requested: ImagineOptions;
}

async function runGeneration(g: GenerationRun, run: JobRun, ctx: CommandContext): Promise<JobResult> {
  const { job } = g;
  const { signal } = run;
  const pricePerImage = job.summary.pricePerImageUsd ?? 0;
  // Each answer is charged the moment it arrives: whatever happens to the upload, the spend is kept.
  const calls: VariantCall[] = job.calls.map((call) => ({
    seed: call.seed,
    run: async (s) => {
      const result = await call.run(s);
      if (!result.contentViolation) await run.charge(pricePerImage * result.images.length, result.images.length);
      return result;
    },
  }));
  const outcomes = await runVariants(calls, signal);
  try {
    return await finishGeneration(g, run, ctx, outcomes);
  } finally {
    // Posted, held for review or refused: nothing reads these bytes again (buttons fetch the posted files).
    for (const o of outcomes) if (o.ok) for (const bytes of o.result.images) releaseBuffer(bytes);
  }
}

/** Reports a generation's variants and posts what may be posted. */
async function finishGeneration(g: GenerationRun, run: JobRun, ctx: CommandContext, outcomes: VariantOutcome[]): Promise<JobResult> {
  const { job, generationId, settings, target, requested } = g;
  const { log } = run;
  const { userId, channelId } = target;
  // Cancelled while Venice answered: nothing is posted. Past this line a Cancel comes too late.
  run.beginDelivery();
  const { posted, refused, failed } = partitionOutcomes(outcomes);
  const requestIds = outcomes.flatMap((o) => (o.ok ? (o.result.requestId ?? []) : o.error instanceof VeniceError && o.error.requestId ? [o.error.requestId] : []));
  log.info({ model: job.modelId, variants: outcomes.length, posted: posted.length, refused: refused.length, failed: failed.length }, 'image job finished');
  for (const f of failed) log.warn({ err: f.error, seed: f.seed, requestId: f.error instanceof VeniceError ? f.error.requestId : undefined }, 'variant failed');
  if (failed.some((f) => f.error instanceof VeniceError && f.error.kind === 'not_found')) void ctx.catalog.refresh();

  for (const o of refused) {
    if (o.ok) log.warn({ requestId: o.result.requestId, seed: o.seed, model: job.modelId }, 'Venice refused the content');
  }
  // The moderator log and the result are read by the server; notices and errors by the requester alone.
  const shown = translator(target.publicLocale);
  const requester = translator(target.locale);
  if (refused.length > 0) {
    const requests = requestIds.map((r) => `\`${r}\``).join(', ') || shown.t('results.modLog.unknownRequest');
    await notifyModerators(
      ctx,
      settings,
      shown.t('results.modLog.veniceRefused', { count: refused.length, userId, channelId, model: job.modelId, generationId, requests, prompt: trimPrompt(requested.prompt, 500) }),
    );
  }
  const deprecation = posted.find((o) => o.result.deprecation)?.result.deprecation;
  if (deprecation) await announceDeprecation(ctx, settings, shown, job.modelId, deprecation);

  if (posted.length === 0) {
    if (refused.length > 0) {
      await tellUser(target, renderViolationNotice(requester, refused.length, outcomes.length), ctx, { replacesReply: true });
      return { outcome: 'refused', requestIds, messageId: null };
    }
    const first = failed[0]?.error;
    if (!(first instanceof VeniceError)) throw first;
    // Said now, in the requester's language: Venice's reason needs a translator to be put in words.
    throw new UserError('results.failure.venice', { reason: describeFailure(requester, first) });
  }

  const message = renderResult(shown, job.summary, outcomes);
  const imageNumbers = posted.map((o) => o.index + 1);
  const upscalable = ctx.apiMode === 'native' ? upscalableImages(posted) : new Map<number, Array<2 | 4>>();
  const guildId = target.interaction.guildId;
  if (guildId !== null && reviewApplies(settings, target, guildId)) {
    // Made and charged like any result; it reaches the channel only once a moderator approves it.
    await submitForReview(
      {
        generationId,
        target,
        guildId,
        settings,
        message,
        images: imageNumbers.map((image) => ({ image, upscale: [...(upscalable.get(image) ?? [])] })),
        blurred: posted.some((o) => o.result.blurred),
      },
      ctx,
    );
    if (refused.length > 0) await tellUser(target, renderViolationNotice(requester, refused.length, outcomes.length), ctx);
    return { outcome: outcomeOf(outcomes), requestIds, messageId: null };
  }
  // What an age-restricted channel (or safe mode off) allowed never gets a way into the gallery.
  const star = guildId !== null && target.canPostInChannel && settings.galleryChannelId !== undefined && !madeUnsafe({ options: requested, ageRestricted: target.ageRestricted });
  const delivered = await deliverResult(target, { ...message, components: renderResultComponents(shown, generationId, imageNumbers, upscalable, 'generation', { star }) }, ctx);
  if (refused.length > 0) await tellUser(target, renderViolationNotice(requester, refused.length, outcomes.length), ctx);
  // Discord took only part of the files: the record says so, as /usage shows it.
  return { outcome: delivered.complete ? outcomeOf(outcomes) : 'partial', requestIds, messageId: delivered.messageId };
}

/** What a process needs, beyond the store's rows, to run a generation another one admitted. */
const generationSpecSchema = z.object({
  v: z.literal(1),
  guildId: z.string().nullable(),
  canPostInChannel: z.boolean(),
  ageRestricted: z.boolean(),
  attachmentSizeLimit: z.number().int().positive().optional(),
  /** The server's effective rules when it was admitted. */
  settings: settingsSchema,
  summary: z.object({ prompt: z.string(), modelName: z.string(), sizeLabel: z.string(), style: z.string().optional(), pricePerImageUsd: z.number().optional() }),
});
type GenerationSpec = z.infer<typeof generationSpecSchema>;

function specOf(target: DeliveryTarget, portable: { settings: EffectiveSettings; summary: ResultSummary }): GenerationSpec {
  return {
    v: 1,
    guildId: target.interaction.guildId,
    canPostInChannel: target.canPostInChannel,
    ageRestricted: target.ageRestricted,
    ...(target.interaction.attachmentSizeLimit ? { attachmentSizeLimit: target.interaction.attachmentSizeLimit } : {}),
    settings: Object.fromEntries(Object.entries(portable.settings).filter(([, v]) => v !== undefined)) as GenerationSpec['settings'],
    summary: { ...portable.summary, style: portable.summary.style ?? undefined, pricePerImageUsd: portable.summary.pricePerImageUsd ?? undefined },
  };
}

/** A stored request body: ours, written at admission; checked for the fields Venice needs. */
const storedBodySchema = z.looseObject({ model: z.string().optional(), prompt: z.string(), seed: z.number().int().optional() });

/**
 * A generation that another process admitted and handed on (a rolling restart), as a job of
 * this one: the same request bodies, the rules it was admitted under, and its requester
 * answered through the interaction's webhook. Undefined when it cannot be run here.
 */
export async function adoptGeneration(job: JobRecord, ctx: CommandContext): Promise<QueuedJob | undefined> {
  if (job.kind !== 'generate' || job.spec === null) return undefined;
  const generation = await ctx.store.generations.get(job.id);
  if (!generation || generation.deletedAt !== null) return undefined;
  const spec = generationSpecSchema.parse(JSON.parse(job.spec));
  const bodies = generation.request.map((body) => storedBodySchema.parse(body));
  const prepared: PreparedJob = {
    modelId: generation.model,
    calls: bodies.map((body) => ({
      seed: body.seed,
      run: (signal) => (generation.mode === 'openai' ? ctx.venice.generateOpenAi(body as unknown as OpenAiImageBody, signal) : ctx.venice.generateImage(body as unknown as GenerateImageBody, signal)),
    })),
    bodies,
    seeds: generation.seeds,
    summary: { prompt: spec.summary.prompt, modelName: spec.summary.modelName, sizeLabel: spec.summary.sizeLabel, style: spec.summary.style, pricePerImageUsd: spec.summary.pricePerImageUsd },
    totalPriceUsd: generation.priceUsd ?? undefined,
  };
  const target: DeliveryTarget = {
    interaction: ctx.replyByToken({ applicationId: job.applicationId, token: job.interactionToken, guildId: spec.guildId, locale: job.locale, attachmentSizeLimit: spec.attachmentSizeLimit, ephemeral: false }),
    ageRestricted: spec.ageRestricted,
    placeholderId: job.placeholderId ?? undefined,
    userId: job.userId,
    channelId: job.channelId,
    receivedAt: job.interactionAt,
    canPostInChannel: spec.canPostInChannel,
    locale: job.locale,
    publicLocale: job.publicLocale,
    private: false,
  };
  const settings = mergeSettings(spec.settings);
  return lifecycleJob({ ledger: ctx.ledger, jobs: ctx.store.jobs, log: ctx.log, now: ctx.now, metrics: ctx.metrics }, generation, createJobMessenger(target, generation.id, ctx, { waited: true }), async (run) => {
    checkAnswerable(target, ctx);
    return runGeneration({ job: prepared, generationId: generation.id, settings, target, requested: generation.options }, run, ctx);
  });
}
