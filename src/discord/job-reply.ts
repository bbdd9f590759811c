import { InteractionWebhook, type Client, type InteractionEditReplyOptions, type InteractionReplyOptions, type RepliableInteraction } from 'discord.js';

/**
 * What a job needs of its interaction to answer through it: the live interaction in the process
 * that received it, or the same token's webhook in a process that took the job over (see
 * `replyByToken`). discord.js's own interaction has this shape.
 */
export type JobReply = Pick<RepliableInteraction, 'applicationId' | 'token' | 'guildId' | 'locale' | 'attachmentSizeLimit' | 'deferred' | 'replied' | 'ephemeral' | 'editReply' | 'followUp' | 'deleteReply' | 'reply'>;

/** A job's interaction as stored, for answering it from another process within its 15 minutes. */
export interface StoredInteraction {
  applicationId: string;
  token: string;
  guildId: string | null;
  locale: string;
  attachmentSizeLimit: number | undefined;
  /** Deferred ephemerally (a describe), so its reply is the requester's alone. */
  ephemeral: boolean;
}

/**
 * The interaction of a job another process deferred, answered through its webhook (the token
 * authorises it; the bot's own token is not sent). It was deferred, and, like discord.js's,
 * counts as replied from its first edit.
 */
export function replyByToken(client: Client, stored: StoredInteraction): JobReply {
  // The webhook only uses the client's REST (which has the token from the start), not its gateway session.
  const webhook = new InteractionWebhook(client as Client<true>, stored.applicationId, stored.token);
  let replied = false;
  const reply: JobReply = {
    applicationId: stored.applicationId,
    token: stored.token,
    guildId: stored.guildId,
    locale: stored.locale as JobReply['locale'],
    attachmentSizeLimit: stored.attachmentSizeLimit ?? 10 * 1024 * 1024,
    deferred: true,
    get replied() {
      return replied;
    },
    ephemeral: stored.ephemeral,
    editReply: (async (options: string | InteractionEditReplyOptions) => {
      const sent = await webhook.editMessage('@original', options as Parameters<InteractionWebhook['editMessage']>[1]);
      replied = true;
      return sent;
    }) as JobReply['editReply'],
    followUp: (async (options: string | InteractionReplyOptions) => {
      const sent = await webhook.send(options as Parameters<InteractionWebhook['send']>[0]);
      replied = true;
      return sent;
    }) as JobReply['followUp'],
    deleteReply: (async () => {
      await webhook.deleteMessage('@original');
    }) as JobReply['deleteReply'],
    reply: (async (options: string | InteractionReplyOptions) => webhook.send(options as Parameters<InteractionWebhook['send']>[0])) as unknown as JobReply['reply'],
  };
  return reply;
}
