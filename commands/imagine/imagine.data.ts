import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ApplicationIntegrationType,
  InteractionContextType,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import { SEED_MAX, SEED_MIN } from '../../src/venice/request-builder.js';

/** Discord caps string options at 6,000 characters; Venice's own caps are checked per model. */
const TEXT_MAX = 6000;

export const imagineData = {
  type: ApplicationCommandType.ChatInput,
  name: 'imagine',
  description: 'Generate images from a prompt with Venice.ai',
  // Also installable to a member's own account, and usable in DMs and group DMs there.
  contexts: [InteractionContextType.Guild, InteractionContextType.BotDM, InteractionContextType.PrivateChannel],
  integration_types: [ApplicationIntegrationType.GuildInstall, ApplicationIntegrationType.UserInstall],
  options: [
    { type: ApplicationCommandOptionType.String, name: 'prompt', description: 'What the image should show', required: true, min_length: 1, max_length: TEXT_MAX },
    { type: ApplicationCommandOptionType.String, name: 'model', description: 'Image model (price per image shown)', autocomplete: true, max_length: 100 },
    { type: ApplicationCommandOptionType.String, name: 'style', description: 'Style preset (browse them with /styles)', autocomplete: true, max_length: 100 },
    { type: ApplicationCommandOptionType.String, name: 'negative_prompt', description: 'What the image should not show', max_length: TEXT_MAX },
    { type: ApplicationCommandOptionType.String, name: 'aspect_ratio', description: 'Aspect ratio such as 16:9, or a size such as 1024x768', autocomplete: true, max_length: 20 },
    { type: ApplicationCommandOptionType.String, name: 'resolution', description: 'Resolution tier, for models that offer it (1K, 2K, 4K)', autocomplete: true, max_length: 10 },
    { type: ApplicationCommandOptionType.String, name: 'quality', description: 'Quality, for models that offer it (low, medium, high)', autocomplete: true, max_length: 10 },
    { type: ApplicationCommandOptionType.Integer, name: 'variants', description: 'How many images (1-4)', min_value: 1, max_value: 4 },
    { type: ApplicationCommandOptionType.Integer, name: 'seed', description: 'Seed, to reproduce an image', min_value: SEED_MIN, max_value: SEED_MAX },
    { type: ApplicationCommandOptionType.Number, name: 'cfg_scale', description: 'How closely to follow the prompt (above 0, up to 20)', min_value: 0, max_value: 20 },
    { type: ApplicationCommandOptionType.Integer, name: 'steps', description: 'Inference steps (the model sets the maximum)', min_value: 1, max_value: 100 },
    {
      type: ApplicationCommandOptionType.String,
      name: 'format',
      description: 'File format',
      choices: [
        { name: 'WebP (small)', value: 'webp' },
        { name: 'PNG (lossless)', value: 'png' },
        { name: 'JPEG', value: 'jpeg' },
      ],
    },
    { type: ApplicationCommandOptionType.Boolean, name: 'hide_watermark', description: 'Ask Venice to leave out its watermark' },
    { type: ApplicationCommandOptionType.Boolean, name: 'safe_mode', description: 'Blur adult content (can be turned off only in age-restricted channels)' },
    { type: ApplicationCommandOptionType.Boolean, name: 'enhance_prompt', description: 'Let Venice rewrite the prompt with more detail (costs extra)' },
    { type: ApplicationCommandOptionType.Boolean, name: 'web_search', description: 'Let the model search the web, where it can (costs extra)' },
  ],
} satisfies RESTPostAPIChatInputApplicationCommandsJSONBody;
