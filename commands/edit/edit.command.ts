import type { Attachment, AutocompleteInteraction, ChatInputCommandInteraction } from 'discord.js';
import { z } from 'zod';
import { isAgeRestricted } from '../../src/discord/channels.js';
import type { AutocompleteChoice, Command, CommandContext } from '../../src/discord/command.js';
import { isAllowedAttachmentUrl } from '../../src/discord/attachments.js';
import { UserError } from '../../src/errors.js';
import { translator, type Translator } from '../../src/i18n/index.js';
import { checkAttachmentFacts, imageLabel } from '../../src/jobs/input-image.js';
import { checkBanned } from '../../src/jobs/policy.js';
import type { CatalogSnapshot } from '../../src/venice/catalog.js';
import { editPrice, type EditModel } from '../../src/venice/edit-models.js';
import { enqueueEdit, lineageFromUploads } from '../imagine/imagine.edit.js';
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

function modelLabel(t: Translator, model: EditModel): string {
  const price = editPrice(model, { inputs: 1 });
  const facts = [
    ...(price === undefined ? [] : [model.resolutions.length > 0 ? t.t('edit.autocomplete.priceFrom', { price: t.usd(price) }) : t.usd(price)]),
    t.t('edit.autocomplete.maxImages', { count: model.maxInputImages, images: t.number(model.maxInputImages) }),
    ...(model.uncensored ? ['🔓'] : []),
  ];
  const suffix = facts.map((f) => ` · ${f}`).join('');
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
  const t = translator(interaction.locale);
  const match = (values: readonly string[]) => values.filter((v) => v.toLowerCase().includes(typed)).slice(0, LIMIT).map((v) => ({ name: v, value: v }));
  switch (focused.name) {
    case 'model':
      return snapshot.editModels
        .filter((m) => typed === '' || m.id.includes(typed) || m.name.toLowerCase().includes(typed))
        .slice(0, LIMIT)
        .map((m) => ({ name: modelLabel(t, m), value: m.id }));
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
  if (!parsed.success) throw new UserError('edit.refusal.invalidOption');
  // Refusals are private, in the member's language; the result is public, in the channel's.
  const t = translator(interaction.locale);
  const options = parsed.data;
  const attachments: Attachment[] = [o.getAttachment('image', true), ...EXTRA_IMAGES.map((name) => o.getAttachment(name)).filter((a): a is Attachment => a !== null)];

  const snapshot = ctx.catalog.current();
  if (snapshot.editModels.length === 0) throw new UserError('edit.refusal.notLoaded');
  const model = chosenModel(snapshot, options.model);
  if (!model) throw new UserError('edit.refusal.unknownModel', { model: options.model ?? '' });
  if (attachments.length > model.maxInputImages) {
    throw new UserError('edit.refusal.tooManyImages', { count: model.maxInputImages, model: model.name, max: t.number(model.maxInputImages), given: t.number(attachments.length) });
  }
  const prompt = options.prompt.trim();
  if (prompt.length > model.promptLimit) {
    throw new UserError('edit.refusal.promptTooLong', { length: t.number(prompt.length), model: model.name, limit: t.number(model.promptLimit) });
  }
  const { settings } = await requestScope(interaction, ctx);
  checkBanned(settings.bannedPatterns, [prompt]);
  const ratio = options.aspect_ratio?.trim();
  if (ratio && ratio !== 'auto' && !model.aspectRatios.includes(ratio)) {
    const ratios = model.aspectRatios.filter((r) => r !== 'auto').map((r) => `\`${r}\``);
    throw new UserError(ratios.length > 0 ? 'edit.refusal.ratioChoices' : 'edit.refusal.ratioAutoOnly', { model: model.name, ratios: ratios.join(', ') });
  }
  const resolution = options.resolution?.trim().toUpperCase();
  if (resolution && !model.resolutions.includes(resolution)) {
    const resolutions = model.resolutions.map((r) => `\`${r}\``).join(', ');
    throw new UserError(model.resolutions.length > 0 ? 'edit.refusal.resolutionChoices' : 'edit.refusal.noResolution', { model: model.name, resolutions });
  }
  const unsafeAllowed = isAgeRestricted(interaction) && settings.allowUnsafe;
  if (options.safe_mode === false && !unsafeAllowed) {
    throw new UserError('edit.refusal.safeMode');
  }
  const extraHosts = ctx.attachmentHosts;
  attachments.forEach((a, i) => {
    const label = imageLabel(t, i, attachments.length);
    // Only Discord's CDN: the bot never fetches a URL a member could point anywhere.
    if (!isAllowedAttachmentUrl(a.url, extraHosts)) throw new UserError('edit.refusal.notAttachment', { label });
    checkAttachmentFacts(t, { name: a.name, size: a.size, contentType: a.contentType, width: a.width, height: a.height }, label);
  });

  await enqueueEdit(
    interaction,
    {
      kind: 'edit',
      model,
      prompt,
      inputs: attachments.map((a) => ({ attachmentUrl: a.url, generationId: null, image: null })),
      // A blend shows every input: one spoilered input keeps the result behind a spoiler.
      spoiler: attachments.some((a) => a.spoiler),
      aspectRatio: ratio,
      resolution,
      format: options.format,
      safeMode: !(unsafeAllowed && options.safe_mode === false),
      priceUsd: editPrice(model, { resolution, inputs: attachments.length }),
      lineage: lineageFromUploads(attachments.length),
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
