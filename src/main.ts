import { randomInt } from 'node:crypto';
import { Client, Events, GatewayIntentBits, Options, Routes } from 'discord.js';
import { commands } from '../commands/index.js';
import type { Config } from './config.js';
import { downloadAttachment } from './discord/attachments.js';
import { createRouter } from './discord/router.js';
import { registerCommands } from './discord/register-commands.js';
import type { Logger } from './logger.js';
import { openStore, type Store } from './store/index.js';
import { createCatalog, type Catalog } from './venice/catalog.js';
import { createVeniceClient, type VeniceClient } from './venice/client.js';
import { SEED_MAX, SEED_MIN } from './venice/request-builder.js';
import type { RetryPolicy } from './venice/retry.js';

export interface Bot {
  client: Client;
  venice: VeniceClient;
  catalog: Catalog;
  store: Store;
  /** Resolves once the gateway session is ready and the slash commands are registered. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Tests shorten Venice's retry pauses; production uses the defaults. */
  veniceRetry?: Partial<RetryPolicy>;
}

/**
 * Wires the bot: Venice client -> catalog -> Discord client -> router, then logs in and
 * registers the commands. The same function runs under `npm start` and in the e2e tests.
 */
export async function startBot(config: Config, log: Logger, options: StartOptions = {}): Promise<Bot> {
  // First, so a corrupt or newer-schema database stops the bot before it touches Discord.
  const store = openStore(config.DATABASE_PATH);
  const venice = createVeniceClient({
    baseUrl: config.VENICE_API_URL,
    apiKey: config.VENICE_API_KEY,
    timeoutMs: config.VENICE_TIMEOUT_MS,
    log,
    ...(options.veniceRetry ? { retry: options.veniceRetry } : {}),
  });
  const catalog = createCatalog({ venice, log, refreshSeconds: config.CATALOG_REFRESH_SECONDS });
  await catalog.start();

  const client = new Client({
    intents: [GatewayIntentBits.Guilds],
    // Prompts are user text: no message of ours may ping, whatever a call site forgets.
    allowedMentions: { parse: [], repliedUser: false },
    rest: {
      ...(config.DISCORD_API_URL ? { api: config.DISCORD_API_URL } : {}),
      // Uploads of four images can take longer than discord.js's 15 s default.
      timeout: 60_000,
    },
    // A slash-command bot reads no messages, members or presences: do not hoard them.
    makeCache: Options.cacheWithLimits({
      ...Options.DefaultMakeCacheSettings,
      MessageManager: 0,
      PresenceManager: 0,
      ReactionManager: 0,
      GuildMemberManager: { maxSize: 0, keepOverLimit: (member) => member.id === member.client.user.id },
      UserManager: { maxSize: 0, keepOverLimit: (user) => user.id === user.client.user.id },
      VoiceStateManager: 0,
      GuildEmojiManager: 0,
      GuildStickerManager: 0,
    }),
  });

  const route = createRouter(commands, {
    venice,
    catalog,
    apiMode: config.VENICE_API_MODE,
    store,
    log,
    randomSeed: () => randomInt(SEED_MIN, SEED_MAX + 1),
    now: () => Date.now(),
    async postToChannel(channelId, content) {
      await client.rest.post(Routes.channelMessages(channelId), { body: { content: content.slice(0, 2000), allowed_mentions: { parse: [] } } });
    },
    downloadAttachment: (url) => downloadAttachment(url),
  });
  client.on(Events.InteractionCreate, (interaction) => {
    route(interaction).catch((err: unknown) => log.error({ err }, 'interaction handler crashed'));
  });
  client.on(Events.Error, (err) => log.error({ err }, 'discord client error'));
  client.on(Events.Warn, (message) => log.warn({ message }, 'discord client warning'));

  const ready = new Promise<void>((resolve, reject) => {
    client.once(Events.ClientReady, (c) => {
      log.info({ user: c.user.tag, guilds: c.guilds.cache.size }, 'connected to Discord');
      registerCommands({
        rest: c.rest,
        applicationId: c.application.id,
        guildId: config.DISCORD_GUILD_ID,
        commands: commands.map((cmd) => cmd.data),
        log,
      }).then(() => resolve(), reject);
    });
  });

  try {
    await client.login(config.DISCORD_TOKEN);
  } catch (err) {
    catalog.stop();
    await client.destroy();
    await venice.close();
    store.close();
    throw err;
  }

  let stopped = false;
  return {
    client,
    venice,
    catalog,
    store,
    ready,
    async stop() {
      if (stopped) return;
      stopped = true;
      catalog.stop();
      await client.destroy();
      await venice.close();
      store.close();
      log.info('stopped');
    },
  };
}
