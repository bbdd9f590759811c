import { ApplicationIntegrationType, InteractionContextType } from 'discord.js';

/**
 * Where a user-installable command works: installed to a server, or to a member's own account,
 * and usable there in servers, the bot's DM and group DMs. One definition, so every such
 * command agrees with what the scope checks (commands/imagine/imagine.scope.ts) expect.
 */
export const USER_INSTALLABLE = {
  contexts: [InteractionContextType.Guild, InteractionContextType.BotDM, InteractionContextType.PrivateChannel],
  integration_types: [ApplicationIntegrationType.GuildInstall, ApplicationIntegrationType.UserInstall],
};
