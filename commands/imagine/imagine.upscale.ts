import type { RepliableInteraction } from 'discord.js';
import type { CommandContext } from '../../src/discord/command.js';
import { NO_MENTIONS } from '../../src/discord/replies.js';
import { releaseBuffer } from '../../src/images/memory.js';
import { publicLocaleOf, translator } from '../../src/i18n/index.js';
import type { JobResult, JobRun } from '../../src/jobs/lifecycle.js';
import type { Generation, GenerationSource } from '../../src/store/generations.js';
import { askVenice, chargeOneImage, deliverResult, tellUser, type DeliveryTarget } from './imagine.delivery.js';
import { admitAndEnqueue } from './imagine.pipeline.js';
import { requestScope } from './imagine.scope.js';

/** An upscale's source always names its image and scale. */
export type UpscaleSource = GenerationSource & { scale: 2 | 4; image: number };

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
  const scope = await requestScope(interaction, ctx);
  const publicLocale = publicLocaleOf(interaction, scope.settings.language);
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
      scope,
    },
    (generation, target, run) => runUpscale(generation, choice, price, publicLocale, target, run, ctx),
    ctx,
  );
}

async function runUpscale(
  generation: Generation,
  choice: UpscaleSource,
  price: number | undefined,
  publicLocale: string,
  target: DeliveryTarget,
  run: JobRun,
  ctx: CommandContext,
): Promise<JobResult> {
  const original = await ctx.downloadAttachment(choice.attachmentUrl);
  let upscaled: Buffer | undefined;
  try {
    const result = await askVenice(
      () => ctx.venice.upscaleImage(original, choice.scale, run.signal),
      target,
      run,
      ctx,
      '/image/upscale',
      chargeOneImage(run, price),
    );
    upscaled = result.image;
    if (result.contentViolation) {
      // Only the requester reads the refusal: in their own language.
      await tellUser(target, translator(target.interaction.locale).t('imagine.upscale.refused'), ctx, { replacesReply: true });
      return { outcome: 'refused', requestIds: result.requestId ? [result.requestId] : [], messageId: null };
    }
    run.log.info({ image: choice.image, scale: choice.scale, bytes: result.image.length, requestId: result.requestId }, 'upscaled');
    const spoiler = choice.spoiler || result.blurred;
    const t = translator(publicLocale);
    // Posted directly even in a review-mode channel: an upscale enlarges an image that is already
    // public (the buttons exist only on a posted, or approved, result), and adds nothing new to judge.
    const said = { image: choice.image, id: String(choice.generationId), scale: choice.scale };
    const delivered = await deliverResult(
      target,
      {
        content: price !== undefined ? t.t('imagine.upscale.donePriced', { ...said, price: t.usd(price) }) : t.t('imagine.upscale.done', said),
        embeds: [],
        // Re-encoded by the delivery when over the server's file limit, like any result.
        // i18n-exempt: a file name, which the spoiler and upscale buttons read back
        files: [{ attachment: result.image, name: `${spoiler ? 'SPOILER_' : ''}image-${choice.image}-x${choice.scale}.png` }],
        components: [],
        allowedMentions: NO_MENTIONS,
      },
      ctx,
    );
    return { outcome: 'posted', requestIds: result.requestId ? [result.requestId] : [], messageId: delivered.messageId };
  } finally {
    // Megabytes each (a 4x upscale of a 1024² image is 4096²): freed now, not at a full collection.
    releaseBuffer(original);
    if (upscaled) releaseBuffer(upscaled);
  }
}
