import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';
import { ephemeralOf, imageInfo, json } from './helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('the OpenAI-compatible mode', () => {
  it('generates through POST /images/generations, one request per variant', async () => {
    h = await startHarness({ env: { VENICE_API_MODE: 'openai' } });
    const i = await h.discord.slashCommand('imagine', { prompt: 'a paper boat', aspect_ratio: '16:9', variants: 2 });
    const edit = await i.originalEdit();
    expect(edit.files.map((f) => f.filename)).toEqual(['image-1.webp', 'image-2.webp']);
    expect(await imageInfo(edit.files[0]!.data)).toEqual({ format: 'webp', width: 1792, height: 1024 });
    const calls = h.venice.requests.filter((r) => r.method === 'POST');
    expect(calls.map((r) => r.path)).toEqual(['/images/generations', '/images/generations']);
    expect(calls[0]!.body).toEqual({ prompt: 'a paper boat', n: 1, size: '1792x1024', output_format: 'webp', moderation: 'auto', response_format: 'b64_json' });
  });

  it('refuses options the endpoint cannot express, naming them', async () => {
    h = await startHarness({ env: { VENICE_API_MODE: 'openai' } });
    const i = await h.discord.slashCommand('imagine', { prompt: 'a paper boat', negative_prompt: 'water', seed: 4 });
    const reply = await ephemeralOf(i, (p, ms) => h!.discord.waitFor(p, ms));
    expect(json(reply).content).toMatch(/cannot take `negative_prompt`, `seed`/);
    expect(h.venice.requests.filter((r) => r.method === 'POST')).toEqual([]);
  });
});

describe('a Venice that rate-limits the bot for a while', () => {
  it('waits it out as a place in line: no error, one retry, and the next member queues behind with a position', async () => {
    h = await startHarness();
    h.venice.script({ kind: 'error', status: 429, resetRequests: String(Date.now() + 3_000) });
    const started = Date.now();
    const i = await h.discord.slashCommand('imagine', { prompt: 'hail' });
    await h.discord.waitFor(() => h!.venice.generateRequests().length === 1);
    const next = await h.discord.slashCommand('imagine', { prompt: 'more hail' }, { user: 'bob' });
    const queued = await next.originalEdit((r) => /In the queue: position 1, about \d+ s/.test(json(r).content ?? ''), 10_000);
    expect(queued.status).toBe(200);
    const [first, second] = await Promise.all([i.originalEdit((r) => r.files.length > 0, 20_000), next.originalEdit((r) => r.files.length > 0, 20_000)]);
    expect(first.files).toHaveLength(1);
    expect(second.files).toHaveLength(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_500);
    // One 429, then one request each: nothing hammered Venice while it asked for a pause.
    expect(h.venice.generateRequests()).toHaveLength(3);
    expect([...i.requests(), ...next.requests()].some((r) => /rate-limiting/.test(json(r).content ?? ''))).toBe(false);
  });
});

describe('a Venice that does not answer', () => {
  it('gives up after VENICE_TIMEOUT_MS and tells the user', async () => {
    h = await startHarness({ env: { VENICE_TIMEOUT_MS: '800' } });
    h.venice.script({ kind: 'hang' });
    const started = Date.now();
    const i = await h.discord.slashCommand('imagine', { prompt: 'patience' });
    const reply = await ephemeralOf(i, (p, ms) => h!.discord.waitFor(p, ms ?? 10_000));
    expect(json(reply).content).toMatch(/took too long to answer/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(750);
    // A timeout is not retried: Venice may still be working on (and billing) the first request.
    expect(h.venice.generateRequests()).toHaveLength(1);
  });
});

describe('a Venice that is down when the bot starts', () => {
  it('still starts, and /imagine says the model list is not loaded yet', async () => {
    // Port 1 on loopback refuses connections: the catalog cannot load.
    h = await startHarness({ env: { VENICE_API_URL: 'http://127.0.0.1:1/api/v1' } });
    const i = await h.discord.slashCommand('imagine', { prompt: 'anything' });
    const reply = await ephemeralOf(i, (p, ms) => h!.discord.waitFor(p, ms));
    expect(json(reply).content).toMatch(/model list from Venice is not loaded yet\. Try again in a minute/);
    const styles = await h.discord.slashCommand('styles', {});
    expect((await styles.callback()).json).toMatchObject({ type: 4, data: { content: expect.stringMatching(/style list from Venice is not loaded yet/) } });
  });
});
