import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ApplicationIntegrationType,
  InteractionContextType,
  MessageFlags,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import { z } from 'zod';
import type { Command } from '../../src/discord/command.js';
import { NO_MENTIONS } from '../../src/discord/replies.js';
import { UserError } from '../../src/errors.js';
import { decodeQuery, renderStyleUsage, renderStylesPage } from './styles.view.js';

const data = {
  type: ApplicationCommandType.ChatInput,
  name: 'styles',
  description: 'Browse the style presets you can use with /imagine',
  // Also installable to a member's own account, and usable in DMs and group DMs there.
  contexts: [InteractionContextType.Guild, InteractionContextType.BotDM, InteractionContextType.PrivateChannel],
  integration_types: [ApplicationIntegrationType.GuildInstall, ApplicationIntegrationType.UserInstall],
  options: [{ type: ApplicationCommandOptionType.String, name: 'search', description: 'Only styles whose name contains this', max_length: 30 }],
} satisfies RESTPostAPIChatInputApplicationCommandsJSONBody;

const pageArgs = z.tuple([z.coerce.number().int(), z.string()]);

export const stylesCommand: Command = {
  data,
  defer: false,
  async execute(interaction, ctx) {
    const styles = ctx.catalog.current().styles;
    if (styles.length === 0) throw new UserError('The style list from Venice is not loaded yet. Try again in a minute.');
    const query = interaction.options.getString('search')?.trim() ?? '';
    await interaction.reply({ ...renderStylesPage(styles, query, 0), flags: MessageFlags.Ephemeral });
  },
  components: {
    async page(interaction, args, ctx) {
      const parsed = pageArgs.safeParse(args);
      if (!parsed.success) throw new UserError('This button is broken. Run `/styles` again.');
      const [page, token] = parsed.data;
      await interaction.update(renderStylesPage(ctx.catalog.current().styles, decodeQuery(token), page));
    },
    async pick(interaction, _args, ctx) {
      if (!interaction.isStringSelectMenu()) return;
      const chosen = interaction.values[0];
      const style = chosen === undefined ? undefined : ctx.catalog.current().styleByLower.get(chosen.toLowerCase());
      if (!style) throw new UserError('That style is no longer offered by Venice. Run `/styles` again.');
      await interaction.reply({ content: renderStyleUsage(style), flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
    },
  },
};
