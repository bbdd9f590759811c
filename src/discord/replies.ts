import { MessageFlags, type MessageMentionOptions, type RepliableInteraction } from 'discord.js';
import { UserError, internalErrorText, newErrorId } from '../errors.js';
import { translator } from '../i18n/index.js';
import type { JobReply } from './job-reply.js';
import type { Logger } from '../logger.js';

/** Nothing the bot posts may ping anyone: prompts are user text and may hold @everyone. */
export const NO_MENTIONS: MessageMentionOptions = { parse: [], repliedUser: false };

export { newErrorId };

/**
 * Shows the user an ephemeral message, whatever state the interaction is in. A public
 * "thinking..." placeholder is removed first so a failure does not linger in the channel;
 * with `replacesReply`, so is a public reply that was edited since (a queue position, a
 * "Generating..." with its Cancel button) but never became a result.
 */
export async function replyEphemeral(interaction: JobReply, content: string, log: Logger, options: { replacesReply?: boolean } = {}): Promise<boolean> {
  const payload = { content, flags: MessageFlags.Ephemeral as const, allowedMentions: NO_MENTIONS };
  try {
    if (interaction.deferred && (!interaction.replied || options.replacesReply === true)) {
      const isEphemeral = interaction.ephemeral === true;
      if (isEphemeral) {
        await interaction.editReply({ content, components: [], allowedMentions: NO_MENTIONS });
        return true;
      }
      await interaction.deleteReply().catch((err: unknown) => log.debug({ err }, 'could not delete the placeholder'));
      await interaction.followUp(payload);
    } else if (interaction.replied) {
      await interaction.followUp(payload);
    } else {
      await interaction.reply(payload);
    }
    return true;
  } catch (err) {
    // The token may have expired (10062/50027): nothing more can reach the user through it.
    log.warn({ err }, 'could not deliver a message to the user');
    return false;
  }
}

/** Discord's answers that mean an interaction token can no longer be used. */
export const DEAD_TOKEN_CODES: ReadonlySet<number> = new Set([10062, 10015, 50027]);
/** Discord's answers that mean a file or a request was too large. */
export const TOO_LARGE_CODES: ReadonlySet<number> = new Set([40005, 50045]);

/** Interaction tokens last 15 minutes; leave a margin for the upload itself. */
export const TOKEN_LIFETIME_MS = 14.5 * 60 * 1000;

/**
 * The one place that turns an error into what the user reads, in the member's own language
 * (the answer is private): a `UserError` speaks for itself; anything else shows a short id
 * while the log keeps the whole error.
 */
export async function replyError(interaction: RepliableInteraction, err: unknown, log: Logger): Promise<void> {
  const t = translator(interaction.locale);
  if (err instanceof UserError) {
    await replyEphemeral(interaction, t.render(err.said), log);
    return;
  }
  const errorId = newErrorId();
  log.error({ err, errorId }, 'command failed');
  await replyEphemeral(interaction, internalErrorText(t, errorId), log);
}
