import { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { VeniceRateLimiter } from './rate-limiter.js';

/**
 * Venice's rate limits are per API key, so every process of the scale-out mode spends the same
 * window. Each one's pacer learns the window from Venice's own headers (which count the whole
 * key); through Redis they also hear at once of each other's requests (one fewer left), pauses
 * (a 429's Retry-After, the guard against Venice's failure lockout) and failed answers (which
 * Venice's 30-second block counts for the key, whichever process had them), so they neither
 * spend the same last requests of a window nor knock on a door Venice has just closed. Each
 * also tells the others how many requests it has in flight whenever that changes, so the room
 * for failures counts every process's (see `FailureRoom`).
 *
 * Messages are relative (`pause:<ms>`, not a time), so hosts' clocks need not agree.
 */
export class SharedPacing {
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #channel: string;
  readonly #me: string;
  readonly #log: Logger;

  private constructor(publisher: Redis, subscriber: Redis, channel: string, me: string, log: Logger) {
    this.#publisher = publisher;
    this.#subscriber = subscriber;
    this.#channel = channel;
    this.#me = me;
    this.#log = log;
  }

  /** Connects `pacer` to every other process's on the same Redis and prefix. */
  static async connect(pacer: VeniceRateLimiter, options: { redisUrl: string; prefix: string; owner: string; log: Logger }): Promise<SharedPacing> {
    const settings = { lazyConnect: true, maxRetriesPerRequest: 1, autoResendUnfulfilledCommands: false };
    const publisher = new Redis(options.redisUrl, { ...settings, enableOfflineQueue: false });
    const subscriber = new Redis(options.redisUrl, settings);
    for (const connection of [publisher, subscriber]) connection.on('error', (err: unknown) => options.log.warn({ err }, 'redis connection error (pacing)'));
    const channel = `${options.prefix}pace`;
    try {
      await publisher.connect();
      await subscriber.connect();
      await subscriber.subscribe(channel);
    } catch (err) {
      publisher.disconnect();
      subscriber.disconnect();
      throw err;
    }
    const shared = new SharedPacing(publisher, subscriber, channel, options.owner, options.log);
    subscriber.on('message', (_channel: string, message: string) => {
      const [from, what, value] = message.split(' ');
      if (from === options.owner) return;
      if (what === 'sent') pacer.peerSent();
      else if (what === 'pause') pacer.peerPaused(Number(value));
      else if (what === 'failed') pacer.peerFailed();
      else if (what === 'inflight' && from !== undefined) pacer.peerInFlight(from, Number(value));
    });
    pacer.shareWith({ sent: () => shared.#tell('sent'), paused: (ms) => shared.#tell(`pause ${Math.ceil(ms)}`) });
    // Every request and failure on the key, the chat pacer's too: Venice's block counts them all.
    pacer.failureRoom.shareWith({ inFlight: (count) => shared.#tell(`inflight ${count}`), failed: () => shared.#tell('failed') });
    return shared;
  }

  #tell(what: string): void {
    // Best effort: a lost message costs at most a 429 (which the pacer then handles), or a count
    // of requests in flight off until the next one (each carries the whole count).
    this.#publisher.publish(this.#channel, `${this.#me} ${what}`).catch((err: unknown) => this.#log.debug({ err }, 'could not tell the other processes of a Venice request'));
  }

  close(): void {
    this.#subscriber.disconnect();
    this.#publisher.disconnect();
  }
}
