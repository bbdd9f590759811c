import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { JobMetrics } from '../observability/metrics.js';
import { CLAIM, ENQUEUE, FINISH, HAND_OVER, ORDER, REAP, RECONCILE, REMOVE } from './shared-queue-scripts.js';
import { abortRunning, cancelRunning, lineEtaMs, runningRecord, waitForRunning, type CancelResult, type JobQueue, type QueueLimits, type QueueStats, type QueuedJob, type Running, type StartGate } from './queue.js';

/** The owner of a job handed on: whichever process takes it next (the store's `ANY_PROCESS`). */
const ANY_OWNER = '*';

/** A name for this process in the shared line, unique across restarts and hosts. */
export const newOwnerId = (): string => `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;

export interface SharedQueueOptions {
  redisUrl: string;
  /** Who this process is in the line (see `newOwnerId`); its store rows carry the same name. */
  owner: string;
  /** Key prefix, so tests (or two bots) can share one Redis. */
  prefix?: string;
  log: Logger;
  gate?: StartGate;
  metrics?: Pick<JobMetrics, 'jobWaited'>;
  onError?: (err: unknown, job: QueuedJob) => void;
  /** How long this process counts as alive after its last heartbeat; default 15 s. */
  ownerTtlMs?: number;
  /** How often it looks at the line without being told to (a missed message); default 1 s. */
  pollMs?: number;
}

const DEFAULT_JOB_MS = 15_000;
/** How much of the line each look reads, for positions: more than anyone scrolls through. */
const ORDER_LIMIT = 500;

/**
 * The fair line of the scale-out mode, shared by every process through Redis. Each process
 * keeps its own jobs' work (the closures) and runs them; which job starts next anywhere, and
 * whether a member's or a server's cap allows it, is decided by one Lua script at a time
 * (see `shared-queue-scripts.ts`), so the caps are exact across processes and the same turn
 * order as the in-process `FairQueue` holds for everyone: open-source BullMQ has no per-group
 * fairness, hence the scripts. A process that dies leaves its jobs' store rows, which
 * `reportOrphans` hands to a living process; its Redis entries expire with its heartbeat.
 */
export class SharedQueue implements JobQueue {
  readonly owner: string;
  readonly #redis: Redis;
  readonly #subscriber: Redis;
  readonly #prefix: string;
  readonly #limits: QueueLimits;
  readonly #options: SharedQueueOptions;
  readonly #log: Logger;
  /** This process's jobs waiting in the shared line. */
  readonly #pending = new Map<string, QueuedJob>();
  /** Those of them Redis has taken in (their ENQUEUE answered). */
  readonly #inLine = new Set<string>();
  readonly #running = new Map<string, Running>();
  #accepting = true;
  #disposed = false;
  #peak = 0;
  #completed = 0;
  #averageMs = DEFAULT_JOB_MS;
  /** The last view of the whole line: every process's waiting jobs, in order, and the totals. */
  #order: Array<{ id: string; requests: number }> = [];
  #totals = { queued: 0, running: 0 };
  #pumping: Promise<void> | undefined;
  #again = false;
  /** Set by each heartbeat and after any call that failed: the next look first reconciles. */
  #reconcileDue = true;
  /** While waiting jobs are handed on, this process starts none of them. */
  #handingOver = false;
  #adopter: ((id: string) => Promise<QueuedJob | undefined>) | undefined;
  /** Jobs this process put in line for others (`QueuedJob.handedOn`), while they wait. */
  readonly #handedOn = new Set<string>();
  /** Jobs it handed on that another process took, so a Cancel can reach them there. */
  readonly #elsewhere = new Set<string>();
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #unsubscribe: (() => void) | undefined;
  readonly #enqueuedAt = new WeakMap<QueuedJob, number>();

  private constructor(limits: QueueLimits, options: SharedQueueOptions, redis: Redis, subscriber: Redis) {
    this.owner = options.owner;
    this.#limits = limits;
    this.#options = options;
    this.#log = options.log.child({ queue: 'shared', owner: options.owner });
    this.#prefix = options.prefix ?? 'vi:';
    this.#redis = redis;
    this.#subscriber = subscriber;
    this.#unsubscribe = options.gate?.onCapacity(() => {
      if (this.#pending.size > 0) this.#kick();
    });
  }

  /** Connects, announces this process and starts looking at the line. */
  static async connect(limits: QueueLimits, options: SharedQueueOptions): Promise<SharedQueue> {
    // Commands fail fast while Redis is away (the callers answer their users) instead of
    // queueing in memory, and are never sent twice: a script's effect is reconciled instead.
    const settings = { lazyConnect: true, maxRetriesPerRequest: 2, autoResendUnfulfilledCommands: false };
    const redis = new Redis(options.redisUrl, { ...settings, enableOfflineQueue: false });
    const subscriber = new Redis(options.redisUrl, settings);
    for (const connection of [redis, subscriber]) connection.on('error', (err: unknown) => options.log.warn({ err }, 'redis connection error'));
    let queue: SharedQueue;
    try {
      await redis.connect();
      await subscriber.connect();
      queue = new SharedQueue(limits, options, redis, subscriber);
      await queue.#heartbeat();
      await subscriber.subscribe(`${queue.#prefix}changed`, `${queue.#prefix}cancel`);
    } catch (err) {
      redis.disconnect();
      subscriber.disconnect();
      throw err;
    }
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === `${queue.#prefix}cancel`) {
        // A job already posting its result finishes: its requester was told a cancel may come too late.
        const running = queue.#running.get(message);
        if (running) cancelRunning(running);
      } else queue.#kick();
    });
    const ttl = options.ownerTtlMs ?? 15_000;
    queue.#timers.push(
      setInterval(() => void queue.#heartbeat().catch((err: unknown) => queue.#log.warn({ err }, 'could not renew this process in the shared line')), Math.max(100, Math.floor(ttl / 3))),
      setInterval(() => queue.#kick(), options.pollMs ?? 1_000),
      setInterval(() => void queue.#reap(), Math.max(500, Math.floor(ttl / 3))),
    );
    for (const t of queue.#timers) t.unref();
    queue.#kick();
    return queue;
  }

  get accepting(): boolean {
    return this.#accepting;
  }

  /** The whole line's counts, as of the last look: every process's jobs, for /metrics. */
  stats(): QueueStats {
    return { queued: this.#totals.queued, running: this.#totals.running, peakRunning: this.#peak, completed: this.#completed };
  }

  enqueue(job: QueuedJob): number {
    if (!this.#accepting) throw new Error('the queue is closed');
    this.#enqueuedAt.set(job, Date.now());
    this.#pending.set(job.id, job);
    if (job.handedOn) this.#handedOn.add(job.id);
    this.#eval(ENQUEUE, job.id, job.userId, job.guildId ?? '', job.handedOn ? ANY_OWNER : this.owner, String(job.requests ?? 1)).then(
      () => {
        this.#inLine.add(job.id);
        this.#kick();
      },
      (err: unknown) => {
        this.#pending.delete(job.id);
        this.#handedOn.delete(job.id);
        this.#log.error({ err, generationId: job.id }, 'could not put a job in the shared line');
        job.onRejected?.(err);
      },
    );
    return 0;
  }

  cancel(id: string): CancelResult {
    const running = this.#running.get(id);
    if (running) return cancelRunning(running);
    const job = this.#pending.get(id);
    if (!job) {
      if (!this.#elsewhere.has(id)) return 'unknown';
      // Running in the process that took it: it stops there and tells its requester, unless it is posting already.
      this.#tellCancel(id);
      return 'passedOn';
    }
    this.#pending.delete(id);
    this.#inLine.delete(id);
    if (this.#handedOn.delete(id)) {
      // It may be starting elsewhere this very moment: taken out of line, or else stopped there.
      this.#eval(REMOVE, id).then(
        (removed) => (Number(removed) === 1 ? job.onRemoved?.() : this.#tellCancel(id)),
        (err: unknown) => this.#log.warn({ err, generationId: id }, 'could not take a cancelled job out of the shared line'),
      );
      return 'removed';
    }
    void this.#eval(REMOVE, id).catch((err: unknown) => this.#log.warn({ err, generationId: id }, 'could not take a cancelled job out of the shared line'));
    job.onRemoved?.();
    return 'removed';
  }

  positionOf(id: string): number | undefined {
    if (!this.#pending.has(id)) return undefined;
    const index = this.#order.findIndex((j) => j.id === id);
    return index < 0 ? undefined : index + 1;
  }

  /** This process's own waiting jobs; those it handed on stay in line for the others. */
  takePending(): QueuedJob[] {
    const position = (job: QueuedJob) => {
      const i = this.#order.findIndex((j) => j.id === job.id);
      return i < 0 ? Number.MAX_SAFE_INTEGER : i;
    };
    const taken = [...this.#pending.values()].filter((j) => !this.#handedOn.has(j.id)).sort((a, b) => position(a) - position(b));
    for (const job of taken) {
      this.#pending.delete(job.id);
      this.#inLine.delete(job.id);
    }
    for (const job of taken) void this.#eval(REMOVE, job.id).catch((err: unknown) => this.#log.warn({ err, generationId: job.id }, 'could not take a job out of the shared line'));
    return taken;
  }

  close(): void {
    this.#accepting = false;
  }

  drain(deadlineMs: number): Promise<{ finished: boolean }> {
    this.#accepting = false;
    return waitForRunning(this.#running.values(), deadlineMs);
  }

  abortAll(): void {
    abortRunning(this.#running.values());
  }

  /**
   * Stops looking at the line (after the drain). The heartbeat key is left to expire rather
   * than deleted: a job this process could not report before it stopped then goes to a process
   * that lives, which would otherwise take it over while this one was still reporting it.
   */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#unsubscribe?.();
    for (const t of this.#timers) clearInterval(t);
    await this.#pumping;
    this.#subscriber.disconnect();
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }

  /** Whether the process's Redis connection answers, for /readyz. */
  async answers(): Promise<boolean> {
    try {
      return (await this.#redis.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  /** The owners whose heartbeat is still there, out of `owners`. */
  async living(owners: readonly string[]): Promise<Set<string>> {
    if (owners.length === 0) return new Set();
    const found = await this.#redis.exists(...owners.map((o) => `${this.#prefix}owner:${o}`));
    if (found === owners.length) return new Set(owners);
    const alive = new Set<string>();
    for (const o of owners) if ((await this.#redis.exists(`${this.#prefix}owner:${o}`)) === 1) alive.add(o);
    return alive;
  }

  /** Runs a script; a failure may have left its effect half-known, so the next look reconciles. */
  /**
   * Tells the process running a job handed on that its requester cancelled it: a flag it reads
   * before starting one it takes (the message alone could arrive while it is still building
   * the job), and a message for one already running.
   */
  #tellCancel(id: string): void {
    this.#redis
      .set(`${this.#prefix}cancelled:${id}`, '1', 'EX', 900)
      .then(() => this.#redis.publish(`${this.#prefix}cancel`, id))
      .catch((err: unknown) => this.#log.warn({ err, generationId: id }, 'could not pass a cancel on'));
  }

  /** Puts jobs handed on back in line if Redis lost them (a restart, a flush): the store says they wait. */
  async restoreHandedOn(jobs: ReadonlyArray<{ id: string; userId: string; guildId: string | null; requests: number }>): Promise<void> {
    for (const job of jobs) {
      // A no-op for a job the line still has (waiting, or being run).
      const added = Number(await this.#eval(ENQUEUE, job.id, job.userId, job.guildId ?? '', ANY_OWNER, String(job.requests)));
      if (added === 1) this.#log.warn({ generationId: job.id }, 'put a job handed on back in the shared line');
    }
  }

  async #eval(script: string, ...args: string[]): Promise<unknown> {
    try {
      return await this.#redis.eval(script, 0, this.#prefix, ...args);
    } catch (err) {
      this.#reconcileDue = true;
      throw err;
    }
  }

  #beaten = false;

  async #heartbeat(): Promise<void> {
    const before = await this.#redis.set(`${this.#prefix}owner:${this.owner}`, String(Date.now()), 'PX', this.#options.ownerTtlMs ?? 15_000, 'GET');
    // The key had lapsed (Redis was away, or restarted): others may have dropped this
    // process's entries, so it puts them back at once.
    if (before === null && this.#beaten) this.#log.warn('this process had dropped out of the shared line; putting its jobs back');
    this.#beaten = true;
    this.#reconcileDue = true;
    this.#kick();
  }

  /** See RECONCILE: what this process holds is what the line says it holds. */
  async #reconcile(): Promise<void> {
    const entry = (job: QueuedJob) => ({ id: job.id, user: job.userId, guild: job.guildId ?? '', requests: String(job.requests ?? 1) });
    // What it handed on is not its own to restore: the line (or the process that took it) has it.
    const own = [...this.#pending.values()].filter((j) => !this.#handedOn.has(j.id));
    const waiting = own.map((j) => j.id);
    const confirmed = own.filter((j) => this.#inLine.has(j.id)).map(entry);
    const running = [...this.#running.values()].map((r) => entry(r.job));
    const fixed = Number(await this.#eval(RECONCILE, this.owner, JSON.stringify(waiting), JSON.stringify(confirmed), JSON.stringify(running)));
    if (fixed > 0) this.#log.warn({ fixed }, 'brought the shared line back in step with this process');
  }

  async #reap(): Promise<void> {
    try {
      const reaped = Number(await this.#eval(REAP));
      if (reaped > 0) this.#log.warn({ reaped }, 'dropped the shared line’s entries of processes that are gone');
    } catch (err) {
      this.#log.warn({ err }, 'could not check the shared line for processes that are gone');
    }
  }

  /** Looks at the line now, or right after the look under way. */
  #kick(): void {
    if (this.#disposed) return;
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = this.#pump()
      .catch((err: unknown) => this.#log.warn({ err }, 'could not look at the shared line; trying again shortly'))
      .finally(() => {
        this.#pumping = undefined;
        if (this.#again) {
          this.#again = false;
          this.#kick();
        }
      });
  }

  async #pump(): Promise<void> {
    if (this.#reconcileDue) {
      this.#reconcileDue = false;
      await this.#reconcile();
    }
    const adopts = this.#adopter !== undefined && this.#accepting;
    // With jobs of its own waiting, or able to take those handed on (which it only learns by asking).
    while (!this.#handingOver && (this.#pending.size > 0 || adopts)) {
      // With Venice's image window shut, only a job of ours it does not pace (a describe) may start.
      const gate = this.#options.gate;
      const windowShut = gate !== undefined && gate.capacity() <= 0;
      if (windowShut && (!this.#hasUngatedPending() || (gate.unpacedRoom?.() ?? 1) <= 0)) break;
      const claimArgs = [String(this.#limits.maxConcurrent), String(this.#limits.maxPerUser), String(this.#limits.maxPerGuild), adopts && !windowShut ? '1' : '0', windowShut ? '1' : '0'];
      const answer = (await this.#eval(CLAIM, this.owner, ...claimArgs)) as string[];
      if (answer[0] === 'adopt' && answer[1] !== undefined) {
        await this.#adopt(answer[1]);
        continue;
      }
      if (answer[0] !== 'mine' || answer[1] === undefined) break;
      const job = this.#pending.get(answer[1]);
      if (!job) {
        // Cancelled while the script ran: its place goes back at once.
        await this.#eval(FINISH, answer[1]);
        continue;
      }
      this.#pending.delete(job.id);
      this.#inLine.delete(job.id);
      this.#start(job);
    }
    await this.#look();
  }

  /** Whether a job of ours waits that Venice's image window does not pace (`requests: 0`). */
  #hasUngatedPending(): boolean {
    for (const job of this.#pending.values()) if (job.requests === 0 && this.#inLine.has(job.id)) return true;
    return false;
  }

  /** A job handed on, now this process's to run: built from the store, or given back if it cannot be. */
  async #adopt(id: string): Promise<void> {
    let job: QueuedJob | undefined;
    try {
      job = await this.#adopter?.(id);
    } catch (err) {
      this.#log.error({ err, generationId: id }, 'could not take over a job handed on');
    }
    if (!job) {
      await this.#eval(FINISH, id);
      return;
    }
    if ((await this.#redis.exists(`${this.#prefix}cancelled:${id}`).catch(() => 0)) === 1) {
      // Its requester cancelled it while it changed hands: it ends here, as a cancel in line does.
      job.onRemoved?.();
      await this.#eval(FINISH, id);
      return;
    }
    this.#log.info({ generationId: id }, 'took over a job another process handed on');
    this.#start(job);
  }

  /**
   * From now on, takes jobs other processes handed on (see `handOver`) when the line gives them
   * here: `adopt` builds one from the store, or says it cannot be run here (undefined).
   */
  takeHandedOn(adopt: (id: string) => Promise<QueuedJob | undefined>): void {
    this.#adopter = adopt;
    this.#kick();
  }

  /**
   * Hands these waiting jobs on (at shutdown): they keep their places in the line and the next
   * process free to run them takes them. Returns the ids handed on; the rest are still this
   * process's (started meanwhile, or the line refused).
   */
  async handOver(ids: readonly string[], store: { mark(id: string): Promise<boolean>; unmark(id: string): Promise<void> }): Promise<string[]> {
    this.#handingOver = true;
    await this.#pumping;
    const handed: string[] = [];
    for (const id of ids) {
      if (!this.#pending.has(id)) continue;
      // The store first: a process that takes it from the line must find it handed on there.
      if (!(await store.mark(id))) continue;
      let moved = false;
      try {
        moved = Number(await this.#eval(HAND_OVER, this.owner, id)) === 1;
      } catch (err) {
        this.#log.warn({ err, generationId: id }, 'could not hand a waiting job on');
      }
      if (!moved) {
        await store.unmark(id);
        continue;
      }
      this.#pending.delete(id);
      this.#inLine.delete(id);
      handed.push(id);
    }
    return handed;
  }

  /** Reads the line's order and totals, and tells this process's waiting jobs their places. */
  async #look(): Promise<void> {
    const raw = (await this.#eval(ORDER, String(ORDER_LIMIT))) as string[];
    const running = Number(raw.pop());
    const queued = Number(raw.pop());
    const order: Array<{ id: string; requests: number }> = [];
    for (let i = 0; i + 1 < raw.length; i += 2) {
      // 0 is a job the image window does not pace (a describe); what is not a count, one request.
      const requests = Number(raw[i + 1]);
      order.push({ id: raw[i]!, requests: Number.isInteger(requests) && requests >= 0 ? requests : 1 });
    }
    this.#order = order;
    this.#totals = { queued, running };
    // What it handed on and the line no longer lists was taken by another process (or taken out).
    if (queued <= ORDER_LIMIT) {
      const listed = new Set(order.map((o) => o.id));
      for (const id of this.#handedOn) {
        if (!this.#inLine.has(id) || listed.has(id)) continue;
        this.#handedOn.delete(id);
        this.#pending.delete(id);
        this.#inLine.delete(id);
        this.#elsewhere.add(id);
        // Remembered for a Cancel only while its interaction lasts; a bounded set either way.
        if (this.#elsewhere.size > 10_000) this.#elsewhere.delete(this.#elsewhere.values().next().value!);
      }
    }

    let requests = 0;
    order.forEach((entry, i) => {
      requests += entry.requests;
      const job = this.#pending.get(entry.id);
      if (!job) return;
      job.onPosition?.(i + 1, lineEtaMs(entry.requests === 0 ? undefined : this.#options.gate, requests, i + 1, this.#limits.maxConcurrent, this.#averageMs));
    });
  }

  #start(job: QueuedJob): void {
    const { running, stage } = runningRecord(job);
    const started = Date.now();
    this.#options.metrics?.jobWaited(Math.max(0, started - (this.#enqueuedAt.get(job) ?? started)) / 1000);
    const release = this.#options.gate?.reserve(job.requests ?? 1);
    this.#running.set(job.id, running);
    running.done = job
      .run(running.controller.signal, stage)
      .catch((err: unknown) => this.#options.onError?.(err, job))
      .finally(async () => {
        release?.();
        this.#running.delete(job.id);
        this.#completed++;
        this.#averageMs = Math.round(this.#averageMs * 0.8 + (Date.now() - started) * 0.2);
        try {
          await this.#eval(FINISH, job.id);
        } catch (err) {
          // Its place is given back when this process's heartbeat lapses, if never before.
          this.#log.warn({ err, generationId: job.id }, 'could not tell the shared line a job ended');
        }
        this.#kick();
      });
    this.#peak = Math.max(this.#peak, this.#running.size);
  }
}
