import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeDiscord, type FakeDiscord } from '../test/support/discord/fake-discord.js';
import type { VeniceSimulatorOptions } from '../test/support/venice/simulator.js';
import { BotChild } from './bot-child.js';
import { DiscordTap } from './discord-tap.js';
import type { BenchFormat, RealisticImage } from './images.js';
import type { BotKind } from './protocol.js';
import { VeniceChild } from './venice-child.js';

/**
 * Milliseconds since 1970 with sub-millisecond precision. The fake Discord stamps each request's
 * `at` with this clock (its `now` option), and the bench reads it right after a dispatch is on
 * the socket, so the two ends of a latency share one clock in one process.
 */
export const hiresNow = (): number => performance.timeOrigin + performance.now();

/** One bot with a world of its own: a fake Discord can serve one gateway session at a time. */
export interface Rig {
  readonly kind: BotKind;
  readonly discord: FakeDiscord;
  /** The Venice simulator and the proxy in front of it, in a process of their own (venice-process.ts). */
  readonly venice: VeniceChild;
  readonly tap: DiscordTap;
  readonly bot: BotChild;
  close(): Promise<void>;
}

export interface RigOptions {
  images: Record<BenchFormat, RealisticImage>;
  /** The compiled bot-process.js. */
  botProcess: string;
  /** Flags for the bot's node: ours gets those of `npm start`, the floor node's defaults. */
  nodeFlags?: readonly string[];
  /** More environment for the bot (e.g. MAX_CONCURRENT_JOBS=8), over the bench's own. */
  extraEnv?: Record<string, string>;
  /**
   * The simulator's options for a scenario that measures Venice's pacing (a real limit, time
   * scaled, ranged delays, the lockout), in place of the bench's unlimited, instant Venice.
   */
  venice?: VeniceSimulatorOptions;
}

export async function startRig(kind: BotKind, options: RigOptions): Promise<Rig> {
  const discord = await startFakeDiscord({ now: hiresNow });
  // Outside the paced scenario Venice's rate limit is not what is measured: lifted, so that
  // our bot, which paces itself by the limit in the headers, is not held to 20 a minute.
  const venice = await VeniceChild.start(options.venice ?? { inferenceDelayMs: 0, rateLimitPerMinute: 1_000_000_000 }, options.images).catch(async (err: unknown) => {
    await discord.close();
    throw err;
  });
  let tap: DiscordTap | undefined;
  // A fresh database per bot: nothing from an earlier run (or another bot) is read back.
  const dataDir = await mkdtemp(join(tmpdir(), `venice-imagine-bench-${kind}-`));
  const release = async (): Promise<void> => {
    await tap?.close();
    await discord.close();
    await venice.close();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    tap = new DiscordTap(discord);
    const bot = await BotChild.start({
      kind,
      script: options.botProcess,
      ...(options.nodeFlags ? { nodeFlags: options.nodeFlags } : {}),
      env: {
        DISCORD_TOKEN: discord.token,
        DISCORD_API_URL: discord.apiUrl,
        DISCORD_GUILD_ID: discord.ids.guild,
        VENICE_API_KEY: venice.apiKey,
        VENICE_API_URL: venice.baseUrl,
        DATABASE_PATH: join(dataDir, 'bench.sqlite'),
        LOG_LEVEL: 'info',
        ...options.extraEnv,
      },
    });
    await discord.ready();
    const liveTap = tap;
    bot.onCrash((code) => liveTap.fail(new Error(`bench: the ${kind} bot's process ended unexpectedly (code ${String(code)})`)));
    return {
      kind,
      discord,
      venice,
      tap: liveTap,
      bot,
      async close() {
        await bot.stop();
        await release();
      },
    };
  } catch (err) {
    await release();
    throw err;
  }
}
