import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { simulatorModels, simulatorStyles } from './venice/catalogue.js';
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

  it('answers other model types with an empty list', async () => {
    expect(await getJson('/models?type=text')).toEqual({ object: 'list', type: 'text', data: [] });
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
