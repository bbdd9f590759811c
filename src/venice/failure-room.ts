/**
 * Venice blocks a key for 30 s after more than 20 failed (non-2xx) requests in 30 s (some
 * sources say 50). Stop well before that: failures at this count pause everyone, and the
 * requests in flight plus the failures of the last 30 s never pass it, so even an outage that
 * fails every request sent (a model at capacity answering 503 to all of them) makes no more
 * failures in 30 s than this. The price: at most this many requests at once, 150 to 450 image
 * requests a minute at Venice's 2-6 s per image, above the 20 and 60 a minute of Venice's tiers.
 */
const FAILURE_WINDOW_MS = 30_000;
const FAILURE_GUARD = 15;
/** Venice's default timeout for one request (VENICE_TIMEOUT_MS) and a margin: no request of a peer is in flight longer. */
const PEER_STALE_MS = 150_000;

/**
 * The other processes on the key (the scale-out mode): told how many requests this process has
 * in flight each time that changes (the count itself, not a step: a lost message is corrected by
 * the next one), and of each failure.
 */
export interface RoomPeers {
  inFlight(count: number): void;
  failed(): void;
}

export interface FailureRoomOptions {
  /** Default `FAILURE_GUARD`. */
  guard?: number;
  /**
   * After this long without a word from a peer, its requests in flight are forgotten: no
   * request outlives the Venice timeout, and a peer that died with requests in flight must not
   * hold this one's room forever. Default 150 s (the default timeout and a margin).
   */
  peerStaleMs?: number;
}

/**
 * The room for failures that the pacers of one Venice key share, since Venice counts the key's
 * failures whatever the endpoint and whichever process sent the request: the image pacer and
 * the chat pacer (/describe) of a process, and in the scale-out mode every process's, through
 * `RoomPeers` (Redis). Other processes' requests in flight count as they hear of them, so a
 * wave of requests across processes that all fail stays within the guard too, give or take the
 * requests begun in the moment a message takes to arrive.
 *
 * A pacer `joins` with a callback for when room came back through another member's or a peer's
 * request (its answer, or its end): the pacer whose own request it was notices by itself.
 */
export class FailureRoom {
  readonly #failures: number[] = [];
  #inFlight = 0;
  /** Other processes' requests in flight, by process, with when each was last heard from. */
  readonly #peerInFlight = new Map<string, { count: number; heardAt: number }>();
  readonly #members = new Set<() => void>();
  readonly #guard: number;
  readonly #peerStaleMs: number;
  #peers: RoomPeers | undefined;

  constructor(options: FailureRoomOptions = {}) {
    this.#guard = options.guard ?? FAILURE_GUARD;
    this.#peerStaleMs = options.peerStaleMs ?? PEER_STALE_MS;
  }

  /** The most requests in flight at once (the room with no failures). */
  get guard(): number {
    return this.#guard;
  }

  /** Requests let through here and not yet ended, of every pacer in the room (not the peers'). */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Tells the other processes on the key of each request and failure here (the scale-out mode). */
  shareWith(peers: RoomPeers): void {
    this.#peers = peers;
  }

  /** `onRoom` is called when another member's or a peer's request ended (a pacer joins for its lifetime). */
  join(onRoom: () => void): void {
    this.#members.add(onRoom);
  }

  /** Failed answers in the last 30 s, the older ones forgotten. */
  recentFailures(now: number): number {
    while (this.#failures.length > 0 && this.#failures[0]! <= now - FAILURE_WINDOW_MS) this.#failures.shift();
    return this.#failures.length;
  }

  /** Other processes' requests in flight, as last heard; peers silent too long are forgotten. */
  #peersInFlight(now: number): number {
    let sum = 0;
    for (const [peer, entry] of this.#peerInFlight) {
      if (entry.heardAt <= now - this.#peerStaleMs) this.#peerInFlight.delete(peer);
      else sum += entry.count;
    }
    return sum;
  }

  /** Requests that may still go before those in flight (here and at the peers), all failing, could take the failures past the guard. */
  room(now: number): number {
    return this.#guard - this.recentFailures(now) - this.#inFlight - this.#peersInFlight(now);
  }

  /**
   * When room comes back without an answer to say so: the oldest failure ages out, or a silent
   * peer's requests are forgotten. Undefined when neither can happen.
   */
  roomReturnsAt(now: number): number | undefined {
    this.#peersInFlight(now); // forgets the silent peers first
    let at = this.oldestFailureAgesOutAt(now);
    for (const entry of this.#peerInFlight.values()) if (entry.count > 0) at = Math.min(at ?? Infinity, entry.heardAt + this.#peerStaleMs);
    return at;
  }

  /** When the oldest failure of the window ages out, or undefined with none. */
  oldestFailureAgesOutAt(now: number): number | undefined {
    return this.recentFailures(now) > 0 ? this.#failures[0]! + FAILURE_WINDOW_MS : undefined;
  }

  sent(): void {
    this.#inFlight++;
    this.#peers?.inFlight(this.#inFlight);
  }

  /** A request of `by` ended (answered or given up): the other members hear of the room it gave back. */
  ended(by: () => void): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    this.#peers?.inFlight(this.#inFlight);
    for (const member of this.#members) if (member !== by) member();
  }

  /** A failed answer seen here; returns the failures of the last 30 s with it. */
  failed(now: number): number {
    this.#failures.push(now);
    this.#peers?.failed();
    return this.recentFailures(now);
  }

  /**
   * Another process on the key has `count` requests in flight now (its own count, as it last
   * told it). Fewer than before gives room back here, and the members look again.
   */
  peerInFlight(peer: string, count: number, now: number): void {
    if (!Number.isInteger(count) || count < 0) return;
    const before = this.#peerInFlight.get(peer)?.count ?? 0;
    this.#peerInFlight.set(peer, { count, heardAt: now });
    if (count < before) this.#notifyAll();
  }

  /**
   * Another process on the key saw a failure: it counts towards Venice's block all the same.
   * The members look again (their timers for the oldest failure to age out move).
   */
  peerFailed(now: number): void {
    this.#failures.push(now);
    // Kept in order: a peer's report can come after a later failure of ours.
    this.#failures.sort((a, b) => a - b);
    this.#notifyAll();
  }

  #notifyAll(): void {
    for (const member of this.#members) member();
  }
}
