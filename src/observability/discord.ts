import { RESTEvents, Status, type Client, type RateLimitData, type ResponseLike } from 'discord.js';
import type { DiscordMetrics } from './metrics.js';

/**
 * Counts the Discord REST answers that went wrong (429s included) and the requests discord.js
 * held back for a rate limit. The route is not a label: discord.js leaves interaction tokens
 * in it. Returns the unsubscribe.
 */
export function instrumentDiscordRest(client: Client, metrics: DiscordMetrics): () => void {
  const onResponse = (request: { method: string }, response: ResponseLike): void => {
    // Under fetch discord.js hands listeners a clone of the answer, whose unread body would be
    // buffered for nothing; under Node's undici it is the answer itself (no `cancel`), whose
    // body discord.js still has to read: never read it here.
    const body = response.body as { cancel?: () => Promise<void> } | null;
    if (body && typeof body.cancel === 'function') void body.cancel().catch(() => undefined);
    if (response.status >= 400) metrics.discordRestError(request.method, response.status);
  };
  const onRateLimited = (info: RateLimitData): void => metrics.discordRateLimited(info.global, info.scope);
  client.rest.on(RESTEvents.Response, onResponse);
  client.rest.on(RESTEvents.RateLimited, onRateLimited);
  return () => {
    client.rest.off(RESTEvents.Response, onResponse);
    client.rest.off(RESTEvents.RateLimited, onRateLimited);
  };
}

/** Each shard's last heartbeat round trip in ms (-1 until the first one). */
export function* shardPings(client: Client): Iterable<[number, number]> {
  for (const [id, shard] of client.ws.shards) yield [id, shard.ping];
}

/** Whether every shard this process runs is connected and has received its guilds. */
export function gatewayReady(client: Client): boolean {
  return client.ws.shards.size > 0 && client.ws.shards.every((shard) => shard.status === Status.Ready);
}

/**
 * discord.js's Client options for `SHARD_COUNT`. discord.js reads its ShardingManager's own
 * `SHARD_COUNT` variable from the environment whenever `shardCount` is left at its default 1,
 * so `SHARD_COUNT=auto` there would become NaN and the client would refuse to start. Any other
 * count stops that; with `shards: 'auto'` the gateway's recommendation replaces it at login.
 */
export function shardingOptions(count: 'auto' | number, ids?: readonly number[]): { shards: 'auto' | number[]; shardCount: number } {
  if (count === 'auto') return { shards: 'auto', shardCount: 2 };
  return { shards: ids ? [...ids] : Array.from({ length: count }, (_, i) => i), shardCount: count };
}
