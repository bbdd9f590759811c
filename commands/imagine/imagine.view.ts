import { ButtonStyle, ComponentType, type APIActionRowComponent, type APIComponentInMessageActionRow, type APIEmbed } from 'discord.js';
import { encodeCustomId } from '../../src/discord/custom-id.js';
import { NO_MENTIONS } from '../../src/discord/replies.js';
import type { Translator } from '../../src/i18n/index.js';
import type { VariantOutcome } from '../../src/jobs/image-job.js';
import type { GenerationInput, GenerationSource } from '../../src/store/generations.js';
import { VeniceError } from '../../src/venice/errors.js';
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
export function describeFailure(t: Translator, error: unknown): string {
  return error instanceof VeniceError ? describeVeniceError(t, error) : t.t('results.failure.internal');
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
 * `t` is the channel's (public) language.
 */
export function renderResult(t: Translator, summary: ResultSummary, outcomes: readonly VariantOutcome[]): ResultMessage {
  const { posted, refused, failed } = partitionOutcomes(outcomes);
  const files: FilePayload[] = [];
  for (const o of posted) {
    o.result.images.forEach((bytes, i) => {
      const index = o.index + i;
      files.push({ attachment: bytes, name: imageFileName(index, o.result.format, o.result.blurred) });
    });
  }
  const seeds = posted.map((o) => o.seed).filter((s): s is number => s !== undefined);
  const timings = posted.map((o) => o.result.timingMs).filter((ms): ms is number => ms !== undefined);
  const fields: APIEmbed['fields'] = [
    { name: t.t('results.fields.model'), value: summary.modelName, inline: true },
    // Seeds are identifiers to copy back into `seed:`, so they stay unformatted (no grouping).
    { name: t.t('results.fields.seed', { count: Math.max(1, seeds.length) }), value: seeds.length > 0 ? seeds.join(', ') : t.t('results.fields.random'), inline: true },
    { name: t.t('results.fields.size'), value: summary.sizeLabel, inline: true },
  ];
  if (summary.style) fields.push({ name: t.t('results.fields.style'), value: summary.style, inline: true });
  if (summary.pricePerImageUsd !== undefined) {
    const value = t.t('results.fields.priceValue', { total: t.usd(summary.pricePerImageUsd * posted.length), images: t.number(posted.length), each: t.usd(summary.pricePerImageUsd) });
    fields.push({ name: t.t('results.fields.price'), value, inline: true });
  }
  if (timings.length > 0) {
    const seconds = t.number(Math.max(...timings) / 1000, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
    fields.push({ name: t.t('results.fields.veniceTime'), value: t.t('results.fields.seconds', { seconds }), inline: true });
  }

  const lines: string[] = [];
  const deprecation = posted.find((o) => o.result.deprecation)?.result.deprecation;
  if (deprecation) lines.push(describeDeprecation(t, summary.modelName, deprecation));
  if (refused.length > 0) lines.push(t.t('results.withheld', { count: refused.length }));
  for (const f of failed) {
    const reason = describeFailure(t, f.error);
    lines.push(f.seed !== undefined ? t.t('results.variantFailedSeed', { image: f.index + 1, seed: f.seed, reason }) : t.t('results.variantFailed', { image: f.index + 1, reason }));
  }

  return {
    content: lines.join('\n'),
    embeds: [{ description: trimPrompt(summary.prompt), color: VENICE_RED, fields }],
    files,
    allowedMentions: NO_MENTIONS,
  };
}

/** The ephemeral notice for images Venice blocked, in the requester's language; the images themselves are never posted. */
export function renderViolationNotice(t: Translator, count: number, total: number): string {
  if (count !== total) return t.t('results.violation.some', { count, total });
  return total === 1 ? t.t('results.violation.single') : t.t('results.violation.all');
}

/**
 * The buttons under every result; their ids carry only the generation id, state is in the
 * store. A generation gets Reroll and Vary; anything made from an image (an edit, a blend, a
 * background removal) gets Info and Delete only. Every image can be edited, freed of its
 * background, and upscaled as far as Venice delivers in full.
 */
export function renderResultComponents(
  /** The channel's (public) language: everyone sees the buttons. */
  t: Translator,
  generationId: string,
  imageNumbers: readonly number[],
  /** Per image number, the upscale factors Venice can deliver in full (none: no menu entry). */
  upscalable: ReadonlyMap<number, ReadonlyArray<2 | 4>>,
  kind: 'generation' | 'derived' = 'generation',
  /** Whether the server has a gallery: a ⭐ button lets members send the result there. */
  options: { star?: boolean } = {},
): APIActionRowComponent<APIComponentInMessageActionRow>[] {
  const button = (action: string, label: string, style: ButtonStyle.Primary | ButtonStyle.Secondary | ButtonStyle.Danger): APIComponentInMessageActionRow => ({
    type: ComponentType.Button,
    style,
    label,
    custom_id: encodeCustomId('imagine', action, generationId),
  });
  const buttons =
    kind === 'generation'
      ? [
          button('reroll', t.t('results.buttons.reroll'), ButtonStyle.Primary),
          button('vary', t.t('results.buttons.vary'), ButtonStyle.Secondary),
          button('info', t.t('results.buttons.info'), ButtonStyle.Secondary),
          button('delete', t.t('results.buttons.delete'), ButtonStyle.Danger),
        ]
      : [button('info', t.t('results.buttons.info'), ButtonStyle.Secondary), button('delete', t.t('results.buttons.delete'), ButtonStyle.Danger)];
  if (options.star === true) buttons.push(button('star', t.t('review.buttons.star'), ButtonStyle.Secondary));
  const rows: APIActionRowComponent<APIComponentInMessageActionRow>[] = [{ type: ComponentType.ActionRow, components: buttons }];
  if (imageNumbers.length > 0) {
    rows.push({
      type: ComponentType.ActionRow,
      components: [
        {
          type: ComponentType.StringSelect,
          custom_id: encodeCustomId('imagine', 'retouch', generationId),
          placeholder: t.t('results.retouch.placeholder'),
          options: imageNumbers.flatMap((n) => [
            // i18n-exempt: option values are ids the handler parses, never shown
            { label: t.t('results.retouch.edit', { image: n }), value: `e${n}`, description: t.t('results.retouch.editDescription') },
            // i18n-exempt: option values are ids the handler parses, never shown
            { label: t.t('results.retouch.background', { image: n }), value: `b${n}`, description: t.t('results.retouch.backgroundDescription') },
          ]),
        },
      ],
    });
  }
  // i18n-exempt: option values are ids the handler parses, never shown
  const upscaleOptions = imageNumbers.flatMap((n) => (upscalable.get(n) ?? []).map((scale) => ({ label: t.t('results.upscale.option', { image: n, scale }), value: `${n}x${scale}` })));
  if (upscaleOptions.length > 0) {
    rows.push({
      type: ComponentType.ActionRow,
      components: [
        {
          type: ComponentType.StringSelect,
          custom_id: encodeCustomId('imagine', 'upscale', generationId),
          placeholder: t.t('results.upscale.placeholder'),
          options: upscaleOptions,
        },
      ],
    });
  }
  return rows;
}

/** Where each image a job worked on came from: a result of ours, or an upload. */
function describeLineage(t: Translator, kind: string, source: GenerationSource | null | undefined): string[] {
  if (!source || kind === 'generate') return [];
  const from = (i: GenerationInput) => (i.generationId && i.image ? t.t('results.info.sourceImage', { image: i.image, generationId: i.generationId }) : t.t('results.info.sourceUpload'));
  const inputs = [source, ...(source.more ?? [])];
  const sources = inputs.map(from).reduce((first, next) => t.t('results.info.then', { first, next }));
  if (kind === 'upscale') return [t.t('results.info.upscaled', { scale: source.scale ?? '?', sources })];
  if (kind === 'background') return [t.t('results.info.background', { sources })];
  return [t.t(inputs.length > 1 ? 'results.info.blended' : 'results.info.edited', { sources })];
}

/** Everything a generation was made with, for the Info button, in the presser's language (only they see it). */
export function renderInfo(t: Translator, g: {
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
  const heading = { id: g.id, userId: g.userId, time: Math.floor(g.createdAt / 1000) };
  const lines = [
    g.kind && g.kind !== 'generate' ? t.t('results.info.image', heading) : t.t('results.info.generation', heading),
    ...describeLineage(t, g.kind ?? 'generate', g.source),
    t.t(g.mode === 'openai' ? 'results.info.modelOpenAi' : 'results.info.model', { model: g.model }),
  ];
  lines.push(g.seeds.length > 0 ? t.t('results.info.seeds', { seeds: g.seeds.map((s) => (s === null ? t.t('results.fields.random') : String(s))).join(', ') }) : t.t('results.info.seedsNone'));
  for (const [key, value] of Object.entries(g.options)) {
    // A background removal's prompt is only the history's placeholder; the lineage line says what it was.
    if (value === undefined || key === 'seed' || (key === 'prompt' && g.kind === 'background')) continue;
    const text = typeof value === 'string' ? trimPrompt(value, 300) : String(value);
    lines.push(`${key}: ${text}`);
  }
  if (g.priceUsd !== null) lines.push(t.t('results.info.price', { price: t.usd(g.priceUsd) }));
  if (g.requestIds.length > 0) lines.push(t.t('results.info.requestIds', { ids: g.requestIds.map((r) => `\`${r}\``).join(', ') }));
  const text = lines.join('\n');
  return text.length > 2000 ? `${text.slice(0, 1999)}…` : text;
}

/** The Cancel button shown while a job waits or runs, in the channel's language. */
export function renderCancelRow(t: Translator, generationId: string): APIActionRowComponent<APIComponentInMessageActionRow>[] {
  return [
    {
      type: ComponentType.ActionRow,
      components: [{ type: ComponentType.Button, style: ButtonStyle.Secondary, label: t.t('results.buttons.cancel'), custom_id: encodeCustomId('imagine', 'cancel', generationId) }],
    },
  ];
}

/**
 * The message left in place of a job the bot could not finish, with a button to run it again.
 * It replaces the public reply, so `t` is the job's public language; `reason` and
 * `chargedNote` come already said in it (`results.interrupted.charged` says what was charged).
 */
export function renderInterrupted(
  t: Translator,
  generationId: string,
  reason: string,
  chargedNote?: string,
  /** False for a job Retry cannot redo (a describe, whose image is not kept): the notice says to run it again. */
  options: { retry?: boolean } = {},
): { content: string; components: APIActionRowComponent<APIComponentInMessageActionRow>[] } {
  if (options.retry === false) {
    return { content: t.t('describe.interrupted.message', { reason, charged: chargedNote ?? t.t('results.interrupted.nothingCharged') }), components: [] };
  }
  return {
    content: t.t('results.interrupted.message', { reason, charged: chargedNote ?? t.t('results.interrupted.nothingCharged') }),
    components: [
      {
        type: ComponentType.ActionRow,
        components: [{ type: ComponentType.Button, style: ButtonStyle.Primary, label: t.t('results.buttons.retry'), custom_id: encodeCustomId('imagine', 'retry', generationId) }],
      },
    ],
  };
}

/** Approve and Reject under a result held for review, in the server's language (the review channel reads them). */
export function renderReviewButtons(t: Translator, generationId: string): APIActionRowComponent<APIComponentInMessageActionRow>[] {
  return [
    {
      type: ComponentType.ActionRow,
      components: [
        { type: ComponentType.Button, style: ButtonStyle.Success, label: t.t('review.buttons.approve'), custom_id: encodeCustomId('imagine', 'approve', generationId) },
        { type: ComponentType.Button, style: ButtonStyle.Danger, label: t.t('review.buttons.reject'), custom_id: encodeCustomId('imagine', 'reject', generationId) },
      ],
    },
  ];
}

/** The button on a gallery post: everyone sees it, only the image's author may use it. */
export function renderGalleryButtons(t: Translator, generationId: string): APIActionRowComponent<APIComponentInMessageActionRow>[] {
  return [
    {
      type: ComponentType.ActionRow,
      components: [{ type: ComponentType.Button, style: ButtonStyle.Secondary, label: t.t('review.buttons.remove'), custom_id: encodeCustomId('imagine', 'unlist', generationId) }],
    },
  ];
}

/** A link to a message, as Discord's clients open it. */
export const messageLink = (guildId: string, channelId: string, messageId: string): string => `https://discord.com/channels/${guildId}/${channelId}/${messageId}`;
