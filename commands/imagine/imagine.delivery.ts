import { DiscordAPIError, type APIActionRowComponent, type APIComponentInMessageActionRow, type RepliableInteraction } from 'discord.js';
import type { CommandContext } from '../../src/discord/command.js';
import { DEAD_TOKEN_CODES, NO_MENTIONS, TOKEN_LIFETIME_MS, TOO_LARGE_CODES, replyEphemeral } from '../../src/discord/replies.js';
import { fitAttachment } from '../../src/jobs/fit-attachment.js';
import type { ResultMessage } from './imagine.view.js';

const DEFAULT_FILE_LIMIT = 10 * 1024 * 1024;
/** Discord refuses request bodies over 25 MiB; leave room for the JSON part. */
const MESSAGE_BYTES = 24 * 1024 * 1024;
const FILES_PER_MESSAGE = 10;

export interface DeliveryTarget {
  interaction: RepliableInteraction;
  placeholderId: string | undefined;
  userId: string;
  channelId: string;
}

export type Outgoing = ResultMessage & { components: APIActionRowComponent<APIComponentInMessageActionRow>[] };

const isDeadToken = (err: unknown) => err instanceof DiscordAPIError && typeof err.code === 'number' && DEAD_TOKEN_CODES.has(err.code);
const isTooLarge = (err: unknown) => err instanceof DiscordAPIError && ((typeof err.code === 'number' && TOO_LARGE_CODES.has(err.code)) || err.status === 413);

/** Every file within the per-file limit (re-encoded where needed), grouped so no message exceeds Discord's caps. */
async function packFiles(files: ResultMessage['files'], limit: number): Promise<{ groups: ResultMessage['files'][]; reencoded: number }> {
  let reencoded = 0;
  const fitted: ResultMessage['files'] = [];
  for (const f of files) {
    const dot = f.name.lastIndexOf('.');
    const out = await fitAttachment(f.attachment, f.name.slice(dot + 1), limit);
    if (out.reencoded) reencoded++;
    fitted.push({ attachment: out.data, name: `${f.name.slice(0, dot)}.${out.extension}` });
  }
  const groups: ResultMessage['files'][] = [];
  let current: ResultMessage['files'] = [];
  let bytes = 0;
  for (const f of fitted) {
    if (current.length > 0 && (current.length >= FILES_PER_MESSAGE || bytes + f.attachment.length > MESSAGE_BYTES)) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(f);
    bytes += f.attachment.length;
  }
  groups.push(current);
  return { groups, reencoded };
}

/**
 * Posts a finished result where the user will see it: as the edit of the deferred reply
 * while its token lives, otherwise as a channel message replying to the placeholder. Files
 * too large are re-encoded, and a message too large is split; nothing is dropped.
 */
export async function deliverResult(target: DeliveryTarget, message: Outgoing, ctx: CommandContext): Promise<{ messageId: string; via: 'reply' | 'channel' }> {
  let limit = target.interaction.attachmentSizeLimit ?? DEFAULT_FILE_LIMIT;
  for (let attempt = 0; ; attempt++) {
    const { groups, reencoded } = await packFiles(message.files, limit);
    const note = reencoded > 0 ? `\n${reencoded === 1 ? 'One image was' : `${reencoded} images were`} re-encoded to fit Discord's file size limit.` : '';
    const content = `${message.content}${note}`.trim();
    const [first = [], ...rest] = groups;
    const tokenAlive = Date.now() - target.interaction.createdTimestamp < TOKEN_LIFETIME_MS;
    try {
      if (tokenAlive) {
        try {
          const sent = await target.interaction.editReply({ content, embeds: message.embeds, files: first, components: message.components, allowedMentions: NO_MENTIONS });
          for (const group of rest) await target.interaction.followUp({ files: group, allowedMentions: NO_MENTIONS });
          return { messageId: sent.id, via: 'reply' };
        } catch (err) {
          if (!isDeadToken(err)) throw err;
          ctx.log.info({ err }, 'interaction token no longer valid; posting in the channel');
        }
      }
      const why = `your images are ready. Discord allows 15 minutes to answer a command and this one took longer, so they are posted here.`;
      const sent = await ctx.sendChannelMessage(target.channelId, {
        content: `<@${target.userId}> ${why}\n${content}`.slice(0, 2000),
        embeds: message.embeds,
        components: message.components,
        files: first.map((f) => ({ name: f.name, data: f.attachment })),
        replyTo: target.placeholderId,
        pingUser: target.userId,
      });
      for (const group of rest) await ctx.sendChannelMessage(target.channelId, { content: '', files: group.map((f) => ({ name: f.name, data: f.attachment })), replyTo: sent.id });
      return { messageId: sent.id, via: 'channel' };
    } catch (err) {
      // The server's real limit can be below what the interaction said: shrink and try once more.
      if (isTooLarge(err) && attempt === 0) {
        limit = Math.floor(limit / 2);
        ctx.log.warn({ err, limit }, 'Discord refused the files as too large; re-encoding smaller');
        continue;
      }
      throw err;
    }
  }
}

/** Tells the requester something privately, or in the channel when the interaction has expired. */
export async function tellUser(target: DeliveryTarget, text: string, ctx: CommandContext): Promise<void> {
  const tokenAlive = Date.now() - target.interaction.createdTimestamp < TOKEN_LIFETIME_MS;
  if (tokenAlive && (await replyEphemeral(target.interaction, text, ctx.log))) return;
  await ctx
    .sendChannelMessage(target.channelId, { content: `<@${target.userId}> ${text}`.slice(0, 2000), replyTo: target.placeholderId, pingUser: target.userId })
    .catch((err: unknown) => ctx.log.error({ err }, 'could not reach the user at all'));
}
