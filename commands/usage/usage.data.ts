import { ApplicationCommandType, type RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord.js';
import { USER_INSTALLABLE } from '../../src/discord/install.js';
import { en } from '../../src/i18n/index.js';

export const usageData = {
  type: ApplicationCommandType.ChatInput,
  name: 'usage',
  description: en.t('usage.command.description'),
  // Installable to a server or to a member's own account (src/discord/install.ts).
  ...USER_INSTALLABLE,
} satisfies RESTPostAPIChatInputApplicationCommandsJSONBody;
