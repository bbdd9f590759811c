import type { ChatInputCommandInteraction } from 'discord.js';
import { z } from 'zod';
import { UserError } from '../../src/errors.js';
import { translator } from '../../src/i18n/index.js';
import type { ImagineOptions } from '../../src/venice/request-builder.js';

const optionalText = z.string().optional();
const optionalInt = z.number().int().optional();

/** Discord validated types and ranges already; this pins the shape the builder receives. */
export const imagineOptionsSchema = z.object({
  prompt: z.string().min(1),
  model: optionalText,
  style: optionalText,
  negative_prompt: optionalText,
  aspect_ratio: optionalText,
  resolution: optionalText,
  quality: optionalText,
  variants: optionalInt,
  seed: optionalInt,
  cfg_scale: z.number().optional(),
  steps: optionalInt,
  format: z.enum(['webp', 'png', 'jpeg']).optional(),
  hide_watermark: z.boolean().optional(),
  safe_mode: z.boolean().optional(),
  enhance_prompt: z.boolean().optional(),
  web_search: z.boolean().optional(),
});

type ImagineOption = keyof typeof imagineOptionsSchema.shape;
const OPTION_NAMES = Object.keys(imagineOptionsSchema.shape) as ImagineOption[];

export function readImagineOptions(interaction: ChatInputCommandInteraction): ImagineOptions {
  const o = interaction.options;
  const text = (name: string) => o.getString(name) ?? undefined;
  const int = (name: string) => o.getInteger(name) ?? undefined;
  const bool = (name: string) => o.getBoolean(name) ?? undefined;
  const parsed = imagineOptionsSchema.safeParse({
    prompt: o.getString('prompt', true),
    model: text('model'),
    style: text('style'),
    negative_prompt: text('negative_prompt'),
    aspect_ratio: text('aspect_ratio'),
    resolution: text('resolution'),
    quality: text('quality'),
    variants: int('variants'),
    seed: int('seed'),
    cfg_scale: o.getNumber('cfg_scale') ?? undefined,
    steps: int('steps'),
    format: text('format'),
    hide_watermark: bool('hide_watermark'),
    safe_mode: bool('safe_mode'),
    enhance_prompt: bool('enhance_prompt'),
    web_search: bool('web_search'),
  });
  if (parsed.success) return parsed.data;
  // Discord checks choices and types before the bot sees them, but a stale client or an old
  // command definition can still send something else: name the option, never a zod dump.
  // Each option by the name the member's Discord shows them (the English identifier in English).
  const t = translator(interaction.locale);
  const invalid = OPTION_NAMES.filter((o) => parsed.error.issues.some((i) => i.path[0] === o));
  const names = invalid.map((o) => `\`${t.t(`imagine.command.options.${o}.name`)}\``);
  if (names.length === 0) throw new UserError('imagine.options.invalidAny');
  throw new UserError('imagine.options.invalidValue', { options: names.join(', ') });
}

