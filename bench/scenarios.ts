import { join } from 'node:path';
import type { FailureLockout, VeniceSimulatorOptions } from '../test/support/venice/simulator.js';
import { probeAutocomplete, runClosedLoop, runJob, startJob, type JobResult, type JobSpec, type StartedJob } from './load.js';
import type { BotKind, ProcessStats } from './protocol.js';
import { hiresNow, type Rig } from './rig.js';
import { sleep, summarise, type Percentiles } from './stats.js';

/** Both bots of a comparison; every scenario runs the floor, then ours, round after round. */
export type Pair = Record<BotKind, Rig>;
export type PerBot<T> = Record<BotKind, T>;

const ORDER: readonly BotKind[] = ['floor', 'ours'];
/** A pause between sequential probes, so one probe's tail does not become the next one's queue. */
const PROBE_GAP_MS = 2;
/**
 * After an idle ack probe's job posted its images, the bot still reads Discord's answer, writes
 * its store and collects the garbage; the next probe must meet an idle bot, not that tail.
 */
const IDLE_SETTLE_MS = 25;

export interface LatencyFigures {
  ack: Percentiles;
  model: Percentiles;
  style: Percentiles;
  /** Probes that failed (no callback, or the fake refused it). */
  failed: number;
}

class LatencySamples {
  readonly ack: number[] = [];
  readonly model: number[] = [];
  readonly style: number[] = [];
  failed = 0;

  async take(kind: 'ack' | 'model' | 'style', probe: () => Promise<number>): Promise<void> {
    try {
      const ms = await probe();
      if (Number.isFinite(ms)) this[kind].push(ms);
      else this.failed += 1;
    } catch {
      this.failed += 1;
    }
  }

  figures(): LatencyFigures {
    return { ack: summarise(this.ack), model: summarise(this.model), style: summarise(this.style), failed: this.failed };
  }
}

function perBot<T>(make: () => T): PerBot<T> {
  return { floor: make(), ours: make() };
}

export interface IdlePlan {
  rounds: number;
  /** Per bot and round. */
  acks: number;
  autocompletes: number;
}

/**
 * Scenarios 1 and 2, idle: one interaction at a time. An ack probe is a whole /imagine (one
 * image) followed to its end, so the next probe again meets an idle bot.
 */
export async function measureIdleLatency(pair: Pair, plan: IdlePlan): Promise<PerBot<LatencyFigures>> {
  const samples = perBot(() => new LatencySamples());
  const spec: JobSpec = { variants: 1, format: 'webp' };
  for (let round = 0; round < plan.rounds; round++) {
    for (const kind of ORDER) {
      const rig = pair[kind];
      const s = samples[kind];
      for (let i = 0; i < plan.acks; i++) {
        await s.take('ack', async () => (await runJob(rig, i, spec)).ackMs);
        await sleep(IDLE_SETTLE_MS);
      }
      for (let i = 0; i < plan.autocompletes; i++) {
        await s.take('model', () => probeAutocomplete(rig, 'model', i));
        await sleep(PROBE_GAP_MS);
        await s.take('style', () => probeAutocomplete(rig, 'style', i));
        await sleep(PROBE_GAP_MS);
      }
      await rig.tap.flush();
    }
  }
  return { floor: samples.floor.figures(), ours: samples.ours.figures() };
}

export interface InFlightPlan {
  rounds: number;
  /** Jobs (4 images each) started at once before sampling. */
  jobs: number;
  /** Simulator inference delay: how long those jobs stay in flight. */
  delayMs: number;
  /**
   * Sampling starts this long after the burst's last defer: what a bot does right after
   * accepting 100 jobs (store writes, queueing, sending to Venice) is reported apart.
   */
  settleMs: number;
}

export interface InFlightFigures extends LatencyFigures {
  /** Slowest defer among the burst that put the jobs in flight. */
  burstAckMax: number;
  /** A defer sent right after the burst's last one, before the settling pause (worst round). */
  firstAfterBurst: number;
  /** Jobs in flight when the last sample was taken (at least `jobs` when the scenario held). */
  inFlightAtEnd: number;
  /** Jobs of the scenario that did not end with images. */
  jobsFailed: number;
}

/**
 * Scenarios 1 and 2 "with 100 jobs in flight": a burst of 4-image jobs that Venice (the
 * simulator's inference delay) keeps waiting, a pause for the bot to settle, then sequential
 * probes until just before the jobs come back. The probes' own /imagine jobs join the ones in
 * flight.
 */
export async function measureInFlightLatency(pair: Pair, plan: InFlightPlan): Promise<PerBot<InFlightFigures>> {
  const samples = perBot(() => new LatencySamples());
  const burstAckMax = perBot(() => 0);
  const firstAfterBurst = perBot(() => 0);
  const inFlightAtEnd = perBot(() => Number.POSITIVE_INFINITY);
  const jobsFailed = perBot(() => 0);
  const spec: JobSpec = { variants: 4, format: 'webp' };
  // Sampling stops this long before the first job can come back, so every sample sees them all.
  const margin = Math.min(500, plan.delayMs / 4);
  for (let round = 0; round < plan.rounds; round++) {
    for (const kind of ORDER) {
      const rig = pair[kind];
      const s = samples[kind];
      await rig.venice.setInferenceDelay(plan.delayMs);
      const burstStart = hiresNow();
      const jobs: StartedJob[] = await Promise.all(Array.from({ length: plan.jobs }, (_, i) => startJob(rig, i, spec)));
      const burstAcks = await Promise.all(jobs.map((j) => j.ackMs.catch(() => Number.NaN)));
      burstAckMax[kind] = Math.max(burstAckMax[kind], ...burstAcks.filter(Number.isFinite));
      const first = await startJob(rig, plan.jobs, spec);
      jobs.push(first);
      firstAfterBurst[kind] = Math.max(firstAfterBurst[kind], await first.ackMs.catch(() => Number.NaN));
      await sleep(plan.settleMs);
      const until = burstStart + plan.delayMs - margin;
      let lastSampleAt = hiresNow();
      for (let i = 0; hiresNow() < until; i++) {
        const which = i % 3;
        if (which === 0) {
          await s.take('ack', async () => {
            const job = await startJob(rig, plan.jobs + 1 + i, spec);
            jobs.push(job);
            return job.ackMs;
          });
        } else {
          await s.take(which === 1 ? 'model' : 'style', () => probeAutocomplete(rig, which === 1 ? 'model' : 'style', i));
        }
        lastSampleAt = hiresNow();
        await sleep(PROBE_GAP_MS);
      }
      // Requests already at the simulator keep their delay; the ones a bot still holds back
      // (ours sends at most 32 at a time) then come back at once, which keeps the drain short.
      await rig.venice.setInferenceDelay(0);
      const results = await Promise.all(jobs.map((j) => j.result));
      const stillOpen = results.filter((r) => !(r.endAt <= lastSampleAt)).length;
      inFlightAtEnd[kind] = Math.min(inFlightAtEnd[kind], stillOpen);
      jobsFailed[kind] += results.filter((r) => !r.ok).length;
      await rig.tap.flush();
    }
  }
  const figures = (kind: BotKind): InFlightFigures => ({
    ...samples[kind].figures(),
    burstAckMax: burstAckMax[kind],
    firstAfterBurst: firstAfterBurst[kind],
    inFlightAtEnd: inFlightAtEnd[kind],
    jobsFailed: jobsFailed[kind],
  });
  return { floor: figures('floor'), ours: figures('ours') };
}

export interface ThroughputPlan {
  users: number;
  spec: JobSpec;
  rounds: number;
  warmupMs: number;
  windowMs: number;
  /** Simulator inference delay; 0 measures the bots alone. */
  delayMs: number;
}

export interface ThroughputFigures {
  users: number;
  spec: JobSpec;
  delayMs: number;
  /** Jobs whose images reached Discord inside the measuring windows, per second. */
  jobsPerSecond: number;
  completed: number;
  failed: number;
  /** The bot's event-loop delay during the windows (worst round). */
  lagP99: number;
  lagMax: number;
  /** The bot process's CPU time over wall time in the windows: 100% is one core. */
  cpuPercent: number;
  /** Milliseconds per second the bot's main thread waited for a CPU in the windows (NaN off Linux). */
  cpuWaitPerSecond: number;
  /** Defers of the jobs sent inside the windows, under this load. */
  ack: Percentiles;
  /** Requests the bot sent to Discord per job, over the whole closed loop (warm-up and drain included). */
  discordRequestsPerJob: number;
}

/** Scenarios 3 and 5: a closed loop of `users`, each waiting for its images before the next job. */
export async function measureThroughput(pair: Pair, plan: ThroughputPlan): Promise<PerBot<ThroughputFigures>> {
  const acc = perBot(() => ({ completed: 0, failed: 0, windowMs: 0, cpuMs: 0, cpuWaitMs: 0, lagP99: 0, lagMax: 0, acks: [] as number[], jobs: 0, requests: 0 }));
  for (let round = 0; round < plan.rounds; round++) {
    for (const kind of ORDER) {
      const rig = pair[kind];
      const a = acc[kind];
      const results: JobResult[] = [];
      let stop = false;
      await rig.venice.setInferenceDelay(plan.delayMs);
      const requestsBefore = rig.tap.requests;
      const loop = runClosedLoop(rig, { users: plan.users, spec: plan.spec, keepGoing: () => !stop, onResult: (r) => results.push(r) });
      let windowStart = 0;
      let windowEnd = 0;
      let stats: ProcessStats;
      try {
        await sleep(plan.warmupMs);
        await rig.bot.reset();
        windowStart = hiresNow();
        await sleep(plan.windowMs);
        stats = await rig.bot.stats();
        windowEnd = hiresNow();
      } finally {
        // Whatever happened, the users stop and the loop is awaited: no job outlives the scenario.
        stop = true;
        await rig.venice.setInferenceDelay(0);
        await loop.catch(() => undefined);
      }
      await loop;
      await rig.tap.flush();
      a.jobs += results.length;
      a.requests += rig.tap.requests - requestsBefore;
      a.completed += results.filter((r) => r.ok && r.endAt >= windowStart && r.endAt <= windowEnd).length;
      a.failed += results.filter((r) => !r.ok).length;
      a.windowMs += windowEnd - windowStart;
      a.cpuMs += stats.cpuMs;
      a.cpuWaitMs += stats.cpuWaitMs ?? Number.NaN;
      a.lagP99 = Math.max(a.lagP99, stats.lag.p99);
      a.lagMax = Math.max(a.lagMax, stats.lag.max);
      a.acks.push(...results.filter((r) => r.sentAt >= windowStart && r.sentAt <= windowEnd && Number.isFinite(r.ackMs)).map((r) => r.ackMs));
    }
  }
  const figures = (kind: BotKind): ThroughputFigures => {
    const a = acc[kind];
    return {
      users: plan.users,
      spec: plan.spec,
      delayMs: plan.delayMs,
      jobsPerSecond: a.windowMs > 0 ? (a.completed / a.windowMs) * 1000 : 0,
      completed: a.completed,
      failed: a.failed,
      lagP99: a.lagP99,
      lagMax: a.lagMax,
      cpuPercent: a.windowMs > 0 ? (a.cpuMs / a.windowMs) * 100 : 0,
      cpuWaitPerSecond: a.windowMs > 0 ? (a.cpuWaitMs / a.windowMs) * 1000 : Number.NaN,
      ack: summarise(a.acks),
      discordRequestsPerJob: a.jobs > 0 ? a.requests / a.jobs : Number.NaN,
    };
  };
  return { floor: figures('floor'), ours: figures('ours') };
}

export interface PeakPlan {
  jobs: number;
  spec: JobSpec;
  /** Keeps the burst in flight together so its answers arrive together: the worst case for memory. */
  delayMs: number;
}

export interface PeakFigures {
  spec: JobSpec;
  jobs: number;
  /** RSS after a full GC, before the burst. */
  rssBefore: number;
  /** Highest RSS sampled during the burst. */
  peakRss: number;
  /** RSS after a full GC, once the burst ended. */
  rssAfter: number;
  /** What the RSS before the burst is made of (the bot's own reading, after GC). */
  before: Pick<ProcessStats, 'heapUsed' | 'heapTotal' | 'external' | 'rssAnon' | 'rssFile' | 'heapSpaces'>;
  failed: number;
  /** First job sent to last job ended, ms. */
  elapsedMs: number;
}

/** Scenario 4, first half: `jobs` users press /imagine at once. */
export async function measurePeakMemory(pair: Pair, plan: PeakPlan): Promise<PerBot<PeakFigures>> {
  const out: Partial<PerBot<PeakFigures>> = {};
  for (const kind of ORDER) {
    const rig = pair[kind];
    const before = await rig.bot.stats(true);
    await rig.bot.reset();
    await rig.venice.setInferenceDelay(plan.delayMs);
    const started = hiresNow();
    const jobs = await Promise.all(Array.from({ length: plan.jobs }, (_, i) => startJob(rig, i, plan.spec, 120_000)));
    await Promise.all(jobs.map((j) => j.ackMs.catch(() => undefined)));
    await sleep(Math.min(250, plan.delayMs / 2));
    // Whatever reached the simulator waits out the delay and comes back together; a bot that
    // holds requests back gets the rest at full speed rather than in delayed waves.
    await rig.venice.setInferenceDelay(0);
    const results = await Promise.all(jobs.map((j) => j.result));
    const elapsedMs = Math.max(...results.map((r) => r.endAt).filter(Number.isFinite)) - started;
    const during = await rig.bot.stats();
    await rig.tap.flush();
    const after = await rig.bot.stats(true);
    out[kind] = {
      spec: plan.spec,
      jobs: plan.jobs,
      rssBefore: before.rss,
      peakRss: during.peakRss,
      rssAfter: after.rss,
      before: { heapUsed: before.heapUsed, heapTotal: before.heapTotal, external: before.external, rssAnon: before.rssAnon, rssFile: before.rssFile, heapSpaces: before.heapSpaces },
      failed: results.filter((r) => !r.ok).length,
      elapsedMs,
    };
  }
  return out as PerBot<PeakFigures>;
}

export interface LeakPlan {
  spec: JobSpec;
  users: number;
  /** Checkpoints, in jobs since the bot started: RSS and heap are read (after GC) at each. */
  checkpoints: readonly number[];
  /**
   * `hiresNow()` after which no new job starts: the run stops at the next checkpoint it can
   * still honestly report (the jobs actually done), so the whole bench keeps its time budget.
   * The first checkpoint is always reached: without it there is nothing to compare with.
   */
  deadline?: number;
  /** Write heap snapshots at the first and the last checkpoint here (`--heap`). */
  snapshotDir?: string;
}

export interface LeakFigures {
  spec: JobSpec;
  checkpoints: Array<{ jobs: number; rss: number; heapUsed: number }>;
  /** Heap snapshots at the first and the last checkpoint, when asked for. */
  snapshots?: { first: string; last: string };
  /** Whether the deadline cut the run short of its last planned checkpoint. */
  cut: boolean;
  failed: number;
  elapsedMs: number;
}

/**
 * Scenario 4, second half: jobs in a closed loop on a freshly started bot, stopping at each
 * checkpoint to let in-flight jobs end and to read memory after a full collection. Both bots
 * run at once: the figure is memory, which sharing the CPU does not change, and it halves the time.
 */
export async function measureLeak(pair: Pair, plan: LeakPlan): Promise<PerBot<LeakFigures>> {
  const run = async (rig: Rig): Promise<LeakFigures> => {
    const checkpoints: LeakFigures['checkpoints'] = [];
    let started = 0;
    let failed = 0;
    let cut = false;
    const t0 = hiresNow();
    const snapshots = plan.snapshotDir
      ? { first: join(plan.snapshotDir, `${rig.kind}-first.heapsnapshot`), last: join(plan.snapshotDir, `${rig.kind}-last.heapsnapshot`) }
      : undefined;
    for (const [index, target] of plan.checkpoints.entries()) {
      const late = (): boolean => index > 0 && plan.deadline !== undefined && hiresNow() >= plan.deadline;
      await runClosedLoop(rig, {
        users: plan.users,
        spec: plan.spec,
        keepGoing: () => {
          if (started >= target || late()) return false;
          started += 1;
          return true;
        },
        onResult: (r) => {
          if (!r.ok) failed += 1;
        },
      });
      await rig.tap.flush();
      const stats = await rig.bot.stats(true);
      const previous = checkpoints[checkpoints.length - 1]?.jobs ?? 0;
      if (started > previous) checkpoints.push({ jobs: started, rss: stats.rss, heapUsed: stats.heapUsed });
      // After the memory reading: a snapshot costs the child a second or two and some memory.
      if (index === 0 && snapshots) await rig.bot.heapSnapshot(snapshots.first);
      if (late()) {
        cut = started < (plan.checkpoints[plan.checkpoints.length - 1] ?? 0);
        break;
      }
    }
    if (snapshots) await rig.bot.heapSnapshot(snapshots.last);
    return { spec: plan.spec, checkpoints, cut, failed, elapsedMs: hiresNow() - t0, ...(snapshots ? { snapshots } : {}) };
  };
  const [floor, ours] = await Promise.all([run(pair.floor), run(pair.ours)]);
  return { floor, ours };
}

export interface PacedPlan {
  /** Image requests Venice allows per window: the simulator's `rateLimit.requests`. */
  limit: number;
  /** Venice's window, in Venice time (a minute). */
  windowMs: number;
  /** Wall-clock ms per ms of Venice time: 0.05 makes Venice's minute 3 s. */
  timeScale: number;
  /** Jobs sent at once, as many requesters pressing /imagine together. */
  jobs: number;
  spec: JobSpec;
  /** Venice's inference time, drawn per request, in Venice time. */
  inference: { minMs: number; maxMs: number };
  lockout: FailureLockout;
  /** Wall-clock ms the burst may take at most: jobs without an end by then count as unfinished. */
  maxMs: number;
}

export interface PacedFigures {
  limit: number;
  /** Venice's window, in Venice time and on the wall clock. */
  windowMs: number;
  windowWallMs: number;
  jobs: number;
  spec: JobSpec;
  /** Venice time. */
  inference: { minMs: number; maxMs: number };
  /**
   * Images that reached Discord in each full window of the burst: wall-clock windows of Venice's
   * length, from the start of Venice's first window, the last (partial) one left out.
   */
  delivered: number[];
  /** Images Venice served in each window it opened, the last one left out. */
  served: number[];
  imagesAsked: number;
  imagesDelivered: number;
  /** Jobs that ended with an error shown to their requester. */
  jobsFailed: number;
  /** Jobs that posted fewer images than asked (a variant failed). */
  jobsShort: number;
  /** Jobs with no end when `maxMs` ran out. */
  unfinished: number;
  /** What Venice answered 429: over the limit, and during a lockout; and how many lockouts. */
  rateLimited: number;
  blocked: number;
  lockouts: number;
  /** Requests Venice answered with anything but 2xx (the 429s over the limit included, the blocked ones not). */
  veniceFailed: number;
  /** First send to the last image, or to the cut. */
  elapsedMs: number;
  cut: boolean;
  lagP99: number;
  lagMax: number;
  cpuPercent: number;
  /** Milliseconds per second the bot's main thread waited for a CPU over the burst (NaN off Linux). */
  cpuWaitPerSecond: number;
  /** The burst's defers. */
  ack: Percentiles;
}

/** A fixed seed for the simulator's inference delays: each run draws the same ones. */
const PACED_SEED = 20_60;

/** The simulator of the paced scenario: Venice's limit, time-scaled, with its delays and its lockout. */
export function pacedVenice(plan: PacedPlan): VeniceSimulatorOptions {
  return {
    inferenceDelayMs: plan.inference,
    seed: PACED_SEED,
    timeScale: plan.timeScale,
    // Venice's 429 for the request limit carries x-ratelimit-reset-requests only, no Retry-After.
    rateLimit: { requests: plan.limit, windowMs: plan.windowMs, retryAfter: false },
    failureLockout: plan.lockout,
  };
}

/** Resolves with `value` after `ms` unless cancelled; unlike `sleep`, keeps no timer alive once cancelled. */
function timer<T>(ms: number, value: T): { done: Promise<T>; cancel(): void } {
  let handle: NodeJS.Timeout | undefined;
  const done = new Promise<T>((resolve) => {
    handle = setTimeout(() => resolve(value), ms);
  });
  return { done, cancel: () => clearTimeout(handle) };
}

/**
 * Scenario 6: Venice's rate limit, time-scaled. `jobs` requesters press /imagine at once against
 * a Venice that allows `limit` images a window, takes 2-6 s (scaled) per image and locks out a
 * key that keeps failing. What counts is what reaches Discord per window, against the limit: a
 * bot that leaves requests unused delivers less, one that hammers gets 429s and a lockout.
 */
export async function measurePaced(pair: Pair, plan: PacedPlan): Promise<PerBot<PacedFigures>> {
  const out: Partial<PerBot<PacedFigures>> = {};
  const windowWallMs = plan.windowMs * plan.timeScale;
  for (const kind of ORDER) {
    const rig = pair[kind];
    await rig.venice.reset();
    await rig.bot.reset();
    // The simulator stamps its windows with Date.now(), the fake Discord its requests with hiresNow().
    const offset = hiresNow() - Date.now();
    const started = hiresNow();
    // The tap waits longer than the scenario does: a job still open at the cut is unfinished, not failed.
    const jobs = await Promise.all(Array.from({ length: plan.jobs }, (_, i) => startJob(rig, i, plan.spec, plan.maxMs + 60_000)));
    const results: Array<JobResult | undefined> = jobs.map(() => undefined);
    const all = Promise.all(
      jobs.map((job, i) =>
        job.result.then((r) => {
          results[i] = r;
        }),
      ),
    ).then(() => true);
    const limit = timer(Math.max(0, started + plan.maxMs - hiresNow()), false);
    const finished = await Promise.race([all, limit.done]);
    limit.cancel();
    const cutAt = finished ? undefined : hiresNow();
    const stats = await rig.bot.stats();
    const rate = await rig.venice.rateStats();
    const done = results.filter((r): r is JobResult => r !== undefined);
    const ends = done.map((r) => r.endAt).filter(Number.isFinite);
    const lastEnd = cutAt ?? Math.max(started, ...ends);
    const first = rate.windows[0];
    const t0 = first ? first.start + offset : started;
    const full = Math.max(0, Math.floor((lastEnd - t0) / windowWallMs));
    const delivered = Array.from({ length: full }, () => 0);
    for (const r of done) {
      const k = Math.floor((r.endAt - t0) / windowWallMs);
      if (r.ok && k >= 0 && k < full) delivered[k] = (delivered[k] ?? 0) + r.files;
    }
    await rig.tap.flush();
    const elapsedMs = lastEnd - started;
    out[kind] = {
      limit: plan.limit,
      windowMs: plan.windowMs,
      windowWallMs,
      jobs: plan.jobs,
      spec: plan.spec,
      inference: plan.inference,
      delivered,
      served: rate.windows.slice(0, -1).map((w) => w.images),
      imagesAsked: plan.jobs * plan.spec.variants,
      imagesDelivered: done.reduce((sum, r) => sum + (r.ok ? r.files : 0), 0),
      jobsFailed: done.filter((r) => !r.ok).length,
      jobsShort: done.filter((r) => r.ok && r.files < plan.spec.variants).length,
      unfinished: plan.jobs - done.length,
      rateLimited: rate.totals.rateLimited,
      blocked: rate.totals.blocked,
      lockouts: rate.lockouts,
      veniceFailed: rate.totals.failed,
      elapsedMs,
      cut: !finished,
      lagP99: stats.lag.p99,
      lagMax: stats.lag.max,
      cpuPercent: elapsedMs > 0 ? (stats.cpuMs / elapsedMs) * 100 : 0,
      cpuWaitPerSecond: elapsedMs > 0 ? ((stats.cpuWaitMs ?? Number.NaN) / elapsedMs) * 1000 : Number.NaN,
      ack: summarise((await Promise.all(jobs.map((j) => j.ackMs.catch(() => Number.NaN)))).filter(Number.isFinite)),
    };
  }
  return out as PerBot<PacedFigures>;
}
