import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import { USER_INSTALLABLE } from '../../src/discord/install.js';
import { en } from '../../src/i18n/index.js';
import { SEED_MAX, SEED_MIN } from '../../src/venice/request-builder.js';

/** Discord caps string options at 6,000 characters; Venice's own caps are checked per model. */
const TEXT_MAX = 6000;

export const imagineData = {
  type: ApplicationCommandType.ChatInput,
  name: 'imagine',
  description: en.t('imagine.command.description'),
  // Installable to a server or to a member's own account (src/discord/install.ts).
  ...USER_INSTALLABLE,
  options: [
    { type: ApplicationCommandOptionType.String, name: 'prompt', description: en.t('imagine.command.options.prompt.description'), required: true, min_length: 1, max_length: TEXT_MAX },
    { type: ApplicationCommandOptionType.String, name: 'model', description: en.t('imagine.command.options.model.description'), autocomplete: true, max_length: 100 },
    { type: ApplicationCommandOptionType.String, name: 'style', description: en.t('imagine.command.options.style.description'), autocomplete: true, max_length: 100 },
    { type: ApplicationCommandOptionType.String, name: 'negative_prompt', description: en.t('imagine.command.options.negative_prompt.description'), max_length: TEXT_MAX },
    { type: ApplicationCommandOptionType.String, name: 'aspect_ratio', description: en.t('imagine.command.options.aspect_ratio.description'), autocomplete: true, max_length: 20 },
    { type: ApplicationCommandOptionType.String, name: 'resolution', description: en.t('imagine.command.options.resolution.description'), autocomplete: true, max_length: 10 },
    { type: ApplicationCommandOptionType.String, name: 'quality', description: en.t('imagine.command.options.quality.description'), autocomplete: true, max_length: 10 },
    { type: ApplicationCommandOptionType.Integer, name: 'variants', description: en.t('imagine.command.options.variants.description'), min_value: 1, max_value: 4 },
    { type: ApplicationCommandOptionType.Integer, name: 'seed', description: en.t('imagine.command.options.seed.description'), min_value: SEED_MIN, max_value: SEED_MAX },
    { type: ApplicationCommandOptionType.Number, name: 'cfg_scale', description: en.t('imagine.command.options.cfg_scale.description'), min_value: 0, max_value: 20 },
    { type: ApplicationCommandOptionType.Integer, name: 'steps', description: en.t('imagine.command.options.steps.description'), min_value: 1, max_value: 100 },
    {
      type: ApplicationCommandOptionType.String,
      name: 'format',
      description: en.t('imagine.command.options.format.description'),
      choices: [
        { name: en.t('imagine.command.options.format.choices.webp'), value: 'webp' },
        { name: en.t('imagine.command.options.format.choices.png'), value: 'png' },
        { name: en.t('imagine.command.options.format.choices.jpeg'), value: 'jpeg' },
      ],
    },
    { type: ApplicationCommandOptionType.Boolean, name: 'hide_watermark', description: en.t('imagine.command.options.hide_watermark.description') },
    { type: ApplicationCommandOptionType.Boolean, name: 'safe_mode', description: en.t('imagine.command.options.safe_mode.description') },
    { type: ApplicationCommandOptionType.Boolean, name: 'enhance_prompt', description: en.t('imagine.command.options.enhance_prompt.description') },
    { type: ApplicationCommandOptionType.Boolean, name: 'web_search', description: en.t('imagine.command.options.web_search.description') },
  ],
} satisfies RESTPostAPIChatInputApplicationCommandsJSONBody;
