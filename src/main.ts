import { randomInt } from 'node:crypto';
import { Client, Events, GatewayIntentBits, Options, Routes } from 'discord.js';
import { commands } from '../commands/index.js';
import { adoptHandedOn, recoverJobs } from '../commands/imagine/imagine.recovery.js';
import type { Config } from './config.js';
import { attachmentHostsFor, downloadAttachment } from './discord/attachments.js';
import { replyByToken } from './discord/job-reply.js';
import { BotRest, userIdOfToken } from './discord/rest.js';
import { createRouter } from './discord/router.js';
import { registerCommands } from './discord/register-commands.js';
import { localizeCommand } from './i18n/commands.js';
import type { CommandContext } from './discord/command.js';
import { InteractionRegistry } from './discord/interactions.js';
import { NO_MENTIONS } from './discord/replies.js';
import { INPUT_MAX_BYTES } from './jobs/input-image.js';
import { createLedger } from './jobs/ledger.js';
import { settleTrailingWrites } from './jobs/lifecycle.js';
import { FairQueue, type JobQueue, type QueuedJob } from './jobs/queue.js';
import type { SharedQueue } from './jobs/shared-queue.js';
import type { SharedPacing } from './venice/shared-pacing.js';
import type { Logger } from './logger.js';
import { gatewayReady, instrumentDiscordRest, shardPings, shardingOptions } from './observability/discord.js';
import { startHealthServer, type HealthServer } from './observability/http.js';
import { createBotMetrics, type BotMetrics } from './observability/metrics.js';
import { openStore, type Store } from './store/index.js';
import { ANY_PROCESS } from './store/jobs.js';
import { createCatalog, type Catalog, type CatalogSnapshot } from './venice/catalog.js';
import { createVeniceClient, type VeniceClient } from './venice/client.js';
import { SEED_MAX, SEED_MIN } from './venice/request-builder.js';
import { FailureRoom } from './venice/failure-room.js';
import { VeniceRateLimiter } from './venice/rate-limiter.js';
import type { RetryPolicy } from './venice/retry.js';

export interface Bot {
  client: Client;
  venice: VeniceClient;
  catalog: Catalog;
  store: Store;
  queue: JobQueue;
  metrics: BotMetrics;
  /** Where /metrics, /healthz and /readyz answer (with HTTP_PORT set), e.g. http://127.0.0.1:8080. */
  httpUrl: string | undefined;
  /** Resolves once the gateway session is ready and the slash commands are registered. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

/** Whether Venice's catalogue lists this model id, of any type: only those become metric labels. */
const listsModel = (snapshot: CatalogSnapshot, id: string): boolean => snapshot.byId.has(id) || snapshot.editById.has(id) || snapshot.textById.has(id);

/** A job handed on is marked in the store first (`ANY_PROCESS`), and given back if the line refuses it. */
const handedOnInStore = (store: Store, owner: string) => ({
  mark: (id: string) => store.jobs.takeOver(id, owner, ANY_PROCESS),
  unmark: async (id: string) => {
    await store.jobs.takeOver(id, ANY_PROCESS, owner);
  },
});

export interface StartOptions {
  /** Tests shorten Venice's retry pauses; production uses the defaults. */
  veniceRetry?: Partial<RetryPolicy>;
  /** The bot's clock (interaction ages, job timing); tests move it to age a job past its token. */
  now?: () => number;
}

/**
 * Wires the bot: Venice client -> catalog -> Discord client -> router, then logs in and
 * registers the commands. The same function runs under `npm start` and in the e2e tests.
 */
export async function startBot(config: Config, log: Logger, options: StartOptions = {}): Promise<Bot> {
  // First, so a corrupt or newer-schema database stops the bot before it touches Discord.
  const store = await openStore(config.DATABASE_URL ?? config.DATABASE_PATH);
  // `catalog` exists before any request names a model: the catalogue's own loads name none.
  const metrics = createBotMetrics({ isKnownModel: (id) => listsModel(catalog.current(), id) });
  // A peer's request outlives no timeout: past it and a margin, a silent peer's requests in flight are forgotten.
  const pacer = new VeniceRateLimiter(Date.now, metrics.pacer('image'), new FailureRoom({ peerStaleMs: config.VENICE_TIMEOUT_MS + 30_000 }));
  const venice = createVeniceClient({
    baseUrl: config.VENICE_API_URL,
    apiKey: config.VENICE_API_KEY,
    timeoutMs: config.VENICE_TIMEOUT_MS,
    log,
    limiter: pacer,
    metrics,
    pacerMetrics: metrics.pacer('chat'),
    ...(options.veniceRetry ? { retry: options.veniceRetry } : {}),
  });
  const limits = { maxConcurrent: config.MAX_CONCURRENT_JOBS, maxPerUser: config.MAX_JOBS_PER_USER, maxPerGuild: config.MAX_JOBS_PER_GUILD };
  // Venice's pace decides when the next job starts; MAX_CONCURRENT_JOBS is only a ceiling.
  const queueOptions = { onError: (err: unknown, job: QueuedJob) => log.error({ err, generationId: job.id }, 'a job escaped its own error handling'), gate: pacer, metrics };
  // With REDIS_URL, one line (caps, fairness) for every process; alone, the line in memory.
  let shared: SharedQueue | undefined;
  // ...and one Venice window: every process's pacer hears the others' requests and pauses.
  let pacing: SharedPacing | undefined;
  try {
    if (config.REDIS_URL !== undefined) {
      // Loaded only for the scale-out mode: ioredis costs a bot on its own a few MB it never uses.
      const [{ newOwnerId, SharedQueue }, { SharedPacing }] = await Promise.all([import('./jobs/shared-queue.js'), import('./venice/shared-pacing.js')]);
      const owner = newOwnerId();
      shared = await SharedQueue.connect(limits, { ...queueOptions, redisUrl: config.REDIS_URL, prefix: config.REDIS_PREFIX, owner, log });
      pacing = await SharedPacing.connect(pacer, { redisUrl: config.REDIS_URL, prefix: config.REDIS_PREFIX, owner, log });
    }
  } catch (err) {
    await shared?.dispose();
    await store.close();
    throw err;
  }
  const queue: JobQueue = shared ?? new FairQueue(limits, queueOptions);
  const catalog = createCatalog({ venice, log, refreshSeconds: config.CATALOG_REFRESH_SECONDS });

  // The health server answers from here on: /healthz while Venice's catalogue is still loading
  // (that can take minutes of retries), /readyz 503 until the gateway, catalogue and store are.
  let stopped = false;
  let http: HealthServer | undefined;
  // Filled in once the client exists, below; until then the gateway is simply not ready.
  const gateway: { client?: Client } = {};
  if (config.HTTP_PORT !== undefined) {
    // Only what is served is collected: process metrics and cloned REST answers cost something.
    metrics.collectProcessMetrics();
    http = await startHealthServer({
      host: config.HTTP_HOST,
      port: config.HTTP_PORT,
      registry: metrics.registry,
      log,
      readiness: async () => ({
        running: !stopped,
        // A worker has no gateway: it is ready once it can run jobs.
        ...(config.ROLE === 'worker' ? {} : { gateway: gateway.client !== undefined && gatewayReady(gateway.client) }),
        catalog: catalog.current().loadedAt > 0, store: await store.answers(),
        ...(shared ? { redis: await shared.answers() } : {}),
      }),
    });
  }
  try {
    await catalog.start();
  } catch (err) {
    await http?.close();
    await queue.dispose();
    pacing?.close();
    await store.close();
    throw err;
  }

  const client = new Client({
    intents: [GatewayIntentBits.Guilds],
    // discord.js's internal sharding: every shard in this process, so every per-guild state
    // (queue, pacer, interactions) is shared whichever shard a server is on.
    ...shardingOptions(config.SHARD_COUNT, config.SHARD_IDS),
    // Prompts are user text: no message of ours may ping, whatever a call site forgets.
    allowedMentions: { parse: [], repliedUser: false },
    rest: {
      ...(config.DISCORD_API_URL ? { api: config.DISCORD_API_URL } : {}),
      // Uploads of four images can take longer than discord.js's 15 s default.
      timeout: 60_000,
      // Every interaction token gets its own rate-limit handler, kept an hour by default: the
      // benchmark saw memory grow with them. Swept every 10 s (only those idle, with nothing
      // queued or held back), the JS heap stays flat under load instead of climbing about
      // 1.5 MB per 1,000 jobs between sweeps (the leak check, docs/benchmarks.md); a swept
      // handler is recreated at the token's next request and sends one request at a time until
      // Discord's headers tell it the route's limit again.
      handlerSweepInterval: 10_000,
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

  // Interaction endpoints are not bound to the bot's global limit; discord.js would cap them all the same.
  const tokenUser = userIdOfToken(config.DISCORD_TOKEN);
  // The REST discord.js made is replaced before anything used it; its sweep timers go with it.
  client.rest.clearHashSweeper();
  client.rest.clearHandlerSweeper();
  client.rest = new BotRest(client.options.rest ?? {}, (id) => id === (client.application?.id ?? tokenUser));

  const now = options.now ?? (() => Date.now());
  const ctx: CommandContext = {
    venice,
    catalog,
    apiMode: config.VENICE_API_MODE,
    store,
    queue,
    role: config.ROLE,
    sharedLine: shared && { owner: shared.owner, living: (owners) => shared.living(owners), handOver: (ids) => shared.handOver(ids, handedOnInStore(store, shared.owner)),
      restoreHandedOn: (jobs) => shared.restoreHandedOn(jobs),
    },
    replyByToken: (stored) => replyByToken(client, stored),
    ledger: createLedger(store, {
      dailyBudgetUsd: config.DAILY_BUDGET_USD,
      dmDailyBudgetUsd: config.DM_DAILY_BUDGET_USD,
      dmCooldownSeconds: config.DM_COOLDOWN_SECONDS,
      allowDms: config.ALLOW_DMS,
    }, metrics, shared?.owner ?? null),
    interactions: new InteractionRegistry(now),
    announcedDeprecations: new Set(),
    log,
    randomSeed: () => randomInt(SEED_MIN, SEED_MAX + 1),
    now,
    async postToChannel(channelId, content) {
      await client.rest.post(Routes.channelMessages(channelId), { body: { content: content.slice(0, 2000), allowed_mentions: { parse: [] } } });
    },
    async sendChannelMessage(channelId, message) {
      // discord.js builds the body (attachment ids, multipart parts) as the spec wants it.
      const channel = await client.channels.fetch(channelId);
      if (!channel?.isSendable()) throw new Error(`channel ${channelId} cannot take messages from the bot`);
      const sent = await channel.send({
        content: message.content,
        ...(message.embeds ? { embeds: message.embeds } : {}),
        ...(message.components ? { components: message.components } : {}),
        files: (message.files ?? []).map((f) => ({ attachment: f.data, name: f.name })),
        allowedMentions: { ...NO_MENTIONS, users: message.pingUser ? [message.pingUser] : [] },
        ...(message.replyTo ? { reply: { messageReference: message.replyTo, failIfNotExists: false } } : {}),
      });
      return { id: sent.id };
    },
    async editChannelMessage(channelId, messageId, message) {
      await client.rest.patch(Routes.channelMessage(channelId, messageId), { body: { content: message.content, components: message.components, allowed_mentions: { parse: [] } } });
    },
    async deleteChannelMessage(channelId, messageId) {
      await client.rest.delete(Routes.channelMessage(channelId, messageId));
    },
    async editOriginalByToken(applicationId, token, message) {
      await client.rest.patch(Routes.webhookMessage(applicationId, token, '@original'), {
        body: { content: message.content, components: message.components ?? [], allowed_mentions: { parse: [] } },
        auth: false,
      });
    },
    attachmentHosts: attachmentHostsFor(config.DISCORD_API_URL),
    isBotInGuild: (guildId) => client.guilds.cache.has(guildId),
    operator: { dmDailyBudgetUsd: config.DM_DAILY_BUDGET_USD, dailyBudgetUsd: config.DAILY_BUDGET_USD },
    // Venice takes images under 25 MB: nothing larger is worth downloading.
    downloadAttachment: (url) => downloadAttachment(url, { extraHosts: attachmentHostsFor(config.DISCORD_API_URL), maxBytes: INPUT_MAX_BYTES }),
    metrics,
  };
  metrics.watch({ queue: () => queue.stats(), shardPings: () => shardPings(client) });
  const route = createRouter(commands, ctx);
  client.on(Events.InteractionCreate, (interaction) => {
    route(interaction).catch((err: unknown) => log.error({ err }, 'interaction handler crashed'));
  });
  client.on(Events.Error, (err) => log.error({ err }, 'discord client error'));
  client.on(Events.Warn, (message) => log.warn({ message }, 'discord client warning'));

  // A worker never connects to the gateway (its REST has the token): ready once it has started.
  let workerReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    if (config.ROLE === 'worker') {
      workerReady = resolve;
      return;
    }
    client.once(Events.ClientReady, (c) => {
      log.info({ user: c.user.tag, guilds: c.guilds.cache.size }, 'connected to Discord');
      registerCommands({
        rest: c.rest,
        applicationId: c.application.id,
        guildId: config.DISCORD_GUILD_ID,
        commands: commands.map((cmd) => localizeCommand(cmd.data)),
        log,
      }).then(() => resolve(), reject);
    });
  });

  gateway.client = client;
  let unwatchRest: (() => void) | undefined;
  try {
    if (http) unwatchRest = instrumentDiscordRest(client, metrics);
    // Before the gateway connects, so no interaction of this run is handled yet: a job this
    // run creates can never be mistaken for one the last run left behind. REST needs only the token.
    client.rest.setToken(config.DISCORD_TOKEN);
    await recoverJobs(ctx);
    // Jobs a stopping process handed on, run here from their store rows, from now on.
    // A gateway leaves them to the workers.
    if (config.ROLE !== 'gateway') shared?.takeHandedOn((id) => adoptHandedOn(id, ctx));
    if (config.ROLE === 'worker') {
      log.info({ role: config.ROLE }, 'running jobs for the gateways; no gateway connection of its own');
      workerReady();
    } else await client.login(config.DISCORD_TOKEN);
  } catch (err) {
    catalog.stop();
    unwatchRest?.();
    await client.destroy();
    await venice.close();
    await http?.close();
    await queue.dispose();
    pacing?.close();
    await store.close();
    throw err;
  }

  return {
    client,
    venice,
    catalog,
    store,
    queue,
    metrics,
    httpUrl: http?.url,
    ready,
    async stop() {
      if (stopped) return;
      stopped = true;
      const deadline = Date.now() + config.SHUTDOWN_GRACE_SECONDS * 1000;
      catalog.stop();
      for (const command of commands) await command.onShutdown?.(ctx, Math.max(0, deadline - Date.now()));
      await queue.dispose();
      pacing?.close();
      // Writes are milliseconds; the bound keeps the exit within the grace period plus 2 s.
      await settleTrailingWrites(500);
      await client.destroy();
      // Whatever is still in flight to Venice was aborted or belongs to nobody now: do not wait for it.
      await venice.destroy();
      unwatchRest?.();
      // Last: /healthz answers (and /readyz says 503) while the jobs drain.
      await http?.close();
      await store.close();
      log.info('stopped');
    },
  };
}
