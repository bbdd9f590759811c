import { ApplicationCommandType, ApplicationIntegrationType, InteractionContextType, type RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord.js';

export const usageData = {
  type: ApplicationCommandType.ChatInput,
  name: 'usage',
  description: 'What you used today and what is left; for admins, the server’s spending',
  contexts: [InteractionContextType.Guild, InteractionContextType.BotDM, InteractionContextType.PrivateChannel],
  integration_types: [ApplicationIntegrationType.GuildInstall, ApplicationIntegrationType.UserInstall],
} satisfies RESTPostAPIChatInputApplicationCommandsJSONBody;
