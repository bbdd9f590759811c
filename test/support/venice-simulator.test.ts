import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { simulatorInpaintModels, simulatorModels, simulatorStyles, type SimInpaintModel } from './venice/catalogue.js';
import { editedImage } from './venice/images.js';
import { createRandom } from './venice/pacing.js';
import { checkAgainstSpec, loadVeniceSpec, specPointers } from './venice/spec.js';
import { startVeniceSimulator, type VeniceSimulator } from './venice/simulator.js';

interface StaticModel {
  id: string;
  type: string;
  created: number;
  model_spec: { name: string; pricing: unknown; privacy: string };
}

const staticModels = JSON.parse(
  readFileSync(new URL('../fixtures/venice-static-models.json', import.meta.url), 'utf8'),
) as StaticModel[];

let sim: VeniceSimulator;

beforeAll(async () => {
  sim = await startVeniceSimulator();
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => {
  sim.reset();
  sim.setInferenceDelay(0);
  sim.setRateLimit(undefined);
  sim.setFailureLockout(undefined);
});

function post(path: string, body: unknown, init: { key?: string | null; contentType?: string; raw?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': init.contentType ?? 'application/json' };
  const key = init.key === undefined ? sim.apiKey : init.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  return fetch(`${sim.baseUrl}${path}`, { method: 'POST', headers, body: init.raw ?? JSON.stringify(body) });
}

const generate = (body: unknown, init?: Parameters<typeof post>[2]) => post('/image/generate', body, init);

async function getJson(path: string): Promise<unknown> {
  const res = await fetch(`${sim.baseUrl}${path}`);
  expect(res.status).toBe(200);
  return res.json();
}

async function decode(bytes: Buffer): Promise<{ format: string | undefined; width: number | undefined; height: number | undefined }> {
  // toBuffer() decodes every pixel, so a truncated image fails here even when its header is intact.
  await sharp(bytes).raw().toBuffer();
  const { format, width, height } = await sharp(bytes).metadata();
  return { format, width, height };
}

describe('discovery endpoints', () => {
  it('lists 40+ image models that conform to the spec ModelResponse list', async () => {
    const list = (await getJson('/models?type=image')) as { data: { id: string }[] };
    expect(checkAgainstSpec(specPointers.modelList, list)).toEqual([]);
    expect(list.data.length).toBeGreaterThanOrEqual(40);
    const ids = list.data.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ['z-image-turbo', 'venice-sd35', 'lustify-v8', 'qwen-image-2', 'nano-banana-2', 'gpt-image-2', 'krea-v2-large', 'bria-bg-remover']) {
      expect(ids).toContain(id);
    }
  });

  it('keeps names, privacy and prices of every model in the published static list', () => {
    const staticImages = staticModels.filter((m) => m.type === 'image');
    for (const published of staticImages) {
      const model = simulatorModels.find((m) => m.id === published.id);
      expect(model, published.id).toBeDefined();
      expect(model?.model_spec.name).toBe(published.model_spec.name);
      expect(model?.model_spec.privacy).toBe(published.model_spec.privacy);
      expect(model?.model_spec.pricing).toEqual(published.model_spec.pricing);
      expect(model?.created).toBe(published.created);
    }
  });

  it('carries the real constraints of the notes and one deprecated, one offline model', () => {
    const constraintsOf = (id: string) => simulatorModels.find((m) => m.id === id)?.model_spec.constraints;
    expect(constraintsOf('z-image-turbo')).toMatchObject({ promptCharacterLimit: 7500, steps: { default: 8, max: 8 }, widthHeightDivisor: 8 });
    expect(constraintsOf('venice-sd35')).toMatchObject({ promptCharacterLimit: 1500, steps: { default: 25, max: 30 }, widthHeightDivisor: 16 });
    expect(constraintsOf('nano-banana-2')).toMatchObject({ resolutions: ['1K', '2K', '4K'], defaultAspectRatio: '1:1' });
    expect(constraintsOf('gpt-image-2')).toMatchObject({ qualities: ['low', 'medium', 'high'] });
    expect(constraintsOf('krea-v2-large')?.aspectRatios).toHaveLength(5);
    expect(constraintsOf('bria-bg-remover')?.promptCharacterLimit).toBeUndefined();
    expect(simulatorModels.filter((m) => m.model_spec.deprecation?.date)).toHaveLength(1);
    expect(simulatorModels.filter((m) => m.model_spec.offline)).toHaveLength(1);
  });

  it('answers model types it does not simulate with an empty list (text models: chat-completions.test.ts)', async () => {
    expect(await getJson('/models?type=embedding')).toEqual({ object: 'list', type: 'embedding', data: [] });
  });

  it('maps traits to models, default first of all to z-image-turbo', async () => {
    const traits = (await getJson('/models/traits?type=image')) as { data: Record<string, string> };
    expect(checkAgainstSpec(specPointers.modelTraits, traits)).toEqual([]);
    expect(traits.data).toMatchObject({ default: 'z-image-turbo', fastest: 'z-image-turbo', most_uncensored: 'lustify-v8', highest_quality: 'qwen-image' });
  });

  it('lists 100+ distinct styles, starting with the spec example', async () => {
    const styles = (await getJson('/image/styles')) as { data: string[] };
    expect(checkAgainstSpec(specPointers.imageStyles, styles)).toEqual([]);
    expect(styles.data).toEqual(simulatorStyles);
    expect(styles.data.length).toBeGreaterThanOrEqual(100);
    expect(new Set(styles.data).size).toBe(styles.data.length);
    const spec = loadVeniceSpec() as { paths: Record<string, { get: { responses: { 200: { content: { 'application/json': { schema: { properties: { data: { example: string[] } } } } } } } } }> };
    const example = spec.paths['/image/styles']?.get.responses[200].content['application/json'].schema.properties.data.example;
    expect(styles.data.slice(0, example?.length)).toEqual(example);
  });

  it('reads the spec as YAML 1.2, so ratios stay strings', () => {
    const text = readFileSync(new URL('../fixtures/venice-openapi.yaml', import.meta.url), 'utf8');
    expect(parse('r: 16:9')).toEqual({ r: '16:9' });
    expect(text).toContain('GenerateImageRequest');
  });
});

describe('POST /image/generate', () => {
  it('returns N decodable images of the requested format and size, with the spec headers', async () => {
    const res = await generate({ model: 'z-image-turbo', prompt: 'a lighthouse', width: 512, height: 768, format: 'png', variants: 3, seed: 7 });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { images: string[]; request: unknown };
    expect(checkAgainstSpec(specPointers.generateImageResponse, body)).toEqual([]);
    expect(body.images).toHaveLength(3);
    for (const image of body.images) {
      expect(await decode(Buffer.from(image, 'base64'))).toEqual({ format: 'png', width: 512, height: 768 });
    }
    expect(new Set(body.images).size).toBe(3);
    expect(body.request).toMatchObject({ prompt: 'a lighthouse', seed: 7 });
    expect(res.headers.get('x-venice-is-blurred')).toBe('false');
    expect(res.headers.get('x-venice-is-content-violation')).toBe('false');
    expect(res.headers.get('x-ratelimit-limit-requests')).toBe('1000000');
    expect(Number(res.headers.get('x-ratelimit-remaining-requests'))).toBe(1_000_000 - 3);
    expect(Number(res.headers.get('x-ratelimit-reset-requests'))).toBeGreaterThan(Date.now());
    expect(res.headers.get('x-venice-balance-usd')).toMatch(/^\d+\.\d+$/);
    expect(res.headers.get('x-balance-remaining')).toMatch(/^\d+\.\d{6}$/);
    expect(res.headers.get('cf-ray')).toMatch(/^[0-9a-f]{16}-[A-Z]{3}$/);
    expect(res.headers.get('x-venice-deprecated')).toBeNull();
  });

  it('defaults to one 1024x1024 webp, and the seed decides the bytes', async () => {
    const images = async (seed: number) => {
      const res = await generate({ model: 'z-image-turbo', prompt: 'fox', seed });
      return ((await res.json()) as { images: string[] }).images;
    };
    const [a] = await images(1);
    const [again] = await images(1);
    const [b] = await images(2);
    expect(await decode(Buffer.from(a ?? '', 'base64'))).toEqual({ format: 'webp', width: 1024, height: 1024 });
    expect(again).toBe(a);
    expect(b).not.toBe(a);
  });

  it('sizes aspect-ratio models from aspect_ratio and resolution', async () => {
    const res = await generate({ model: 'nano-banana-2', prompt: 'city', aspect_ratio: '16:9', resolution: '2K' });
    expect(res.status).toBe(200);
    const [image] = ((await res.json()) as { images: string[] }).images;
    expect(await decode(Buffer.from(image ?? '', 'base64'))).toEqual({ format: 'webp', width: 2048, height: 1152 });
  });

  it('answers raw bytes with the matching content-type when return_binary is true', async () => {
    const res = await generate({ model: 'venice-sd35', prompt: 'cat', width: 512, height: 512, format: 'jpeg', return_binary: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(await decode(Buffer.from(await res.arrayBuffer()))).toEqual({ format: 'jpeg', width: 512, height: 512 });
  });

  it('still serves the deprecated model, with the deprecation headers', async () => {
    const res = await generate({ model: 'hidream', prompt: 'old' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-venice-deprecated')).toBe('true');
    expect(res.headers.get('x-venice-model-deprecation-date')).toBe('2026-09-30T00:00:00.000Z');
    expect(res.headers.get('x-venice-deprecated-replacement')).toBe('z-image-turbo');
    expect(res.headers.get('x-venice-model-deprecation-warning')).toContain('hidream');
  });

  it('records every request before answering it', async () => {
    await generate({ model: 'z-image-turbo', prompt: 'one' });
    await fetch(`${sim.baseUrl}/image/styles`);
    expect(sim.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /image/generate', 'GET /image/styles']);
    expect(sim.generateRequests()[0]?.body).toEqual({ model: 'z-image-turbo', prompt: 'one' });
    expect(sim.generateRequests()[0]?.headers.authorization).toBe(`Bearer ${sim.apiKey}`);
  });
});

describe('refusals Venice would make', () => {
  const refusals: [string, Record<string, unknown>, string][] = [
    ['an unknown field', { model: 'z-image-turbo', prompt: 'x', colour: 'red' }, 'colour'],
    ['a width not divisible by 16 on venice-sd35', { model: 'venice-sd35', prompt: 'x', width: 1000 }, 'width'],
    ['width sent to an aspect-ratio model', { model: 'qwen-image-2', prompt: 'x', width: 1024 }, 'width'],
    ['an aspect ratio the model lacks', { model: 'krea-v2-large', prompt: 'x', aspect_ratio: '21:9' }, 'aspect_ratio'],
    ['a resolution the model lacks', { model: 'nano-banana-2', prompt: 'x', resolution: '8K' }, 'resolution'],
    ['a quality on a model without qualities', { model: 'z-image-turbo', prompt: 'x', quality: 'high' }, 'quality'],
    ['a prompt over the model limit', { model: 'venice-sd35', prompt: 'p'.repeat(1501) }, 'prompt'],
    ['a negative prompt over the model limit', { model: 'venice-sd35', prompt: 'x', negative_prompt: 'n'.repeat(1501) }, 'negative_prompt'],
    ['steps above the model maximum', { model: 'venice-sd35', prompt: 'x', steps: 31 }, 'steps'],
    ['a style not in the list (case-sensitive)', { model: 'z-image-turbo', prompt: 'x', style_preset: 'anime' }, 'style_preset'],
    ['variants > 1 with return_binary', { model: 'z-image-turbo', prompt: 'x', variants: 2, return_binary: true }, 'variants'],
    ['a width above 1280', { model: 'z-image-turbo', prompt: 'x', width: 1296 }, 'width'],
    ['a model that cannot generate from a prompt', { model: 'bria-bg-remover', prompt: 'x' }, 'model'],
    ['more style references than allowed', { model: 'krea-v2-large', prompt: 'x', style_references: [1, 2, 3, 4].map(() => ({ image: 'https://example.com/a.png' })) }, 'style_references'],
  ];

  it.each(refusals)('refuses %s with a DetailedError naming the field', async (_name, body, field) => {
    const res = await generate(body);
    expect(res.status).toBe(400);
    const error = (await res.json()) as { error: string; details: Record<string, { _errors: string[] }> & { _errors: string[] }; issues: unknown[] };
    expect(checkAgainstSpec(specPointers.detailedError, error)).toEqual([]);
    expect(error.error).toContain(field);
    expect(error.details._errors).toBeInstanceOf(Array);
    const fieldErrors = error.details[field]?._errors ?? error.details._errors;
    expect(fieldErrors.join(' ')).not.toBe('');
    expect(error.issues.length).toBeGreaterThan(0);
  });

  it('reports unknown fields as zod does, at the root', async () => {
    const res = await generate({ model: 'z-image-turbo', prompt: 'x', colour: 'red' });
    const error = (await res.json()) as { details: { _errors: string[] }; issues: { code: string; keys: string[] }[] };
    expect(error.details._errors).toEqual(["Unrecognized key(s) in object: 'colour'"]);
    expect(error.issues[0]).toMatchObject({ code: 'unrecognized_keys', keys: ['colour'] });
  });

  it('puts field errors under details.<field>._errors', async () => {
    const res = await generate({ model: 'venice-sd35', prompt: 'x', width: 1000 });
    const error = (await res.json()) as { details: { _errors: string[]; width: { _errors: string[] } } };
    expect(error.details._errors).toEqual([]);
    expect(error.details.width._errors).toEqual(['width must be divisible by 16 for model venice-sd35']);
  });

  it('answers 404 for an unknown model', async () => {
    const res = await generate({ model: 'no-such-model', prompt: 'x' });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'Specified model not found' });
  });

  it('answers 401 for a wrong key and 402 with x402 discovery for none', async () => {
    const wrong = await generate({ model: 'z-image-turbo', prompt: 'x' }, { key: 'nope' });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: 'Authentication failed' });
    const none = await generate({ model: 'z-image-turbo', prompt: 'x' }, { key: null });
    expect(none.status).toBe(402);
    expect(checkAgainstSpec(specPointers.x402PaymentRequired, await none.json())).toEqual([]);
    expect(none.headers.get('payment-required')).toBeTruthy();
  });

  it('answers 415 for a wrong content-type and 400 for broken JSON', async () => {
    const wrongType = await generate(null, { contentType: 'text/plain', raw: 'prompt=x' });
    expect(wrongType.status).toBe(415);
    expect(checkAgainstSpec(specPointers.standardError, await wrongType.json())).toEqual([]);
    const broken = await generate(null, { raw: '{"model": ' });
    expect(broken.status).toBe(400);
    expect(checkAgainstSpec(specPointers.detailedError, await broken.json())).toEqual([]);
  });

  it('answers 503 for an offline model', async () => {
    const res = await generate({ model: 'pony-realism', prompt: 'x' });
    expect(res.status).toBe(503);
    expect(checkAgainstSpec(specPointers.standardError, await res.json())).toEqual([]);
  });
});

describe('scripting', () => {
  it('marks a response blurred', async () => {
    sim.script({ kind: 'ok', blurred: true });
    const first = await generate({ model: 'z-image-turbo', prompt: 'x' });
    const second = await generate({ model: 'z-image-turbo', prompt: 'x' });
    expect(first.headers.get('x-venice-is-blurred')).toBe('true');
    expect(second.headers.get('x-venice-is-blurred')).toBe('false');
  });

  it('returns black images with status 200 for a content violation', async () => {
    sim.script({ kind: 'ok', contentViolation: true });
    const res = await generate({ model: 'z-image-turbo', prompt: 'x', width: 256, height: 256, variants: 2 });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-venice-is-content-violation')).toBe('true');
    const { images } = (await res.json()) as { images: string[] };
    expect(images).toHaveLength(2);
    for (const image of images) {
      const { channels } = await sharp(Buffer.from(image, 'base64')).stats();
      expect(channels.every((c) => c.max === 0)).toBe(true);
    }
  });

  it('answers 429 with Retry-After and a reset time', async () => {
    sim.script({ kind: 'error', status: 429, retryAfterSeconds: 3, resetRequests: '1767225600000' });
    const res = await generate({ model: 'z-image-turbo', prompt: 'x' });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(res.headers.get('x-ratelimit-reset-requests')).toBe('1767225600000');
    expect(res.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(await res.json()).toEqual({ error: 'Rate limit exceeded' });
  });

  it('applies a rule only to the requests it matches, as many times as asked', async () => {
    sim.script({ kind: 'error', status: 500 }, { match: (req) => (req.body as { seed?: number }).seed === 42, times: Infinity });
    const statuses = [];
    for (const seed of [1, 42, 2, 42]) statuses.push((await generate({ model: 'z-image-turbo', prompt: 'x', seed })).status);
    expect(statuses).toEqual([200, 500, 200, 500]);
    const failed = await generate({ model: 'z-image-turbo', prompt: 'x', seed: 42 });
    expect(await failed.json()).toEqual({ error: 'Inference processing failed' });
  });

  it('drops the connection without an answer', async () => {
    sim.script({ kind: 'drop-connection' });
    await expect(generate({ model: 'z-image-turbo', prompt: 'x' })).rejects.toThrow();
    expect(sim.generateRequests()).toHaveLength(1);
  });

  it('scripts discovery too: an error on GET /models, then the list again', async () => {
    sim.script({ kind: 'error', status: 503 }, { path: '/models' });
    expect((await fetch(`${sim.baseUrl}/models?type=image`)).status).toBe(503);
    expect((await fetch(`${sim.baseUrl}/models?type=image`)).status).toBe(200);
  });

  it('cuts the base64 image in the middle', async () => {
    sim.script({ kind: 'truncated-base64' });
    const res = await generate({ model: 'z-image-turbo', prompt: 'x' });
    expect(res.status).toBe(200);
    const { images } = (await res.json()) as { images: string[] };
    await expect(decode(Buffer.from(images[0] ?? '', 'base64'))).rejects.toThrow();
  });

  it('sends a broken JSON body', async () => {
    sim.script({ kind: 'malformed-json' });
    const res = await generate({ model: 'z-image-turbo', prompt: 'x' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    await expect(res.json()).rejects.toThrow();
  });

  it('records a request that then hangs', async () => {
    sim.script({ kind: 'hang' });
    const pending = fetch(`${sim.baseUrl}/image/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sim.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'z-image-turbo', prompt: 'x' }),
      signal: AbortSignal.timeout(200),
    });
    await expect(pending).rejects.toThrow();
    expect(sim.generateRequests()).toHaveLength(1);
  });

  it('forgets its rules on reset', async () => {
    sim.script({ kind: 'error', status: 500 }, { times: 3 });
    sim.reset();
    expect((await generate({ model: 'z-image-turbo', prompt: 'x' })).status).toBe(200);
    expect(sim.requests).toHaveLength(1);
  });

  it('closes even while a request hangs', async () => {
    const own = await startVeniceSimulator();
    own.script({ kind: 'hang' });
    const pending = fetch(`${own.baseUrl}/image/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${own.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'z-image-turbo', prompt: 'x' }),
    });
    await expect.poll(() => own.requests.length).toBe(1);
    await own.close();
    await expect(pending).rejects.toThrow();
  });

  it('waits for the inference delay', async () => {
    sim.setInferenceDelay(150);
    const started = Date.now();
    await generate({ model: 'z-image-turbo', prompt: 'x' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('adds deprecation headers on demand and scripts other paths', async () => {
    sim.script({ kind: 'ok', deprecation: { replacement: 'qwen-image-2' } });
    sim.script({ kind: 'error', status: 503 }, { path: '/images/generations' });
    const res = await generate({ model: 'z-image-turbo', prompt: 'x' });
    expect(res.headers.get('x-venice-deprecated')).toBe('true');
    expect(res.headers.get('x-venice-deprecated-replacement')).toBe('qwen-image-2');
    const openAi = await post('/images/generations', { prompt: 'x' });
    expect(openAi.status).toBe(503);
    expect(await openAi.json()).toEqual({ error: 'The model is at capacity. Please try again later.' });
  });
});

describe('rate limit', () => {
  it('enforces rateLimitPerMinute per key with a reset in Unix milliseconds', async () => {
    const limited = await startVeniceSimulator({ rateLimitPerMinute: 2 });
    try {
      const send = () =>
        fetch(`${limited.baseUrl}/image/generate`, {
          method: 'POST',
          headers: { authorization: `Bearer ${limited.apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'z-image-turbo', prompt: 'x', width: 256, height: 256 }),
        });
      expect((await send()).status).toBe(200);
      expect((await send()).status).toBe(200);
      const third = await send();
      expect(third.status).toBe(429);
      expect(await third.json()).toEqual({ error: 'Rate limit exceeded' });
      expect(third.headers.get('x-ratelimit-limit-requests')).toBe('2');
      expect(third.headers.get('x-ratelimit-remaining-requests')).toBe('0');
      const reset = Number(third.headers.get('x-ratelimit-reset-requests'));
      expect(reset).toBeGreaterThan(Date.now());
      expect(reset).toBeLessThanOrEqual(Date.now() + 60_000);
    } finally {
      await limited.close();
    }
  });
});

describe('pacing', () => {
  const small = { model: 'z-image-turbo', prompt: 'x', width: 256, height: 256 };
  const invalid = { model: 'z-image-turbo', prompt: 'x', colour: 'red' };

  async function withSimulator(options: Parameters<typeof startVeniceSimulator>[0], run: (own: VeniceSimulator) => Promise<void>): Promise<void> {
    const own = await startVeniceSimulator(options);
    try {
      await run(own);
    } finally {
      await own.close();
    }
  }

  function sender(own: VeniceSimulator): (body?: unknown, path?: string) => Promise<Response> {
    return (body = small, path = '/image/generate') =>
      fetch(`${own.baseUrl}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${own.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
  }

  /** Sleeps until a Unix-ms time, plus a little for timer granularity. */
  const until = (unixMs: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, unixMs - Date.now()) + 5));

  it('accepts exactly 5 of 6 requests in a window of 5 per 200 ms (time-scaled), then again after the reset', async () => {
    await withSimulator({ rateLimit: { requests: 5, windowMs: 4_000 }, timeScale: 0.05 }, async (own) => {
      const send = sender(own);
      const sentAt = Date.now();
      const answers = await Promise.all(Array.from({ length: 6 }, () => send()));
      expect(answers.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 429]);
      const ok = answers.filter((r) => r.status === 200);
      expect(ok.map((r) => Number(r.headers.get('x-ratelimit-remaining-requests'))).sort()).toEqual([0, 1, 2, 3, 4]);

      const refused = answers.find((r) => r.status === 429);
      expect(await refused?.json()).toEqual({ error: 'Rate limit exceeded' });
      expect(refused?.headers.get('x-ratelimit-limit-requests')).toBe('5');
      expect(refused?.headers.get('x-ratelimit-remaining-requests')).toBe('0');
      // The exact scaled end of the window in ms; Retry-After is whole seconds, rounded up.
      const reset = Number(refused?.headers.get('x-ratelimit-reset-requests'));
      expect(reset).toBeGreaterThanOrEqual(sentAt + 200);
      expect(reset).toBeLessThanOrEqual(Date.now() + 200);
      expect(refused?.headers.get('retry-after')).toBe('1');
      expect(refused?.headers.get('x-venice-balance-usd')).toMatch(/^\d+\.\d+$/);

      await until(reset);
      const again = await send();
      expect(again.status).toBe(200);
      expect(again.headers.get('x-ratelimit-remaining-requests')).toBe('4');
      expect(Number(again.headers.get('x-ratelimit-reset-requests'))).toBeGreaterThan(reset);
    });
  });

  it('counts the remaining header down by one unit per image, and 429s once it is spent', async () => {
    await withSimulator({ rateLimit: { requests: 4 } }, async (own) => {
      const send = sender(own);
      const remaining = [];
      for (const body of [small, { ...small, variants: 2 }, small, small]) {
        const res = await send(body);
        remaining.push(`${res.status}:${res.headers.get('x-ratelimit-remaining-requests')}`);
      }
      expect(remaining).toEqual(['200:3', '200:1', '200:0', '429:0']);
    });
  });

  it('scales rateLimitPerMinute, sends the reset in seconds on request, and can leave Retry-After out', async () => {
    await withSimulator({ rateLimitPerMinute: 1, timeScale: 0.01, resetUnit: 's' }, async (own) => {
      const first = await sender(own)();
      const reset = Number(first.headers.get('x-ratelimit-reset-requests'));
      expect(reset).toBe(Math.ceil((own.rateStats().windows[0]?.end ?? 0) / 1000));
      expect(own.rateStats().windows[0]).toMatchObject({ end: (own.rateStats().windows[0]?.start ?? 0) + 600 });
      expect((await sender(own)()).headers.get('retry-after')).toBe('1');
    });
    await withSimulator({ rateLimit: { requests: 0, retryAfter: false } }, async (own) => {
      const refused = await sender(own)();
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBeNull();
    });
    await expect(startVeniceSimulator({ rateLimit: { requests: 1 }, rateLimitPerMinute: 1 })).rejects.toThrow(/not both/);
  });

  it('locks the key out after more than the configured failures, and lifts the block after blockMs', async () => {
    // ×0.05: failures count within 500 ms and block for 300 ms.
    await withSimulator({ failureLockout: { failures: 3, windowMs: 10_000, blockMs: 6_000 }, timeScale: 0.05 }, async (own) => {
      const send = sender(own);
      own.script({ kind: 'error', status: 500 }, { times: 2 });
      const failures = [];
      for (const body of [small, small, invalid, invalid]) failures.push((await send(body)).status);
      // The fourth failure is the one over the limit: it still gets its own answer.
      expect(failures).toEqual([500, 500, 400, 400]);

      own.script({ kind: 'ok', blurred: true });
      const blocked = await send();
      expect(blocked.status).toBe(429);
      expect(((await blocked.json()) as { error: string }).error).toMatch(/^Too many failed attempts \(> 3\) .* Please wait 1s and try again/);
      expect(blocked.headers.get('retry-after')).toBe('1');
      expect(blocked.headers.get('x-ratelimit-remaining-requests')).toBe('0');
      const liftsAt = Number(blocked.headers.get('x-ratelimit-reset-requests'));
      expect(liftsAt).toBeGreaterThan(Date.now());
      expect(liftsAt).toBeLessThanOrEqual(Date.now() + 300);
      expect((await send({ prompt: 'x' }, '/images/generations')).status).toBe(429);

      await until(liftsAt);
      const lifted = await send();
      expect(lifted.status).toBe(200);
      // The script was not used up by the requests the block turned away.
      expect(lifted.headers.get('x-venice-is-blurred')).toBe('true');
      expect(own.rateStats()).toMatchObject({ lockouts: 1, totals: { failed: 4, blocked: 2, accepted: 1 } });
      expect(own.requests.map((r) => r.status)).toEqual([500, 500, 400, 400, 429, 429, 200]);
    });
  });

  it('draws ranged inference delays within their scaled bounds, the same for the same seed', async () => {
    // Venice's 2-6 s, ×0.02: 40-120 ms.
    await withSimulator({ inferenceDelayMs: { minMs: 2_000, maxMs: 6_000 }, timeScale: 0.02, seed: 7 }, async (own) => {
      const send = sender(own);
      for (let i = 0; i < 4; i += 1) await send();
      const held = own.requests.map((r) => (r.answeredAt ?? 0) - r.receivedAt);
      for (const ms of held) {
        expect(ms).toBeGreaterThanOrEqual(39);
        // Rendering and a loaded machine add to the draw, never take from it.
        expect(ms).toBeLessThan(120 + 250);
      }
    });
    const draws = (seed: number) => Array.from({ length: 5 }, createRandom(seed));
    expect(draws(7)).toEqual(draws(7));
    expect(draws(7)).not.toEqual(draws(8));
    expect(draws(7).every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('adds up rateStats per window: accepted, rate-limited, failed and images', async () => {
    // ×0.05: a 500 ms window of 3 image units.
    await withSimulator({ rateLimit: { requests: 3, windowMs: 10_000 }, timeScale: 0.05 }, async (own) => {
      const send = sender(own);
      const statuses = [];
      for (const body of [{ ...small, variants: 2 }, small, invalid, small]) statuses.push((await send(body)).status);
      expect(statuses).toEqual([200, 200, 400, 429]);
      await until(own.rateStats().windows[0]?.end ?? 0);
      expect((await send({ prompt: 'x', size: '256x256' }, '/images/generations')).status).toBe(200);

      const stats = own.rateStats();
      expect(stats.windows).toHaveLength(2);
      expect(stats.windows[0]).toMatchObject({ accepted: 2, rateLimited: 1, blocked: 0, failed: 2, images: 3 });
      expect(stats.windows[1]).toMatchObject({ accepted: 1, rateLimited: 0, failed: 0, images: 1 });
      expect(stats.windows[1]?.start).toBeGreaterThanOrEqual(stats.windows[0]?.end ?? Infinity);
      expect(stats.totals).toEqual({ accepted: 3, rateLimited: 1, blocked: 0, failed: 2, images: 4 });
      expect(stats.lockouts).toBe(0);
      expect(own.requests.map((r) => r.status)).toEqual([200, 200, 400, 429, 200]);
      own.reset();
      expect(own.rateStats()).toEqual({ windows: [], totals: { accepted: 0, rateLimited: 0, blocked: 0, failed: 0, images: 0 }, lockouts: 0 });
    });
  });

  it('changes the limit and the lockout at run time', async () => {
    sim.setRateLimit({ requests: 1 });
    expect((await generate(small)).status).toBe(200);
    expect((await generate(small)).status).toBe(429);
    sim.setRateLimit(undefined);
    expect((await generate(small)).headers.get('x-ratelimit-limit-requests')).toBe('1000000');
    sim.setFailureLockout({ failures: 0, windowMs: 30_000, blockMs: 30_000 });
    expect((await generate(invalid)).status).toBe(400);
    expect((await generate(small)).status).toBe(429);
    sim.setFailureLockout(undefined);
    expect((await generate(small)).status).toBe(200);
  });
});

describe('binary answers (return_binary)', () => {
  const body = { model: 'hidream', prompt: 'x', width: 256, height: 256 };
  // Per connection or per answer, not Venice's: these differ between any two answers.
  const perAnswer = new Set(['content-type', 'content-length', 'cf-ray', 'date', 'connection', 'keep-alive', 'transfer-encoding']);

  it.each([
    ['webp', 'image/webp'],
    ['png', 'image/png'],
    ['jpeg', 'image/jpeg'],
  ] as const)('answers %s bytes as %s with every header the JSON answer carries', async (format, contentType) => {
    sim.script({ kind: 'ok', blurred: true }, { times: 2 });
    const json = await generate({ ...body, format });
    const binary = await generate({ ...body, format, return_binary: true });
    expect(binary.status).toBe(200);
    expect(binary.headers.get('content-type')).toBe(contentType);
    expect(await decode(Buffer.from(await binary.arrayBuffer()))).toEqual({ format, width: 256, height: 256 });

    const names = (res: Response) => [...res.headers.keys()].filter((name) => !perAnswer.has(name)).sort();
    expect(names(binary)).toEqual(names(json));
    expect(names(binary)).toEqual(
      expect.arrayContaining([
        'x-venice-is-blurred',
        'x-venice-is-content-violation',
        'x-venice-deprecated',
        'x-venice-model-deprecation-warning',
        'x-venice-model-deprecation-date',
        'x-venice-deprecated-replacement',
        'x-venice-balance-usd',
        'x-venice-balance-diem',
        'x-balance-remaining',
        'x-ratelimit-limit-requests',
        'x-ratelimit-remaining-requests',
        'x-ratelimit-reset-requests',
      ]),
    );
    for (const name of names(json).filter((n) => n.startsWith('x-venice-') && !n.startsWith('x-venice-balance'))) {
      expect(binary.headers.get(name), name).toBe(json.headers.get(name));
    }
    expect(binary.headers.get('x-venice-is-blurred')).toBe('true');
    expect(Number(binary.headers.get('x-ratelimit-remaining-requests'))).toBe(Number(json.headers.get('x-ratelimit-remaining-requests')) - 1);
    expect(Number(binary.headers.get('x-venice-balance-usd'))).toBeLessThan(Number(json.headers.get('x-venice-balance-usd')));
  });

  it('answers a placeholder PNG for a content violation, whatever the format', async () => {
    sim.script({ kind: 'ok', contentViolation: true });
    const res = await generate({ ...body, format: 'webp', return_binary: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('x-venice-is-content-violation')).toBe('true');
    expect(res.headers.get('x-ratelimit-remaining-requests')).not.toBeNull();
  });

  it('refuses variants > 1 with return_binary as a 400 that spends no rate budget', async () => {
    const res = await generate({ ...body, variants: 2, return_binary: true });
    expect(res.status).toBe(400);
    expect(checkAgainstSpec(specPointers.detailedError, await res.json())).toEqual([]);
    expect(res.headers.get('x-ratelimit-remaining-requests')).toBe('1000000');
    expect(sim.rateStats().totals).toMatchObject({ accepted: 0, failed: 1, images: 0 });
  });
});

describe('POST /images/generations (OpenAI-compatible)', () => {
  it('answers a png b64_json at 1024x1024 by default, even for an OpenAI model id', async () => {
    const res = await post('/images/generations', { prompt: 'a robot', model: 'dall-e-3' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { created: number; data: { b64_json: string }[] };
    expect(checkAgainstSpec(specPointers.simpleGenerateImageResponse, body)).toEqual([]);
    expect(body.data).toHaveLength(1);
    expect(await decode(Buffer.from(body.data[0]?.b64_json ?? '', 'base64'))).toEqual({ format: 'png', width: 1024, height: 1024 });
    expect(res.headers.get('x-venice-is-blurred')).toBe('false');
  });

  it('answers a data: URL of the asked size and format', async () => {
    const res = await post('/images/generations', { prompt: 'a robot', size: '512x512', response_format: 'url', output_format: 'webp', moderation: 'low' });
    const { data } = (await res.json()) as { data: { url: string }[] };
    const url = data[0]?.url ?? '';
    expect(url.startsWith('data:image/webp;base64,')).toBe(true);
    expect(await decode(Buffer.from(url.split(',')[1] ?? '', 'base64'))).toEqual({ format: 'webp', width: 512, height: 512 });
  });

  it.each([
    ['n above 1', { prompt: 'x', n: 2 }, 'n'],
    ['an unknown key', { prompt: 'x', colour: 'red' }, 'colour'],
    ['a prompt over 1500 characters', { prompt: 'p'.repeat(1501) }, 'prompt'],
  ])('refuses %s', async (_name, body, field) => {
    const res = await post('/images/generations', body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toContain(field);
  });
});

describe('POST /image/upscale', () => {
  const source = () => sharp({ create: { width: 320, height: 256, channels: 3, background: { r: 10, g: 200, b: 90 } } }).png().toBuffer();

  it('returns a real PNG scaled by 2', async () => {
    const res = await post('/image/upscale', { image: (await source()).toString('base64'), scale: 2 });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(await decode(Buffer.from(await res.arrayBuffer()))).toEqual({ format: 'png', width: 640, height: 512 });
  });

  it('refuses a scale other than 2 or 4, and images under 65536 pixels', async () => {
    const badScale = await post('/image/upscale', { image: (await source()).toString('base64'), scale: 3 });
    expect(badScale.status).toBe(400);
    const tiny = await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 0, g: 0, b: 0 } } }).png().toBuffer();
    const tooSmall = await post('/image/upscale', { image: tiny.toString('base64'), scale: 2 });
    expect(tooSmall.status).toBe(400);
    expect(((await tooSmall.json()) as { error: string }).error).toContain('image');
  });
});

describe('GET /models?type=inpaint', () => {
  it('lists the 21 published edit models, conforming to the spec ModelResponse list with inpaint constraints', async () => {
    const list = (await getJson('/models?type=inpaint')) as { type: string; data: SimInpaintModel[] };
    expect(checkAgainstSpec(specPointers.modelList, list)).toEqual([]);
    expect(list.type).toBe('inpaint');
    const published = staticModels.filter((m) => m.type === 'inpaint');
    expect(published).toHaveLength(21);
    expect(list.data.map((m) => m.id).sort()).toEqual(published.map((m) => m.id).sort());
    for (const model of list.data) {
      const source = published.find((m) => m.id === model.id);
      expect(model.type).toBe('inpaint');
      expect(model.model_spec.name).toBe(source?.model_spec.name);
      expect(model.model_spec.privacy).toBe(source?.model_spec.privacy);
      expect(model.model_spec.pricing).toEqual(source?.model_spec.pricing);
      expect(model.created).toBe(source?.created);
      const c = model.model_spec.constraints;
      expect(c.aspectRatios[0], model.id).toBe('auto');
      expect(c.promptCharacterLimit).toBeGreaterThan(0);
      // Resolutions are offered exactly where the price list has them.
      const pricedResolutions = (source?.model_spec.pricing as { resolutions?: Record<string, unknown> }).resolutions;
      expect(c.resolutions, model.id).toEqual(pricedResolutions ? Object.keys(pricedResolutions) : undefined);
    }
    const max = (id: string) => list.data.find((m) => m.id === id)?.model_spec.constraints;
    expect(list.data.filter((m) => m.model_spec.constraints.maxInputImages === 1).length).toBeGreaterThanOrEqual(2);
    expect(list.data.filter((m) => [3, 4].includes(m.model_spec.constraints.maxInputImages ?? 3)).length).toBeGreaterThanOrEqual(15);
    expect(max('gpt-image-2-edit')).toMatchObject({ resolutions: ['1K', '2K', '4K'], qualities: ['low', 'medium', 'high'], maxInputImages: 4 });
    expect(max('luma-uni-1-edit')).toMatchObject({ combineImages: false, maxInputImages: 1 });
    expect(max('firered-image-edit')?.maxInputImages).toBeUndefined();
  });

  it('keeps type=image as it was and lists both kinds under type=all', async () => {
    const image = (await getJson('/models?type=image')) as { data: { type: string }[] };
    expect(image.data.every((m) => m.type === 'image')).toBe(true);
    expect(image.data).toHaveLength(simulatorModels.length);
    const all = (await getJson('/models?type=all')) as { data: { type: string }[] };
    expect(checkAgainstSpec(specPointers.modelList, all)).toEqual([]);
    expect(all.data.filter((m) => m.type === 'inpaint')).toHaveLength(simulatorInpaintModels.length);
    expect(all.data.filter((m) => m.type === 'image')).toHaveLength(simulatorModels.length);
  });
});

describe('image editing endpoints', () => {
  const solid = (width: number, height: number, background = { r: 200, g: 40, b: 90 }) =>
    sharp({ create: { width, height, channels: 3, background } }).png().toBuffer();
  let inputA: Buffer;
  let inputB: Buffer;
  let inputC: Buffer;
  let gif: Buffer;
  let tiny: Buffer;
  let imageServer: Server;
  let imageUrl: string;

  beforeAll(async () => {
    inputA = await solid(256, 256);
    inputB = await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 10, g: 120, b: 250 } } }).jpeg().toBuffer();
    inputC = await sharp({ create: { width: 300, height: 300, channels: 3, background: { r: 0, g: 0, b: 0 } } }).webp().toBuffer();
    gif = await sharp({ create: { width: 300, height: 300, channels: 3, background: { r: 1, g: 2, b: 3 } } }).gif().toBuffer();
    tiny = await solid(100, 100);
    imageServer = createServer((req, res) => {
      if (req.url === '/a.png') {
        res.writeHead(200, { 'content-type': 'image/png' });
        res.end(inputA);
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => imageServer.listen(0, '127.0.0.1', resolve));
    imageUrl = `http://127.0.0.1:${(imageServer.address() as AddressInfo).port}/a.png`;
  });
  afterAll(async () => {
    await new Promise((resolve) => imageServer.close(resolve));
  });

  function postForm(path: string, fields: Record<string, string>, files: [field: string, bytes: Buffer, type: string, name: string][]): Promise<Response> {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    for (const [field, bytes, type, name] of files) form.append(field, new Blob([new Uint8Array(bytes)], { type }), name);
    return fetch(`${sim.baseUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${sim.apiKey}` }, body: form });
  }

  const bytesOf = async (res: Response) => Buffer.from(await res.arrayBuffer());
  const errorOf = async (res: Response) => ((await res.json()) as { error: string }).error;

  describe('POST /image/edit', () => {
    it('answers the edited image as PNG bytes derived from the input and prompt, and records both ends exactly', async () => {
      const res = await post('/image/edit', { model: 'qwen-image-2-edit', prompt: 'make it blue', image: inputA.toString('base64') });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      const bytes = await bytesOf(res);
      // qwen-image-2-edit keeps a single input's size (singleImageAspectRatio false).
      expect(await decode(bytes)).toEqual({ format: 'png', width: 256, height: 256 });
      expect(bytes.equals(await editedImage([inputA], 'make it blue', 256, 256, 'png'))).toBe(true);
      expect(res.headers.get('x-venice-is-blurred')).toBe('false');
      expect(res.headers.get('x-venice-is-content-violation')).toBe('false');
      expect(res.headers.get('x-venice-model-id')).toBe('qwen-image-2-edit');
      expect(res.headers.get('cf-ray')).toMatch(/^[0-9a-f]{16}-[A-Z]{3}$/);
      expect(Number(res.headers.get('x-ratelimit-remaining-requests'))).toBe(1_000_000 - 1);
      expect(res.headers.get('x-venice-enhanced-prompt')).toBeNull();

      const [recorded] = sim.editRequests('/image/edit');
      expect(recorded?.body).toMatchObject({ model: 'qwen-image-2-edit', prompt: 'make it blue' });
      expect(recorded?.images).toHaveLength(1);
      expect(recorded?.images?.[0]?.equals(inputA)).toBe(true);
      expect(recorded?.answer?.equals(bytes)).toBe(true);
      expect(sim.rateStats().totals).toMatchObject({ accepted: 1, images: 1 });
    });

    it('gives a different image for another prompt, and the same bytes for the same request', async () => {
      const body = { model: 'qwen-image-2-edit', prompt: 'one', image: inputC.toString('base64') };
      const first = await bytesOf(await post('/image/edit', body));
      const again = await bytesOf(await post('/image/edit', body));
      const other = await bytesOf(await post('/image/edit', { ...body, prompt: 'two' }));
      expect(again.equals(first)).toBe(true);
      expect(other.equals(first)).toBe(false);
    });

    it('takes multipart: a file part and text fields, answering JPEG at 2K and recording the upload', async () => {
      const res = await postForm('/image/edit', { model: 'nano-banana-2-edit', prompt: 'sunrise', aspect_ratio: '16:9', resolution: '2K', enhance_prompt: 'true' }, [
        ['image', inputB, 'image/jpeg', 'photo.jpg'],
      ]);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/jpeg');
      const bytes = await bytesOf(res);
      expect(await decode(bytes)).toEqual({ format: 'jpeg', width: 2048, height: 1152 });
      expect(bytes.equals(await editedImage([inputB], 'sunrise', 2048, 1152, 'jpeg'))).toBe(true);
      expect(decodeURIComponent(res.headers.get('x-venice-enhanced-prompt') ?? '')).toContain('sunrise');

      const [recorded] = sim.editRequests();
      expect(recorded?.body).toEqual({ model: 'nano-banana-2-edit', prompt: 'sunrise', aspect_ratio: '16:9', resolution: '2K', enhance_prompt: 'true' });
      expect(recorded?.files).toEqual([{ field: 'image', filename: 'photo.jpg', contentType: 'image/jpeg', bytes: inputB }]);
      expect(recorded?.images?.[0]?.equals(inputB)).toBe(true);
    });

    it('infers the closest ratio for auto at the resolution, and honours output_format', async () => {
      const res = await post('/image/edit', { model: 'gpt-image-2-edit', prompt: 'x', image: inputB.toString('base64'), aspect_ratio: 'auto', output_format: 'webp' });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/webp');
      // 320x240 is 4:3; the closest of gpt-image-2-edit's ratios is 3:2.
      expect(await decode(await bytesOf(res))).toEqual({ format: 'webp', width: 1024, height: 680 });
    });

    it('fetches an image URL on 127.0.0.1 and refuses any other host', async () => {
      const ok = await post('/image/edit', { model: 'firered-image-edit', prompt: 'x', image: imageUrl });
      expect(ok.status).toBe(200);
      expect(sim.editRequests()[0]?.images?.[0]?.equals(inputA)).toBe(true);
      const far = await post('/image/edit', { model: 'firered-image-edit', prompt: 'x', image: 'https://example.com/a.png' });
      expect(far.status).toBe(400);
      expect(await errorOf(far)).toContain('127.0.0.1');
    });

    it('accepts the deprecated modelId, and answers 404 for a model that is not an edit model', async () => {
      expect((await post('/image/edit', { modelId: 'seedream-v4-edit', prompt: 'x', image: inputA.toString('base64') })).status).toBe(200);
      for (const model of ['no-such-model', 'z-image-turbo']) {
        const res = await post('/image/edit', { model, prompt: 'x', image: inputA.toString('base64') });
        expect(res.status).toBe(404);
        expect(await res.json()).toEqual({ error: 'Specified model not found' });
      }
    });

    it.each([
      ['an unknown field', { colour: 'red' }, 'colour'],
      ['quality, which only multi-edit takes', { quality: 'high' }, 'quality'],
      ['a prompt over the model limit', { prompt: 'p'.repeat(1501) }, 'prompt'],
      ['an aspect ratio the model lacks', { model: 'gpt-image-1-5-edit', aspect_ratio: '16:9' }, 'aspect_ratio'],
      ['a resolution the model lacks', { model: 'grok-imagine-edit', resolution: '4K' }, 'resolution'],
      ['a resolution on a model without resolutions', { resolution: '2K' }, 'resolution'],
      ['an output format outside jpeg/png/webp', { output_format: 'gif' }, 'output_format'],
      ['a missing prompt', { prompt: undefined }, 'prompt'],
      ['an image that is not base64', { image: 'not an image!' }, 'image'],
    ])('refuses %s with a DetailedError naming the field', async (_name, change, field) => {
      const res = await post('/image/edit', { model: 'firered-image-edit', prompt: 'x', image: inputA.toString('base64'), ...change });
      expect(res.status).toBe(400);
      const error = (await res.json()) as { error: string };
      expect(checkAgainstSpec(specPointers.detailedError, error)).toEqual([]);
      expect(error.error).toContain(field);
    });

    it('refuses a GIF with 415, a 100x100 image naming the pixel limit, and a body over 25 MB with 413', async () => {
      const gifRes = await post('/image/edit', { model: 'firered-image-edit', prompt: 'x', image: gif.toString('base64') });
      expect(gifRes.status).toBe(415);
      const gifError = await gifRes.json();
      expect(checkAgainstSpec(specPointers.standardError, gifError)).toEqual([]);
      expect((gifError as { error: string }).error).toMatch(/gif/i);

      const small = await postForm('/image/edit', { model: 'firered-image-edit', prompt: 'x' }, [['image', tiny, 'image/png', 'tiny.png']]);
      expect(small.status).toBe(400);
      expect(await errorOf(small)).toContain('65536');

      const huge = await postForm('/image/edit', { model: 'firered-image-edit', prompt: 'x' }, [['image', Buffer.alloc(25_000_001, 1), 'image/png', 'huge.png']]);
      expect(huge.status).toBe(413);
      const hugeError = await huge.json();
      expect(checkAgainstSpec(specPointers.payloadTooLargeError, hugeError)).toEqual([]);
      expect(hugeError).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
      // None of the refusals spent the rate budget.
      expect(sim.rateStats().totals).toMatchObject({ accepted: 0, failed: 3 });
    });

    it('sends the scripted blurred and content-violation verdicts, a placeholder PNG for the latter', async () => {
      sim.script({ kind: 'ok', blurred: true }, { path: '/image/edit' });
      sim.script({ kind: 'ok', contentViolation: true }, { path: '/image/edit' });
      const body = { model: 'gpt-image-2-edit', prompt: 'x', image: inputA.toString('base64'), output_format: 'webp' };
      const blurred = await post('/image/edit', body);
      expect(blurred.headers.get('x-venice-is-blurred')).toBe('true');
      expect(blurred.headers.get('x-venice-is-content-violation')).toBe('false');
      expect(blurred.headers.get('content-type')).toBe('image/webp');
      const blocked = await post('/image/edit', body);
      expect(blocked.status).toBe(200);
      expect(blocked.headers.get('x-venice-is-content-violation')).toBe('true');
      expect(blocked.headers.get('content-type')).toBe('image/png');
      const { channels } = await sharp(await bytesOf(blocked)).stats();
      expect(channels.every((c) => c.max === 0)).toBe(true);
    });

    it('takes scripted faults on its path: an error, a dropped connection, a delay', async () => {
      const body = { model: 'firered-image-edit', prompt: 'x', image: inputA.toString('base64') };
      sim.script({ kind: 'error', status: 503 }, { path: '/image/edit' });
      sim.script({ kind: 'drop-connection' }, { path: '/image/edit' });
      sim.script({ kind: 'ok', delayMs: 120 }, { path: '/image/edit' });
      expect((await post('/image/edit', body)).status).toBe(503);
      await expect(post('/image/edit', body)).rejects.toThrow();
      const started = Date.now();
      expect((await post('/image/edit', body)).status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(110);
      expect((await generate({ model: 'z-image-turbo', prompt: 'x', width: 256, height: 256 })).status).toBe(200);
    });
  });

  describe('POST /image/multi-edit', () => {
    it('answers the base image tinted by every input and the prompt, recording the inputs in order', async () => {
      const images = [inputA, inputB, inputC];
      const res = await post('/image/multi-edit', { modelId: 'flux-2-max-edit', prompt: 'combine', images: images.map((b) => b.toString('base64')) });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      const bytes = await bytesOf(res);
      // No resolutions and 'auto': the base image's size.
      expect(await decode(bytes)).toEqual({ format: 'png', width: 256, height: 256 });
      expect(bytes.equals(await editedImage(images, 'combine', 256, 256, 'png'))).toBe(true);
      const [recorded] = sim.editRequests('/image/multi-edit');
      expect(recorded?.images?.map((b) => b.length)).toEqual(images.map((b) => b.length));
      expect(recorded?.images?.every((b, i) => b.equals(images[i] ?? Buffer.alloc(0)))).toBe(true);

      const swappedRes = await post('/image/multi-edit', { modelId: 'flux-2-max-edit', prompt: 'combine', images: [inputA, inputC, inputB].map((b) => b.toString('base64')) });
      expect((await bytesOf(swappedRes)).equals(bytes)).toBe(false);
      // flux-2-max-edit's price includes one input image; the other two cost extra.
      const spent = Number(res.headers.get('x-venice-balance-usd')) - Number(swappedRes.headers.get('x-venice-balance-usd'));
      expect(spent).toBeCloseTo(0.12 + 2 * 0.0345, 4);
    });

    it('takes multipart with repeated images parts, and quality on gpt-image-2-edit', async () => {
      const res = await postForm('/image/multi-edit', { modelId: 'gpt-image-2-edit', prompt: 'merge', quality: 'low', aspect_ratio: '1:1' }, [
        ['images', inputB, 'image/jpeg', 'b.jpg'],
        ['images', inputA, 'image/png', 'a.png'],
      ]);
      expect(res.status).toBe(200);
      expect(await decode(await bytesOf(res))).toEqual({ format: 'png', width: 1024, height: 1024 });
      const [recorded] = sim.editRequests('/image/multi-edit');
      expect(recorded?.images?.[0]?.equals(inputB)).toBe(true);
      expect(recorded?.images?.[1]?.equals(inputA)).toBe(true);
      expect(recorded?.files?.map((f) => f.filename)).toEqual(['b.jpg', 'a.png']);
      expect(recorded?.body).toEqual({ modelId: 'gpt-image-2-edit', prompt: 'merge', quality: 'low', aspect_ratio: '1:1' });
    });

    it('refuses more images than the model takes, naming its maximum', async () => {
      const two = [inputA, inputA].map((b) => b.toString('base64'));
      const res = await post('/image/multi-edit', { modelId: 'qwen-edit-uncensored', prompt: 'x', images: two });
      expect(res.status).toBe(400);
      expect(await errorOf(res)).toMatch(/images: .*at most 1/);
      const five = await postForm('/image/multi-edit', { modelId: 'flux-2-max-edit', prompt: 'x' }, Array.from({ length: 5 }, () => ['images', inputA, 'image/png', 'a.png'] as [string, Buffer, string, string]));
      expect(five.status).toBe(400);
      expect(await errorOf(five)).toContain('at most 4');
    });

    it.each([
      ['model instead of modelId', { model: 'flux-2-max-edit', modelId: undefined }, 'model'],
      ['a model that cannot combine images', { modelId: 'luma-uni-1-edit' }, 'modelId'],
      ['a quality the model lacks', { modelId: 'gpt-image-2-edit', quality: 'ultra' }, 'quality'],
      ['quality on a model without qualities', { quality: 'high' }, 'quality'],
      ['no images', { images: [] }, 'images'],
    ])('refuses %s', async (_name, change, field) => {
      const res = await post('/image/multi-edit', { modelId: 'flux-2-max-edit', prompt: 'x', images: [inputA.toString('base64')], ...change });
      expect(res.status).toBe(400);
      expect(await errorOf(res)).toContain(field);
    });

    it('answers 404 for an unknown modelId, and checks every input image', async () => {
      const unknown = await post('/image/multi-edit', { modelId: 'nope-edit', prompt: 'x', images: [inputA.toString('base64')] });
      expect(unknown.status).toBe(404);
      const small = await post('/image/multi-edit', { modelId: 'flux-2-max-edit', prompt: 'x', images: [inputA, tiny].map((b) => b.toString('base64')) });
      expect(small.status).toBe(400);
      expect(await errorOf(small)).toMatch(/images\.1: .*65536/);
      const gifRes = await post('/image/multi-edit', { modelId: 'flux-2-max-edit', prompt: 'x', images: [inputA, gif].map((b) => b.toString('base64')) });
      expect(gifRes.status).toBe(415);      // multipart takes files only: base64 text in an images part is refused.
      const text = await postForm('/image/multi-edit', { modelId: 'flux-2-max-edit', prompt: 'x', images: inputA.toString('base64') }, []);
      expect(text.status).toBe(400);
      expect(await errorOf(text)).toContain('Only file uploads');
    });
  });

  describe('POST /image/background-remove', () => {
    async function expectTransparentBorder(res: Response, width: number, height: number): Promise<void> {
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      const bytes = await bytesOf(res);
      const meta = await sharp(bytes).metadata();
      expect(meta).toMatchObject({ format: 'png', width, height, hasAlpha: true });
      const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
      const alphaAt = (x: number, y: number) => data[(y * info.width + x) * info.channels + info.channels - 1];
      expect(alphaAt(0, 0)).toBe(0);
      expect(alphaAt(width - 1, height - 1)).toBe(0);
      expect(alphaAt(Math.floor(width / 2), Math.floor(height / 2))).toBe(255);
    }

    it('answers a PNG with a transparent border from base64, a file part or a 127.0.0.1 image_url', async () => {
      await expectTransparentBorder(await post('/image/background-remove', { image: inputB.toString('base64') }), 320, 240);
      await expectTransparentBorder(await postForm('/image/background-remove', {}, [['image', inputC, 'image/webp', 'c.webp']]), 300, 300);
      await expectTransparentBorder(await post('/image/background-remove', { image_url: imageUrl }), 256, 256);
      expect(sim.editRequests('/image/background-remove').map((r) => r.images?.[0]?.length)).toEqual([inputB.length, inputC.length, inputA.length]);
    });

    it.each([
      ['both image and image_url', { image: 'iVBORw0KGgo=', image_url: 'https://example.com/a.png' }, 'image'],
      ['neither', {}, 'image'],
      ['an unknown field', { image: 'iVBORw0KGgo=', mode: 'fast' }, 'mode'],
      ['a URL in image', { image: 'https://example.com/a.png' }, 'image_url'],
    ])('refuses %s', async (_name, body, field) => {
      const res = await post('/image/background-remove', body);
      expect(res.status).toBe(400);
      expect(await errorOf(res)).toContain(field);
    });

    it('checks the input like the other editing endpoints', async () => {
      expect((await post('/image/background-remove', { image: gif.toString('base64') })).status).toBe(415);
      const small = await post('/image/background-remove', { image: tiny.toString('base64') });
      expect(small.status).toBe(400);
      expect(await errorOf(small)).toContain('65536');
    });
  });

  describe('POST /image/upscale, as strict as the spec', () => {
    it('takes multipart too, and records the input bytes', async () => {
      const res = await postForm('/image/upscale', { scale: '2' }, [['image', inputB, 'image/jpeg', 'b.jpg']]);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      expect(res.headers.get('x-venice-is-content-violation')).toBe('false');
      expect(await decode(await bytesOf(res))).toEqual({ format: 'png', width: 640, height: 480 });
      expect(sim.editRequests('/image/upscale')[0]?.images?.[0]?.equals(inputB)).toBe(true);
    });

    it('reduces x4 on a large input so the output stays within 16,777,216 pixels', async () => {
      const large = await sharp({ create: { width: 2560, height: 2048, channels: 3, background: { r: 9, g: 9, b: 9 } } }).png().toBuffer();
      const res = await post('/image/upscale', { image: large.toString('base64'), scale: 4 });
      expect(res.status).toBe(200);
      const { width = 0, height = 0 } = await sharp(await bytesOf(res)).metadata();
      expect(width * height).toBeLessThanOrEqual(16_777_216);
      expect(width * height).toBeGreaterThan(16_700_000);
      expect(width).toBeLessThan(2560 * 4);
    });

    it.each([
      ['creativity above 0.02', { creativity: 0.05 }, 400, 'creativity'],
      ['a scale of 3', { scale: 3 }, 400, 'scale'],
      ['a URL as the image', { image: 'https://example.com/a.png' }, 400, 'image'],
    ])('refuses %s', async (_name, change, status, field) => {
      const res = await post('/image/upscale', { image: inputA.toString('base64'), scale: 2, ...change });
      expect(res.status).toBe(status);
      expect(await errorOf(res)).toContain(field);
    });

    it('accepts a null creativity, and refuses a GIF and a 100x100 image', async () => {
      expect((await post('/image/upscale', { image: inputA.toString('base64'), scale: 2, creativity: null })).status).toBe(200);
      expect((await post('/image/upscale', { image: gif.toString('base64') })).status).toBe(415);
      const small = await post('/image/upscale', { image: tiny.toString('base64') });
      expect(small.status).toBe(400);
      expect(await errorOf(small)).toContain('65536');
    });
  });

  it('counts every editing endpoint against the rate limit, and rateStats covers them', async () => {
    const own = await startVeniceSimulator({ rateLimit: { requests: 3 } });
    try {
      const send = (path: string, body: unknown) =>
        fetch(`${own.baseUrl}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${own.apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const image = inputA.toString('base64');
      const statuses = [
        (await send('/image/edit', { model: 'firered-image-edit', prompt: 'x', image })).status,
        (await send('/image/multi-edit', { modelId: 'firered-image-edit', prompt: 'x', images: [image, image] })).status,
        (await send('/image/background-remove', { image })).status,
        (await send('/image/upscale', { image })).status,
      ];
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(own.rateStats().totals).toEqual({ accepted: 3, rateLimited: 1, blocked: 0, failed: 1, images: 3 });
      expect(own.editRequests()).toHaveLength(4);
    } finally {
      await own.close();
    }
  });
});
