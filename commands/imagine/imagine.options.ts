import type { ChatInputCommandInteraction } from 'discord.js';
import { z } from 'zod';
import { UserError } from '../../src/errors.js';
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
  const names = [...new Set(parsed.error.issues.map((i) => String(i.path[0] ?? 'an option')))];
  throw new UserError(`The bot cannot use the value given for ${names.map((n) => `\`${n}\``).join(', ')}. Pick one of the choices Discord offers and try again.`);
}
