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
import { settingsChannels } from '../../src/discord/channels.js';
import type { Command, CommandContext } from '../../src/discord/command.js';
import { encodeCustomId } from '../../src/discord/custom-id.js';
import { NO_MENTIONS } from '../../src/discord/replies.js';
import { UserError } from '../../src/errors.js';
import type { Generation } from '../../src/store/generations.js';
import { resolveModel } from '../../src/venice/request-builder.js';
import { suggestModels, suggestQualities, suggestResolutions, suggestSizes, suggestStyles } from './imagine.autocomplete.js';
import { imagineData } from './imagine.data.js';
import { readImagineOptions } from './imagine.options.js';
import { generateAndPost } from './imagine.pipeline.js';
import { drainJobs } from './imagine.recovery.js';
import { enqueueUpscale } from './imagine.upscale.js';
import { renderInfo } from './imagine.view.js';

function autocomplete(interaction: AutocompleteInteraction, ctx: CommandContext) {
  const focused = interaction.options.getFocused(true);
  const typed = String(focused.value);
  const snapshot = ctx.catalog.current();
  const settings = ctx.store.settings.effective(interaction.guildId, settingsChannels(interaction));
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
      return suggestModels(snapshot, typed, allowed);
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

const GONE = 'This image is no longer in the bot’s history, so its buttons no longer work. Run `/imagine` again.';

/** The stored generation behind a button, or a clear refusal when the store no longer has it. */
function loadGeneration(ctx: CommandContext, id: string | undefined): Generation {
  const g = id === undefined ? undefined : ctx.store.generations.get(id);
  if (!g || g.deletedAt !== null) throw new UserError(GONE);
  return g;
}

const upscaleChoice = z.string().regex(/^([1-4])x([24])$/).transform((v) => ({ image: Number(v[0]), scale: Number(v[2]) as 2 | 4 }));

async function reroll(interaction: MessageComponentInteraction, [id]: string[], ctx: CommandContext) {
  if (!interaction.isButton()) return;
  const g = loadGeneration(ctx, id);
  await ctx.interactions.defer(interaction, false);
  const { seed: _previous, ...options } = g.options;
  await generateAndPost(interaction, options, ctx);
}

async function vary(interaction: MessageComponentInteraction, [id]: string[], ctx: CommandContext) {
  const g = loadGeneration(ctx, id);
  // A modal must be the first answer to the press: no defer before it.
  await interaction.showModal({
    custom_id: encodeCustomId('imagine', 'vary', g.id),
    title: 'Vary this image',
    components: [
      {
        type: ComponentType.ActionRow,
        components: [{ type: ComponentType.TextInput, custom_id: 'prompt', label: 'Prompt', style: TextInputStyle.Paragraph, required: true, max_length: 4000, value: g.options.prompt.slice(0, 4000) }],
      },
      {
        type: ComponentType.ActionRow,
        components: [
          {
            type: ComponentType.TextInput,
            custom_id: 'negative_prompt',
            label: 'Negative prompt',
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
  const g = loadGeneration(ctx, id);
  await ctx.interactions.defer(interaction, false);
  const prompt = interaction.fields.getTextInputValue('prompt');
  const negative = interaction.fields.getTextInputValue('negative_prompt').trim();
  const firstSeed = g.seeds.find((s): s is number => s !== null);
  await generateAndPost(interaction, { ...g.options, prompt, negative_prompt: negative === '' ? undefined : negative, ...(firstSeed !== undefined ? { seed: firstSeed } : {}) }, ctx);
}

async function info(interaction: MessageComponentInteraction, [id]: string[], ctx: CommandContext) {
  const g = loadGeneration(ctx, id);
  await interaction.reply({ content: renderInfo(g), flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
}

async function remove(interaction: MessageComponentInteraction, [id]: string[], ctx: CommandContext) {
  const g = loadGeneration(ctx, id);
  const mayManage = interaction.memberPermissions?.has(PermissionFlagsBits.ManageMessages) === true;
  if (interaction.user.id !== g.userId && !mayManage) {
    throw new UserError('Only the person who asked for this image, or someone who can manage messages, can delete it.');
  }
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  await interaction.message.delete();
  ctx.store.generations.markDeleted(g.id, ctx.now());
  await interaction.editReply({ content: 'Deleted.', allowedMentions: NO_MENTIONS });
}

async function upscale(interaction: MessageComponentInteraction, [id]: string[], ctx: CommandContext) {
  if (!interaction.isStringSelectMenu()) return;
  const g = loadGeneration(ctx, id);
  const choice = upscaleChoice.safeParse(interaction.values[0]);
  if (!choice.success) throw new UserError('That choice is not one the bot offers. Pick one from the menu.');
  const { image, scale } = choice.data;
  const attachment = interaction.message.attachments.find((a) => new RegExp(`^(SPOILER_)?image-${image}\\.`).test(a.name));
  if (!attachment) throw new UserError(`Image ${image} is not on this message any more.`);
  await ctx.interactions.defer(interaction, false);
  await enqueueUpscale(interaction, g, { generationId: g.id, image, scale, attachmentUrl: attachment.url, spoiler: attachment.name.startsWith('SPOILER_') }, ctx);
}

/** Runs an interrupted job again: the same generation options and seeds, or the same upscale. */
async function retry(interaction: MessageComponentInteraction, [id]: string[], ctx: CommandContext) {
  if (!interaction.isButton()) return;
  const g = loadGeneration(ctx, id);
  await ctx.interactions.defer(interaction, false);
  if (g.kind === 'upscale' && g.source) {
    await enqueueUpscale(interaction, loadGeneration(ctx, g.source.generationId), g.source, ctx);
    return;
  }
  const firstSeed = g.seeds.find((s): s is number => s !== null);
  await generateAndPost(interaction, { ...g.options, ...(firstSeed !== undefined ? { seed: firstSeed } : {}) }, ctx);
}

async function cancel(interaction: MessageComponentInteraction, [id]: string[], ctx: CommandContext) {
  const g = loadGeneration(ctx, id);
  const mayManage = interaction.memberPermissions?.has(PermissionFlagsBits.ManageMessages) === true;
  if (interaction.user.id !== g.userId && !mayManage) throw new UserError('Only the person who asked for these images can cancel them.');
  const result = ctx.queue.cancel(g.id);
  if (result === 'unknown') throw new UserError('This request has already finished.');
  ctx.log.info({ generationId: g.id, result }, 'job cancelled');
  if (result === 'removed') await interaction.update({ content: 'Cancelled. Nothing was posted.', components: [], allowedMentions: NO_MENTIONS });
  // A running job edits its own reply once Venice's answers are abandoned.
  else await interaction.deferUpdate();
}

export const imagineCommand: Command = {
  data: imagineData,
  defer: { ephemeral: false },
  autocomplete,
  execute: (interaction, ctx) => generateAndPost(interaction, readImagineOptions(interaction), ctx),
  components: { reroll, vary, info, delete: remove, upscale, retry, cancel },
  modals: { vary: varySubmitted },
  onShutdown: drainJobs,
};
