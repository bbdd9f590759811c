import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { isParentMessage, type BotKind, type ChildMessage, type LagSummary, type ProcessStats } from './protocol.js';

/*
 * One bot in a process of its own, started by the bench (compiled to JavaScript, see build.ts).
 * The bench's fakes live in the parent, so the RSS and event-loop lag measured here are this
 * bot's alone. Usage: bot-process.js ours|floor, with the bot's environment (DISCORD_*,
 * VENICE_*, DATABASE_PATH).
 */

/** Node's default; the histogram records whole timer intervals, so this is taken off again. */
const LAG_RESOLUTION_MS = 10;
/**
 * Often enough to catch the RSS peak of a burst (freed pages go back to the OS slowly), rarely
 * enough that reading /proc costs the bot well under 1% of a core.
 */
const RSS_SAMPLE_MS = 25;

interface RunningBot {
  ready: Promise<void>;
  stop(): Promise<void>;
}

function send(message: ChildMessage): void {
  process.send?.(message);
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`bot-process: ${name} is not set`);
  return value;
}

// Imported on demand: the floor's process must not load (and pay the memory for) our modules.
async function startOurs(): Promise<RunningBot> {
  const { loadConfig, secretsOf } = await import('../src/config.js');
  const { createLogger } = await import('../src/logger.js');
  const { startBot } = await import('../src/main.js');
  const config = loadConfig(process.env);
  // stdout is /dev/null: the bot pays for building its log lines, as in production, not for a terminal.
  const log = createLogger({ level: config.LOG_LEVEL, secrets: secretsOf(config) });
  return startBot(config, log);
}

async function startFloor(): Promise<RunningBot> {
  const { startFloorBot } = await import('./floor-bot.js');
  return startFloorBot({
    discordToken: required('DISCORD_TOKEN'),
    discordApiUrl: required('DISCORD_API_URL'),
    guildId: required('DISCORD_GUILD_ID'),
    veniceApiUrl: required('VENICE_API_URL'),
    veniceApiKey: required('VENICE_API_KEY'),
  });
}

/** RssAnon and RssFile from /proc/self/status, in bytes; zeros off Linux. */
function rssSplit(): { rssAnon: number; rssFile: number } {
  let status = '';
  try {
    status = readFileSync('/proc/self/status', 'utf8');
  } catch {
    return { rssAnon: 0, rssFile: 0 };
  }
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rssAnon: kb('RssAnon'), rssFile: kb('RssFile') };
}

/**
 * Nanoseconds this thread has waited on a run queue (ready, not running): the second of the
 * three fields of /proc/thread-self/schedstat (time running, time waiting, timeslices); NaN off
 * Linux. A kernel without schedstats prints zeros, which read as no wait. Read on the main
 * thread, so it is the event loop's own wait.
 */
function runQueueWaitNs(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[1] ?? Number.NaN);
  } catch {
    return Number.NaN;
  }
}

function lagOf(histogram: ReturnType<typeof monitorEventLoopDelay>): LagSummary {
  const ms = (ns: number): number => Math.max(0, ns / 1e6 - LAG_RESOLUTION_MS);
  if (histogram.count === 0) return { p50: 0, p99: 0, max: 0, mean: 0 };
  return { p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max), mean: ms(histogram.mean) };
}

async function main(): Promise<void> {
  const kind = process.argv[2] as BotKind | undefined;
  if (kind !== 'ours' && kind !== 'floor') throw new Error(`bot-process: expected "ours" or "floor", got ${String(kind)}`);
  const started = performance.now();
  const bot = kind === 'ours' ? await startOurs() : await startFloor();
  await bot.ready;

  const histogram = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  histogram.enable();
  let peakRss = process.memoryUsage.rss();
  let cpuAtReset = process.cpuUsage();
  let waitAtReset = runQueueWaitNs();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, RSS_SAMPLE_MS);
  sampler.unref();

  const stats = (gc: boolean): ProcessStats => {
    // With --expose-gc the bench can ask for RSS after a full collection, which is what a leak check compares.
    if (gc && typeof globalThis.gc === 'function') {
      globalThis.gc();
      globalThis.gc();
    }
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage(cpuAtReset);
    peakRss = Math.max(peakRss, memory.rss);
    return {
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      heapTotal: memory.heapTotal,
      external: memory.external,
      arrayBuffers: memory.arrayBuffers,
      ...rssSplit(),
      heapSpaces: Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, s.physical_space_size])),
      peakRss,
      maxRss: process.resourceUsage().maxRSS * 1024,
      lag: lagOf(histogram),
      cpuMs: (cpu.user + cpu.system) / 1000,
      cpuWaitMs: Number.isFinite(waitAtReset) ? (runQueueWaitNs() - waitAtReset) / 1e6 : null,
    };
  };

  // The profiler runs only in the window the bench asks for, so start-up (tsx compiling every
  // module) does not drown what the bot does under load.
  let profiler: Session | undefined;
  const startProfile = async (): Promise<void> => {
    profiler = new Session();
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  };
  const stopProfile = async (path: string): Promise<void> => {
    if (!profiler) throw new Error('bot-process: the profiler was not started');
    const { profile } = await profiler.post('Profiler.stop');
    profiler.disconnect();
    profiler = undefined;
    await writeFile(path, JSON.stringify(profile));
  };
  const answerWhenDone = (id: number, work: Promise<void>): void => {
    work.then(
      () => send({ type: 'done', id }),
      (err: unknown) => send({ type: 'failed', id, message: err instanceof Error ? err.message : String(err) }),
    );
  };

  process.on('message', (raw: unknown) => {
    if (!isParentMessage(raw)) return;
    switch (raw.type) {
      case 'profile-start':
        answerWhenDone(raw.id, startProfile());
        return;
      case 'profile-stop':
        answerWhenDone(raw.id, stopProfile(raw.path));
        return;
      case 'heap-snapshot':
        answerWhenDone(
          raw.id,
          Promise.resolve().then(() => {
            writeHeapSnapshot(raw.path);
          }),
        );
        return;
      case 'stats':
        send({ type: 'stats', id: raw.id, stats: stats(raw.gc) });
        return;
      case 'reset':
        histogram.reset();
        peakRss = process.memoryUsage.rss();
        cpuAtReset = process.cpuUsage();
        waitAtReset = runQueueWaitNs();
        send({ type: 'done', id: raw.id });
        return;
      case 'stop':
        clearInterval(sampler);
        histogram.disable();
        bot.stop().then(
          () => {
            send({ type: 'done', id: raw.id });
            // exit() (not a kill) so that --cpu-prof writes its profile.
            process.exit(0);
          },
          (err: unknown) => {
            console.error('bot-process: stop failed', err);
            process.exit(1);
          },
        );
        return;
    }
  });
  // The bench going away (crash, Ctrl-C) must not leave an orphan bot behind.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', startupMs: performance.now() - started });
}

main().catch((err: unknown) => {
  console.error('bot-process: could not start', err);
  send({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});
