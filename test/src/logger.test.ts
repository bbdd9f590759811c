import { Writable } from 'node:stream';
import { DiscordAPIError } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { discordMultipart } from '../../src/discord/multipart.js';
import { createLogger, makeScrubber, type Logger } from '../../src/logger.js';

const discordToken = 'test-discord-token.not-a-real-one.discord-bot-token-secret-part';
const veniceKey = 'VENICE-INFERENCE-KEY-abcdef0123456789';
const interactionToken = 'aW50ZXJhY3Rpb246MTI5ODc2NTQzMjEwOTg3NjU0MzpzZWNyZXQtdG9rZW4tdGV4dA';
const webhookToken = 'Wh00k_t0ken-for.follow-ups_0123456789';
const callbackUrl = `https://discord.com/api/v10/interactions/1298765432109876543/${interactionToken}/callback`;
const followUpUrl = `https://discord.com/api/v10/webhooks/1200000000000000000/${webhookToken}/messages/@original`;
const secrets = [discordToken, veniceKey, interactionToken, webhookToken];

/** A logger writing to memory, and everything it wrote so far. */
function capture(): { log: Logger; output: () => string; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const log = createLogger({ level: 'debug', secrets: [discordToken, veniceKey], destination });
  const output = () => chunks.join('');
  return { log, output, lines: () => output().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) };
}

function expectNoSecret(text: string): void {
  for (const secret of secrets) expect(text).not.toContain(secret);
}

describe('what the log never shows', () => {
  it('hides the bot token and the Venice key quoted in a message', () => {
    const { log, output, lines } = capture();
    log.info(`connecting with ${discordToken} and ${veniceKey}`);
    log.warn('retrying with key %s', veniceKey);
    expectNoSecret(output());
    expect(lines()[0]?.['msg']).toBe('connecting with [redacted] and [redacted]');
  });

  it('hides authorization headers and token fields by path', () => {
    const { log, output, lines } = capture();
    log.info({ headers: { authorization: `Bearer ${veniceKey}` } }, 'request');
    log.info({ req: { headers: { authorization: `Bot ${discordToken}` } } }, 'request');
    log.info({ authorization: `Bearer ${veniceKey}`, token: discordToken, apiKey: veniceKey }, 'request');
    log.info({ config: { DISCORD_TOKEN: discordToken, VENICE_API_KEY: veniceKey, LOG_LEVEL: 'info' } }, 'config loaded');
    expectNoSecret(output());
    expect(lines()[0]?.['headers']).toEqual({ authorization: '[redacted]' });
    expect(lines()[3]?.['config']).toEqual({ DISCORD_TOKEN: '[redacted]', VENICE_API_KEY: '[redacted]', LOG_LEVEL: 'info' });
  });

  it('hides interaction and webhook tokens inside URLs, keeping the ids', () => {
    const { log, output, lines } = capture();
    log.warn(`POST ${callbackUrl} failed`);
    log.warn({ url: followUpUrl }, 'follow-up failed');
    expectNoSecret(output());
    expect(lines()[0]?.['msg']).toBe('POST https://discord.com/api/v10/interactions/1298765432109876543/[redacted]/callback failed');
    expect(lines()[1]?.['url']).toBe('https://discord.com/api/v10/webhooks/1200000000000000000/[redacted]/messages/@original');
  });

  it('hides secrets inside an error, its stack and its cause', () => {
    const { log, output, lines } = capture();
    const err = new Error(`Venice rejected key ${veniceKey}`, { cause: new Error(`while posting to ${callbackUrl}`) });
    log.error({ err, errorId: 'a1b2c3d4' }, 'command failed');
    log.error(new Error(`login failed for ${discordToken}`), 'login failed');
    expectNoSecret(output());
    const [first, second] = lines();
    expect((first?.['err'] as { message: string }).message).toContain('Venice rejected key [redacted]');
    expect(first?.['errorId']).toBe('a1b2c3d4');
    expect((second?.['err'] as { message: string }).message).toBe('login failed for [redacted]');
  });

  it('hides the token in the URL of a discord.js API error', () => {
    const { log, output, lines } = capture();
    const err = new DiscordAPIError({ code: 10062, message: 'Unknown interaction' }, 10062, 404, 'POST', callbackUrl, { body: { type: 5 } });
    log.warn({ err }, 'could not defer the interaction');
    expectNoSecret(output());
    expect(lines()[0]?.['err']).toMatchObject({ message: 'Unknown interaction', url: expect.stringContaining('/interactions/1298765432109876543/[redacted]/callback') });
  });

  it('hides secrets in the bindings of a child logger', () => {
    const { log, output } = capture();
    log.child({ token: interactionToken, url: callbackUrl }).info('interaction received');
    expectNoSecret(output());
  });

  it('still logs an error whose properties refer to themselves or hold a bigint', () => {
    const { log, output, lines } = capture();
    const err = new Error(`request with ${veniceKey} failed`) as Error & { context?: unknown; size?: bigint };
    const context: Record<string, unknown> = { path: '/image/generate' };
    context['self'] = context;
    err.context = context;
    err.size = 10n;
    expect(() => log.error({ err }, 'variant failed')).not.toThrow();
    expectNoSecret(output());
    expect(lines()[0]?.['msg']).toBe('variant failed');
    expect((lines()[0]?.['err'] as { message: string }).message).toBe('request with [redacted] failed');
  });

  it('logs a rejection that is not an Error at all', () => {
    const { log, output, lines } = capture();
    expect(() => log.error({ err: undefined }, 'unhandled rejection')).not.toThrow();
    expect(() => log.error({ err: `plain text with ${veniceKey}` }, 'unhandled rejection')).not.toThrow();
    expectNoSecret(output());
    expect(lines()).toHaveLength(2);
  });
});

describe('the scrubber', () => {
  it('ignores secrets too short to be real, so ordinary words survive', () => {
    const scrub = makeScrubber(['abc', veniceKey]);
    expect(scrub(`abc ${veniceKey}`)).toBe('abc [redacted]');
  });

  it('leaves short path segments alone: only token-length segments are redacted', () => {
    const scrub = makeScrubber([]);
    expect(scrub('/webhooks/123/abc/messages')).toBe('/webhooks/123/abc/messages');
  });
});

describe('what the log never holds: payloads', () => {
  const maxLine = 16 * 1024;

  /** A 413 of the kind a four-image upload gets, as discord.js builds it. */
  function uploadTooLarge(): DiscordAPIError {
    const image = () => Buffer.alloc(5_000_000, 0x89);
    return new DiscordAPIError(
      { code: 40005, message: 'Request entity too large' },
      40005,
      413,
      'POST',
      'https://discord.com/api/v10/channels/1200000000000000001/messages',
      {
        files: [1, 2, 3, 4].map((n) => ({ name: `image-${n}.png`, data: image() })),
        body: { content: 'a prompt '.repeat(200), attachments: [0, 1, 2, 3].map((id) => ({ id, filename: `image-${id + 1}.png` })) },
      },
    );
  }

  function expectShortJsonLines(text: string): void {
    for (const line of text.trim().split('\n')) {
      expect(Buffer.byteLength(line)).toBeLessThan(maxLine);
      expect(() => JSON.parse(line) as unknown).not.toThrow();
    }
  }

  it('logs a failed upload with its status and code, and only the size of what was sent', () => {
    const { log, output, lines } = capture();
    log.error({ err: uploadTooLarge(), channelId: '1200000000000000001' }, 'could not post the images');
    expectShortJsonLines(output());
    const [line] = lines();
    expect(line?.['msg']).toBe('could not post the images');
    expect(line?.['err']).toMatchObject({ status: 413, code: 40005, method: 'POST', message: 'Request entity too large', requestBody: { files: 4, bytes: 20_000_000 } });
    expect(output()).not.toContain('a prompt a prompt');
  });

  it("logs the bot's own multipart upload refused the same way: how many files and bytes, never the bytes", () => {
    const files = [1, 2, 3, 4].map((n) => ({ name: `image-${n}.png`, data: Buffer.alloc(5_000_000, 0x89) }));
    const body = discordMultipart(files, { content: 'a prompt '.repeat(200) });
    // What BotRest hands discord.js, so what its error keeps: no files, the body as the JSON.
    const err = new DiscordAPIError({ code: 40005, message: 'Request entity too large' }, 40005, 413, 'PATCH', 'https://discord.com/api/v10/webhooks/1/t/messages/@original', { body });
    const { log, output, lines } = capture();
    log.error({ err }, 'could not post the images');
    expectShortJsonLines(output());
    expect(lines()[0]?.['err']).toMatchObject({ status: 413, code: 40005, requestBody: { files: 4, bytes: 20_000_000 } });
    expect(output()).not.toContain('a prompt a prompt');
  });

  it('keeps the facts of an error nested as a cause, without its payload', () => {
    const { log, output, lines } = capture();
    const wrapped = new Error('delivery failed', { cause: uploadTooLarge() });
    log.error({ err: wrapped }, 'job failed');
    expectShortJsonLines(output());
    const err = lines()[0]?.['err'] as { message: string; cause: Record<string, unknown> };
    expect(err.message).toContain('delivery failed');
    expect(err.cause).toMatchObject({ status: 413, code: 40005, requestBody: { files: 4, bytes: 20_000_000 } });
  });

  it('writes a Buffer on an error as its size and cuts a very long string', () => {
    const { log, output, lines } = capture();
    const err = Object.assign(new Error('Venice answered 500'), { body: Buffer.alloc(3_000_000), responseText: 'x'.repeat(100_000) });
    log.error({ err }, 'request failed');
    expectShortJsonLines(output());
    const logged = lines()[0]?.['err'] as { body: string; responseText: string };
    expect(logged.body).toBe('[3000000 bytes]');
    expect(logged.responseText.length).toBeLessThan(2_100);
    expect(logged.responseText).toMatch(/\[100000 chars\]$/);
  });

  it('redacts a secret before cutting the string it sits in, so no half of it is left', () => {
    const { log, output } = capture();
    const text = `${'z'.repeat(1_990)}${veniceKey} and more`;
    log.error({ err: Object.assign(new Error('failed'), { responseText: text }) }, 'request failed');
    expect(output()).not.toContain(veniceKey.slice(0, 10));
  });

  it('shortens any line over 16 KB to JSON that keeps the level, message and short fields', () => {
    const { log, output, lines } = capture();
    log.warn({ jobId: 'job-1', payload: { text: 'y'.repeat(200_000) } }, 'odd payload');
    expectShortJsonLines(output());
    expect(lines()[0]).toMatchObject({ level: 40, msg: 'odd payload', jobId: 'job-1', truncated: true });
    expect(lines()[0]?.['originalBytes']).toBeGreaterThan(200_000);
    expect(lines()[0]).not.toHaveProperty('payload');
  });

  it('leaves an ordinary line exactly as pino wrote it', () => {
    const { log, lines } = capture();
    log.info({ jobId: 'job-2', bytes: 1234 }, 'posted');
    expect(lines()[0]).toMatchObject({ jobId: 'job-2', bytes: 1234, msg: 'posted' });
    expect(lines()[0]).not.toHaveProperty('truncated');
  });
});
