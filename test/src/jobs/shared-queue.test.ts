import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logger.js';
import type { QueuedJob, QueueLimits } from '../../../src/jobs/queue.js';
import { SharedQueue } from '../../../src/jobs/shared-queue.js';
import { CLAIM, ENQUEUE, FINISH, REMOVE } from '../../../src/jobs/shared-queue-scripts.js';
import { freshRedisPrefix, TEST_REDIS_URL } from '../../support/store-targets.js';

/**
 * The shared line on a real Redis, with two queues as two processes would hold them. Defined
 * only where a server runs: CI always has one (store-targets.ts fails the run without it).
 */
if (TEST_REDIS_URL) describeShared(TEST_REDIS_URL);

function describeShared(redisUrl: string) {
  const log = createLogger({ level: 'silent', secrets: [] });
  const open: SharedQueue[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((q) => q.dispose()));
  });

  async function processes(count: number, limits: QueueLimits) {
    const prefix = freshRedisPrefix();
    const queues = await Promise.all(
      Array.from({ length: count }, (_, i) => SharedQueue.connect(limits, { redisUrl, owner: `process-${i}`, prefix, log, pollMs: 50, ownerTtlMs: 600 })),
    );
    open.push(...queues);
    return { queues, prefix };
  }

  /** Jobs that record when they start and end only when the test lets them. */
  function jobs() {
    const started: string[] = [];
    let running = 0;
    let peakByUser = new Map<string, number>();
    const runningByUser = new Map<string, number>();
    const finishers = new Map<string, () => void>();
    const job = (id: string, userId: string, guildId: string | null = 'g'): QueuedJob => ({
      id,
      userId,
      guildId,
      run: () =>
        new Promise<void>((resolve) => {
          started.push(id);
          running++;
          const mine = (runningByUser.get(userId) ?? 0) + 1;
          runningByUser.set(userId, mine);
          peakByUser.set(userId, Math.max(peakByUser.get(userId) ?? 0, mine));
          finishers.set(id, () => {
            running--;
            runningByUser.set(userId, (runningByUser.get(userId) ?? 1) - 1);
            resolve();
          });
        }),
    });
    return {
      job,
      started,
      running: () => running,
      peakOf: (user: string) => peakByUser.get(user) ?? 0,
      resetPeaks: () => (peakByUser = new Map()),
      finish: (id: string) => {
        const f = finishers.get(id);
        if (!f) throw new Error(`${id} is not running`);
        finishers.delete(id);
        f();
      },
    };
  }

  const until = async (probe: () => boolean, ms = 5_000) => {
    const end = Date.now() + ms;
    while (!probe()) {
      if (Date.now() > end) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const settle = () => new Promise((r) => setTimeout(r, 300));

  describe('the shared line', () => {
    it('starts a describe while Venice’s image window is shut, looking past the image jobs that wait for it', async () => {
      const prefix = freshRedisPrefix();
      // The image window has no room: the gate says so, and says when it opens.
      let room = 0;
      let opened: () => void = () => undefined;
      const gate = { capacity: () => room, etaMs: () => 60_000, reserve: () => () => undefined, onCapacity: (listener: () => void) => ((opened = listener), () => undefined) };
      const queue = await SharedQueue.connect({ maxConcurrent: 16, maxPerUser: 4, maxPerGuild: 16 }, { redisUrl, owner: 'process-0', prefix, log, pollMs: 50, ownerTtlMs: 600, gate });
      open.push(queue);
      const j = jobs();
      queue.enqueue({ ...j.job('alice-image', 'alice'), requests: 4 });
      queue.enqueue({ ...j.job('bob-image', 'bob'), requests: 4 });
      queue.enqueue({ ...j.job('carol-describe', 'carol'), requests: 0 });
      await until(() => j.started.length === 1);
      await settle();
      expect(j.started).toEqual(['carol-describe']);
      // The window opens: the image jobs start, in their turn.
      room = 8;
      opened();
      await until(() => j.started.length === 3);
      expect(j.started).toEqual(['carol-describe', 'alice-image', 'bob-image']);
    });

    it('holds a member to 2 running jobs across two processes, never 3', async () => {
      const { queues } = await processes(2, { maxConcurrent: 16, maxPerUser: 2, maxPerGuild: 16 });
      const j = jobs();
      for (let n = 0; n < 6; n++) queues[n % 2]!.enqueue(j.job(`alice-${n}`, 'alice'));
      await until(() => j.started.length === 2);
      await settle();
      expect(j.started).toHaveLength(2);
      expect(j.peakOf('alice')).toBe(2);
      // As each ends the next starts, wherever it was asked for; the cap never gives.
      for (let done = 0; done < 6; done++) {
        j.finish(j.started[done]!);
        await until(() => j.started.length === Math.min(6, done + 3) || done >= 4);
      }
      await until(() => j.running() === 0);
      expect(j.started.sort()).toEqual(['alice-0', 'alice-1', 'alice-2', 'alice-3', 'alice-4', 'alice-5']);
      expect(j.peakOf('alice')).toBe(2);
      expect(queues[0]!.stats()).toMatchObject({ queued: 0 });
    });

    it('serves two light members, asking on the other process, before the heavy member’s third job', async () => {
      const { queues } = await processes(2, { maxConcurrent: 2, maxPerUser: 2, maxPerGuild: 16 });
      const j = jobs();
      for (let n = 0; n < 4; n++) queues[0]!.enqueue(j.job(`heavy-${n}`, 'heavy'));
      await until(() => j.started.length === 2);
      queues[1]!.enqueue(j.job('light-bob', 'bob'));
      queues[1]!.enqueue(j.job('light-carol', 'carol'));
      await settle();
      // The line is full (2 running): both light members wait, the heavy member's two too.
      expect(queues[1]!.positionOf('light-bob')).toBe(1);
      expect(queues[1]!.positionOf('light-carol')).toBe(2);
      expect(queues[0]!.positionOf('heavy-2')).toBe(3);
      j.finish('heavy-0');
      await until(() => j.started.length === 3);
      j.finish('heavy-1');
      await until(() => j.started.length === 4);
      expect(j.started).toEqual(['heavy-0', 'heavy-1', 'light-bob', 'light-carol']);
      j.finish('light-bob');
      await until(() => j.started.length === 5);
      expect(j.started[4]).toBe('heavy-2');
    });

    it('counts every process’s jobs in each one’s stats', async () => {
      const { queues } = await processes(2, { maxConcurrent: 1, maxPerUser: 4, maxPerGuild: 16 });
      const j = jobs();
      queues[0]!.enqueue(j.job('a', 'alice'));
      queues[1]!.enqueue(j.job('b', 'bob'));
      queues[1]!.enqueue(j.job('c', 'carol'));
      await until(() => j.started.length === 1);
      await until(() => queues[0]!.stats().queued === 2 && queues[0]!.stats().running === 1);
      expect(queues[1]!.stats()).toMatchObject({ queued: 2, running: 1 });
    });

    it('gives back what a process that died held, once its heartbeat lapses', async () => {
      const { queues, prefix } = await processes(1, { maxConcurrent: 16, maxPerUser: 1, maxPerGuild: 16 });
      const raw = new Redis(redisUrl);
      try {
        // What a SIGKILLed process leaves: its heartbeat, a running job and a waiting one, all of alice's.
        await raw.set(`${prefix}owner:gone`, '1', 'PX', 400);
        await raw.eval(ENQUEUE, 0, prefix, 'dies-running', 'alice', 'g', 'gone', '1');
        expect(await raw.eval(CLAIM, 0, prefix, 'gone', '16', '1', '16')).toEqual(['mine', 'dies-running']);
        await raw.eval(ENQUEUE, 0, prefix, 'dies-waiting', 'alice', 'g', 'gone', '1');
        const j = jobs();
        queues[0]!.enqueue(j.job('survives', 'alice'));
        await settle();
        // Alice's one running job holds her cap while its process might still be alive.
        expect(j.started).toEqual([]);
        await until(() => j.started.includes('survives'), 5_000);
        expect(await raw.sismember(`${prefix}running`, 'dies-running')).toBe(0);
        expect(await raw.exists(`${prefix}job:dies-waiting`)).toBe(0);
        expect(j.started).toEqual(['survives']);
      } finally {
        raw.disconnect();
      }
    });

    it('keeps a member’s count right when a cancel reaches Redis just after the claim it raced', async () => {
      const prefix = freshRedisPrefix();
      const raw = new Redis(redisUrl);
      try {
        await raw.set(`${prefix}owner:p`, '1', 'PX', 10_000);
        await raw.eval(ENQUEUE, 0, prefix, 'raced', 'alice', 'g', 'p', '1');
        expect(await raw.eval(CLAIM, 0, prefix, 'p', '16', '2', '16')).toEqual(['mine', 'raced']);
        // The cancel, a moment late: the job is running now, and stays what FINISH needs.
        expect(await raw.eval(REMOVE, 0, prefix, 'raced')).toBe(0);
        expect(await raw.get(`${prefix}run:user:alice`)).toBe('1');
        expect(await raw.eval(FINISH, 0, prefix, 'raced')).toBe(1);
        expect(await raw.exists(`${prefix}run:user:alice`, `${prefix}run:guild:g`, `${prefix}job:raced`)).toBe(0);
      } finally {
        raw.disconnect();
      }
    });

    it('frees a slot Redis still counts for a job its process no longer runs (a FINISH that was lost)', async () => {
      const { queues, prefix } = await processes(1, { maxConcurrent: 16, maxPerUser: 1, maxPerGuild: 16 });
      const raw = new Redis(redisUrl);
      try {
        // Redis believes process-0 runs "lost" for alice; process-0 knows of no such job.
        await raw.eval(ENQUEUE, 0, prefix, 'lost', 'alice', 'g', 'process-0', '1');
        expect(await raw.eval(CLAIM, 0, prefix, 'process-0', '16', '1', '16')).toEqual(['mine', 'lost']);
        const j = jobs();
        queues[0]!.enqueue(j.job('next', 'alice'));
        // The next heartbeat reconciles: the phantom goes, and alice's job starts.
        await until(() => j.started.includes('next'), 5_000);
        expect(await raw.sismember(`${prefix}running`, 'lost')).toBe(0);
      } finally {
        raw.disconnect();
      }
    });

    it('puts its waiting jobs back when Redis forgot the line (a restart without persistence)', async () => {
      const { queues, prefix } = await processes(1, { maxConcurrent: 1, maxPerUser: 4, maxPerGuild: 16 });
      const j = jobs();
      queues[0]!.enqueue(j.job('first', 'alice'));
      await until(() => j.started.includes('first'));
      queues[0]!.enqueue(j.job('second', 'bob'));
      await settle();
      const raw = new Redis(redisUrl);
      try {
        const keys = await raw.keys(`${prefix}*`);
        await raw.del(...keys);
        // Still running: its count comes back, so the line stays full until it ends.
        await until(() => queues[0]!.stats().queued === 1 && queues[0]!.stats().running === 1, 5_000);
        expect(j.started).toEqual(['first']);
        j.finish('first');
        await until(() => j.started.includes('second'), 5_000);
      } finally {
        raw.disconnect();
      }
    });

    it('lets a process that takes no handed-on jobs (a gateway) start its own past ones waiting for a worker', async () => {
      const { queues, prefix } = await processes(1, { maxConcurrent: 16, maxPerUser: 2, maxPerGuild: 16 });
      const raw = new Redis(redisUrl);
      try {
        // First in line: a job handed on for the workers, and no worker running.
        await raw.eval(ENQUEUE, 0, prefix, 'for-a-worker', 'alice', 'g', '*', '1');
        const j = jobs();
        queues[0]!.enqueue(j.job('own', 'bob'));
        await until(() => j.started.includes('own'), 3_000);
        // The handed-on job still waits for a worker, first in line.
        expect(await raw.lindex(`${prefix}pending:alice`, 0)).toBe('for-a-worker');
      } finally {
        raw.disconnect();
      }
    });
  });
}
