import type { PacerMetrics } from '../observability/metrics.js';
import { FailureRoom } from './failure-room.js';
import { serverWaitMs } from './retry.js';

type Headers = Record<string, string | string[] | undefined>;

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** One 429 never holds every job longer than Venice's own window. */
const MAX_PAUSE_MS = 65_000;
/** Before the first answer teaches the limit, one request at a time. */
const CAREFUL_START = 1;
/** Venice's windows are a minute until the headers show otherwise. */
const DEFAULT_WINDOW_MS = 60_000;

interface Waiter {
  resolve(seq: number): void;
  reject(reason: unknown): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  /** When it began to wait, for the metrics. */
  since: number;
}

/**
 * The other processes pacing the same Venice key (the scale-out mode): this pacer tells them of
 * each request it sends and each pause it takes, and hears theirs through `peerSent` and
 * `peerPaused`. Failed answers go through the pacer's `FailureRoom` (`shareWith` there), so the
 * chat pacer's are told too, and come in through `peerFailed`.
 */
export interface PacerPeers {
  sent(): void;
  paused(ms: number): void;
}

export interface PacerStats {
  limit: number | undefined;
  remaining: number | undefined;
  inFlight: number;
  waiting: number;
  /** Requests sent, 429s seen, and pauses because failures piled up. */
  sent: number;
  rateLimited: number;
  failureGuardPauses: number;
}

/**
 * Paces every image request by Venice's own numbers: `x-ratelimit-limit-requests` (learned
 * from the first answer; until then one request at a time), `-remaining-` and `-reset-` on
 * every answer, and a pause for everyone after a 429 (honouring `Retry-After`) or when failed
 * answers pile up towards Venice's 30-second block. Requests wait their turn in arrival order
 * however long it takes: waiting for Venice's window is queueing, not an error. The fair
 * queue asks `capacity()` before starting a job and `onCapacity` tells it when to look again,
 * so jobs wait in the fair line (with a position) rather than inside this one.
 */
export class VeniceRateLimiter {
  #limit: number | undefined;
  /** Requests this window still has, by our own count and Venice's (the lower of the two). */
  #remaining: number | undefined;
  #resetAt = 0;
  /** The last window end Venice itself announced (#resetAt may be our own guess past it). */
  #veniceResetAt = 0;
  #windowMs = DEFAULT_WINDOW_MS;
  #pausedUntil = 0;
  /** The places in the order of sends (see `acquire`) of this pacer's requests now in flight. */
  readonly #inFlight = new Set<number>();
  /**
   * Of the answers from Venice's current window (the one ending at `#veniceResetAt`), the one
   * admitted last: the lowest remaining count, and that request's place in the order of sends.
   */
  #lastAdmitted: { remaining: number; seq: number } | undefined;
  /** Whether any answer has come yet: before one, requests go one at a time. */
  #learned = false;
  readonly #waiters: Waiter[] = [];
  /** Shared with the key's other pacers (see `FailureRoom`). */
  readonly #room: FailureRoom;
  /** This pacer in the room: what the room calls when another member's request gave room back. */
  readonly #onRoom = (): void => this.#notify();
  readonly #listeners = new Set<() => void>();
  /** Requests of started jobs not yet asked for (see `reserve`), oldest hold first. */
  readonly #holds: Array<{ left: number }> = [];
  #held = 0;
  #timer: NodeJS.Timeout | undefined;
  #sent = 0;
  /** Requests other processes sent meanwhile, as they told us (the scale-out mode). */
  #sentByPeers = 0;
  #rateLimited = 0;
  #guardPauses = 0;
  readonly #now: () => number;
  readonly #metrics: PacerMetrics | undefined;
  #peers: PacerPeers | undefined;

  /** `room`: the failures and requests in flight this pacer counts with the key's other pacers; its own by default. */
  constructor(now: () => number = Date.now, metrics?: PacerMetrics, room: FailureRoom = new FailureRoom()) {
    this.#now = now;
    this.#metrics = metrics;
    this.#room = room;
    room.join(this.#onRoom);
  }

  /** The room for failures this pacer shares: a second pacer on the same key is made with it. */
  get failureRoom(): FailureRoom {
    return this.#room;
  }

  /** Connects this pacer to the other processes' (see `PacerPeers`). */
  shareWith(peers: PacerPeers): void {
    this.#peers = peers;
  }

  /**
   * Another process sent a request on the same key: one fewer left in this window. (Venice's
   * next answer corrects the count either way; this keeps processes from each spending the
   * same last requests of a window in the meantime.)
   */
  peerSent(): void {
    if (this.#remaining !== undefined) this.#remaining = Math.max(0, this.#remaining - 1);
    this.#sentByPeers++;
  }

  /** Another process on the key saw a failed answer: it counts towards Venice's block here too. */
  peerFailed(): void {
    this.#room.peerFailed(this.#now());
  }

  /** Another process (`peer`) has `count` requests in flight on the key: they take room here. */
  peerInFlight(peer: string, count: number): void {
    this.#room.peerInFlight(peer, count, this.#now());
    // Room now taken by a peer comes back when it is forgotten, should it fall silent: a timer for that.
    this.#schedule();
  }

  /** Another process was told to wait (a 429, or failures piling up): so does this one. */
  peerPaused(ms: number): void {
    if (!(ms > 0)) return;
    this.#pausedUntil = Math.max(this.#pausedUntil, this.#now() + Math.min(ms, MAX_PAUSE_MS));
    this.#schedule();
    this.#notify();
  }

  /** The most requests this pacer ever has in flight (the failure room with no failures): what a line's estimate counts rounds of. */
  get maxInFlight(): number {
    return this.#room.guard;
  }

  stats(): PacerStats {
    return {
      limit: this.#limit,
      remaining: this.#remaining,
      inFlight: this.#inFlight.size,
      waiting: this.#waiters.length,
      sent: this.#sent,
      rateLimited: this.#rateLimited,
      failureGuardPauses: this.#guardPauses,
    };
  }

  /** How long until any request may go, in ms (0 = now). */
  waitMs(): number {
    const now = this.#now();
    const pause = Math.max(0, this.#pausedUntil - now);
    const exhausted = this.#windowRemaining(now) === 0 && this.#resetAt > now ? this.#resetAt - now : 0;
    // Out of room for failures: room comes back as the oldest failure ages out (or sooner, as an
    // answer ends a request in flight, which tells the pacer anyway).
    const returns = this.#room.roomReturnsAt(now);
    const noRoom = returns !== undefined && this.#room.room(now) <= 0 ? returns - now : 0;
    return Math.max(pause, exhausted, noRoom);
  }

  /** Requests that may be sent right now, beyond those already waiting for a turn. */
  capacity(): number {
    const now = this.#now();
    if (this.#pausedUntil > now) return 0;
    const windowLeft = this.#windowRemaining(now);
    const free = Math.min(windowLeft ?? (this.#learned ? Number.POSITIVE_INFINITY : CAREFUL_START - this.#inFlight.size), this.#failureRoom(now));
    return Math.max(0, free - this.#waiters.length - this.#held);
  }

  /** What the room for failures has now, for a request another pacer of the key would send (a describe's). */
  unpacedRoom(): number {
    return Math.max(0, this.#failureRoom(this.#now()));
  }

  /** Requests that may still go before those in flight (every pacer's of the key), all failing, could take the failures past the guard. */
  #failureRoom(now: number): number {
    return this.#room.room(now);
  }

  /**
   * Holds `requests` of the capacity for a job the queue has just started, until its requests
   * arrive at `acquire` (each takes one from the oldest hold) or the release runs (at the
   * job's end, for those it never made). Between the start and its first request the job may
   * wait on the store: without the hold, the queue would read the same free capacity again and
   * start jobs that then wait here, out of the fair line.
   */
  reserve(requests: number): () => void {
    const hold = { left: Math.max(0, requests) };
    this.#holds.push(hold);
    this.#held += hold.left;
    return () => {
      if (hold.left === 0) return;
      this.#held -= hold.left;
      hold.left = 0;
      this.#dropEmptyHolds();
      this.#notify();
    };
  }

  #consumeHold(): void {
    const hold = this.#holds.find((h) => h.left > 0);
    if (!hold) return;
    hold.left--;
    this.#held--;
    this.#dropEmptyHolds();
  }

  #dropEmptyHolds(): void {
    while (this.#holds[0]?.left === 0) this.#holds.shift();
  }

  /**
   * Roughly how long until the `n`-th request from now can be sent, for the queue's estimate:
   * what this window has left, then whole windows at the learned limit.
   */
  etaMs(n: number): number {
    const now = this.#now();
    const pause = Math.max(0, this.#pausedUntil - now);
    if (this.#limit === undefined) return pause;
    const ahead = n + this.#waiters.length + this.#held;
    const left = this.#windowRemaining(now) ?? this.#limit;
    if (ahead <= left) return pause;
    const untilReset = this.#resetAt > now ? this.#resetAt - now : 0;
    const windows = Math.ceil((ahead - left) / Math.max(1, this.#limit)) - 1;
    return Math.max(pause, untilReset + windows * this.#windowMs);
  }

  /** Called whenever more requests may have become possible (an answer, a window's reset, a pause's end). */
  onCapacity(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Waits for this request's turn, then counts it as sent. Resolves with the request's place
   * in the order of sends, which `observe` uses to tell how many went out after it.
   */
  acquire(signal?: AbortSignal): Promise<number> {
    signal?.throwIfAborted();
    this.#consumeHold();
    if (this.#waiters.length === 0 && this.#canSendNow()) return Promise.resolve(this.#take());
    return new Promise<number>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal, onAbort: undefined, since: this.#now() };
      if (signal) {
        waiter.onAbort = () => {
          const index = this.#waiters.indexOf(waiter);
          if (index >= 0) this.#waiters.splice(index, 1);
          reject(signal.reason);
          this.#notify();
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#waiters.push(waiter);
      this.#schedule();
    });
  }

  /**
   * Learns from an answer (any status) to a request that `acquire` let through; `seq` is what
   * its `acquire` resolved with. Venice's remaining count is as of that request's arrival, so
   * what may have arrived after it is taken off (see `#leftAfter`): never more than the window has.
   */
  observe(status: number, headers: Headers, seq?: number): void {
    const now = this.#now();
    const wasInFlight = this.#endInFlightCount(seq);
    this.#learned = true;
    const limit = Number(first(headers['x-ratelimit-limit-requests']));
    const remaining = Number(first(headers['x-ratelimit-remaining-requests']));
    const resetWait = serverWaitMs({ resetRequests: first(headers['x-ratelimit-reset-requests']) }, now);
    if (Number.isFinite(limit) && limit > 0) this.#limit = limit;
    // A reset far in the future is a clock problem, not a plan: do not stall on it. One already
    // past (Venice gives it as of the request's arrival; a slow image outlives its window)
    // says nothing about the window now.
    if (resetWait !== undefined && resetWait > 0 && resetWait <= MAX_PAUSE_MS) {
      const resetAt = now + resetWait;
      // Without its place in the order of sends, an answer is taken as the latest request's.
      const counted = Number.isFinite(remaining) ? { remaining, seq: seq ?? this.#sent + this.#sentByPeers } : undefined;
      // A window Venice had not announced before (whatever we guessed), or a refusal that says
      // when to come back: Venice's word on when the window ends wins over our guess.
      const newWindow = resetAt > this.#veniceResetAt || (status === 429 && resetAt !== this.#resetAt);
      // A 429 was not admitted: its count (0, often, from an overloaded Venice whose window has
      // room) is its word on the moment, not a place in the window's order.
      const admitted = status === 429 ? undefined : counted;
      // (A 429 that names an earlier reset than Venice's latest leaves that window's record alone.)
      if (resetAt > this.#veniceResetAt) this.#lastAdmitted = admitted;
      else if (resetAt === this.#veniceResetAt && admitted && (this.#lastAdmitted === undefined || admitted.remaining < this.#lastAdmitted.remaining)) this.#lastAdmitted = admitted;
      const estimate = status === 429 ? counted && this.#leftAfter(counted) : counted && this.#lastAdmitted ? this.#leftAfter(this.#lastAdmitted) : undefined;
      if (newWindow) {
        // Its length is learned from the step between two of Venice's own resets, never from a guess.
        // The smallest step seen: a window with no traffic makes a step of two or more windows.
        if (this.#veniceResetAt > 0 && resetAt > this.#veniceResetAt && resetAt - this.#veniceResetAt <= MAX_PAUSE_MS) this.#windowMs = Math.min(this.#windowMs, resetAt - this.#veniceResetAt);
        this.#veniceResetAt = Math.max(this.#veniceResetAt, resetAt);
        this.#resetAt = resetAt;
        this.#remaining = estimate;
      } else if (resetAt === this.#veniceResetAt && estimate !== undefined) {
        // Both our count and the estimate never exceed what Venice has left (the estimate takes
        // off every request that may have arrived after the last one admitted), so the larger is
        // still safe; a refusal is Venice's own word on the moment and replaces it.
        this.#remaining = status === 429 ? estimate : Math.max(this.#remaining ?? estimate, estimate);
      }
    } else if (resetWait !== undefined && resetWait > MAX_PAUSE_MS) {
      // A reset far in the future is a clock problem: the count that goes with it is not trusted either.
      this.#remaining = undefined;
    }

    if ((status < 200 || status >= 300) && this.#room.failed(now) >= this.#room.guard) {
      this.#guardPauses++;
      this.#pause((this.#room.oldestFailureAgesOutAt(now) ?? now) - now);
    }
    if (wasInFlight) this.#room.ended(this.#onRoom);
    if (status === 429) {
      this.#rateLimited++;
      // An explicit Retry-After is the more specific instruction; without one, wait for the reset.
      const retryAfter = serverWaitMs({ retryAfter: first(headers['retry-after']) }, now);
      this.#pause(Math.min(retryAfter ?? resetWait ?? 1_000, MAX_PAUSE_MS));
      // Retry-After is Venice's more specific word ("overloaded, come back then"), but the window
      // may be full too: after the pause one request probes, and its answer says what is left.
      // Refilling the window would send a burst into one Venice just called full.
      if (retryAfter !== undefined && this.#remaining === 0) this.#remaining = 1;
    }
    this.#notify();
  }

  /** A request let through ended without an answer that says anything about Venice (its requester gave up). */
  release(seq?: number): void {
    this.#endInFlight(seq);
    this.#notify();
  }

  /** Gives back a turn that was never used (the request could not be sent at all). */
  cancel(seq?: number): void {
    this.#endInFlight(seq);
    if (this.#remaining !== undefined) this.#remaining++;
    this.#notify();
  }

  #endInFlight(seq: number | undefined): void {
    if (this.#endInFlightCount(seq)) this.#room.ended(this.#onRoom);
  }

  /**
   * Takes a request out of those in flight: the one sent `seq`-th, or without it the latest sent
   * (which leaves the earlier ones counted as perhaps not yet arrived: the careful choice, see
   * `#leftAfter`). False when none was in flight.
   */
  #endInFlightCount(seq: number | undefined): boolean {
    if (this.#inFlight.size === 0) return false;
    if (seq !== undefined && this.#inFlight.delete(seq)) return true;
    this.#inFlight.delete(Math.max(...this.#inFlight));
    return true;
  }

  /**
   * What Venice's window has left at least, from the answer admitted last (`last`): its count,
   * less every request that may have arrived after it. Those sent after it, by anyone, may; so
   * may those of ours sent before it and still in flight, since requests overtake each other on
   * the way (another connection, a proxy's): Venice admits in the order they arrive, not the
   * order they were sent. Ours sent before it and answered arrived before it, or their answers
   * would have counted less. (Another process's requests sent before it and answered after
   * overtaking it are not known here: should one take the window's last place, the 429 it
   * causes is paced like any other.)
   */
  #leftAfter(last: { remaining: number; seq: number }): number {
    const sentAfter = Math.max(0, this.#sent + this.#sentByPeers - last.seq);
    let overtaken = 0;
    for (const seq of this.#inFlight) if (seq < last.seq) overtaken++;
    return Math.max(0, last.remaining - sentAfter - overtaken);
  }

  #pause(ms: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, this.#now() + ms);
    this.#peers?.paused(ms);
  }

  /** What this window has left, or undefined while the limit is not known. */
  #windowRemaining(now: number): number | undefined {
    if (this.#limit === undefined && this.#remaining === undefined) return undefined;
    // A count without a window that ends is no plan: Venice has not said when it refills.
    if (this.#resetAt === 0) return undefined;
    if (this.#resetAt > 0 && now >= this.#resetAt) {
      // The window rolled over without an answer to tell us: a fresh one, less what is in flight.
      this.#resetAt += Math.ceil((now - this.#resetAt + 1) / this.#windowMs) * this.#windowMs;
      this.#remaining = this.#limit === undefined ? undefined : Math.max(0, this.#limit - this.#inFlight.size);
      if (this.#remaining === undefined) return undefined;
    }
    return Math.max(0, this.#remaining ?? this.#limit ?? 0);
  }

  #canSendNow(): boolean {
    const now = this.#now();
    if (this.#pausedUntil > now) return false;
    if (this.#failureRoom(now) <= 0) return false;
    const left = this.#windowRemaining(now);
    if (left === undefined) return this.#learned || this.#inFlight.size < CAREFUL_START;
    return left > 0;
  }

  #take(): number {
    this.#room.sent();
    this.#sent++;
    if (this.#remaining !== undefined) this.#remaining--;
    this.#peers?.sent();
    const seq = this.#sent + this.#sentByPeers;
    this.#inFlight.add(seq);
    return seq;
  }

  /** Lets waiting requests go while there is room, first come first served. */
  #drain(): void {
    while (this.#waiters.length > 0 && this.#canSendNow()) {
      const waiter = this.#waiters.shift()!;
      if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener('abort', waiter.onAbort);
      this.#metrics?.pacerWaited(Math.max(0, this.#now() - waiter.since) / 1000);
      waiter.resolve(this.#take());
    }
    this.#schedule();
  }

  #notify(): void {
    this.#drain();
    for (const listener of this.#listeners) listener();
  }

  /** A timer for the moment the pause ends or the window resets, while anyone is waiting for it. */
  #schedule(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const wait = this.waitMs();
    if (wait <= 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#notify();
    }, wait);
    // The pacer never keeps the process alive by itself.
    this.#timer.unref();
  }
}
