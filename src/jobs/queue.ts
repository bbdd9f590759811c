import type { JobMetrics } from '../observability/metrics.js';

/**
 * A fair job queue: a global concurrency cap, caps per user and per server, and round-robin
 * between users, so one person asking for forty images cannot starve twenty others.
 */

export interface QueuedJob {
  id: string;
  userId: string;
  guildId: string | null;
  /**
   * Runs the job; the signal aborts it when its requester cancels or the bot stops. The job
   * calls `stage.beginDelivery()` before it posts its result: from then on a cancel is refused.
   */
  run(signal: AbortSignal, stage: JobStage): Promise<void>;
  /** Called when the job's place in the line changes (1 = next to start). */
  onPosition?(position: number, etaMs: number): void;
  /** Called when the job leaves the line without running (cancelled, or taken at shutdown). */
  onRemoved?(): void;
  /**
   * How many of the gate's requests the job makes (its variants); default 1. 0 for a job the
   * gate does not pace (a describe asks the chat endpoint, which has a pacer of its own): it
   * starts when the line has room, without waiting for Venice's image window.
   */
  requests?: number;
  /** Called when the job could not be put in line at all (the shared line's Redis failed). */
  onRejected?(err: unknown): void;
  /**
   * Put in line for whichever process runs such jobs (a gateway's /imagine, for the workers):
   * this process keeps it only to show its place and to take it out on Cancel.
   */
  handedOn?: boolean;
}

/**
 * What the bot needs of a line of jobs: the in-process `FairQueue`, or the `SharedQueue`
 * that several processes share through Redis (the scale-out mode).
 */
export interface JobQueue {
  readonly accepting: boolean;
  stats(): QueueStats;
  /** Adds a job; returns its position when known at once (0 when it started or is not known yet). */
  enqueue(job: QueuedJob): number;
  cancel(id: string): CancelResult;
  /** The job's place in the line (1 = next), while it waits. */
  positionOf(id: string): number | undefined;
  takePending(): QueuedJob[];
  close(): void;
  drain(deadlineMs: number): Promise<{ finished: boolean }>;
  abortAll(): void;
  dispose(): void | Promise<void>;
}

/**
 * About how long the job at `position` waits to be done, `requests` being those of every job up
 * to and including it: the later of Venice's pace (the gate's estimate for those requests, then
 * one run) and the line's own, whole rounds of runs, each of at most `maxConcurrent` jobs and at
 * most the gate's `maxInFlight` requests. Venice's pace alone said "about 15 s" to the 60th of a
 * line whose window had room for all of them.
 */
export function lineEtaMs(gate: Pick<StartGate, 'etaMs' | 'maxInFlight'> | undefined, requests: number, position: number, maxConcurrent: number, averageMs: number): number {
  const byJobs = Math.ceil(position / Math.max(1, maxConcurrent));
  const byRequests = gate?.maxInFlight ? Math.ceil(requests / gate.maxInFlight) : 0;
  const rounds = Math.max(byJobs, byRequests) * averageMs;
  return gate ? Math.max(gate.etaMs(requests) + averageMs, rounds) : rounds;
}

/**
 * What decides, besides the caps, whether a job may start now: the Venice pacer. Jobs then
 * wait in this fair line, with a position and an estimate, not inside the pacer.
 */
export interface StartGate {
  /** Requests that could be sent right now. */
  capacity(): number;
  /** About how long until the n-th request from now can be sent. */
  etaMs(requests: number): number;
  /** The most requests it lets be in flight at once, if it has such a cap. */
  readonly maxInFlight?: number;
  /**
   * Requests Venice could take now from elsewhere than the gate's window (a describe's, paced
   * apart): the room for failures, which every endpoint shares. Unknown: room enough.
   */
  unpacedRoom?(): number;
  /**
   * Holds capacity for the requests of a job just started, until it makes them; returns the
   * release for those it never made (called when the job ends).
   */
  reserve(requests: number): () => void;
  /** Calls back whenever capacity may have grown; returns the unsubscribe. */
  onCapacity(listener: () => void): () => void;
}

/** Why a running job's signal was aborted. */
export class JobAborted extends Error {
  constructor(readonly reason: 'cancelled' | 'shutdown') {
    super(reason === 'cancelled' ? 'cancelled by its requester' : 'the bot is shutting down');
    this.name = 'JobAborted';
  }
}

/** The reason a job's signal was aborted, if it was. */
export const abortReason = (signal: AbortSignal): JobAborted['reason'] | undefined =>
  signal.aborted ? (signal.reason instanceof JobAborted ? signal.reason.reason : 'cancelled') : undefined;

export interface QueueLimits {
  /** A ceiling on jobs running at once; with a gate, Venice's pace is the real throttle. */
  maxConcurrent: number;
  maxPerUser: number;
  maxPerGuild: number;
}

export interface QueueStats {
  queued: number;
  running: number;
  /** The most jobs that ever ran at once, for tests and benchmarks. */
  peakRunning: number;
  completed: number;
}

/** What a running job tells its line about where it is. */
export interface JobStage {
  /**
   * The job is about to post its result: throws the abort if it was already stopped, and
   * otherwise makes a later cancel answer 'delivering'. Without it, a Cancel pressed during
   * the upload replaced the posted result's text with "Cancelling…" and took its buttons.
   */
  beginDelivery(): void;
}

/** A job this process started, until it ends. */
export interface Running {
  job: QueuedJob;
  controller: AbortController;
  done: Promise<void>;
  /** Set by `beginDelivery`: the result is being posted, and only a shutdown still aborts the job. */
  delivering: boolean;
}

/** A running job's record before its run starts, with the stage its run is given. */
export function runningRecord(job: QueuedJob): { running: Running; stage: JobStage } {
  const running: Running = { job, controller: new AbortController(), done: Promise.resolve(), delivering: false };
  const stage: JobStage = {
    beginDelivery: () => {
      running.controller.signal.throwIfAborted();
      running.delivering = true;
    },
  };
  return { running, stage };
}

/** The requester's cancel, as far as a running job takes it. */
export function cancelRunning(running: Running): 'aborted' | 'delivering' {
  if (running.delivering) return 'delivering';
  running.controller.abort(new JobAborted('cancelled'));
  return 'aborted';
}

/** Waits for every running job to end, or for `deadlineMs`, whichever comes first. */
export async function waitForRunning(running: Iterable<Running>, deadlineMs: number): Promise<{ finished: boolean }> {
  const all = Promise.all([...running].map((r) => r.done)).then(() => true);
  const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), deadlineMs).unref());
  return { finished: await Promise.race([all, timeout]) };
}

/** Aborts every running job, as a shutdown does after its deadline. */
export function abortRunning(running: Iterable<Running>): void {
  for (const r of running) r.controller.abort(new JobAborted('shutdown'));
}

/**
 * 'removed' from the line; 'aborted' while it ran; 'delivering' when its result was already
 * being posted (nothing stopped); 'passedOn' to the process running it, which stops it unless
 * it is delivering; 'unknown' when no such job is in line or running.
 */
export type CancelResult = 'removed' | 'aborted' | 'delivering' | 'passedOn' | 'unknown';

const DEFAULT_JOB_MS = 15_000;

export class FairQueue implements JobQueue {
  readonly #limits: QueueLimits;
  /** Pending jobs per user, in arrival order. */
  readonly #pending = new Map<string, QueuedJob[]>();
  /** Users with pending jobs, in arrival order (ties in turn order go to who came first). */
  #rotation: string[] = [];
  /** When each user was last served, by a turn counter: the least recently served goes next. */
  readonly #servedAt = new Map<string, number>();
  #turn = 0;
  readonly #running = new Map<string, Running>();
  #accepting = true;
  #peak = 0;
  #completed = 0;
  /** A moving average of how long a job takes, for the estimated wait. */
  #averageMs = DEFAULT_JOB_MS;

  readonly #onError: (err: unknown, job: QueuedJob) => void;
  readonly #gate: StartGate | undefined;
  /** Jobs waiting that the gate does not pace (`requests: 0`): what may start while Venice's window is shut. */
  #ungated = 0;
  readonly #unsubscribe: (() => void) | undefined;
  readonly #metrics: Pick<JobMetrics, 'jobWaited'> | undefined;
  /** When each job joined the line; weak, so a job cancelled or taken at shutdown leaves nothing behind. */
  readonly #enqueuedAt = new WeakMap<QueuedJob, number>();

  /** `onError` hears a job's run that threw: jobs answer their own users, so this is a bug to log. */
  constructor(limits: QueueLimits, options: { onError?: (err: unknown, job: QueuedJob) => void; gate?: StartGate; metrics?: Pick<JobMetrics, 'jobWaited'> } = {}) {
    this.#limits = limits;
    this.#onError = options.onError ?? (() => undefined);
    this.#gate = options.gate;
    this.#metrics = options.metrics;
    this.#unsubscribe = options.gate?.onCapacity(() => {
      if (this.#pending.size > 0) this.#pump();
    });
  }

  /** Stops listening to the gate (at shutdown). */
  dispose(): void {
    this.#unsubscribe?.();
  }

  get accepting(): boolean {
    return this.#accepting;
  }

  stats(): QueueStats {
    let queued = 0;
    for (const list of this.#pending.values()) queued += list.length;
    return { queued, running: this.#running.size, peakRunning: this.#peak, completed: this.#completed };
  }

  /** Adds a job; returns its position (0 when it started at once). */
  enqueue(job: QueuedJob): number {
    if (!this.#accepting) throw new Error('the queue is closed');
    this.#enqueuedAt.set(job, Date.now());
    if (job.requests === 0) this.#ungated++;
    const list = this.#pending.get(job.userId);
    if (list) list.push(job);
    else {
      this.#pending.set(job.userId, [job]);
      this.#rotation.push(job.userId);
    }
    return this.#pump(job) ?? 0;
  }

  /** Removes a queued job, or aborts a running one. */
  cancel(id: string): CancelResult {
    const running = this.#running.get(id);
    if (running) return cancelRunning(running);
    for (const [user, list] of this.#pending) {
      const index = list.findIndex((j) => j.id === id);
      if (index >= 0) {
        const [job] = list.splice(index, 1);
        if (job?.requests === 0) this.#ungated--;
        if (list.length === 0) this.#dropUser(user);
        job?.onRemoved?.();
        // The job it leaves may have held up one behind it that may start now (a describe).
        this.#startWhatMay();
        this.#announce();
        return 'removed';
      }
    }
    return 'unknown';
  }

  /** Users in the order they will be served: least recently served first. */
  #turnOrder(): string[] {
    const last = (u: string) => this.#servedAt.get(u) ?? -1;
    return [...this.#rotation].sort((a, b) => last(a) - last(b));
  }

  /** The order jobs would start in if nothing else arrived: one per user per round. */
  order(): QueuedJob[] {
    const lists = this.#turnOrder().map((u) => this.#pending.get(u) ?? []);
    const out: QueuedJob[] = [];
    for (let round = 0; ; round++) {
      let any = false;
      for (const list of lists) {
        const job = list[round];
        if (job) {
          out.push(job);
          any = true;
        }
      }
      if (!any) return out;
    }
  }

  positionOf(id: string): number | undefined {
    const index = this.order().findIndex((j) => j.id === id);
    return index < 0 ? undefined : index + 1;
  }

  etaMs(position: number): number {
    const requests = this.order()
      .slice(0, position)
      .reduce((sum, job) => sum + (job.requests ?? 1), 0);
    return lineEtaMs(this.#gate, requests, position, this.#limits.maxConcurrent, this.#averageMs);
  }

  /**
   * Jobs not yet started, removed from the queue, for the caller to report (at shutdown):
   * their `onRemoved` is not called, so their records stay until they have been told.
   */
  takePending(): QueuedJob[] {
    const all = this.order();
    this.#pending.clear();
    this.#rotation = [];
    this.#ungated = 0;
    return all;
  }

  /** Stops taking jobs; those already in line stay until taken or run. */
  close(): void {
    this.#accepting = false;
  }

  /** Stops taking jobs and waits for the running ones, up to `deadlineMs`. */
  drain(deadlineMs: number): Promise<{ finished: boolean }> {
    this.#accepting = false;
    return waitForRunning(this.#running.values(), deadlineMs);
  }

  /** Aborts every running job (after a drain deadline). */
  abortAll(): void {
    abortRunning(this.#running.values());
  }

  #removeFromLine(user: string): void {
    this.#pending.delete(user);
    this.#rotation = this.#rotation.filter((u) => u !== user);
  }

  #dropUser(user: string): void {
    this.#removeFromLine(user);
    // Forget a user with nothing left here, so the map does not grow with every member.
    if (this.#runningFor((j) => j.userId === user) === 0) this.#servedAt.delete(user);
  }

  #runningFor(predicate: (job: QueuedJob) => boolean): number {
    let n = 0;
    for (const r of this.#running.values()) if (predicate(r.job)) n++;
    return n;
  }

  /**
   * Starts jobs while there is room, taking users in turn. The line is told its places when it
   * moved (a job started, or `joined` one joined); not on every call, as the gate calls on each
   * of Venice's answers, and with hundreds waiting each telling costs a pass over all of them.
   * A position edit held back by its interval so shows the estimate as of the line's last move.
   * Returns `joined`'s place when it waits.
   */
  #pump(joined?: QueuedJob): number | undefined {
    if (this.#startWhatMay()) return this.#announce(joined);
    // Only a job joined: the ones ahead of it keep their places and their estimates.
    if (joined) return this.#announce(joined, true);
    return undefined;
  }

  /** Starts jobs while there is room; whether any started. */
  #startWhatMay(): boolean {
    let started = false;
    while (this.#running.size < this.#limits.maxConcurrent) {
      const gateOpen = this.#gate === undefined || this.#gate.capacity() > 0;
      // With Venice's window shut, only a job it does not pace may start (checked without a pass
      // over the line), and only while the room for failures, which it shares, has space.
      if (!gateOpen && (this.#ungated === 0 || (this.#gate?.unpacedRoom?.() ?? 1) <= 0)) break;
      const next = this.#pickNext(gateOpen);
      if (!next) break;
      if (next.requests === 0) this.#ungated--;
      this.#start(next);
      started = true;
    }
    return started;
  }

  /** The next job in turn that may start now; with the gate shut, only one it does not pace. */
  #pickNext(gateOpen: boolean): QueuedJob | undefined {
    for (const user of this.#turnOrder()) {
      const list = this.#pending.get(user);
      const head = list?.[0];
      if (!list || !head) continue;
      if (!gateOpen && head.requests !== 0) continue;
      if (this.#runningFor((j) => j.userId === user) >= this.#limits.maxPerUser) continue;
      if (head.guildId !== null && this.#runningFor((j) => j.guildId === head.guildId) >= this.#limits.maxPerGuild) continue;
      list.shift();
      this.#servedAt.set(user, this.#turn++);
      // Keep the turn just recorded: the job is not in #running yet, so #dropUser would forget it.
      if (list.length === 0) this.#removeFromLine(user);
      return head;
    }
    return undefined;
  }

  #start(job: QueuedJob): void {
    const { running, stage } = runningRecord(job);
    const started = Date.now();
    this.#metrics?.jobWaited(Math.max(0, started - (this.#enqueuedAt.get(job) ?? started)) / 1000);
    const release = this.#gate?.reserve(job.requests ?? 1);
    this.#running.set(job.id, running);
    running.done = job
      .run(running.controller.signal, stage)
      .catch((err: unknown) => this.#onError(err, job))
      .finally(() => {
        release?.();
        this.#running.delete(job.id);
        this.#completed++;
        if (!this.#pending.has(job.userId) && this.#runningFor((j) => j.userId === job.userId) === 0) this.#servedAt.delete(job.userId);
        this.#averageMs = Math.round(this.#averageMs * 0.8 + (Date.now() - started) * 0.2);
        this.#pump();
      });
    this.#peak = Math.max(this.#peak, this.#running.size);
  }

  /**
   * Tells every waiting job its place and estimate (with `onlyFromJoined`, `joined` and the jobs
   * behind it); returns `joined`'s place, if it waits. One pass over the line with a running sum
   * of requests: asking `etaMs` per job would rebuild the order for each, O(n²) on every
   * enqueue and start, which the benchmark caught blocking the event loop for 300 ms. A job the
   * gate does not pace waits for the line's rounds alone.
   */
  #announce(joined?: QueuedJob, onlyFromJoined = false): number | undefined {
    const order = this.order();
    const at = joined ? order.indexOf(joined) : -1;
    let requests = 0;
    order.forEach((job, i) => {
      requests += job.requests ?? 1;
      if (i >= at || !onlyFromJoined) job.onPosition?.(i + 1, lineEtaMs(job.requests === 0 ? undefined : this.#gate, requests, i + 1, this.#limits.maxConcurrent, this.#averageMs));
    });
    return at < 0 ? undefined : at + 1;
  }
}
