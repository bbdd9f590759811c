import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import { USER_INSTALLABLE } from '../../src/discord/install.js';
import { en } from '../../src/i18n/index.js';

/** Discord caps string options at 6,000 characters; each edit model's own cap is checked before Venice is called. */
const TEXT_MAX = 6000;

export const editData = {
  type: ApplicationCommandType.ChatInput,
  name: 'edit',
  description: en.t('edit.command.description'),
  // Installable to a server or to a member's own account (src/discord/install.ts).
  ...USER_INSTALLABLE,
  options: [
    { type: ApplicationCommandOptionType.Attachment, name: 'image', description: en.t('edit.command.options.image.description'), required: true },
    { type: ApplicationCommandOptionType.String, name: 'prompt', description: en.t('edit.command.options.prompt.description'), required: true, min_length: 1, max_length: TEXT_MAX },
    { type: ApplicationCommandOptionType.String, name: 'model', description: en.t('edit.command.options.model.description'), autocomplete: true, max_length: 100 },
    { type: ApplicationCommandOptionType.String, name: 'aspect_ratio', description: en.t('edit.command.options.aspect_ratio.description'), autocomplete: true, max_length: 20 },
    { type: ApplicationCommandOptionType.String, name: 'resolution', description: en.t('edit.command.options.resolution.description'), autocomplete: true, max_length: 10 },
    {
      type: ApplicationCommandOptionType.String,
      name: 'format',
      description: en.t('edit.command.options.format.description'),
      choices: [
        { name: en.t('edit.command.options.format.choices.png'), value: 'png' },
        { name: en.t('edit.command.options.format.choices.jpeg'), value: 'jpeg' },
        { name: en.t('edit.command.options.format.choices.webp'), value: 'webp' },
      ],
    },
    { type: ApplicationCommandOptionType.Boolean, name: 'safe_mode', description: en.t('edit.command.options.safe_mode.description') },
    { type: ApplicationCommandOptionType.Attachment, name: 'image2', description: en.t('edit.command.options.image2.description') },
    { type: ApplicationCommandOptionType.Attachment, name: 'image3', description: en.t('edit.command.options.image3.description') },
    { type: ApplicationCommandOptionType.Attachment, name: 'image4', description: en.t('edit.command.options.image4.description') },
  ],
} satisfies RESTPostAPIChatInputApplicationCommandsJSONBody;
