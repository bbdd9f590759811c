import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RESTEvents, Routes, type RateLimitData } from 'discord.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BotRest, userIdOfToken } from '../../../src/discord/rest.js';

const APP = '1180563243635179553';
const OTHER_APP = '1048291672691179556';
const CHANNEL = '1180563243635179560';

/** A Discord that answers every request at once with an empty message and no rate limits of its own. */
interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  body: string;
}

/** How many of the next requests to answer with Discord's global 429 (0.1 s). */
let globalLimited = 0;

async function listen(): Promise<{ server: Server; url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, body });
      if (globalLimited > 0) {
        globalLimited--;
        res
          .writeHead(429, { 'content-type': 'application/json', 'retry-after': '0.1', 'x-ratelimit-global': 'true', 'x-ratelimit-scope': 'global' })
          .end(JSON.stringify({ message: 'You are being rate limited.', retry_after: 0.1, global: true }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: '1', channel_id: CHANNEL, content: '' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

describe('BotRest', () => {
  let discord: Awaited<ReturnType<typeof listen>>;
  let rest: BotRest;
  let held: RateLimitData[];

  beforeEach(async () => {
    discord = await listen();
    // A cap of 2 a second makes discord.js hold the third request of a burst for the cap.
    rest = new BotRest({ api: discord.url, globalRequestsPerSecond: 2 }, (id) => id === APP).setToken('bot-token');
    held = [];
    rest.on(RESTEvents.RateLimited, (info) => held.push(info));
  });

  afterEach(async () => {
    globalLimited = 0;
    rest.clearHashSweeper();
    rest.clearHandlerSweeper();
    await new Promise((resolve) => discord.server.close(resolve));
  });

  it("sends an interaction's edits and follow-ups without holding them for the bot's global cap, in order and without the bot token", async () => {
    const edits = Array.from({ length: 6 }, (_, i) => rest.patch(Routes.webhookMessage(APP, 'interaction-token', '@original'), { body: { content: `edit ${i}` }, auth: false }));
    const followUp = rest.post(Routes.webhook(APP, 'interaction-token'), { body: { content: 'follow-up' }, auth: false });
    await Promise.all([...edits, followUp]);

    expect(held).toEqual([]);
    expect(discord.seen).toHaveLength(7);
    expect(discord.seen.every((r) => r.authorization === undefined)).toBe(true);
    // One token's edits keep their order: a late queue position never lands over the result.
    const patches = discord.seen.filter((r) => r.method === 'PATCH');
    expect(patches.map((r) => r.url)).toEqual(Array(6).fill(`/v10/webhooks/${APP}/interaction-token/messages/%40original`));
    expect(patches.map((r) => (JSON.parse(r.body) as { content: string }).content)).toEqual(['edit 0', 'edit 1', 'edit 2', 'edit 3', 'edit 4', 'edit 5']);
  });

  it("still holds the bot token's requests, and another application's webhook, to the global cap", async () => {
    await Promise.all(Array.from({ length: 3 }, () => rest.post(Routes.channelMessages(CHANNEL), { body: { content: 'hello' } })));
    expect(held.some((h) => h.global)).toBe(true);
    expect(discord.seen.filter((r) => r.url === `/v10/channels/${CHANNEL}/messages`).map((r) => r.authorization)).toEqual(Array(3).fill('Bot bot-token'));

    held = [];
    // A channel webhook is the other kind of `/webhooks/{id}/{token}`: bound to the limit like the bot.
    await Promise.all(Array.from({ length: 3 }, () => rest.post(Routes.webhook(OTHER_APP, 'webhook-token'), { body: { content: 'hi' }, auth: false })));
    expect(held.some((h) => h.global)).toBe(true);
    expect(rest.isInteractionRequest({ fullRoute: Routes.webhookMessage(APP, 'interaction-token', '@original'), auth: true })).toBe(false);
  });

  it("still waits out a 429 Discord marks global on an interaction's request, and tells the bot's REST", async () => {
    globalLimited = 1;
    const sent = await rest.patch(Routes.webhookMessage(APP, 'interaction-token', '@original'), { body: { content: 'after the limit' }, auth: false });
    expect(sent).toEqual({ id: '1', channel_id: CHANNEL, content: '' });
    // Refused once, then sent again once the limit had passed.
    expect(discord.seen.map((r) => (JSON.parse(r.body) as { content: string }).content)).toEqual(['after the limit', 'after the limit']);
    expect(held).toEqual([expect.objectContaining({ global: true, route: '/webhooks/:id/:token/messages/%40original' })]);
  });

  it("reports the interaction requests' answers to the Response listeners of the bot's REST", async () => {
    const statuses: number[] = [];
    rest.on(RESTEvents.Response, (_request, response) => statuses.push(response.status));
    await rest.patch(Routes.webhookMessage(APP, 'interaction-token', '@original'), { body: { content: 'x' }, auth: false });
    await rest.post(Routes.channelMessages(CHANNEL), { body: { content: 'y' } });
    expect(statuses).toEqual([200, 200]);
  });
});

describe('userIdOfToken', () => {
  it("reads the bot's id from the first part of a token, and nothing from a token not shaped so", () => {
    expect(userIdOfToken(`${Buffer.from(APP).toString('base64')}.GhI3kL.not-a-real-hmac`)).toBe(APP);
    expect(userIdOfToken('test-token-not-real')).toBeUndefined();
    expect(userIdOfToken('')).toBeUndefined();
  });
});
