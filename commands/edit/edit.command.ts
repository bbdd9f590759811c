import type { Attachment, AutocompleteInteraction, ChatInputCommandInteraction } from 'discord.js';
import { z } from 'zod';
import { isAgeRestricted } from '../../src/discord/channels.js';
import type { AutocompleteChoice, Command, CommandContext } from '../../src/discord/command.js';
import { isAllowedAttachmentUrl } from '../../src/discord/attachments.js';
import { UserError } from '../../src/errors.js';
import { checkAttachmentFacts } from '../../src/jobs/input-image.js';
import { checkBanned } from '../../src/jobs/policy.js';
import type { CatalogSnapshot } from '../../src/venice/catalog.js';
import { editPrice, type EditModel } from '../../src/venice/edit-models.js';
import { formatUsd } from '../../src/venice/models.js';
import { enqueueEdit } from '../imagine/imagine.edit.js';
import { requestScope } from '../imagine/imagine.scope.js';
import { editData } from './edit.data.js';

const LIMIT = 25;
const EXTRA_IMAGES = ['image2', 'image3', 'image4'] as const;

const optionsSchema = z.object({
  prompt: z.string().min(1),
  model: z.string().optional(),
  aspect_ratio: z.string().optional(),
  resolution: z.string().optional(),
  format: z.enum(['png', 'jpeg', 'webp']).optional(),
  safe_mode: z.boolean().optional(),
});

function modelLabel(model: EditModel): string {
  const price = editPrice(model, { inputs: 1 });
  const suffix = `${price === undefined ? '' : ` · ${model.resolutions.length > 0 ? 'from ' : ''}${formatUsd(price)}`} · up to ${model.maxInputImages} image${model.maxInputImages > 1 ? 's' : ''}${model.uncensored ? ' · 🔓' : ''}`;
  const room = 100 - suffix.length;
  return `${model.name.length > room ? `${model.name.slice(0, room - 1)}…` : model.name}${suffix}`;
}

function chosenModel(snapshot: CatalogSnapshot, id: string | null | undefined): EditModel | undefined {
  return id ? snapshot.editById.get(id.trim()) : snapshot.editModels[0];
}

function autocomplete(interaction: AutocompleteInteraction, ctx: CommandContext): AutocompleteChoice[] {
  const focused = interaction.options.getFocused(true);
  const typed = String(focused.value).trim().toLowerCase();
  const snapshot = ctx.catalog.current();
  const model = chosenModel(snapshot, interaction.options.getString('model'));
  const match = (values: readonly string[]) => values.filter((v) => v.toLowerCase().includes(typed)).slice(0, LIMIT).map((v) => ({ name: v, value: v }));
  switch (focused.name) {
    case 'model':
      return snapshot.editModels
        .filter((m) => typed === '' || m.id.includes(typed) || m.name.toLowerCase().includes(typed))
        .slice(0, LIMIT)
        .map((m) => ({ name: modelLabel(m), value: m.id }));
    case 'aspect_ratio':
      return match(['auto', ...(model?.aspectRatios ?? []).filter((r) => r !== 'auto')]);
    case 'resolution':
      return match(model?.resolutions ?? []);
    default:
      return [];
  }
}

/**
 * `/edit`: one image and an instruction through `/image/edit`, or up to four through
 * `/image/multi-edit`, checked against the model and Venice's input limits before anything
 * is downloaded or spent, then a job like any other.
 */
async function execute(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const o = interaction.options;
  const parsed = optionsSchema.safeParse({
    prompt: o.getString('prompt', true),
    model: o.getString('model') ?? undefined,
    aspect_ratio: o.getString('aspect_ratio') ?? undefined,
    resolution: o.getString('resolution') ?? undefined,
    format: o.getString('format') ?? undefined,
    safe_mode: o.getBoolean('safe_mode') ?? undefined,
  });
  if (!parsed.success) throw new UserError('One of the options has a value the bot cannot use. Pick from the choices Discord offers and try again.');
  const options = parsed.data;
  const attachments: Attachment[] = [o.getAttachment('image', true), ...EXTRA_IMAGES.map((name) => o.getAttachment(name)).filter((a): a is Attachment => a !== null)];

  const snapshot = ctx.catalog.current();
  if (snapshot.editModels.length === 0) throw new UserError('Venice’s list of edit models is not loaded yet. Try again in a minute.');
  const model = chosenModel(snapshot, options.model);
  if (!model) throw new UserError(`\`${options.model ?? ''}\` is not one of Venice’s edit models. Pick one from the list.`);
  if (attachments.length > model.maxInputImages) {
    throw new UserError(`${model.name} takes at most ${model.maxInputImages} image${model.maxInputImages > 1 ? 's' : ''}, and you gave ${attachments.length}. Leave some out or pick another model.`);
  }
  const prompt = options.prompt.trim();
  if (prompt.length > model.promptLimit) throw new UserError(`The instruction is ${prompt.length} characters; ${model.name} takes at most ${model.promptLimit}.`);
  const { settings } = requestScope(interaction, ctx);
  checkBanned(settings.bannedPatterns, [prompt]);
  const ratio = options.aspect_ratio?.trim();
  if (ratio && ratio !== 'auto' && !model.aspectRatios.includes(ratio)) {
    throw new UserError(`${model.name} takes \`auto\`${model.aspectRatios.length > 0 ? ` or one of ${model.aspectRatios.filter((r) => r !== 'auto').map((r) => `\`${r}\``).join(', ')}` : ' only'} as the aspect ratio.`);
  }
  const resolution = options.resolution?.trim().toUpperCase();
  if (resolution && !model.resolutions.includes(resolution)) {
    throw new UserError(model.resolutions.length > 0 ? `${model.name} offers ${model.resolutions.map((r) => `\`${r}\``).join(', ')}.` : `${model.name} has no resolution to choose; leave \`resolution\` out.`);
  }
  const unsafeAllowed = isAgeRestricted(interaction) && settings.allowUnsafe;
  if (options.safe_mode === false && !unsafeAllowed) {
    throw new UserError('Safe mode can be turned off only in an age-restricted channel whose admins allowed it. Leave `safe_mode` on.');
  }
  const extraHosts = ctx.attachmentHosts;
  attachments.forEach((a, i) => {
    const label = attachments.length > 1 ? `Image ${i + 1}` : 'The image';
    // Only Discord's CDN: the bot never fetches a URL a member could point anywhere.
    if (!isAllowedAttachmentUrl(a.url, extraHosts)) throw new UserError(`${label} is not a Discord attachment. Upload the image to Discord and try again.`);
    checkAttachmentFacts({ name: a.name, size: a.size, contentType: a.contentType, width: a.width, height: a.height }, label);
  });

  await enqueueEdit(
    interaction,
    {
      kind: 'edit',
      model,
      prompt,
      inputs: attachments.map((a) => ({ attachmentUrl: a.url, generationId: null, image: null })),
      spoiler: attachments[0]?.spoiler === true,
      aspectRatio: ratio,
      resolution,
      format: options.format,
      safeMode: !(unsafeAllowed && options.safe_mode === false),
      priceUsd: editPrice(model, { resolution, inputs: attachments.length }),
      lineage: attachments.length > 1 ? `from ${attachments.length} uploaded images` : 'from an uploaded image',
    },
    ctx,
  );
}

export const editCommand: Command = {
  data: editData,
  defer: { ephemeral: false },
  autocomplete,
  execute,
};
