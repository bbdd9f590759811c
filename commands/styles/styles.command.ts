import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  MessageFlags,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import { USER_INSTALLABLE } from '../../src/discord/install.js';
import { z } from 'zod';
import type { Command } from '../../src/discord/command.js';
import { NO_MENTIONS } from '../../src/discord/replies.js';
import { UserError } from '../../src/errors.js';
import { en, translator } from '../../src/i18n/index.js';
import { decodeQuery, renderStyleUsage, renderStylesPage } from './styles.view.js';

const data = {
  type: ApplicationCommandType.ChatInput,
  name: 'styles',
  description: en.t('styles.command.description'),
  // Installable to a server or to a member's own account (src/discord/install.ts).
  ...USER_INSTALLABLE,
  options: [{ type: ApplicationCommandOptionType.String, name: 'search', description: en.t('styles.command.options.search.description'), max_length: 30 }],
} satisfies RESTPostAPIChatInputApplicationCommandsJSONBody;

const pageArgs = z.tuple([z.coerce.number().int(), z.string()]);

export const stylesCommand: Command = {
  data,
  defer: false,
  async execute(interaction, ctx) {
    const styles = ctx.catalog.current().styles;
    if (styles.length === 0) throw new UserError('styles.refusal.notLoaded');
    const query = interaction.options.getString('search')?.trim() ?? '';
    await interaction.reply({ ...renderStylesPage(translator(interaction.locale), styles, query, 0), flags: MessageFlags.Ephemeral });
  },
  components: {
    async page(interaction, args, ctx) {
      const parsed = pageArgs.safeParse(args);
      if (!parsed.success) throw new UserError('styles.refusal.brokenButton');
      const [page, token] = parsed.data;
      await interaction.update(renderStylesPage(translator(interaction.locale), ctx.catalog.current().styles, decodeQuery(token), page));
    },
    async pick(interaction, _args, ctx) {
      if (!interaction.isStringSelectMenu()) return;
      const chosen = interaction.values[0];
      const style = chosen === undefined ? undefined : ctx.catalog.current().styleByLower.get(chosen.toLowerCase());
      if (!style) throw new UserError('styles.refusal.gone');
      await interaction.reply({ content: renderStyleUsage(translator(interaction.locale), style), flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
    },
  },
};
