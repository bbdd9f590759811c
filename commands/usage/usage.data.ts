import { ApplicationCommandType, ApplicationIntegrationType, InteractionContextType, type RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord.js';
import { en } from '../../src/i18n/index.js';

export const usageData = {
  type: ApplicationCommandType.ChatInput,
  name: 'usage',
  description: en.t('usage.command.description'),
  contexts: [InteractionContextType.Guild, InteractionContextType.BotDM, InteractionContextType.PrivateChannel],
  integration_types: [ApplicationIntegrationType.GuildInstall, ApplicationIntegrationType.UserInstall],
} satisfies RESTPostAPIChatInputApplicationCommandsJSONBody;
