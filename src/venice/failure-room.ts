/**
 * Venice blocks a key for 30 s after more than 20 failed (non-2xx) requests in 30 s (some
 * sources say 50). Stop well before that: failures at this count pause everyone, and the
 * requests in flight plus the failures of the last 30 s never pass it, so even an outage that
 * fails every request sent (a model at capacity answering 503 to all of them) makes no more
 * failures in 30 s than this. The price: at most this many requests at once, 150 to 450 image
 * requests a minute at Venice's 2-6 s per image, above the 20 and 60 a minute of Venice's tiers.
 */
export const FAILURE_WINDOW_MS = 30_000;
export const FAILURE_GUARD = 15;

/**
 * The room for failures that the pacers of one Venice key share: the image pacer and the chat
 * pacer (/describe) of a process count against one block, since Venice counts the key's
 * failures whatever the endpoint, and other processes on the key (the scale-out mode) add the
 * failures they saw (`peerFailed`; their requests in flight are not known here).
 *
 * A pacer `joins` with a callback for when room came back through another pacer's request
 * (its answer, or its end): the pacer whose own request it was notices by itself.
 */
export class FailureRoom {
  readonly #failures: number[] = [];
  #inFlight = 0;
  readonly #members = new Set<() => void>();
  readonly #guard: number;
  #peers: { failed(): void } | undefined;

  constructor(guard: number = FAILURE_GUARD) {
    this.#guard = guard;
  }

  /** The most requests in flight at once (the room with no failures). */
  get guard(): number {
    return this.#guard;
  }

  /** Requests let through and not yet ended, of every pacer in the room. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Tells the other processes on the key of each failure seen here (the scale-out mode). */
  shareWith(peers: { failed(): void }): void {
    this.#peers = peers;
  }

  /** `onRoom` is called when another member's request ended; returns the way out. */
  join(onRoom: () => void): () => void {
    this.#members.add(onRoom);
    return () => this.#members.delete(onRoom);
  }

  /** Failed answers in the last 30 s, the older ones forgotten. */
  recentFailures(now: number): number {
    while (this.#failures.length > 0 && this.#failures[0]! <= now - FAILURE_WINDOW_MS) this.#failures.shift();
    return this.#failures.length;
  }

  /** Requests that may still go before those in flight, all failing, could take the failures past the guard. */
  room(now: number): number {
    return this.#guard - this.recentFailures(now) - this.#inFlight;
  }

  /** When the oldest failure of the window ages out, or undefined with none. */
  oldestAgesOutAt(now: number): number | undefined {
    return this.recentFailures(now) > 0 ? this.#failures[0]! + FAILURE_WINDOW_MS : undefined;
  }

  sent(): void {
    this.#inFlight++;
  }

  /** A request of `by` ended (answered or given up): the other members hear of the room it gave back. */
  ended(by: () => void): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    for (const member of this.#members) if (member !== by) member();
  }

  /** A failed answer seen here; returns the failures of the last 30 s with it. */
  failed(now: number): number {
    this.#failures.push(now);
    this.#peers?.failed();
    return this.recentFailures(now);
  }

  /**
   * Another process on the key saw a failure: it counts towards Venice's block all the same.
   * The members look again (their timers for the oldest failure to age out move).
   */
  peerFailed(now: number): void {
    this.#failures.push(now);
    // Kept in order: a peer's report can come after a later failure of ours.
    this.#failures.sort((a, b) => a - b);
    for (const member of this.#members) member();
  }
}
