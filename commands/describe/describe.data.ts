import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import { USER_INSTALLABLE } from '../../src/discord/install.js';
import { en } from '../../src/i18n/index.js';
import { MAX_PROMPTS } from './describe.plan.js';

export const describeData = {
  type: ApplicationCommandType.ChatInput,
  name: 'describe',
  description: en.t('describe.command.description'),
  // Installable to a server or to a member's own account (src/discord/install.ts).
  ...USER_INSTALLABLE,
  options: [
    { type: ApplicationCommandOptionType.Attachment, name: 'image', description: en.t('describe.command.options.image.description'), required: true },
    { type: ApplicationCommandOptionType.String, name: 'model', description: en.t('describe.command.options.model.description'), autocomplete: true, max_length: 100 },
    { type: ApplicationCommandOptionType.Integer, name: 'count', description: en.t('describe.command.options.count.description'), min_value: 1, max_value: MAX_PROMPTS },
  ],
} satisfies RESTPostAPIChatInputApplicationCommandsJSONBody;
