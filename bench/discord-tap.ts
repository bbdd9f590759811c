import { Agent, request } from 'undici';
import type { FakeDiscord, RecordedRequest } from '../test/support/discord/fake-discord.js';

/** When the fake Discord received an interaction's callback (the defer, or autocomplete choices). */
export interface Ack {
  /** The fake's clock: `hiresNow()` when the whole request had been read. */
  at: number;
  status: number;
}

/** How a job ended, as Discord saw it. */
export interface JobEnd {
  at: number;
  /** The deferred reply was edited with images. */
  ok: boolean;
  files: number;
}

/** Header on the bench's own clean-up requests, so the tap does not count them as the bot's. */
const CLEANUP_HEADER = 'x-bench-cleanup';
const CALLBACK = /^\/interactions\/(\d+)\/([^/]+)\/callback$/;
const ORIGINAL = /^\/webhooks\/\d+\/([^/]+)\/messages\/@original$/;
const FOLLOW_UP = /^\/webhooks\/\d+\/([^/]+)$/;

interface Waiter<T> {
  resolve(value: T): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * Watches what the bot sends to the fake Discord without the fake's per-handle helpers, which
 * filter every request ever recorded on each poll: fine for a test, quadratic for 10,000 jobs.
 * Each recorded request is read once, reduced to the few facts the bench needs, and dropped
 * (uploaded files included), so a long run does not keep gigabytes of images in the parent.
 */
export class DiscordTap {
  /** Requests the fake answered with an error status (the bench's own clean-up excluded). */
  errors = 0;
  /** Requests whose body failed the fake's Discord OpenAPI validation. */
  invalid = 0;
  /** Every request the bot made (the bench's clean-up excluded): callbacks, edits, follow-ups. */
  requests = 0;
  private readonly acks = new Map<string, Ack>();
  private readonly ends = new Map<string, JobEnd>();
  private readonly ackWaiters = new Map<string, Waiter<Ack>>();
  private readonly endWaiters = new Map<string, Waiter<JobEnd>>();
  /** Tokens whose job already ended and was handed out: later messages (a follow-up) are ignored. */
  private readonly finished = new Set<string>();
  private readonly cleanups = new Set<Promise<void>>();
  private stopped = false;
  /** Set once the bot is known to be gone: every wait fails at once instead of timing out. */
  private failure: Error | undefined;
  private readonly agent = new Agent({ connections: 16 });
  private readonly watching: Promise<unknown>;

  constructor(private readonly discord: FakeDiscord) {
    // The fake calls a waitFor probe on every change it records: used here as a subscription.
    this.watching = discord
      .waitFor(() => {
        this.drain();
        return this.stopped || undefined;
      }, 24 * 3_600_000)
      .catch((err: unknown) => {
        if (!this.stopped) console.error('bench: the Discord tap stopped', err);
      });
  }

  /** Resolves with the callback of interaction `id`, whether it already came or comes later. */
  ack(id: string, timeoutMs = 5_000): Promise<Ack> {
    return this.claim(id, this.acks, this.ackWaiters, timeoutMs, 'callback');
  }

  /** Resolves when the job of the interaction with this token ended (images posted, or an error shown). */
  end(token: string, timeoutMs = 60_000): Promise<JobEnd> {
    return this.claim(token, this.ends, this.endWaiters, timeoutMs, 'end of the job').finally(() => this.finished.add(token));
  }

  /**
   * Deletes the job's message as a user would: the fake keeps every posted file for its CDN while
   * the message exists, which over thousands of jobs is the parent's memory, not the bot's.
   */
  cleanUp(token: string): void {
    const url = `${this.discord.apiUrl}/v10/webhooks/${this.discord.ids.application}/${token}/messages/@original`;
    const done = request(url, { method: 'DELETE', headers: { [CLEANUP_HEADER]: '1' }, dispatcher: this.agent })
      .then((res) => res.body.dump())
      // Best effort: a message that is already gone is as good as deleted.
      .catch(() => undefined)
      .finally(() => {
        this.cleanups.delete(done);
        this.finished.delete(token);
      });
    this.cleanups.add(done);
  }

  /** Waits for the clean-ups started so far, so that a phase ends with the fake's memory released. */
  async flush(): Promise<void> {
    await Promise.all([...this.cleanups]);
  }

  /** Fails every pending and future wait with `error` (the bot died). */
  fail(error: Error): void {
    this.failure = error;
    this.rejectAll(error);
  }

  async close(): Promise<void> {
    await this.flush();
    this.stopped = true;
    await this.watching;
    this.rejectAll(new Error('bench: the rig closed while a wait was pending'));
    await this.agent.close();
  }

  private rejectAll(error: Error): void {
    for (const waiters of [this.ackWaiters, this.endWaiters] as const) {
      for (const waiter of waiters.values()) {
        clearTimeout(waiter.timer);
        waiter.reject(error);
      }
      waiters.clear();
    }
  }

  private claim<T>(key: string, seen: Map<string, T>, waiters: Map<string, Waiter<T>>, timeoutMs: number, what: string): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    this.drain();
    const already = seen.get(key);
    if (already !== undefined) {
      seen.delete(key);
      return Promise.resolve(already);
    }
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(key);
        reject(new Error(`bench: no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      waiters.set(key, { resolve, reject, timer });
    });
  }

  private deliver<T>(key: string, value: T, seen: Map<string, T>, waiters: Map<string, Waiter<T>>): void {
    const waiter = waiters.get(key);
    if (waiter) {
      waiters.delete(key);
      clearTimeout(waiter.timer);
      waiter.resolve(value);
    } else if (!seen.has(key)) {
      seen.set(key, value);
    }
  }

  private drain(): void {
    const list = this.discord.requests;
    if (list.length === 0) return;
    for (const record of list) this.observe(record);
    list.length = 0;
  }

  private observe(r: RecordedRequest): void {
    if (r.headers[CLEANUP_HEADER] !== undefined) return;
    this.requests += 1;
    if (r.status >= 400) this.errors += 1;
    if (r.invalid !== undefined) this.invalid += 1;
    const callback = r.method === 'POST' ? CALLBACK.exec(r.path) : null;
    if (callback?.[1] !== undefined) {
      this.deliver(callback[1], { at: r.at, status: r.status }, this.acks, this.ackWaiters);
      return;
    }
    const original = ORIGINAL.exec(r.path);
    const token = original?.[1] ?? (r.method === 'POST' ? FOLLOW_UP.exec(r.path)?.[1] : undefined);
    if (token === undefined || this.finished.has(token)) return;
    // An edit without files may be a progress line ("queued..."); only images or a
    // private follow-up (how our bot reports a failure) end a job.
    const posted = original !== null && r.method === 'PATCH' && r.files.length > 0 && r.status < 400;
    const failed = original === null && r.method === 'POST';
    if (posted || failed) this.deliver(token, { at: r.at, ok: posted, files: r.files.length }, this.ends, this.endWaiters);
  }
}
