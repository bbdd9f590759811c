import { afterEach, describe, expect, it, vi } from 'vitest';
import { FairQueue, JobAborted, abortReason, type JobStage, type QueueLimits, type QueuedJob } from '../../../src/jobs/queue.js';
import { VeniceRateLimiter } from '../../../src/venice/rate-limiter.js';

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets a finished job's bookkeeping (catch, finally, the next start) run to the end. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

interface JobOptions {
  guildId?: string | null;
  onPosition?: QueuedJob['onPosition'];
  onRemoved?: QueuedJob['onRemoved'];
}

/**
 * A queue whose jobs run until the test finishes them, recording what started when,
 * how many ran at once, and each job's signal.
 */
function lineUp(limits: Partial<QueueLimits> = {}) {
  const queue = new FairQueue({ maxConcurrent: 1, maxPerUser: 10, maxPerGuild: 10, ...limits });
  const started: string[] = [];
  const gates = new Map<string, Deferred>();
  const signals = new Map<string, AbortSignal>();
  const stages = new Map<string, JobStage>();
  const ended = new Set<string>();
  let running = 0;
  let mostAtOnce = 0;

  function job(id: string, userId: string, options: JobOptions = {}): QueuedJob {
    const gate = deferred();
    gates.set(id, gate);
    return {
      id,
      userId,
      guildId: options.guildId === undefined ? 'guild-1' : options.guildId,
      async run(signal, stage) {
        started.push(id);
        signals.set(id, signal);
        stages.set(id, stage);
        running++;
        mostAtOnce = Math.max(mostAtOnce, running);
        try {
          await gate.promise;
        } finally {
          running--;
        }
      },
      ...(options.onPosition ? { onPosition: options.onPosition } : {}),
      ...(options.onRemoved ? { onRemoved: options.onRemoved } : {}),
    };
  }

  const gate = (id: string): Deferred => {
    const found = gates.get(id);
    if (!found) throw new Error(`no job ${id}`);
    return found;
  };

  return {
    queue,
    started,
    job,
    add: (id: string, userId: string, options?: JobOptions) => queue.enqueue(job(id, userId, options)),
    signalOf: (id: string): AbortSignal => {
      const signal = signals.get(id);
      if (!signal) throw new Error(`job ${id} never started`);
      return signal;
    },
    stageOf: (id: string): JobStage => {
      const stage = stages.get(id);
      if (!stage) throw new Error(`job ${id} never started`);
      return stage;
    },
    running: () => running,
    mostAtOnce: () => mostAtOnce,
    async finish(id: string) {
      ended.add(id);
      gate(id).resolve();
      await settle();
    },
    async fail(id: string, err: unknown = new Error('Venice fell over')) {
      ended.add(id);
      gate(id).reject(err);
      await settle();
    },
    /** Finishes the running jobs, oldest first, until nothing is left to start. */
    async finishAll() {
      for (let next = started.find((id) => !ended.has(id)); next !== undefined; next = started.find((id) => !ended.has(id))) {
        await this.finish(next);
      }
    },
  };
}

afterEach(() => {
  vi.useRealTimers();
});

const ids = (jobs: readonly QueuedJob[]) => jobs.map((j) => j.id);

describe('the global concurrency cap', () => {
  it('never runs more jobs at once than maxConcurrent, and starts the next as one ends', async () => {
    const line = lineUp({ maxConcurrent: 3, maxPerUser: 10 });
    for (let i = 1; i <= 10; i++) line.add(`job-${i}`, `user-${i % 4}`);

    expect(line.running()).toBe(3);
    expect(line.queue.stats()).toMatchObject({ queued: 7, running: 3 });

    await line.finish('job-1');
    expect(line.running()).toBe(3);
    expect(line.started).toHaveLength(4);

    await line.finishAll();
    expect(line.started).toHaveLength(10);
    expect(line.mostAtOnce()).toBe(3);
    expect(line.queue.stats()).toEqual({ queued: 0, running: 0, peakRunning: 3, completed: 10 });
  });

  it('answers 0 to a job that starts at once and its place in line to one that waits', () => {
    const line = lineUp({ maxConcurrent: 1 });
    expect(line.add('first', 'alice')).toBe(0);
    expect(line.add('second', 'bob')).toBe(1);
    expect(line.add('third', 'carol')).toBe(2);
  });
});

describe('per-user and per-server caps', () => {
  it('runs at most maxPerUser of one user’s jobs, while other users use the free slots', async () => {
    const line = lineUp({ maxConcurrent: 5, maxPerUser: 2 });
    for (let i = 1; i <= 4; i++) line.add(`heavy-${i}`, 'heavy');
    expect(line.started).toEqual(['heavy-1', 'heavy-2']);

    line.add('light-1', 'light');
    expect(line.started).toEqual(['heavy-1', 'heavy-2', 'light-1']);

    await line.finish('heavy-1');
    expect(line.started).toEqual(['heavy-1', 'heavy-2', 'light-1', 'heavy-3']);
    expect(line.queue.stats()).toMatchObject({ running: 3, queued: 1 });
  });

  it('runs at most maxPerGuild jobs from one server, and lets other servers and DMs through', async () => {
    const line = lineUp({ maxConcurrent: 10, maxPerUser: 10, maxPerGuild: 2 });
    line.add('busy-a', 'alice', { guildId: 'busy' });
    line.add('busy-b', 'bob', { guildId: 'busy' });
    line.add('busy-c', 'carol', { guildId: 'busy' });
    line.add('quiet-d', 'dave', { guildId: 'quiet' });
    line.add('dm-e', 'erin', { guildId: null });
    line.add('dm-f', 'frank', { guildId: null });
    line.add('dm-g', 'grace', { guildId: null });

    expect(line.started).toEqual(['busy-a', 'busy-b', 'quiet-d', 'dm-e', 'dm-f', 'dm-g']);
    expect(ids(line.queue.order())).toEqual(['busy-c']);

    await line.finish('busy-a');
    expect(line.started.at(-1)).toBe('busy-c');
  });
});

describe('fairness between users', () => {
  it('serves two light users who came later before the heavy user’s second job', async () => {
    const line = lineUp({ maxConcurrent: 1, maxPerUser: 1 });
    for (let i = 1; i <= 10; i++) line.add(`heavy-${i}`, 'heavy');
    line.add('alice-1', 'alice');
    line.add('bob-1', 'bob');

    await line.finishAll();

    expect(line.started).toHaveLength(12);
    expect(line.started.slice(0, 4)).toEqual(['heavy-1', 'alice-1', 'bob-1', 'heavy-2']);
  });

  it('does not let a user who keeps adding jobs starve another', async () => {
    const line = lineUp({ maxConcurrent: 1, maxPerUser: 1 });
    line.add('bob-1', 'bob');
    line.add('bob-2', 'bob');
    line.add('alice-1', 'alice');
    await line.finish('bob-1');
    // Alice adds a job each time hers is running; Bob's second must still come next.
    line.add('alice-2', 'alice');
    await line.finish('alice-1');
    expect(line.started).toEqual(['bob-1', 'alice-1', 'bob-2']);
  });

  it('lines up one job per user per round, the least recently served user first', async () => {
    const line = lineUp({ maxConcurrent: 1 });
    line.add('blocker', 'xavier');
    for (const id of ['alice-1', 'alice-2', 'alice-3']) line.add(id, 'alice');
    for (const id of ['bob-1', 'bob-2']) line.add(id, 'bob');
    line.add('carol-1', 'carol');

    expect(ids(line.queue.order())).toEqual(['alice-1', 'bob-1', 'carol-1', 'alice-2', 'bob-2', 'alice-3']);
    expect(line.queue.positionOf('bob-2')).toBe(5);
    expect(line.queue.positionOf('blocker')).toBeUndefined();
    expect(line.queue.positionOf('nobody')).toBeUndefined();

    // Alice was just served, so Bob and Carol now come before her next job.
    await line.finish('blocker');
    expect(line.started).toEqual(['blocker', 'alice-1']);
    expect(ids(line.queue.order())).toEqual(['bob-1', 'carol-1', 'alice-2', 'bob-2', 'alice-3']);
    expect(line.queue.positionOf('alice-2')).toBe(3);
  });
});

describe('telling waiting users their place', () => {
  it('tells each waiting job its position, 1 being next, with a wait that grows with it', async () => {
    const line = lineUp({ maxConcurrent: 1 });
    const heard = new Map<string, Array<[number, number]>>();
    const listen = (id: string) => ({ onPosition: (position: number, etaMs: number) => heard.set(id, [...(heard.get(id) ?? []), [position, etaMs]]) });
    const latest = (id: string) => heard.get(id)?.at(-1);

    line.add('running', 'xavier', listen('running'));
    line.add('a', 'alice', listen('a'));
    line.add('b', 'bob', listen('b'));
    line.add('c', 'carol', listen('c'));

    expect(heard.has('running')).toBe(false);
    expect([latest('a')?.[0], latest('b')?.[0], latest('c')?.[0]]).toEqual([1, 2, 3]);
    for (const id of ['a', 'b', 'c']) {
      const [position, etaMs] = latest(id) ?? [0, 0];
      expect(etaMs).toBe(line.queue.etaMs(position));
      expect(etaMs).toBeGreaterThan(0);
    }
    expect(latest('a')?.[1]).toBeLessThan(latest('b')?.[1] ?? 0);
    expect(latest('b')?.[1]).toBeLessThan(latest('c')?.[1] ?? 0);

    await line.finish('running');
    expect([latest('b')?.[0], latest('c')?.[0]]).toEqual([1, 2]);
  });

  it('tells a job that joins only the places that moved: its own and those behind it, not the line ahead', () => {
    const line = lineUp({ maxConcurrent: 1 });
    const told = new Map<string, number[]>();
    const listen = (id: string) => ({ onPosition: (position: number) => told.set(id, [...(told.get(id) ?? []), position]) });
    line.add('running', 'xavier');
    line.add('a-1', 'alice', listen('a-1'));
    line.add('a-2', 'alice', listen('a-2'));
    // Bob is new: his first job goes ahead of Alice's second (one job per member per round).
    line.add('b-1', 'bob', listen('b-1'));
    expect(told.get('a-1')).toEqual([1]);
    expect(told.get('a-2')).toEqual([2, 3]);
    expect(told.get('b-1')).toEqual([2]);
    // Alice's third goes to the back: nobody ahead of it is told again.
    line.add('a-3', 'alice', listen('a-3'));
    expect(told.get('a-1')).toEqual([1]);
    expect(told.get('a-2')).toEqual([2, 3]);
    expect(told.get('b-1')).toEqual([2]);
    expect(told.get('a-3')).toEqual([4]);
    expect(line.queue.positionOf('a-3')).toBe(4);
  });
});

describe('cancelling', () => {
  it('takes a queued job out of the line, tells it, and never runs it', async () => {
    const line = lineUp({ maxConcurrent: 1 });
    const removed = vi.fn();
    line.add('running', 'xavier');
    line.add('doomed', 'alice', { onRemoved: removed });
    line.add('kept', 'bob');

    expect(line.queue.cancel('doomed')).toBe('removed');
    expect(removed).toHaveBeenCalledOnce();
    expect(ids(line.queue.order())).toEqual(['kept']);

    await line.finishAll();
    expect(line.started).toEqual(['running', 'kept']);
  });

  it('aborts a running job’s signal as cancelled by its requester', async () => {
    const line = lineUp({ maxConcurrent: 1 });
    const removed = vi.fn();
    line.add('running', 'alice', { onRemoved: removed });
    const signal = line.signalOf('running');
    expect(abortReason(signal)).toBeUndefined();

    expect(line.queue.cancel('running')).toBe('aborted');

    expect(signal.aborted).toBe(true);
    expect(abortReason(signal)).toBe('cancelled');
    expect(signal.reason).toBeInstanceOf(JobAborted);
    expect(removed).not.toHaveBeenCalled();
  });

  it('refuses a cancel once the job began posting its result, and still stops it for a shutdown', async () => {
    const line = lineUp({ maxConcurrent: 1 });
    line.add('posting', 'alice');
    line.stageOf('posting').beginDelivery();

    expect(line.queue.cancel('posting')).toBe('delivering');
    expect(line.signalOf('posting').aborted).toBe(false);

    line.queue.abortAll();
    expect(abortReason(line.signalOf('posting'))).toBe('shutdown');
  });

  it('stops a job cancelled before it began posting at that point, with the cancel as the reason', () => {
    const line = lineUp({ maxConcurrent: 1 });
    line.add('late', 'alice');
    expect(line.queue.cancel('late')).toBe('aborted');
    expect(() => line.stageOf('late').beginDelivery()).toThrow(JobAborted);
    // Nothing turned it into a delivery: a second press is answered as a cancel in progress, not "too late".
    expect(line.queue.cancel('late')).toBe('aborted');
  });

  it('says unknown for a job it never had or that already finished', async () => {
    const line = lineUp();
    expect(line.queue.cancel('nobody')).toBe('unknown');
    line.add('done', 'alice');
    await line.finish('done');
    expect(line.queue.cancel('done')).toBe('unknown');
  });

  it('reads any other abort as a cancellation', () => {
    const controller = new AbortController();
    controller.abort(new Error('the interaction expired'));
    expect(abortReason(controller.signal)).toBe('cancelled');
  });
});

describe('shutting down', () => {
  it('hands back every queued job in line order for the caller to report, without calling onRemoved, and leaves the running job alone', async () => {
    const line = lineUp({ maxConcurrent: 1 });
    const removed: string[] = [];
    line.add('running', 'xavier');
    line.add('alice-1', 'alice', { onRemoved: () => removed.push('alice-1') });
    line.add('alice-2', 'alice', { onRemoved: () => removed.push('alice-2') });
    line.add('bob-1', 'bob', { onRemoved: () => removed.push('bob-1') });

    expect(ids(line.queue.takePending())).toEqual(['alice-1', 'bob-1', 'alice-2']);
    // Their records must outlive the queue until each requester has been told.
    expect(removed).toEqual([]);
    expect(line.queue.stats()).toMatchObject({ queued: 0, running: 1 });
    expect(line.queue.order()).toEqual([]);

    await line.finish('running');
    expect(line.started).toEqual(['running']);
  });

  it('stops taking jobs and reports finished when the running jobs end before the deadline', async () => {
    const line = lineUp({ maxConcurrent: 2 });
    line.add('a', 'alice');
    line.add('b', 'bob');

    const drained = line.queue.drain(60_000);
    expect(line.queue.accepting).toBe(false);
    expect(() => line.add('late', 'carol')).toThrow(/closed/);

    await line.finish('a');
    await line.finish('b');
    await expect(drained).resolves.toEqual({ finished: true });
  });

  it('reports finished at once when nothing is running', async () => {
    await expect(lineUp().queue.drain(60_000)).resolves.toEqual({ finished: true });
  });

  it('reports not finished when a job is still running at the deadline', async () => {
    vi.useFakeTimers();
    const line = lineUp();
    line.add('slow', 'alice');
    let outcome: { finished: boolean } | undefined;
    void line.queue.drain(5_000).then((result) => (outcome = result));

    await vi.advanceTimersByTimeAsync(4_999);
    expect(outcome).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(outcome).toEqual({ finished: false });
    expect(line.running()).toBe(1);
  });

  it('aborts every running job as a shutdown', () => {
    const line = lineUp({ maxConcurrent: 2 });
    line.add('a', 'alice');
    line.add('b', 'bob');
    line.add('queued', 'carol');

    line.queue.abortAll();

    expect(abortReason(line.signalOf('a'))).toBe('shutdown');
    expect(abortReason(line.signalOf('b'))).toBe('shutdown');
    expect(line.started).not.toContain('queued');
  });
});

describe('a failing job', () => {
  it('does not stop the queue: the next job starts and the failure counts as completed', async () => {
    const line = lineUp({ maxConcurrent: 1 });
    line.add('broken', 'alice');
    line.add('next', 'bob');

    await line.fail('broken');

    expect(line.started).toEqual(['broken', 'next']);
    expect(line.queue.stats()).toMatchObject({ running: 1, completed: 1 });
  });

  it('does not stop the queue when its requester cancelled it and it rejects with the abort', async () => {
    const line = lineUp({ maxConcurrent: 1 });
    line.add('cancelled', 'alice');
    line.add('next', 'bob');

    line.queue.cancel('cancelled');
    await line.fail('cancelled', line.signalOf('cancelled').reason);

    expect(line.started).toEqual(['cancelled', 'next']);
  });
});

describe('with the Venice pacer as its gate', () => {
  it('estimates a long line in rounds of the jobs that run at once, even when Venice’s window has room for all of it', () => {
    const pacer = new VeniceRateLimiter();
    // A window of 1,000 requests with 999 left: Venice's pace alone would say every job starts now.
    pacer.observe(200, { 'x-ratelimit-limit-requests': '1000', 'x-ratelimit-remaining-requests': '999', 'x-ratelimit-reset-requests': String(Date.now() + 60_000) });
    const queue = new FairQueue({ maxConcurrent: 2, maxPerUser: 100, maxPerGuild: 100 }, { gate: { capacity: () => 0, etaMs: (n) => pacer.etaMs(n), reserve: () => () => undefined, onCapacity: () => () => undefined } });
    const heard = new Map<string, number>();
    for (let n = 1; n <= 6; n++) queue.enqueue({ id: `job-${n}`, userId: `user-${n}`, guildId: null, requests: 4, run: async () => undefined, onPosition: (_position, etaMs) => heard.set(`job-${n}`, etaMs) });
    // Nothing starts (the gate has no room this instant), so all six wait: two run at a time, 15 s each (the estimate before any job has run).
    const average = 15_000;
    expect([1, 2, 3, 4, 5, 6].map((n) => heard.get(`job-${n}`))).toEqual([1, 1, 2, 2, 3, 3].map((rounds) => rounds * average));
    expect(queue.etaMs(5)).toBe(3 * average);
    queue.dispose();
  });

  it('estimates the line in rounds of the requests the pacer lets be in flight, when those bind before the job cap', async () => {
    const pacer = new VeniceRateLimiter();
    const first = await pacer.acquire();
    pacer.observe(200, { 'x-ratelimit-limit-requests': '1000', 'x-ratelimit-remaining-requests': '999', 'x-ratelimit-reset-requests': String(Date.now() + 60_000) }, first);
    const queue = new FairQueue({ maxConcurrent: 16, maxPerUser: 100, maxPerGuild: 100 }, { gate: pacer });
    const heard = new Map<number, number>();
    const never = new Promise<void>(() => undefined);
    for (let n = 1; n <= 60; n++) queue.enqueue({ id: `job-${n}`, userId: `user-${n}`, guildId: null, requests: 4, run: () => never, onPosition: (position, etaMs) => heard.set(position, etaMs) });
    // 15 requests may be in flight: four jobs of four start (the fourth on the 3 left), 56 wait.
    expect(queue.stats()).toMatchObject({ running: 4, queued: 56 });
    const average = 15_000;
    // The last waits for 224 requests ahead at 15 a round: 15 rounds, not the 4 that 16 jobs at once would say.
    expect(heard.get(56)).toBe(15 * average);
    expect(heard.get(1)).toBe(average);
    queue.dispose();
  });


  it('starts a job the pacer does not pace (a describe) while Venice’s window is shut, and keeps the image jobs waiting', () => {
    const pacer = new VeniceRateLimiter();
    // The window is spent: no image request may go until it resets in a minute.
    pacer.observe(200, { 'x-ratelimit-limit-requests': '20', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': String(Date.now() + 60_000) });
    expect(pacer.capacity()).toBe(0);
    const queue = new FairQueue({ maxConcurrent: 16, maxPerUser: 4, maxPerGuild: 16 }, { gate: pacer });
    const started: string[] = [];
    const heard = new Map<string, number>();
    const never = new Promise<void>(() => undefined);
    const job = (id: string, userId: string, requests: number): QueuedJob => ({
      id,
      userId,
      guildId: null,
      requests,
      run: () => {
        started.push(id);
        return never;
      },
      onPosition: (_position, etaMs) => heard.set(id, etaMs),
    });
    queue.enqueue(job('image-1', 'alice', 4));
    queue.enqueue(job('image-2', 'bob', 4));
    expect(queue.enqueue(job('describe', 'carol', 0))).toBe(0);
    expect(started).toEqual(['describe']);
    expect(queue.stats()).toMatchObject({ running: 1, queued: 2 });
    // The image jobs are told the window's wait, not a round of the line.
    expect(heard.get('image-1')).toBeGreaterThan(50_000);
    queue.dispose();
  });

  it('holds a describe back while the room for failures is full, and starts the one behind a cancelled image job at once', () => {
    let room = 0;
    let notify: () => void = () => undefined;
    const gate = { capacity: () => 0, etaMs: () => 60_000, reserve: () => () => undefined, onCapacity: (l: () => void) => ((notify = l), () => undefined), unpacedRoom: () => room };
    const queue = new FairQueue({ maxConcurrent: 16, maxPerUser: 4, maxPerGuild: 16 }, { gate });
    const started: string[] = [];
    const never = new Promise<void>(() => undefined);
    const job = (id: string, userId: string, requests: number): QueuedJob => ({ id, userId, guildId: null, requests, run: () => (started.push(id), never) });
    queue.enqueue(job('carol-describe', 'carol', 0));
    // Venice's failures fill the room: a describe would only fail too.
    expect(started).toEqual([]);
    room = 1;
    notify();
    expect(started).toEqual(['carol-describe']);
    // Alice's describe waits behind her own image job, which waits for the window.
    queue.enqueue(job('alice-image', 'alice', 4));
    queue.enqueue(job('alice-describe', 'alice', 0));
    expect(started).toEqual(['carol-describe']);
    expect(queue.cancel('alice-image')).toBe('removed');
    expect(started).toEqual(['carol-describe', 'alice-describe']);
    queue.dispose();
  });

  it('holds a started job’s requests, so a job that waits on the store first does not let others past the pacer', async () => {
    const pacer = new VeniceRateLimiter();
    const queue = new FairQueue({ maxConcurrent: 16, maxPerUser: 4, maxPerGuild: 16 }, { gate: pacer });
    const started: string[] = [];
    const release = deferred();
    const job = (id: string, userId: string): QueuedJob => ({
      id,
      userId,
      guildId: null,
      requests: 2,
      run: async (signal) => {
        started.push(id);
        // What the lifecycle does before a job's first request: a write to the store.
        await new Promise((resolve) => setImmediate(resolve));
        await pacer.acquire(signal);
        await release.promise;
      },
    });
    queue.enqueue(job('first', 'alice'));
    queue.enqueue(job('second', 'bob'));
    queue.enqueue(job('third', 'carol'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Before Venice's first answer the pacer lets one request through: one job starts, the
    // others keep their places in the fair line instead of queueing inside the pacer.
    expect(started).toEqual(['first']);
    expect(queue.stats()).toMatchObject({ running: 1, queued: 2 });
    expect(pacer.stats()).toMatchObject({ inFlight: 1, waiting: 0 });
    release.resolve();
    queue.dispose();
  });
});
