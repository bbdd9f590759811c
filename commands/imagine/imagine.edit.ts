import type { RepliableInteraction } from 'discord.js';
import type { CommandContext } from '../../src/discord/command.js';
import { NO_MENTIONS } from '../../src/discord/replies.js';
import { checkImageBytes } from '../../src/jobs/input-image.js';
import type { JobResult, JobRun } from '../../src/jobs/lifecycle.js';
import { upscaleScales } from '../../src/jobs/upscale-plan.js';
import type { Generation, GenerationInput, StoredOptions } from '../../src/store/generations.js';
import type { EditModel } from '../../src/venice/edit-models.js';
import { formatUsd } from '../../src/venice/models.js';
import { imageSize } from '../../src/venice/image-bytes.js';
import type { ImageFormat } from '../../src/venice/types.js';
import { deliverResult, tellUser, type DeliveryTarget } from './imagine.delivery.js';
import { admitAndEnqueue } from './imagine.pipeline.js';
import { requestScope } from './imagine.scope.js';
import { imageFileName, renderResultComponents, trimPrompt } from './imagine.view.js';

/** An edit of one image (or a blend of several), or a background removal, ready to be admitted. */
export interface EditPlan {
  kind: 'edit' | 'background';
  /** Undefined for a background removal, which has no model to choose. */
  model: EditModel | undefined;
  prompt: string | undefined;
  /** The base first. */
  inputs: GenerationInput[];
  /** Whether the base was a spoiler: what came from it stays one. */
  spoiler: boolean;
  aspectRatio: string | undefined;
  resolution: string | undefined;
  format: ImageFormat | undefined;
  safeMode: boolean;
  priceUsd: number | undefined;
  /** Where it came from, for the result's first line ("Edited from image 2 of `abc` by @name"). */
  lineage: string;
}

const EXTENSION: Record<ImageFormat, string> = { png: 'png', jpeg: 'jpg', webp: 'webp' };

/** The request as the history keeps it: everything but the image bytes, which are never stored. */
function storedRequest(plan: EditPlan): Record<string, unknown> {
  if (plan.kind === 'background') return { endpoint: '/image/background-remove', inputs: plan.inputs.length };
  return {
    endpoint: plan.inputs.length > 1 ? '/image/multi-edit' : '/image/edit',
    model: plan.model?.id,
    prompt: plan.prompt,
    inputs: plan.inputs.length,
    ...(plan.aspectRatio ? { aspect_ratio: plan.aspectRatio } : {}),
    ...(plan.resolution ? { resolution: plan.resolution } : {}),
    ...(plan.format ? { output_format: plan.format } : {}),
    safe_mode: plan.safeMode,
  };
}

/** Puts an edit or a background removal through the one lifecycle: admitted, reserved, queued, charged, delivered. */
export async function enqueueEdit(interaction: RepliableInteraction, plan: EditPlan, ctx: CommandContext): Promise<void> {
  const [base, ...more] = plan.inputs;
  if (!base) throw new Error('an edit needs an image');
  const options: StoredOptions = {
    prompt: plan.prompt ?? '(remove background)',
    ...(plan.model ? { model: plan.model.id } : {}),
    ...(plan.aspectRatio ? { aspect_ratio: plan.aspectRatio } : {}),
    ...(plan.resolution ? { resolution: plan.resolution } : {}),
    ...(plan.format ? { format: plan.format } : {}),
    safe_mode: plan.safeMode,
  };
  await admitAndEnqueue(
    interaction,
    {
      generation: {
        kind: plan.kind,
        source: { ...base, spoiler: plan.spoiler, ...(more.length > 0 ? { more } : {}) },
        mode: 'native',
        model: plan.model?.id ?? 'background-remove',
        options,
        request: [storedRequest(plan)],
        seeds: [],
        priceUsd: plan.priceUsd ?? null,
      },
      reserveUsd: plan.priceUsd,
      reserveImages: 1,
      scope: requestScope(interaction, ctx),
    },
    (generation, target, run) => runEdit(generation, plan, target, run, ctx),
    ctx,
  );
}

async function runEdit(generation: Generation, plan: EditPlan, target: DeliveryTarget, run: JobRun, ctx: CommandContext): Promise<JobResult> {
  // Downloaded only now, when the job runs: a long line holds links, not megabytes.
  const images = [];
  for (const [i, input] of plan.inputs.entries()) {
    const label = plan.inputs.length > 1 ? `Image ${i + 1}` : 'The image';
    const bytes = await ctx.downloadAttachment(input.attachmentUrl);
    const { contentType, format } = await checkImageBytes(bytes, label);
    images.push({ data: bytes, name: `image-${i + 1}.${EXTENSION[format]}`, contentType });
  }
  const [first] = images;
  if (!first) throw new Error('an edit needs an image');
  const result =
    plan.kind === 'background'
      ? await ctx.venice.removeBackground(first.data, run.signal)
      : await ctx.venice.editImage(
          {
            model: plan.model?.id ?? '',
            prompt: plan.prompt ?? '',
            images,
            ...(plan.aspectRatio ? { aspect_ratio: plan.aspectRatio } : {}),
            ...(plan.resolution ? { resolution: plan.resolution } : {}),
            ...(plan.format ? { output_format: plan.format } : {}),
            safe_mode: plan.safeMode,
          },
          run.signal,
        );
  const requestIds = result.requestId ? [result.requestId] : [];
  if (result.contentViolation) {
    run.log.warn({ requestId: result.requestId }, 'Venice refused the content of an edit');
    await tellUser(target, 'The edited image could not be posted: Venice refused the content as a violation of its usage policy. Change the instruction or the image and try again.', ctx, { replacesReply: true });
    return { outcome: 'refused', requestIds, messageId: null };
  }
  run.charge(plan.priceUsd ?? 0, 1);
  const meta = imageSize(result.image);
  const scales = meta?.width && meta.height ? upscaleScales(meta.width, meta.height) : [];
  const what = plan.kind === 'background' ? 'Background removed' : plan.inputs.length > 1 ? `Blend of ${plan.inputs.length} images` : 'Edited';
  const fields = [
    { name: 'Model', value: plan.model?.name ?? 'Venice background remover', inline: true },
    ...(meta?.width && meta.height ? [{ name: 'Size', value: `${meta.width}×${meta.height}`, inline: true }] : []),
    ...(plan.priceUsd !== undefined ? [{ name: 'Price', value: formatUsd(plan.priceUsd), inline: true }] : []),
  ];
  const delivered = await deliverResult(
    target,
    {
      content: `${what}${plan.lineage ? ` ${plan.lineage}` : ''}.`,
      embeds: [{ ...(plan.prompt ? { description: trimPrompt(plan.prompt) } : {}), color: 0xdd3b2c, fields }],
      files: [{ attachment: result.image, name: imageFileName(0, result.format, plan.spoiler || result.blurred) }],
      components: renderResultComponents(generation.id, [1], new Map(scales.length > 0 ? [[1, scales]] : []), 'derived'),
      allowedMentions: NO_MENTIONS,
    },
    ctx,
  );
  return { outcome: 'posted', requestIds, messageId: delivered.messageId };
}
