/**
 * The IPC messages between the bench (parent: fakes, load, measurements) and a bot child
 * (our bot or the floor bot, alone in its process so its RSS and event-loop lag are its own).
 */

export type BotKind = 'ours' | 'floor';

/** Event-loop delay percentiles in milliseconds, the timer's own interval already taken off. */
export interface LagSummary {
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

export interface ProcessStats {
  /** `process.memoryUsage().rss` now, bytes. */
  rss: number;
  heapUsed: number;
  /**
   * Where the RSS is, for finding what to cut: V8's heap as reserved (`heapTotal`), memory V8
   * knows is held outside it (`external`, of which `arrayBuffers` are Buffers, except those on a
   * resizable ArrayBuffer: the bot's image buffers count in `external` only), and the kernel's
   * split of RSS into anonymous memory (heaps: V8's and malloc's) and mapped files (the node
   * binary, native addons), 0 where /proc is not there.
   */
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  rssAnon: number;
  rssFile: number;
  /** V8's heap spaces (new, old, code, large objects...): bytes each has committed (physical). */
  heapSpaces: Record<string, number>;
  /** Highest RSS sampled since the last reset, bytes. */
  peakRss: number;
  /** `process.resourceUsage().maxRSS` (lifetime peak), bytes. */
  maxRss: number;
  /** Event-loop delay since the last reset. */
  lag: LagSummary;
  /** CPU time (user + system) since the last reset, milliseconds. */
  cpuMs: number;
  /**
   * Time the bot's main thread was ready to run but waited for a CPU since the last reset,
   * milliseconds (Linux's schedstat); null where /proc does not say (JSON over IPC has no NaN).
   * Part of the event-loop lag is this wait, time in which none of the bot's JavaScript ran, so
   * it is printed beside the lag.
   */
  cpuWaitMs: number | null;
}

export type ParentMessage =
  | { type: 'stats'; id: number; gc: boolean }
  | { type: 'reset'; id: number }
  /** Starts the V8 CPU profiler (through the inspector), for a window the bench chooses. */
  | { type: 'profile-start'; id: number }
  /** Stops it and writes the `.cpuprofile` to `path`. */
  | { type: 'profile-stop'; id: number; path: string }
  /** Writes a V8 heap snapshot to `path`, for finding what grows between two readings. */
  | { type: 'heap-snapshot'; id: number; path: string }
  | { type: 'stop'; id: number };

export type ChildMessage =
  | { type: 'ready'; startupMs: number }
  | { type: 'stats'; id: number; stats: ProcessStats }
  | { type: 'done'; id: number }
  /** Start-up failed (no id), or the request with this id did. */
  | { type: 'failed'; id?: number; message: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** IPC delivers whatever the other side sent; check the tag before trusting the shape. */
export function isChildMessage(value: unknown): value is ChildMessage {
  return isRecord(value) && ['ready', 'stats', 'done', 'failed'].includes(String(value.type));
}

export function isParentMessage(value: unknown): value is ParentMessage {
  return isRecord(value) && ['stats', 'reset', 'profile-start', 'profile-stop', 'heap-snapshot', 'stop'].includes(String(value.type)) && typeof value.id === 'number';
}
