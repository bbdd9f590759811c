import { ButtonStyle, ComponentType, type APIActionRowComponent, type APIComponentInMessageActionRow, type APIEmbed } from 'discord.js';
import { encodeCustomId } from '../../src/discord/custom-id.js';
import { NO_MENTIONS } from '../../src/discord/replies.js';
import type { VariantOutcome } from '../../src/jobs/image-job.js';
import type { GenerationInput, GenerationSource } from '../../src/store/generations.js';
import { VeniceError } from '../../src/venice/errors.js';
import { formatUsd } from '../../src/venice/models.js';
import type { ImageFormat } from '../../src/venice/types.js';
import { describeDeprecation, describeVeniceError } from '../../src/venice/user-messages.js';

export interface ResultSummary {
  prompt: string;
  modelName: string;
  sizeLabel: string;
  style: string | undefined;
  pricePerImageUsd: number | undefined;
}

export interface FilePayload {
  attachment: Buffer;
  name: string;
}

export interface ResultMessage {
  content: string;
  embeds: APIEmbed[];
  files: FilePayload[];
  allowedMentions: typeof NO_MENTIONS;
}

const EXTENSION: Record<ImageFormat, string> = { webp: 'webp', png: 'png', jpeg: 'jpg' };
const VENICE_RED = 0xdd3b2c;

/** Discord's spoiler convention: the `SPOILER_` prefix blurs the attachment until clicked. */
export function imageFileName(index: number, format: ImageFormat, spoiler: boolean): string {
  return `${spoiler ? 'SPOILER_' : ''}image-${index + 1}.${EXTENSION[format]}`;
}

export function trimPrompt(prompt: string, max = 1000): string {
  return prompt.length > max ? `${prompt.slice(0, max - 1)}…` : prompt;
}

/** What a failed variant tells its user: Venice's reason when it gave one, never a stack trace. */
export function describeFailure(error: unknown): string {
  return error instanceof VeniceError ? describeVeniceError(error) : 'It failed for a reason on our side.';
}

/** Outcomes split by what the user sees: posted images, refused content, failures. */
export function partitionOutcomes(outcomes: readonly VariantOutcome[]) {
  const posted = outcomes.filter((o): o is Extract<VariantOutcome, { ok: true }> => o.ok && !o.result.contentViolation);
  const refused = outcomes.filter((o) => o.ok && o.result.contentViolation);
  const failed = outcomes.filter((o): o is Extract<VariantOutcome, { ok: false }> => !o.ok);
  return { posted, refused, failed };
}

/**
 * The public result: every posted image as an attachment (spoilered per its own response's
 * blur verdict), an embed with what produced it, and a line for each variant that failed.
 */
export function renderResult(summary: ResultSummary, outcomes: readonly VariantOutcome[]): ResultMessage {
  const { posted, refused, failed } = partitionOutcomes(outcomes);
  const files: FilePayload[] = [];
  for (const o of posted) {
    o.result.images.forEach((bytes, i) => {
      const index = o.index + i;
      files.push({ attachment: bytes, name: imageFileName(index, o.result.format, o.result.blurred) });
    });
  }
  const seeds = posted.map((o) => o.seed).filter((s): s is number => s !== undefined);
  const timings = posted.map((o) => o.result.timingMs).filter((t): t is number => t !== undefined);
  const fields: APIEmbed['fields'] = [
    { name: 'Model', value: summary.modelName, inline: true },
    { name: seeds.length > 1 ? 'Seeds' : 'Seed', value: seeds.length > 0 ? seeds.join(', ') : 'random', inline: true },
    { name: 'Size', value: summary.sizeLabel, inline: true },
  ];
  if (summary.style) fields.push({ name: 'Style', value: summary.style, inline: true });
  if (summary.pricePerImageUsd !== undefined) {
    fields.push({ name: 'Price', value: `${formatUsd(summary.pricePerImageUsd * posted.length)} (${posted.length} × ${formatUsd(summary.pricePerImageUsd)})`, inline: true });
  }
  if (timings.length > 0) fields.push({ name: 'Venice time', value: `${(Math.max(...timings) / 1000).toFixed(1)} s`, inline: true });

  const lines: string[] = [];
  const deprecation = posted.find((o) => o.result.deprecation)?.result.deprecation;
  if (deprecation) lines.push(describeDeprecation(summary.modelName, deprecation));
  if (refused.length > 0) lines.push(`${refused.length} image${refused.length > 1 ? 's were' : ' was'} withheld: Venice flagged ${refused.length > 1 ? 'them' : 'it'} as a content violation.`);
  for (const f of failed) lines.push(`Image ${f.index + 1}${f.seed !== undefined ? ` (seed ${f.seed})` : ''} failed: ${describeFailure(f.error)}`);

  return {
    content: lines.join('\n'),
    embeds: [{ description: trimPrompt(summary.prompt), color: VENICE_RED, fields }],
    files,
    allowedMentions: NO_MENTIONS,
  };
}

/** The ephemeral notice for images Venice blocked; the images themselves are never posted. */
export function renderViolationNotice(count: number, total: number): string {
  const which = count === total ? (total === 1 ? 'The image' : 'All the images') : `${count} of the ${total} images`;
  return `${which} could not be posted: Venice refused the content as a violation of its usage policy. Change the prompt and try again.`;
}

/**
 * The buttons under every result; their ids carry only the generation id, state is in the
 * store. A generation gets Reroll and Vary; anything made from an image (an edit, a blend, a
 * background removal) gets Info and Delete only. Every image can be edited, freed of its
 * background, and upscaled as far as Venice delivers in full.
 */
export function renderResultComponents(
  generationId: string,
  imageNumbers: readonly number[],
  /** Per image number, the upscale factors Venice can deliver in full (none: no menu entry). */
  upscalable: ReadonlyMap<number, ReadonlyArray<2 | 4>>,
  kind: 'generation' | 'derived' = 'generation',
): APIActionRowComponent<APIComponentInMessageActionRow>[] {
  const button = (action: string, label: string, style: ButtonStyle.Primary | ButtonStyle.Secondary | ButtonStyle.Danger): APIComponentInMessageActionRow => ({
    type: ComponentType.Button,
    style,
    label,
    custom_id: encodeCustomId('imagine', action, generationId),
  });
  const buttons =
    kind === 'generation'
      ? [button('reroll', '🎲 Reroll', ButtonStyle.Primary), button('vary', '✏️ Vary', ButtonStyle.Secondary), button('info', 'ℹ️ Info', ButtonStyle.Secondary), button('delete', '🗑️ Delete', ButtonStyle.Danger)]
      : [button('info', 'ℹ️ Info', ButtonStyle.Secondary), button('delete', '🗑️ Delete', ButtonStyle.Danger)];
  const rows: APIActionRowComponent<APIComponentInMessageActionRow>[] = [{ type: ComponentType.ActionRow, components: buttons }];
  if (imageNumbers.length > 0) {
    rows.push({
      type: ComponentType.ActionRow,
      components: [
        {
          type: ComponentType.StringSelect,
          custom_id: encodeCustomId('imagine', 'retouch', generationId),
          placeholder: 'Edit an image…',
          options: imageNumbers.flatMap((n) => [
            { label: `Image ${n}: ✏️ Edit`, value: `e${n}`, description: 'Describe a change; charged to you' },
            { label: `Image ${n}: Remove background`, value: `b${n}`, description: 'A PNG with a transparent background' },
          ]),
        },
      ],
    });
  }
  const upscaleOptions = imageNumbers.flatMap((n) => (upscalable.get(n) ?? []).map((scale) => ({ label: `Image ${n} ×${scale}`, value: `${n}x${scale}` })));
  if (upscaleOptions.length > 0) {
    rows.push({
      type: ComponentType.ActionRow,
      components: [
        {
          type: ComponentType.StringSelect,
          custom_id: encodeCustomId('imagine', 'upscale', generationId),
          placeholder: 'Upscale an image…',
          options: upscaleOptions,
        },
      ],
    });
  }
  return rows;
}

/** Everything a generation was made with, for the Info button. */
/** Where each image a job worked on came from: a result of ours, or an upload. */
function describeLineage(kind: string, source: GenerationSource | null | undefined): string[] {
  if (!source || kind === 'generate') return [];
  const from = (i: GenerationInput) => (i.generationId && i.image ? `image ${i.image} of \`${i.generationId}\`` : 'an uploaded image');
  const inputs = [source, ...(source.more ?? [])];
  const verb = kind === 'upscale' ? `Upscaled ×${source.scale ?? '?'}` : kind === 'background' ? 'Background removed' : inputs.length > 1 ? 'Blended' : 'Edited';
  return [`${verb} from ${inputs.map(from).join(', then ')}`];
}

export function renderInfo(g: {
  id: string;
  kind?: string;
  source?: GenerationSource | null;
  model: string;
  mode: string;
  options: Record<string, unknown>;
  seeds: Array<number | null>;
  priceUsd: number | null;
  requestIds: string[];
  createdAt: number;
  userId: string;
}): string {
  const lines = [
    `**${g.kind && g.kind !== 'generate' ? 'Image' : 'Generation'} \`${g.id}\`** by <@${g.userId}>, <t:${Math.floor(g.createdAt / 1000)}:f>`,
    ...describeLineage(g.kind ?? 'generate', g.source),
    `Model: \`${g.model}\`${g.mode === 'openai' ? ' (OpenAI-compatible endpoint)' : ''}`,
  ];
  lines.push(`Seeds: ${g.seeds.length > 0 ? g.seeds.map((s) => (s === null ? 'random' : String(s))).join(', ') : 'none posted'}`);
  for (const [key, value] of Object.entries(g.options)) {
    if (value === undefined || key === 'seed') continue;
    const text = typeof value === 'string' ? trimPrompt(value, 300) : String(value);
    lines.push(`${key}: ${text}`);
  }
  if (g.priceUsd !== null) lines.push(`Price: ${formatUsd(g.priceUsd)}`);
  if (g.requestIds.length > 0) lines.push(`Venice request ids: ${g.requestIds.map((r) => `\`${r}\``).join(', ')}`);
  const text = lines.join('\n');
  return text.length > 2000 ? `${text.slice(0, 1999)}…` : text;
}

/** The Cancel button shown while a job waits or runs. */
export function renderCancelRow(generationId: string): APIActionRowComponent<APIComponentInMessageActionRow>[] {
  return [
    {
      type: ComponentType.ActionRow,
      components: [{ type: ComponentType.Button, style: ButtonStyle.Secondary, label: 'Cancel', custom_id: encodeCustomId('imagine', 'cancel', generationId) }],
    },
  ];
}

/** The message left in place of a job the bot could not finish, with a button to run it again. */
export function renderInterrupted(generationId: string, reason: string, chargedNote?: string): { content: string; components: APIActionRowComponent<APIComponentInMessageActionRow>[] } {
  return {
    content: `⚠️ ${reason} ${chargedNote ?? 'Nothing was charged.'} Press **Retry** to run the same request again.`,
    components: [
      {
        type: ComponentType.ActionRow,
        components: [{ type: ComponentType.Button, style: ButtonStyle.Primary, label: 'Retry', custom_id: encodeCustomId('imagine', 'retry', generationId) }],
      },
    ],
  };
}
