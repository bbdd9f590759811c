import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ApplicationIntegrationType,
  InteractionContextType,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import { en } from '../../src/i18n/index.js';
import { MAX_PROMPTS } from './describe.plan.js';

export const describeData = {
  type: ApplicationCommandType.ChatInput,
  name: 'describe',
  description: en.t('describe.command.description'),
  // Where /edit works: servers, and a member's own install in DMs and group DMs.
  contexts: [InteractionContextType.Guild, InteractionContextType.BotDM, InteractionContextType.PrivateChannel],
  integration_types: [ApplicationIntegrationType.GuildInstall, ApplicationIntegrationType.UserInstall],
  options: [
    { type: ApplicationCommandOptionType.Attachment, name: 'image', description: en.t('describe.command.options.image.description'), required: true },
    { type: ApplicationCommandOptionType.String, name: 'model', description: en.t('describe.command.options.model.description'), autocomplete: true, max_length: 100 },
    { type: ApplicationCommandOptionType.Integer, name: 'count', description: en.t('describe.command.options.count.description'), min_value: 1, max_value: MAX_PROMPTS },
  ],
} satisfies RESTPostAPIChatInputApplicationCommandsJSONBody;
