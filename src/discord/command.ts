import type {
  AutocompleteInteraction,
  MessageComponentInteraction,
  ChatInputCommandInteraction,
  ModalSubmitInteraction,
  RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/index.js';
import type { Catalog } from '../venice/catalog.js';
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
  /** Posts a plain message (no mentions) to a channel, e.g. the moderator log. */
  postToChannel(channelId: string, content: string): Promise<void>;
  /** Downloads an attachment the bot posted earlier (Discord's CDN), bounded in size and time. */
  downloadAttachment(url: string): Promise<Buffer>;
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
  autocomplete?(interaction: AutocompleteInteraction, ctx: CommandContext): AutocompleteChoice[];
  execute(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void>;
  /** Handlers for this command's buttons and select menus, by action (see custom-id.ts). */
  components?: Record<string, (interaction: MessageComponentInteraction, args: string[], ctx: CommandContext) => Promise<void>>;
  modals?: Record<string, (interaction: ModalSubmitInteraction, args: string[], ctx: CommandContext) => Promise<void>>;
}
