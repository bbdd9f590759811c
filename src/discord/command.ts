import type {
  AutocompleteInteraction,
  MessageComponentInteraction,
  ChatInputCommandInteraction,
  ModalSubmitInteraction,
  RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import type { APIActionRowComponent, APIComponentInMessageActionRow, APIEmbed } from 'discord.js';
import type { JobQueue } from '../jobs/queue.js';
import type { JobReply, StoredInteraction } from './job-reply.js';
import type { Ledger } from '../jobs/ledger.js';
import type { Logger } from '../logger.js';
import type { DeliveryMetrics, JobMetrics } from '../observability/metrics.js';
import type { Store } from '../store/index.js';
import type { Catalog } from '../venice/catalog.js';
import type { InteractionRegistry } from './interactions.js';
import type { VeniceClient } from '../venice/client.js';

export type ApiMode = 'native' | 'openai';

/** What every command receives instead of reaching for globals. */
export interface CommandContext {
  venice: VeniceClient;
  catalog: Catalog;
  apiMode: ApiMode;
  store: Store;
  log: Logger;
  /** Seeds come from here so tests and replays can pin them. */
  randomSeed(): number;
  now(): number;
  queue: JobQueue;
  /**
   * In the scale-out mode: this process's name in the shared line, and which other processes
   * are alive, so the jobs of one that died are reported (once) by one that lives.
   */
  sharedLine?:
    | {
        owner: string;
        living(owners: readonly string[]): Promise<Set<string>>;
        /** Hands waiting jobs on to the next process free to run them (see `SharedQueue.handOver`), the store first. */
        handOver(ids: readonly string[]): Promise<string[]>;
        /** Puts jobs the store says are handed on back in the line, if Redis lost them. */
        restoreHandedOn(jobs: ReadonlyArray<{ id: string; userId: string; guildId: string | null; requests: number }>): Promise<void>;
      }
    | undefined;
  /** In the scale-out mode: `gateway` hands /imagine's jobs to the workers; `all` runs everything. */
  role: 'all' | 'gateway' | 'worker';
  /** Answers a job's interaction through its token's webhook: for a job this process took over. */
  replyByToken(stored: StoredInteraction): JobReply;
  /** Every job's money and state transitions, each one transaction. */
  ledger: Ledger;
  interactions: InteractionRegistry;
  /** Models already announced as deprecated to moderators, so each is announced once per run. */
  announcedDeprecations: Set<string>;
  /** Posts a plain message (no mentions) to a channel, e.g. the moderator log. */
  postToChannel(channelId: string, content: string): Promise<void>;
  /** Posts a message with files as the bot in a channel: the way out when an interaction token has expired. */
  sendChannelMessage(channelId: string, message: ChannelMessage): Promise<{ id: string }>;
  /** Edits one of the bot's own messages by its channel (a placeholder whose interaction token expired). */
  editChannelMessage(channelId: string, messageId: string, message: { content: string; components: APIActionRowComponent<APIComponentInMessageActionRow>[] }): Promise<void>;
  /** Deletes one of the bot's own messages (a placeholder left behind after its token expired). */
  deleteChannelMessage(channelId: string, messageId: string): Promise<void>;
  /** Edits an interaction's original reply by its token, without the interaction object (after a restart). */
  editOriginalByToken(applicationId: string, token: string, message: { content: string; components?: APIActionRowComponent<APIComponentInMessageActionRow>[] }): Promise<void>;
  /** The operator's limits from the environment, for what `/usage` shows. */
  operator: { dmDailyBudgetUsd: number; dailyBudgetUsd: number | undefined };
  /** Whether the bot is a member of this server (a user-installed app also works in servers it is not in). */
  isBotInGuild(guildId: string): boolean;
  /** Hosts besides Discord's CDN that attachments come from (a REST proxy's, or the test fake's). */
  attachmentHosts: readonly string[];
  /** Downloads an attachment the bot posted earlier (Discord's CDN), bounded in size and time. */
  downloadAttachment(url: string): Promise<Buffer>;
  /** What jobs and deliveries report to /metrics. */
  metrics: JobMetrics & DeliveryMetrics;
}

export interface ChannelMessage {
  content: string;
  embeds?: APIEmbed[];
  components?: APIActionRowComponent<APIComponentInMessageActionRow>[];
  files?: Array<{ name: string; data: Buffer }>;
  /** Shows the message as a reply to this one (the placeholder the interaction left). */
  replyTo?: string | undefined;
  /** The one user this message may ping: the requester, whose result it carries. */
  pingUser?: string | undefined;
}

export interface AutocompleteChoice {
  name: string;
  value: string;
}

export interface Command {
  data: RESTPostAPIChatInputApplicationCommandsJSONBody;
  /** The router defers before `execute` runs; `ephemeral` hides the "thinking..." from the channel. */
  defer: false | { ephemeral: boolean };
  /** Answers from memory: Discord allows 3 s and no deferral, so this must never await the network. */
  autocomplete?(interaction: AutocompleteInteraction, ctx: CommandContext): AutocompleteChoice[] | Promise<AutocompleteChoice[]>;
  execute(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void>;
  /** Handlers for this command's buttons and select menus, by action (see custom-id.ts). */
  components?: Record<string, (interaction: MessageComponentInteraction, args: string[], ctx: CommandContext) => Promise<void>>;
  modals?: Record<string, (interaction: ModalSubmitInteraction, args: string[], ctx: CommandContext) => Promise<void>>;
  /** Runs at shutdown, before the Discord client is destroyed. */
  onShutdown?(ctx: CommandContext, deadlineMs: number): Promise<void>;
}
