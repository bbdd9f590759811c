import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { loadConfig, secretsOf, type Config } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startBot, type Bot } from '../../src/main.js';
import { startFakeDiscord, type FakeDiscord } from '../support/discord/fake-discord.js';
import { startVeniceSimulator, type VeniceSimulator } from '../support/venice/simulator.js';
import { assertNoInvalidRequests, veniceRefusals } from './helpers.js';

export interface Harness {
  discord: FakeDiscord;
  venice: VeniceSimulator;
  bot: Bot;
  config: Config;
  /** Every log line the bot wrote, raw JSON text. */
  logs(): string;
  close(): Promise<void>;
}

/** A fresh folder for one bot's SQLite file. */
export const tempDatabasePath = (): string => join(mkdtempSync(join(tmpdir(), 'venice-imagine-db-')), 'bot.sqlite');

/** The environment the bot would read, pointing both services at the local fakes. */
export function fakeEnv(discord: FakeDiscord, venice: VeniceSimulator, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_PATH: tempDatabasePath(),
    DISCORD_TOKEN: discord.token,
    VENICE_API_KEY: venice.apiKey,
    VENICE_API_URL: venice.baseUrl,
    DISCORD_API_URL: discord.apiUrl,
    DISCORD_GUILD_ID: discord.ids.guild,
    LOG_LEVEL: 'debug',
    ...extra,
  };
}

/**
 * Starts the fake Discord, the Venice simulator and the bot's real wiring (`startBot`, the
 * function `npm start` runs) in this process, and waits until the commands are registered.
 */
export async function startHarness(options: { env?: Record<string, string>; discordNow?: () => number; botNow?: () => number } = {}): Promise<Harness> {
  const discord = await startFakeDiscord(options.discordNow ? { now: options.discordNow } : {});
  const venice = await startVeniceSimulator();
  const config = loadConfig(fakeEnv(discord, venice, options.env));
  const sink = new PassThrough();
  let logged = '';
  sink.on('data', (chunk: Buffer) => {
    logged += chunk.toString('utf8');
  });
  const log = createLogger({ level: config.LOG_LEVEL, secrets: secretsOf(config), destination: sink, pretty: false });
  // Short pauses between retries keep the suite quick; the policy's shape is unchanged.
  const bot = await startBot(config, log, { veniceRetry: { baseDelayMs: 5, maxDelayMs: 20 }, ...(options.botNow ? { now: options.botNow } : {}) });
  await bot.ready;
  await discord.ready();
  return {
    discord,
    venice,
    bot,
    config,
    logs: () => logged,
    async close() {
      await bot.stop();
      await discord.close();
      await venice.close();
      // Whatever a test asserted, the bot must never have sent either service what its spec refuses.
      assertNoInvalidRequests(discord);
      const refused = veniceRefusals(venice);
      if (refused.length > 0) throw new Error(`Venice refused ${refused.length} request(s): ${refused.map((r) => `${r.status} ${JSON.stringify(r.body)}`).join('; ')}`);
    },
  };
}
