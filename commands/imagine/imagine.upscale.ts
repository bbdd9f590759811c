import type { RepliableInteraction } from 'discord.js';
import type { CommandContext } from '../../src/discord/command.js';
import { NO_MENTIONS } from '../../src/discord/replies.js';
import type { JobResult, JobRun } from '../../src/jobs/lifecycle.js';
import type { Generation, GenerationSource } from '../../src/store/generations.js';

/** An upscale's source always names its image and scale. */
export type UpscaleSource = GenerationSource & { scale: 2 | 4; image: number };
import { formatUsd } from '../../src/venice/models.js';
import { deliverResult, tellUser, type DeliveryTarget } from './imagine.delivery.js';
import { admitAndEnqueue } from './imagine.pipeline.js';
import { requestScope } from './imagine.scope.js';

/** Venice's price for an upscale, listed on the model that made the image. */
function upscalePrice(source: Generation, scale: 2 | 4, ctx: CommandContext): number | undefined {
  // An edit's result names an edit model, which lists no upscale price: Venice prices upscales
  // alike on every image model, so the default model's price stands in.
  const model = ctx.catalog.current().byId.get(source.model) ?? ctx.catalog.defaultModel();
  return model?.pricing.upscale?.[`${scale}x`]?.usd;
}

/**
 * An upscale is a job like any generation: admitted against the presser's budgets with its
 * price reserved, queued fairly, persisted (a restart reports it with Retry), charged when
 * Venice answers, then delivered.
 */
export async function enqueueUpscale(interaction: RepliableInteraction, source: Generation, choice: UpscaleSource, ctx: CommandContext): Promise<void> {
  const price = upscalePrice(source, choice.scale, ctx);
  await admitAndEnqueue(
    interaction,
    {
      generation: {
        kind: 'upscale',
        source: choice,
        mode: 'native',
        model: source.model,
        options: source.options,
        request: [{ scale: choice.scale, image: choice.image, from: source.id }],
        seeds: [],
        priceUsd: price ?? null,
      },
      reserveUsd: price,
      reserveImages: 1,
      scope: requestScope(interaction, ctx),
    },
    (generation, target, run) => runUpscale(generation, choice, price, target, run, ctx),
    ctx,
  );
}

async function runUpscale(generation: Generation, choice: UpscaleSource, price: number | undefined, target: DeliveryTarget, run: JobRun, ctx: CommandContext): Promise<JobResult> {
  const original = await ctx.downloadAttachment(choice.attachmentUrl);
  const result = await ctx.venice.upscaleImage(original, choice.scale, run.signal);
  if (result.contentViolation) {
    await tellUser(target, 'The upscaled image could not be posted: Venice refused the content as a violation of its usage policy.', ctx, { replacesReply: true });
    return { outcome: 'refused', requestIds: result.requestId ? [result.requestId] : [], messageId: null };
  }
  run.charge(price ?? 0, 1);
  run.log.info({ image: choice.image, scale: choice.scale, bytes: result.image.length, requestId: result.requestId }, 'upscaled');
  const spoiler = choice.spoiler || result.blurred;
  const delivered = await deliverResult(
    target,
    {
      content: `Image ${choice.image} of \`${choice.generationId}\`, upscaled ×${choice.scale}${price !== undefined ? ` (${formatUsd(price)})` : ''}.`,
      embeds: [],
      // Re-encoded by the delivery when over the server's file limit, like any result.
      files: [{ attachment: result.image, name: `${spoiler ? 'SPOILER_' : ''}image-${choice.image}-x${choice.scale}.png` }],
      components: [],
      allowedMentions: NO_MENTIONS,
    },
    ctx,
  );
  return { outcome: 'posted', requestIds: result.requestId ? [result.requestId] : [], messageId: delivered.messageId };
}
