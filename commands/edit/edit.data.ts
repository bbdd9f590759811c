import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ApplicationIntegrationType,
  InteractionContextType,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';

/** Discord caps string options at 6,000 characters; each edit model's own cap is checked before Venice is called. */
const TEXT_MAX = 6000;

export const editData = {
  type: ApplicationCommandType.ChatInput,
  name: 'edit',
  description: 'Edit an image with Venice.ai, or blend up to four',
  // Also installable to a member's own account, and usable in DMs and group DMs there.
  contexts: [InteractionContextType.Guild, InteractionContextType.BotDM, InteractionContextType.PrivateChannel],
  integration_types: [ApplicationIntegrationType.GuildInstall, ApplicationIntegrationType.UserInstall],
  options: [
    { type: ApplicationCommandOptionType.Attachment, name: 'image', description: 'The image to edit (PNG, JPEG or WebP, under 25 MB)', required: true },
    { type: ApplicationCommandOptionType.String, name: 'prompt', description: 'What should change, e.g. “the same, but at night”', required: true, min_length: 1, max_length: TEXT_MAX },
    { type: ApplicationCommandOptionType.String, name: 'model', description: 'Edit model (price shown)', autocomplete: true, max_length: 100 },
    { type: ApplicationCommandOptionType.String, name: 'aspect_ratio', description: 'auto, or one of the model’s ratios', autocomplete: true, max_length: 20 },
    { type: ApplicationCommandOptionType.String, name: 'resolution', description: 'Resolution tier, for models that offer it', autocomplete: true, max_length: 10 },
    {
      type: ApplicationCommandOptionType.String,
      name: 'format',
      description: 'File format of the result',
      choices: [
        { name: 'PNG', value: 'png' },
        { name: 'JPEG', value: 'jpeg' },
        { name: 'WebP', value: 'webp' },
      ],
    },
    { type: ApplicationCommandOptionType.Boolean, name: 'safe_mode', description: 'Blur adult content (can be off only in age-restricted channels)' },
    { type: ApplicationCommandOptionType.Attachment, name: 'image2', description: 'A second image to blend in' },
    { type: ApplicationCommandOptionType.Attachment, name: 'image3', description: 'A third image to blend in' },
    { type: ApplicationCommandOptionType.Attachment, name: 'image4', description: 'A fourth image to blend in' },
  ],
} satisfies RESTPostAPIChatInputApplicationCommandsJSONBody;
