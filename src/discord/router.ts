import type { Interaction } from 'discord.js';
import { translator } from '../i18n/index.js';
import type { Logger } from '../logger.js';
import type { Command, CommandContext } from './command.js';
import { decodeCustomId } from './custom-id.js';
import { replyEphemeral, replyError } from './replies.js';

const AUTOCOMPLETE_MAX = 25;
const CHOICE_MAX = 100;

/** Keeps choices inside Discord's limits, whatever a command returned. */
function clampChoices(choices: { name: string; value: string }[]) {
  return choices.slice(0, AUTOCOMPLETE_MAX).map((c) => ({
    name: c.name.length > CHOICE_MAX ? `${c.name.slice(0, CHOICE_MAX - 1)}…` : c.name || c.value.slice(0, CHOICE_MAX),
    value: c.value.slice(0, CHOICE_MAX),
  }));
}

/**
 * Dispatches every interaction: slash commands (deferred first when the command says so),
 * autocomplete (answered from memory), buttons and modals (by custom-id namespace).
 * Nothing thrown here may reach discord.js, which would drop it or kill the process.
 */
export function createRouter(commands: readonly Command[], ctx: CommandContext): (interaction: Interaction) => Promise<void> {
  const byName = new Map(commands.map((c) => [c.data.name, c]));

  return async (interaction) => {
    // First, before any await: the token's 15 minutes are counted from here.
    ctx.interactions.received(interaction);
    const log: Logger = ctx.log.child({
      interactionId: interaction.id,
      guildId: interaction.guildId ?? undefined,
      userId: interaction.user.id,
    });
    const local: CommandContext = { ...ctx, log };

    if (interaction.isAutocomplete()) {
      const command = byName.get(interaction.commandName);
      let choices: { name: string; value: string }[] = [];
      try {
        choices = (await command?.autocomplete?.(interaction, local)) ?? [];
      } catch (err) {
        // An autocomplete failure degrades to no suggestions; the command itself still validates.
        log.error({ err, command: interaction.commandName }, 'autocomplete failed');
      }
      await interaction.respond(clampChoices(choices)).catch((err: unknown) => log.warn({ err }, 'autocomplete answer not delivered'));
      return;
    }

    if (interaction.isChatInputCommand()) {
      const command = byName.get(interaction.commandName);
      const clog = log.child({ command: interaction.commandName });
      if (!command) {
        await replyEphemeral(interaction, translator(interaction.locale).t('discord.router.unknownCommand'), clog);
        return;
      }
      if (command.defer) {
        try {
          await ctx.interactions.defer(interaction, command.defer.ephemeral);
        } catch (err) {
          // Past 3 s (or answered by another copy of the bot) the token is dead; nobody can be told.
          clog.warn({ err }, 'could not defer the interaction');
          return;
        }
      }
      try {
        await command.execute(interaction, { ...local, log: clog });
      } catch (err) {
        await replyError(interaction, err, clog);
      }
      return;
    }

    if (interaction.isMessageComponent() || interaction.isModalSubmit()) {
      const id = decodeCustomId(interaction.customId);
      if (!id) return; // not ours
      const command = byName.get(id.command);
      const handler = interaction.isMessageComponent() ? command?.components?.[id.action] : command?.modals?.[id.action];
      const clog = log.child({ command: id.command, action: id.action });
      if (!handler) {
        await replyEphemeral(interaction, translator(interaction.locale).t('discord.router.oldButton'), clog);
        return;
      }
      try {
        // The handler's type matches the interaction's kind by construction of the lookup above.
        await (handler as (i: typeof interaction, a: string[], c: CommandContext) => Promise<void>)(interaction, id.args, { ...local, log: clog });
      } catch (err) {
        await replyError(interaction, err, clog);
      }
    }
  };
}
