import type { RepliableInteraction } from 'discord.js';
import type { CommandContext } from '../../src/discord/command.js';
import { NO_MENTIONS } from '../../src/discord/replies.js';
import { releaseBuffer } from '../../src/images/memory.js';
import { message, translator, type Message } from '../../src/i18n/index.js';
import { checkImageBytes, imageLabel } from '../../src/jobs/input-image.js';
import type { JobResult, JobRun } from '../../src/jobs/lifecycle.js';
import { upscaleScales } from '../../src/jobs/upscale-plan.js';
import type { Generation, GenerationInput, StoredOptions } from '../../src/store/generations.js';
import type { EffectiveSettings } from '../../src/store/settings.js';
import type { EditModel } from '../../src/venice/edit-models.js';
import type { EditRequest } from '../../src/venice/client.js';
import { imageSize } from '../../src/venice/image-bytes.js';
import { describeDeprecation } from '../../src/venice/user-messages.js';
import type { ImageFormat } from '../../src/venice/types.js';
import { askVenice, chargeOneImage, deliverResult, tellUser, type DeliveryTarget } from './imagine.delivery.js';
import { admitAndEnqueue, announceDeprecation } from './imagine.pipeline.js';
import { reviewApplies, submitForReview } from './imagine.review.js';
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
  /** Whether any input was a spoiler: what came from it stays one. */
  spoiler: boolean;
  aspectRatio: string | undefined;
  resolution: string | undefined;
  format: ImageFormat | undefined;
  safeMode: boolean;
  priceUsd: number | undefined;
  /**
   * Where it came from, for the result's first line ("Edited from image 2 of `abc` by @name"),
   * said in the channel's language when the result is posted: see `lineageFromImage` and
   * `lineageFromUploads`. Undefined: nothing to say.
   */
  lineage: Message | undefined;
}

/** "from image 2 of `abc`", and "by @name" (never a ping) when someone else made it. */
export function lineageFromImage(generationId: string, image: number, madeBy?: string): Message {
  return madeBy === undefined ? message('results.edit.fromImage', { image, generationId }) : message('results.edit.fromImageBy', { image, generationId, userId: madeBy });
}

/** "from an uploaded image", "from 3 uploaded images". */
export function lineageFromUploads(count: number): Message {
  return message('results.edit.fromUpload', { count });
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
    // i18n-exempt: a marker the history stores (the options need a prompt); Info leaves it out
    prompt: plan.prompt ?? '(remove background)',
    ...(plan.model ? { model: plan.model.id } : {}),
    ...(plan.aspectRatio ? { aspect_ratio: plan.aspectRatio } : {}),
    ...(plan.resolution ? { resolution: plan.resolution } : {}),
    ...(plan.format ? { format: plan.format } : {}),
    safe_mode: plan.safeMode,
  };
  const scope = await requestScope(interaction, ctx);
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
      scope,
    },
    (generation, target, run) => runEdit(generation, plan, scope.settings, target, run, ctx),
    ctx,
  );
}

async function runEdit(generation: Generation, plan: EditPlan, settings: EffectiveSettings, target: DeliveryTarget, run: JobRun, ctx: CommandContext): Promise<JobResult> {
  const held: Buffer[] = [];
  try {
    return await editAndDeliver(generation, plan, settings, target, run, ctx, held);
  } finally {
    // The inputs (up to 25 MB each) and the result: freed now, not at a full collection.
    for (const bytes of held) releaseBuffer(bytes);
  }
}

async function editAndDeliver(
  generation: Generation,
  plan: EditPlan,
  settings: EffectiveSettings,
  target: DeliveryTarget,
  run: JobRun,
  ctx: CommandContext,
  held: Buffer[],
): Promise<JobResult> {
  // Downloaded only now, when the job runs: a long line holds links, not megabytes.
  // A refusal is the requester's alone; the result is the channel's.
  const requester = translator(target.locale);
  const shown = translator(target.publicLocale);
  const images: EditRequest['images'] = [];
  for (const [i, input] of plan.inputs.entries()) {
    const label = imageLabel(requester, i, plan.inputs.length);
    const bytes = await ctx.downloadAttachment(input.attachmentUrl);
    held.push(bytes);
    const { contentType, format } = await checkImageBytes(requester, bytes, label);
    // i18n-exempt: the file name Venice receives, not text anyone reads
    images.push({ data: bytes, name: `image-${i + 1}.${EXTENSION[format]}`, contentType });
  }
  const [first] = images;
  if (!first) throw new Error('an edit needs an image');
  const result = await askVenice(
    () =>
      plan.kind === 'background'
        ? ctx.venice.removeBackground(first.data, run.signal)
        : ctx.venice.editImage(
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
          ),
    target,
    run,
    ctx,
    plan.kind === 'background' ? '/image/background-remove' : images.length > 1 ? '/image/multi-edit' : '/image/edit',
    chargeOneImage(run, plan.priceUsd),
  );
  held.push(result.image);
  const requestIds = result.requestId ? [result.requestId] : [];
  if (result.contentViolation) {
    run.log.warn({ requestId: result.requestId }, 'Venice refused the content of an edit');
    await tellUser(target, requester.t('results.violation.edit'), ctx, { replacesReply: true });
    return { outcome: 'refused', requestIds, messageId: null };
  }
  const meta = imageSize(result.image);
  const scales = meta?.width && meta.height ? upscaleScales(meta.width, meta.height) : [];
  const what =
    plan.kind === 'background'
      ? shown.t('results.edit.background')
      : plan.inputs.length > 1
        ? shown.t('results.edit.blend', { images: shown.number(plan.inputs.length) })
        : shown.t('results.edit.edited');
  const made = plan.lineage ? shown.t('results.edit.withLineage', { what, lineage: shown.render(plan.lineage) }) : shown.t('results.edit.alone', { what });
  // As with a generation: the result says the edit model is going away, and the moderators hear it once.
  const content = result.deprecation && plan.model ? `${made}\n${describeDeprecation(shown, plan.model.name, result.deprecation)}` : made;
  if (result.deprecation && plan.model) await announceDeprecation(ctx, settings, shown, plan.model.id, result.deprecation);
  const fields = [
    { name: shown.t('results.fields.model'), value: plan.model?.name ?? shown.t('results.edit.backgroundRemover'), inline: true },
    ...(meta?.width && meta.height ? [{ name: shown.t('results.fields.size'), value: `${meta.width}×${meta.height}`, inline: true }] : []),
    ...(plan.priceUsd !== undefined ? [{ name: shown.t('results.fields.price'), value: shown.usd(plan.priceUsd), inline: true }] : []),
  ];
  const message = {
    content,
    embeds: [{ ...(plan.prompt ? { description: trimPrompt(plan.prompt) } : {}), color: 0xdd3b2c, fields }],
    files: [{ attachment: result.image, name: imageFileName(0, result.format, plan.spoiler || result.blurred) }],
    allowedMentions: NO_MENTIONS,
  };
  const guildId = target.interaction.guildId;
  if (guildId !== null && reviewApplies(settings, target, guildId)) {
    // An edit makes a new image like any generation: in a review-mode channel, a moderator sees it first.
    await submitForReview({ generationId: generation.id, target, guildId, settings, message, images: [{ image: 1, upscale: scales }], blurred: result.blurred }, ctx);
    return { outcome: 'posted', requestIds, messageId: null };
  }
  const delivered = await deliverResult(
    target,
    { ...message, components: renderResultComponents(shown, generation.id, [1], new Map(scales.length > 0 ? [[1, scales]] : []), 'derived') },
    ctx,
  );
  return { outcome: 'posted', requestIds, messageId: delivered.messageId };
}
