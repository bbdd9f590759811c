import { join } from 'node:path';
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
      rig.venice.setInferenceDelay(plan.delayMs);
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
      rig.venice.setInferenceDelay(0);
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
  /** Defers of the jobs sent inside the windows, under this load. */
  ack: Percentiles;
}

/** Scenarios 3 and 5: a closed loop of `users`, each waiting for its images before the next job. */
export async function measureThroughput(pair: Pair, plan: ThroughputPlan): Promise<PerBot<ThroughputFigures>> {
  const acc = perBot(() => ({ completed: 0, failed: 0, windowMs: 0, cpuMs: 0, lagP99: 0, lagMax: 0, acks: [] as number[] }));
  for (let round = 0; round < plan.rounds; round++) {
    for (const kind of ORDER) {
      const rig = pair[kind];
      const a = acc[kind];
      const results: JobResult[] = [];
      let stop = false;
      rig.venice.setInferenceDelay(plan.delayMs);
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
        rig.venice.setInferenceDelay(0);
        await loop.catch(() => undefined);
      }
      await loop;
      await rig.tap.flush();
      a.completed += results.filter((r) => r.ok && r.endAt >= windowStart && r.endAt <= windowEnd).length;
      a.failed += results.filter((r) => !r.ok).length;
      a.windowMs += windowEnd - windowStart;
      a.cpuMs += stats.cpuMs;
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
      ack: summarise(a.acks),
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
    rig.venice.setInferenceDelay(plan.delayMs);
    const started = hiresNow();
    const jobs = await Promise.all(Array.from({ length: plan.jobs }, (_, i) => startJob(rig, i, plan.spec, 120_000)));
    await Promise.all(jobs.map((j) => j.ackMs.catch(() => undefined)));
    await sleep(Math.min(250, plan.delayMs / 2));
    // Whatever reached the simulator waits out the delay and comes back together; a bot that
    // holds requests back gets the rest at full speed rather than in delayed waves.
    rig.venice.setInferenceDelay(0);
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
