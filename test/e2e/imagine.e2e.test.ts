import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { GenerateImageBody } from '../../src/venice/types.js';
import type { Probed } from '../support/discord/fake-discord.js';
import { startHarness, type Harness } from './harness.js';
import { EPHEMERAL, ephemeralOf, imageInfo, json, resultOf } from './helpers.js';

let h: Harness;
const wait = <T>(probe: () => Probed<T> | Promise<Probed<T>>, ms?: number) => h.discord.waitFor(probe, ms);
const sent = () => h.venice.generateRequests().map((r) => r.body as GenerateImageBody);

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});
beforeEach(() => {
  h.venice.reset();
});

describe('/imagine end to end', () => {
  it('defers at once, then edits the reply with the image Venice returned', async () => {
    const i = await h.discord.slashCommand('imagine', { prompt: 'a red fox' });
    const callback = await i.callback();
    expect((callback.json as { type: number }).type).toBe(5);
    const edit = await resultOf(i);
    expect(edit.files.map((f) => f.filename)).toEqual(['image-1.webp']);
    const info = await imageInfo(edit.files[0]!.data);
    expect(info).toEqual({ format: 'webp', width: 1024, height: 1024 });
    expect(json(edit).allowed_mentions?.parse).toEqual([]);
    expect(sent()).toHaveLength(1);
    expect(sent()[0]).toMatchObject({ model: 'z-image-turbo', prompt: 'a red fox', width: 1024, height: 1024, safe_mode: true, format: 'webp' });
    expect(h.discord.invalidRequests()).toEqual([]);
  });

  it('posts four attachments for four variants, one Venice request each with consecutive seeds', async () => {
    const i = await h.discord.slashCommand('imagine', { prompt: 'lighthouse at dusk', variants: 4, seed: 1000 });
    const edit = await resultOf(i);
    expect(edit.files.map((f) => f.filename)).toEqual(['image-1.webp', 'image-2.webp', 'image-3.webp', 'image-4.webp']);
    const bodies = sent();
    expect(bodies).toHaveLength(4);
    expect(bodies.map((b) => b.seed).sort((a, b) => a! - b!)).toEqual([1000, 1001, 1002, 1003]);
    for (const b of bodies) expect(b.variants).toBeUndefined();
    // Four different seeds give four different images.
    expect(new Set(edit.files.map((f) => f.data.toString('base64'))).size).toBe(4);
    const fields = json(edit).embeds?.[0]?.fields ?? [];
    expect(fields.find((f) => f.name === 'Seeds')?.value).toBe('1000, 1001, 1002, 1003');
  });

  it('spoilers exactly the image whose response Venice marked blurred', async () => {
    h.venice.script({ kind: 'ok', blurred: true }, { match: (r) => (r.body as GenerateImageBody).seed === 501 });
    const i = await h.discord.slashCommand('imagine', { prompt: 'a beach', variants: 2, seed: 500 });
    const edit = await resultOf(i);
    expect(edit.files.map((f) => f.filename)).toEqual(['image-1.webp', 'SPOILER_image-2.webp']);
  });

  it('never posts an image Venice flagged as a content violation, and tells the requester privately', async () => {
    h.venice.script({ kind: 'ok', contentViolation: true });
    const i = await h.discord.slashCommand('imagine', { prompt: 'something Venice refuses' });
    const notice = await ephemeralOf(i, wait);
    expect(json(notice).content).toMatch(/Venice refused the content/);
    expect(json(notice).flags! & EPHEMERAL).toBe(EPHEMERAL);
    const uploads = i.requests().filter((r) => r.files.length > 0);
    expect(uploads).toEqual([]);
    // The public "thinking..." placeholder is removed rather than left hanging.
    await wait(() => i.requests().find((r) => r.method === 'DELETE' && r.path.endsWith('/messages/@original')));
  });

  it('posts the other variants when one is a content violation', async () => {
    h.venice.script({ kind: 'ok', contentViolation: true }, { match: (r) => (r.body as GenerateImageBody).seed === 11 });
    const i = await h.discord.slashCommand('imagine', { prompt: 'two cats', variants: 2, seed: 10 });
    const edit = await resultOf(i);
    expect(edit.files.map((f) => f.filename)).toEqual(['image-1.webp']);
    const notice = await ephemeralOf(i, wait);
    expect(json(notice).content).toMatch(/1 of the 2 images could not be posted/);
  });

  it('refuses safe_mode:false in a normal channel without calling Venice', async () => {
    const i = await h.discord.slashCommand('imagine', { prompt: 'portrait', safe_mode: false }, { channel: 'text' });
    const reply = await ephemeralOf(i, wait);
    expect(json(reply).content).toMatch(/age-restricted channel/);
    expect(sent()).toHaveLength(0);
  });

  it('keeps safe mode on in an age-restricted channel until an admin allows turning it off', async () => {
    const i = await h.discord.slashCommand('imagine', { prompt: 'portrait', safe_mode: false }, { channel: 'nsfw' });
    const reply = await ephemeralOf(i, wait);
    expect(json(reply).content).toMatch(/admins have not allowed safe mode to be turned off/);
    expect(sent()).toHaveLength(0);
  });

  it('allows safe_mode:false in an age-restricted channel the admins opened, and in its threads', async () => {
    const admin = await h.discord.slashCommand('settings', { allow: true, channel: 'nsfw' }, { user: 'admin', subcommand: 'nsfw' });
    await wait(() => admin.requests().find((r) => r.method === 'PATCH' && /Saved/.test(json(r).content ?? '')));
    for (const channel of ['nsfw', 'nsfwThread'] as const) {
      h.venice.reset();
      const i = await h.discord.slashCommand('imagine', { prompt: 'portrait', safe_mode: false }, { channel });
      const edit = await resultOf(i);
      expect(edit.files).toHaveLength(1);
      expect(sent()[0]?.safe_mode).toBe(false);
    }
  });

  it('forces safe mode on in a thread of a normal channel', async () => {
    const i = await h.discord.slashCommand('imagine', { prompt: 'portrait', safe_mode: false }, { channel: 'thread' });
    await ephemeralOf(i, wait);
    expect(sent()).toHaveLength(0);
  });

  it('echoes a prompt containing @everyone without pinging anyone', async () => {
    const i = await h.discord.slashCommand('imagine', { prompt: '@everyone look at <@&123456789012345678> this' });
    const edit = await resultOf(i);
    expect(json(edit).embeds?.[0]?.description).toContain('@everyone');
    expect(json(edit).allowed_mentions).toEqual(expect.objectContaining({ parse: [] }));
  });

  it('refuses a prompt longer than the model allows before spending anything', async () => {
    const i = await h.discord.slashCommand('imagine', { prompt: 'x'.repeat(1600), model: 'venice-sd35' });
    const reply = await ephemeralOf(i, wait);
    expect(json(reply).content).toMatch(/1600 characters.*at most 1500/);
    expect(sent()).toHaveLength(0);
  });

  it('sends aspect_ratio and resolution to a model that sizes by ratio', async () => {
    const i = await h.discord.slashCommand('imagine', { prompt: 'skyline', model: 'nano-banana-2', aspect_ratio: '16:9', resolution: '2K' });
    const edit = await resultOf(i);
    expect(edit.files).toHaveLength(1);
    const body = sent()[0]!;
    expect(body).toMatchObject({ model: 'nano-banana-2', aspect_ratio: '16:9', resolution: '2K' });
    expect(body.width).toBeUndefined();
    expect(body.height).toBeUndefined();
    const info = await imageInfo(edit.files[0]!.data);
    expect(info.width! / info.height!).toBeCloseTo(16 / 9, 1);
  });

  it('snaps a pixel size to the model divisor', async () => {
    const i = await h.discord.slashCommand('imagine', { prompt: 'valley', model: 'venice-sd35', aspect_ratio: '1000x700' });
    const edit = await resultOf(i);
    expect(sent()[0]).toMatchObject({ width: 992, height: 688 });
    expect(await imageInfo(edit.files[0]!.data)).toMatchObject({ width: 992, height: 688 });
  });

  it('adds a notice naming the replacement of a deprecated model', async () => {
    h.venice.script({ kind: 'ok', deprecation: { warning: 'This model is deprecated', date: '2026-12-31T00:00:00.000Z', replacement: 'z-image-turbo' } });
    const i = await h.discord.slashCommand('imagine', { prompt: 'an owl' });
    const edit = await resultOf(i);
    expect(json(edit).content).toMatch(/deprecated.*Dec 31, 2026.*`z-image-turbo`/);
  });

  it('posts the images that succeeded and says which one failed', async () => {
    h.venice.script({ kind: 'error', status: 400, body: { error: 'Prompt rejected' } }, { match: (r) => (r.body as GenerateImageBody).seed === 71 });
    const i = await h.discord.slashCommand('imagine', { prompt: 'two dogs', variants: 2, seed: 70 });
    const edit = await resultOf(i);
    expect(edit.files.map((f) => f.filename)).toEqual(['image-1.webp']);
    expect(json(edit).content).toMatch(/Image 2 \(seed 71\) failed: Venice refused the request\. Change the options and try again\. Venice said: “Prompt rejected”/);
  });

  it('retries a 429 after its Retry-After and then succeeds', async () => {
    h.venice.script({ kind: 'error', status: 429, retryAfterSeconds: 1 });
    const i = await h.discord.slashCommand('imagine', { prompt: 'a kite' });
    const edit = await resultOf(i);
    expect(edit.files).toHaveLength(1);
    const [first, second] = h.venice.generateRequests();
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(950);
  });
});

describe('/imagine errors from Venice', () => {
  // Each test starts with a fresh bot: the failures one test provokes would otherwise count
  // towards the pacer's guard against Venice's 30-second block in the next.
  beforeEach(async () => {
    await h.close();
    h = await startHarness();
  });

  const cases: Array<[string, Parameters<Harness['venice']['script']>[0], RegExp]> = [
    ['400 with Venice text', { kind: 'error', status: 400, body: { error: 'Invalid request parameters', details: { _errors: [], width: { _errors: ['Number must be less than or equal to 1280'] } } } }, /Venice refused the request\. Change the options and try again\. Venice said: “Invalid request parameters \(width: Number must be less than or equal to 1280\)”/],
    ['401', { kind: 'error', status: 401 }, /VENICE_API_KEY/],
    ['401 Pro only', { kind: 'error', status: 401, body: { error: 'This model is only available to Pro users' } }, /Pro accounts/],
    ['402', { kind: 'error', status: 402 }, /out of credit/],
    ['403', { kind: 'error', status: 403 }, /not available to the bot's Venice account/],
    ['404', { kind: 'error', status: 404 }, /does not know this model/],
    ['413', { kind: 'error', status: 413 }, /too large/],
    ['415', { kind: 'error', status: 415 }, /bug in the bot/],
    ['500', { kind: 'error', status: 500 }, /failed while generating/],
    ['503', { kind: 'error', status: 503 }, /at capacity/],
    ['malformed JSON', { kind: 'malformed-json' }, /could not read/],
    ['truncated base64', { kind: 'truncated-base64' }, /could not read/],
    // Venice may already have billed a request whose connection dropped: not retried, and said so.
    ['dropped connection', { kind: 'drop-connection' }, /connection to Venice dropped/i],
  ];

  it.each(cases)('%s ends in an ephemeral message saying what to do', async (_name, response, expected) => {
    // Retryable failures are scripted for every attempt, so the bot exhausts its retries.
    h.venice.script(response, { times: Infinity });
    const i = await h.discord.slashCommand('imagine', { prompt: 'a storm' });
    const reply = await ephemeralOf(i, wait);
    expect(json(reply).content).toMatch(expected);
    expect(json(reply).flags! & EPHEMERAL).toBe(EPHEMERAL);
    expect(i.requests().filter((r) => r.files.length > 0)).toEqual([]);
  });

  it('retries 500, 503 and 429 a bounded number of times, and neither a 400 nor a connection dropped after sending', async () => {
    for (const [response, attempts] of [
      [{ kind: 'error', status: 503 }, 4],
      // Waiting out a rate limit costs nothing, so 429s get more attempts than failures do.
      [{ kind: 'error', status: 429, resetRequests: String(Date.now() + 50) }, 8],
      [{ kind: 'drop-connection' }, 1],
      [{ kind: 'error', status: 400 }, 1],
    ] as const) {
      h.venice.reset();
      h.venice.script(response, { times: Infinity });
      const i = await h.discord.slashCommand('imagine', { prompt: 'rain' });
      await ephemeralOf(i, wait);
      expect(h.venice.generateRequests()).toHaveLength(attempts);
    }
  });

  it('keeps running after failures of every kind: the next command still works', async () => {
    for (const response of [{ kind: 'error', status: 400 }, { kind: 'drop-connection' }, { kind: 'malformed-json' }, { kind: 'truncated-base64' }, { kind: 'error', status: 402 }] as const) {
      h.venice.script(response);
      await ephemeralOf(await h.discord.slashCommand('imagine', { prompt: 'in the storm' }), wait);
    }
    const i = await h.discord.slashCommand('imagine', { prompt: 'after the storm' });
    const edit = await resultOf(i);
    expect(edit.files).toHaveLength(1);
  });
});
