import type { AutocompleteInteraction, ChatInputCommandInteraction, MessageComponentInteraction, RepliableInteraction } from 'discord.js';
import { z } from 'zod';
import { isAllowedAttachmentUrl } from '../../src/discord/attachments.js';
import type { AutocompleteChoice, Command, CommandContext } from '../../src/discord/command.js';
import { NO_MENTIONS } from '../../src/discord/replies.js';
import { UserError } from '../../src/errors.js';
import { translator, type Translator } from '../../src/i18n/index.js';
import { checkAttachmentFacts, checkImageBytes, imageLabel } from '../../src/jobs/input-image.js';
import type { JobResult, JobRun } from '../../src/jobs/lifecycle.js';
import type { Generation } from '../../src/store/generations.js';
import { defaultVisionModel, type CatalogSnapshot, type TextModel } from '../../src/venice/catalog.js';
import type { ChatCompletionResult } from '../../src/venice/types.js';
import { askVenice, deliverResult, type DeliveryTarget } from '../imagine/imagine.delivery.js';
import { imagineOptionsSchema } from '../imagine/imagine.options.js';
import { admitAndEnqueue, generateAndPost } from '../imagine/imagine.pipeline.js';
import { requestScope, type RequestScope } from '../imagine/imagine.scope.js';
import { describeData } from './describe.data.js';
import { MAX_PROMPTS, buildDescribeRequest, describeReserveUsd, fitImageForVision, maxOutputTokens, parsePrompts, priceUsage } from './describe.plan.js';
import { describeUsd, renderDescribeAnswer } from './describe.view.js';

const LIMIT = 25;

const optionsSchema = z.object({
  model: z.string().optional(),
  count: z.number().int().min(1).max(MAX_PROMPTS).optional(),
});

/** A describe ready to be admitted: the model, how many prompts, and the upload (downloaded only when the job runs). */
interface DescribePlan {
  model: TextModel;
  count: number;
  attachmentUrl: string;
  spoiler: boolean;
  reserveUsd: number | undefined;
}

function modelLabel(t: Translator, model: TextModel): string {
  const suffix = model.pricing ? ` · ${t.t('describe.autocomplete.price', { input: t.usd(model.pricing.inputUsd), output: t.usd(model.pricing.outputUsd) })}` : '';
  const room = 100 - suffix.length;
  return `${model.name.length > room ? `${model.name.slice(0, room - 1)}…` : model.name}${suffix}`;
}

function autocomplete(interaction: AutocompleteInteraction, ctx: CommandContext): AutocompleteChoice[] {
  const focused = interaction.options.getFocused(true);
  if (focused.name !== 'model') return [];
  const typed = String(focused.value).trim().toLowerCase();
  const t = translator(interaction.locale);
  return ctx.catalog
    .current()
    .visionModels.filter((m) => typed === '' || m.id.includes(typed) || m.name.toLowerCase().includes(typed))
    .slice(0, LIMIT)
    .map((m) => ({ name: modelLabel(t, m), value: m.id }));
}

/** The vision model asked for, or Venice's default one; a clear refusal when there is none that sees. */
function chooseModel(snapshot: CatalogSnapshot, wanted: string | undefined): TextModel {
  const id = wanted?.trim();
  if (!id) {
    const model = defaultVisionModel(snapshot);
    if (!model) throw new UserError('describe.refusal.noVisionModel');
    return model;
  }
  const model = snapshot.textById.get(id);
  if (!model) {
    if (snapshot.visionModels.length === 0) throw new UserError('describe.refusal.noVisionModel');
    throw new UserError('describe.refusal.unknownModel', { model: id.replace(/`/g, '').slice(0, 100) });
  }
  if (!model.vision) throw new UserError('describe.refusal.noVision', { model: model.name });
  return model;
}

/**
 * `/describe`: a vision model turns an uploaded image into up to four prompts, each with a
 * button that runs it through /imagine. The upload is checked as /edit checks it before
 * anything is downloaded or spent; the describe itself is a job like any other (admitted
 * against the budgets, queued, charged by Venice's token count).
 */
async function execute(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const o = interaction.options;
  const parsed = optionsSchema.safeParse({ model: o.getString('model') ?? undefined, count: o.getInteger('count') ?? undefined });
  if (!parsed.success) throw new UserError('describe.refusal.invalidOption');
  // Everything about a describe is private: the member's own language.
  const t = translator(interaction.locale);
  const attachment = o.getAttachment('image', true);
  const model = chooseModel(ctx.catalog.current(), parsed.data.model);
  const scope = await requestScope(interaction, ctx);
  const label = imageLabel(t, 0, 1);
  // Only Discord's CDN: the bot never fetches a URL a member could point anywhere.
  if (!isAllowedAttachmentUrl(attachment.url, ctx.attachmentHosts)) throw new UserError('edit.refusal.notAttachment', { label });
  checkAttachmentFacts(t, { name: attachment.name, size: attachment.size, contentType: attachment.contentType, width: attachment.width, height: attachment.height }, label);
  const count = parsed.data.count ?? MAX_PROMPTS;
  await enqueueDescribe(
    interaction,
    {
      model,
      count,
      attachmentUrl: attachment.url,
      spoiler: attachment.spoiler,
      reserveUsd: describeReserveUsd(model, { width: attachment.width, height: attachment.height }, count),
    },
    scope,
    ctx,
  );
}

/** Puts a describe through the one lifecycle: admitted and reserved, queued, charged, answered, settled. */
async function enqueueDescribe(interaction: RepliableInteraction, plan: DescribePlan, scope: RequestScope, ctx: CommandContext): Promise<void> {
  await admitAndEnqueue(
    interaction,
    {
      generation: {
        kind: 'describe',
        source: { attachmentUrl: plan.attachmentUrl, generationId: null, image: null, spoiler: plan.spoiler },
        mode: 'native',
        model: plan.model.id,
        // No prompt of the member's: the prompts Venice writes are added once it has answered.
        options: { prompt: '', model: plan.model.id },
        // The request as the history keeps it: everything but the image, which is never stored.
        request: [{ endpoint: '/chat/completions', model: plan.model.id, prompts: plan.count, max_completion_tokens: maxOutputTokens(plan.model), inputs: 1 }],
        seeds: [],
        priceUsd: plan.reserveUsd ?? null,
      },
      reserveUsd: plan.reserveUsd,
      // A describe makes no image: it counts against the budgets, not the daily image count.
      reserveImages: 0,
      scope,
      // Everything about a describe is the member's alone: their language, never the channel.
      private: true,
    },
    (generation, target, run) => runDescribe(generation, plan, target, run, ctx),
    ctx,
  );
}

/** What Venice charged for the answer: its tokens at the model's prices, else its own figure, else the reservation. */
function chargeOf(plan: DescribePlan, answer: ChatCompletionResult): number {
  if (answer.usage) return priceUsage(plan.model, answer.usage);
  return answer.costUsd ?? plan.reserveUsd ?? 0;
}

async function runDescribe(generation: Generation, plan: DescribePlan, target: DeliveryTarget, run: JobRun, ctx: CommandContext): Promise<JobResult> {
  const requester = translator(target.locale);
  // Downloaded only now, when the job runs, and checked again as bytes: Discord's facts are claims.
  const bytes = await ctx.downloadAttachment(plan.attachmentUrl);
  const { contentType } = await checkImageBytes(requester, bytes, imageLabel(requester, 0, 1));
  // What a vision model sees is at most 2048 px a side: a large upload is shrunk before it is base64'd.
  const image = await fitImageForVision({ bytes, contentType });
  const body = buildDescribeRequest(plan.model, image, plan.count);
  const answer = await askVenice(() => ctx.venice.chatCompletion(body, run.signal), target, run, ctx, '/chat/completions', (a) => run.charge(chargeOf(plan, a), 0));
  const charged = chargeOf(plan, answer);
  const prompts = parsePrompts(answer.text, plan.count);
  run.log.info(
    { model: plan.model.id, promptTokens: answer.usage?.promptTokens, completionTokens: answer.usage?.completionTokens, chargedUsd: charged, prompts: prompts.length, finishReason: answer.finishReason, requestId: answer.requestId },
    'describe answered',
  );
  if (prompts.length === 0) throw new UserError('describe.failure.noPrompts', { charged: describeUsd(requester, charged) });
  await ctx.store.generations.setOptions(generation.id, { ...generation.options, prompts });
  const view = renderDescribeAnswer(requester, { generationId: generation.id, modelName: plan.model.name, chargedUsd: charged, prompts, asked: plan.count });
  const delivered = await deliverResult(target, { content: view.content, embeds: [], files: [], components: view.components, allowedMentions: NO_MENTIONS }, ctx);
  return { outcome: 'posted', requestIds: answer.requestId ? [answer.requestId] : [], messageId: delivered.messageId };
}

/**
 * "Imagine 2": the second prompt through the same path as `/imagine prompt:<it>`, for whoever
 * pressed (their server's rules, budgets and queue), posted publicly.
 */
async function imaginePrompt(interaction: MessageComponentInteraction, [id, n]: string[], ctx: CommandContext): Promise<void> {
  if (!interaction.isButton()) return;
  const g = id === undefined ? undefined : await ctx.store.generations.get(id);
  const prompt = g?.kind === 'describe' && g.deletedAt === null ? g.options.prompts?.[Number(n) - 1] : undefined;
  const options = imagineOptionsSchema.safeParse({ prompt });
  if (!options.success) throw new UserError('describe.buttons.gone');
  await ctx.interactions.defer(interaction, false);
  await generateAndPost(interaction, options.data, ctx);
}

export const describeCommand: Command = {
  data: describeData,
  defer: { ephemeral: true },
  autocomplete,
  execute,
  components: { imagine: imaginePrompt },
};
