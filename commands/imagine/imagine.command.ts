import {
  ComponentType,
  MessageFlags,
  PermissionFlagsBits,
  TextInputStyle,
  type AutocompleteInteraction,
  type MessageComponentInteraction,
  type ModalSubmitInteraction,
} from 'discord.js';
import { z } from 'zod';
import type { Command, CommandContext } from '../../src/discord/command.js';
import { encodeCustomId } from '../../src/discord/custom-id.js';
import { NO_MENTIONS } from '../../src/discord/replies.js';
import { UserError } from '../../src/errors.js';
import { publicLocaleOf, translator, type Message } from '../../src/i18n/index.js';
import type { Generation } from '../../src/store/generations.js';
import { resolveModel } from '../../src/venice/request-builder.js';
import { suggestModels, suggestQualities, suggestResolutions, suggestSizes, suggestStyles } from './imagine.autocomplete.js';
import { imagineData } from './imagine.data.js';
import { readImagineOptions } from './imagine.options.js';
import { generateAndPost } from './imagine.pipeline.js';
import { drainJobs } from './imagine.recovery.js';
import { enqueueUpscale } from './imagine.upscale.js';
import { enqueueEdit, lineageFromImage } from './imagine.edit.js';
import { requestScope } from './imagine.scope.js';
import { isAgeRestricted } from '../../src/discord/channels.js';
import { editPrice } from '../../src/venice/edit-models.js';
import { checkBanned } from '../../src/jobs/policy.js';
import { renderInfo } from './imagine.view.js';
import { removeFromGallery, star, unlist } from './imagine.gallery.js';
import { approve, reject, rejectSubmitted, withdrawReview } from './imagine.review.js';

async function autocomplete(interaction: AutocompleteInteraction, ctx: CommandContext) {
  const focused = interaction.options.getFocused(true);
  const typed = String(focused.value);
  // Suggestions are seen only by the member typing.
  const t = translator(interaction.locale);
  const snapshot = ctx.catalog.current();
  let settings;
  try {
    settings = (await requestScope(interaction, ctx)).settings;
  } catch {
    // A blocked member gets no suggestions; the command itself says why.
    return [];
  }
  const allowed = settings.allowedModels.length > 0 ? new Set(settings.allowedModels) : undefined;
  // The model typed so far in the same command decides which sizes make sense.
  const chosenModel = () => {
    try {
      return resolveModel(snapshot, interaction.options.getString('model') ?? undefined, settings.defaultModel ?? ctx.catalog.defaultModel()?.id);
    } catch {
      return undefined;
    }
  };
  switch (focused.name) {
    case 'model':
      return suggestModels(t, snapshot, typed, allowed);
    case 'style':
      return suggestStyles(snapshot, typed);
    case 'aspect_ratio':
      return suggestSizes(t, chosenModel(), typed);
    case 'resolution':
      return suggestResolutions(t, chosenModel(), typed);
    case 'quality':
      return suggestQualities(t, chosenModel(), typed);
    default:
      return [];
  }
}

/** The stored generation behind a button, or a clear refusal when the store no longer has it. */
async function loadGeneration(ctx: CommandContext, id: string | undefined): Promise<Generation> {
  const g = id === undefined ? undefined : await ctx.store.generations.get(id);
  if (!g || g.deletedAt !== null) throw new UserError('imagine.buttons.gone');
  return g;
}

const upscaleChoice = z.string().regex(/^([1-4])x([24])$/).transform((v) => ({ image: Number(v[0]), scale: Number(v[2]) as 2 | 4 }));

async function reroll(interaction: MessageComponentInteraction, [id]: string[], ctx: CommandContext) {
  if (!interaction.isButton()) return;
  const g = await loadGeneration(ctx, id);
  await ctx.interactions.defer(interaction, false);
  const { seed: _previous, ...options } = g.options;
  await generateAndPost(interaction, options, ctx);
}

async function vary(interaction: MessageComponentInteraction, [id]: string[], ctx: CommandContext) {
  const g = await loadGeneration(ctx, id);
  const t = translator(interaction.locale);
  // A modal must be the first answer to the press: no defer before it.
  await interaction.showModal({
    custom_id: encodeCustomId('imagine', 'vary', g.id),
    title: t.t('imagine.vary.title'),
    components: [
      {
        type: ComponentType.ActionRow,
        components: [{ type: ComponentType.TextInput, custom_id: 'prompt', label: t.t('imagine.vary.prompt'), style: TextInputStyle.Paragraph, required: true, max_length: 4000, value: g.options.prompt.slice(0, 4000) }],
      },
      {
        type: ComponentType.ActionRow,
        components: [
          {
            type: ComponentType.TextInput,
            custom_id: 'negative_prompt',
            label: t.t('imagine.vary.negativePrompt'),
            style: TextInputStyle.Paragraph,
            required: false,
            max_length: 4000,
            ...(g.options.negative_prompt ? { value: g.options.negative_prompt.slice(0, 4000) } : {}),
          },
        ],
      },
    ],
  });
}

async function varySubmitted(interaction: ModalSubmitInteraction, [id]: string[], ctx: CommandContext) {
  const g = await loadGeneration(ctx, id);
  await ctx.interactions.defer(interaction, false);
  const prompt = interaction.fields.getTextInputValue('prompt');
  const negative = interaction.fields.getTextInputValue('negative_prompt').trim();
  const firstSeed = g.seeds.find((s): s is number => s !== null);
  await generateAndPost(interaction, { ...g.options, prompt, negative_prompt: negative === '' ? undefined : negative, ...(firstSeed !== undefined ? { seed: firstSeed } : {}) }, ctx);
}

async function info(interaction: MessageComponentInteraction, [id]: string[], ctx: CommandContext) {
  const g = await loadGeneration(ctx, id);
  await interaction.reply({ content: renderInfo(translator(interaction.locale), g), flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
}

async function remove(interaction: MessageComponentInteraction, [id]: string[], ctx: CommandContext) {
  const g = await loadGeneration(ctx, id);
  const mayManage = interaction.memberPermissions?.has(PermissionFlagsBits.ManageMessages) === true;
  if (interaction.user.id !== g.userId && !mayManage) {
    throw new UserError('imagine.delete.notAllowed');
  }
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  await interaction.message.delete();
  await ctx.store.generations.markDeleted(g.id, ctx.now());
  // A deleted result leaves the gallery too.
  const listed = await ctx.store.gallery.get(g.id);
  if (listed?.state === 'posted') await removeFromGallery(interaction.client, listed, ctx).catch((err: unknown) => ctx.log.warn({ err, generationId: g.id }, 'could not remove from the gallery'));
  await interaction.editReply({ content: translator(interaction.locale).t('imagine.delete.done'), allowedMentions: NO_MENTIONS });
}

async function upscale(interaction: MessageComponentInteraction, [id]: string[], ctx: CommandContext) {
  if (!interaction.isStringSelectMenu()) return;
  const g = await loadGeneration(ctx, id);
  const choice = upscaleChoice.safeParse(interaction.values[0]);
  if (!choice.success) throw new UserError('imagine.buttons.unknownChoice');
  const { image, scale } = choice.data;
  const attachment = imageOnMessage(interaction.message, image);
  await ctx.interactions.defer(interaction, false);
  await enqueueUpscale(interaction, g, { generationId: g.id, image, scale, attachmentUrl: attachment.url, spoiler: attachment.name.startsWith('SPOILER_') }, ctx);
}

const retouchChoice = z.string().regex(/^([eb])([1-4])$/).transform((v) => ({ action: v[0] === 'e' ? ('edit' as const) : ('background' as const), image: Number(v[1]) }));

/** The attachment of image `n` on a result message, or a refusal saying it is gone. */
function imageOnMessage(message: MessageComponentInteraction['message'] | null, n: number) {
  const attachment = message?.attachments.find((a) => new RegExp(`^(SPOILER_)?image-${n}\\.`).test(a.name));
  if (!attachment) throw new UserError('imagine.buttons.imageGone', { image: n });
  return attachment;
}

/** "from image 2 of `abc` by @name": who made it is said, never pinged. */
function lineageOf(g: Generation, image: number, presserId: string): Message {
  return lineageFromImage(g.id, image, g.userId !== presserId ? g.userId : undefined);
}

/** The Edit menu under a result: ✏️ opens a form for the instruction; Remove background starts at once. */
async function retouch(interaction: MessageComponentInteraction, [id]: string[], ctx: CommandContext) {
  if (!interaction.isStringSelectMenu()) return;
  const g = await loadGeneration(ctx, id);
  const choice = retouchChoice.safeParse(interaction.values[0]);
  if (!choice.success) throw new UserError('imagine.buttons.unknownChoice');
  const { action, image } = choice.data;
  const attachment = imageOnMessage(interaction.message, image);
  if (action === 'edit') {
    const t = translator(interaction.locale);
    await interaction.showModal({
      custom_id: encodeCustomId('imagine', 'edit', g.id, String(image)),
      title: t.t('imagine.edit.title', { image }),
      components: [
        {
          type: ComponentType.ActionRow,
          components: [
            {
              type: ComponentType.TextInput,
              custom_id: 'prompt',
              label: t.t('imagine.edit.label'),
              style: TextInputStyle.Paragraph,
              required: true,
              max_length: 4000,
              placeholder: t.t('imagine.edit.placeholder'),
            },
          ],
        },
      ],
    });
    return;
  }
  await ctx.interactions.defer(interaction, false);
  await enqueueEdit(
    interaction,
    {
      kind: 'background',
      model: undefined,
      prompt: undefined,
      inputs: [{ attachmentUrl: attachment.url, generationId: g.id, image }],
      spoiler: attachment.name.startsWith('SPOILER_'),
      aspectRatio: undefined,
      resolution: undefined,
      format: undefined,
      safeMode: true,
      priceUsd: ctx.catalog.current().backgroundRemovalUsd,
      lineage: lineageOf(g, image, interaction.user.id),
    },
    ctx,
  );
}

/** The instruction for an Edit pressed on a result: Venice's default edit model, charged to whoever pressed. */
async function editSubmitted(interaction: ModalSubmitInteraction, [id, n]: string[], ctx: CommandContext) {
  const g = await loadGeneration(ctx, id);
  const image = Number(n);
  if (!Number.isInteger(image) || image < 1 || image > 4) throw new UserError('imagine.edit.staleForm');
  const attachment = imageOnMessage(interaction.message, image);
  const prompt = interaction.fields.getTextInputValue('prompt').trim();
  if (prompt === '') throw new UserError('imagine.edit.promptMissing');
  const { settings } = await requestScope(interaction, ctx);
  checkBanned(settings.bannedPatterns, [prompt]);
  const model = ctx.catalog.current().editModels[0];
  if (!model) throw new UserError('imagine.edit.modelsNotLoaded');
  if (prompt.length > model.promptLimit) throw new UserError('imagine.edit.promptTooLong', { length: prompt.length, model: model.name, limit: model.promptLimit });
  await ctx.interactions.defer(interaction, false);
  await enqueueEdit(
    interaction,
    {
      kind: 'edit',
      model,
      prompt,
      inputs: [{ attachmentUrl: attachment.url, generationId: g.id, image }],
      spoiler: attachment.name.startsWith('SPOILER_'),
      aspectRatio: undefined,
      resolution: undefined,
      format: undefined,
      // The presser's channel rules decide, whatever the original was made with.
      safeMode: !(isAgeRestricted(interaction) && settings.allowUnsafe),
      priceUsd: editPrice(model, { inputs: 1 }),
      lineage: lineageOf(g, image, interaction.user.id),
    },
    ctx,
  );
}

/** Runs an interrupted job again: the same generation options and seeds, or the same upscale. */
async function retry(interaction: MessageComponentInteraction, [id]: string[], ctx: CommandContext) {
  if (!interaction.isButton()) return;
  const g = await loadGeneration(ctx, id);
  // A describe's answer was private and its upload may be gone: the member runs /describe again.
  if (g.kind === 'describe') throw new UserError('describe.retry.unsupported');
  await ctx.interactions.defer(interaction, false);
  const source = g.source;
  if (g.kind === 'upscale' && source?.scale !== undefined && source.image !== null && source.generationId !== null) {
    await enqueueUpscale(interaction, await loadGeneration(ctx, source.generationId), { ...source, scale: source.scale, image: source.image }, ctx);
    return;
  }
  if ((g.kind === 'edit' || g.kind === 'background') && source) {
    const model = g.kind === 'edit' ? ctx.catalog.current().editById.get(g.model) : undefined;
    if (g.kind === 'edit' && !model) throw new UserError('imagine.edit.modelGone', { model: g.model });
    const inputs = [source, ...(source.more ?? [])].map(({ attachmentUrl, generationId, image }) => ({ attachmentUrl, generationId, image }));
    await enqueueEdit(
      interaction,
      {
        kind: g.kind,
        model,
        prompt: g.kind === 'edit' ? g.options.prompt : undefined,
        inputs,
        spoiler: source.spoiler,
        aspectRatio: g.options.aspect_ratio,
        resolution: g.options.resolution,
        format: g.options.format,
        safeMode: g.options.safe_mode !== false,
        priceUsd: model ? editPrice(model, { resolution: g.options.resolution, inputs: inputs.length }) : ctx.catalog.current().backgroundRemovalUsd,
        lineage: source.generationId && source.image ? lineageFromImage(source.generationId, source.image) : undefined,
      },
      ctx,
    );
    return;
  }
  const firstSeed = g.seeds.find((s): s is number => s !== null);
  await generateAndPost(interaction, { ...g.options, ...(firstSeed !== undefined ? { seed: firstSeed } : {}) }, ctx);
}

async function cancel(interaction: MessageComponentInteraction, [id]: string[], ctx: CommandContext) {
  const g = await loadGeneration(ctx, id);
  const mayManage = interaction.memberPermissions?.has(PermissionFlagsBits.ManageMessages) === true;
  if (interaction.user.id !== g.userId && !mayManage) throw new UserError('imagine.cancel.notAllowed');
  // The reply being replaced is public: it keeps the language the job was started in.
  const t = translator((await ctx.store.jobs.get(g.id))?.publicLocale ?? publicLocaleOf(interaction, undefined));
  // Waiting for a moderator: the job is over (and charged), the review is withdrawn.
  if (await withdrawReview(interaction, g.id, ctx)) return;
  const result = ctx.queue.cancel(g.id);
  if (result === 'unknown') throw new UserError('imagine.cancel.alreadyFinished');
  // Its images are being posted: the reply is left to the upload, which would otherwise lose its text to "Cancelling…".
  if (result === 'delivering') throw new UserError('imagine.cancel.tooLate');
  ctx.log.info({ generationId: g.id, result }, 'job cancelled');
  // Another process runs it and may be posting it already: it edits the reply itself if it stops.
  if (result === 'passedOn') throw new UserError('imagine.cancel.passedOn');
  if (result === 'removed') await interaction.update({ content: t.t('imagine.cancel.done'), components: [], allowedMentions: NO_MENTIONS });
  // A running job edits its own reply once Venice's answers are abandoned.
  // Said at once with the press's own fresh token, so no Cancel button outlives an expired reply.
  else await interaction.update({ content: t.t('imagine.cancel.pending'), components: [], allowedMentions: NO_MENTIONS });
}

export const imagineCommand: Command = {
  data: imagineData,
  defer: { ephemeral: false },
  autocomplete,
  execute: (interaction, ctx) => generateAndPost(interaction, readImagineOptions(interaction), ctx),
  components: {
    reroll,
    vary,
    info,
    delete: remove,
    upscale,
    retouch,
    retry,
    cancel,
    approve,
    reject,
    star: async (interaction, [id], ctx) => star(interaction, await loadGeneration(ctx, id), ctx),
    unlist: async (interaction, [id], ctx) => unlist(interaction, await loadGeneration(ctx, id), ctx),
  },
  modals: { vary: varySubmitted, edit: editSubmitted, reject: rejectSubmitted },
  onShutdown: drainJobs,
};
