import { MessageFlags, type AutocompleteInteraction, type ChatInputCommandInteraction } from 'discord.js';
import { isAgeRestricted } from '../../src/discord/channels.js';
import type { Command, CommandContext } from '../../src/discord/command.js';
import { NO_MENTIONS, replyEphemeral } from '../../src/discord/replies.js';
import { UserError } from '../../src/errors.js';
import { runVariants, type VariantCall } from '../../src/jobs/image-job.js';
import { VeniceError } from '../../src/venice/errors.js';
import { buildOpenAiJob } from '../../src/venice/openai-request-builder.js';
import { buildImageJob, resolveModel } from '../../src/venice/request-builder.js';
import { suggestModels, suggestQualities, suggestResolutions, suggestSizes, suggestStyles } from './imagine.autocomplete.js';
import { imagineData } from './imagine.data.js';
import { readImagineOptions } from './imagine.options.js';
import { describeFailure, partitionOutcomes, renderResult, renderViolationNotice, type ResultSummary } from './imagine.view.js';

function autocomplete(interaction: AutocompleteInteraction, ctx: CommandContext) {
  const focused = interaction.options.getFocused(true);
  const typed = String(focused.value);
  const snapshot = ctx.catalog.current();
  // The model typed so far in the same command decides which sizes make sense.
  const chosenModel = () => {
    try {
      return resolveModel(snapshot, interaction.options.getString('model') ?? undefined, ctx.catalog.defaultModel()?.id);
    } catch {
      return undefined;
    }
  };
  switch (focused.name) {
    case 'model':
      return suggestModels(snapshot, typed);
    case 'style':
      return suggestStyles(snapshot, typed);
    case 'aspect_ratio':
      return suggestSizes(chosenModel(), typed);
    case 'resolution':
      return suggestResolutions(chosenModel(), typed);
    case 'quality':
      return suggestQualities(chosenModel(), typed);
    default:
      return [];
  }
}

interface PreparedJob {
  calls: VariantCall[];
  summary: ResultSummary;
}

function prepare(interaction: ChatInputCommandInteraction, ctx: CommandContext): PreparedJob {
  const options = readImagineOptions(interaction);
  const ageRestricted = isAgeRestricted(interaction);
  if (ctx.apiMode === 'openai') {
    const plan = buildOpenAiJob(options, { ageRestricted });
    return {
      calls: plan.bodies.map((body) => ({ seed: undefined, run: (signal) => ctx.venice.generateOpenAi(body, signal) })),
      summary: { prompt: options.prompt, modelName: options.model ?? 'default', sizeLabel: plan.sizeLabel, style: undefined, pricePerImageUsd: undefined },
    };
  }
  const plan = buildImageJob(options, ctx.catalog.current(), {
    ageRestricted,
    randomSeed: ctx.randomSeed(),
    defaultModelId: ctx.catalog.defaultModel()?.id,
  });
  return {
    calls: plan.bodies.map((body) => ({ seed: body.seed, run: (signal) => ctx.venice.generateImage(body, signal) })),
    summary: { prompt: options.prompt, modelName: plan.model.name, sizeLabel: plan.sizeLabel, style: plan.style, pricePerImageUsd: plan.pricePerImageUsd },
  };
}

async function execute(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const job = prepare(interaction, ctx);
  const started = Date.now();
  const outcomes = await runVariants(job.calls);
  const { posted, refused, failed } = partitionOutcomes(outcomes);
  ctx.log.info({ variants: outcomes.length, posted: posted.length, refused: refused.length, failed: failed.length, ms: Date.now() - started }, 'image job finished');

  for (const o of refused) {
    if (o.ok) ctx.log.warn({ requestId: o.result.requestId, seed: o.seed }, 'Venice refused the content');
  }
  for (const f of failed) {
    ctx.log.warn({ err: f.error, seed: f.seed, requestId: f.error instanceof VeniceError ? f.error.requestId : undefined }, 'variant failed');
  }
  if (failed.some((f) => f.error instanceof VeniceError && f.error.kind === 'not_found')) void ctx.catalog.refresh();

  if (posted.length === 0) {
    // Nothing to show in the channel: the whole answer is private to the requester.
    if (refused.length > 0) {
      await replyEphemeral(interaction, renderViolationNotice(refused.length, outcomes.length), ctx.log);
      return;
    }
    const first = failed[0]?.error;
    if (!(first instanceof VeniceError)) throw first;
    throw new UserError(describeFailure(first));
  }

  await interaction.editReply(renderResult(job.summary, outcomes));
  if (refused.length > 0) {
    await interaction.followUp({ content: renderViolationNotice(refused.length, outcomes.length), flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
  }
}

export const imagineCommand: Command = {
  data: imagineData,
  defer: { ephemeral: false },
  autocomplete,
  execute,
};
