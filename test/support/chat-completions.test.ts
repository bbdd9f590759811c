import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { simulatorTextModels } from './venice/chat.js';
import { checkAgainstSpec, specPointers } from './venice/spec.js';
import { startVeniceSimulator, type VeniceSimulator } from './venice/simulator.js';

let sim: VeniceSimulator;
let images: Server;
let imagesUrl = '';
let png: Buffer;

beforeAll(async () => {
  sim = await startVeniceSimulator();
  png = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 10, g: 20, b: 30 } } }).png().toBuffer();
  images = createServer((req, res) => {
    if (req.url === '/fox.png') {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(png);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => images.listen(0, '127.0.0.1', resolve));
  imagesUrl = `http://127.0.0.1:${(images.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await sim.close();
  await new Promise<void>((resolve) => images.close(() => resolve()));
});
beforeEach(() => {
  sim.reset();
  sim.setChatAnswer(undefined);
  sim.setRateLimit(undefined);
});

function chat(body: unknown, init: { key?: string | null; contentType?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': init.contentType ?? 'application/json' };
  const key = init.key === undefined ? sim.apiKey : init.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  return fetch(`${sim.baseUrl}/chat/completions`, { method: 'POST', headers, body: JSON.stringify(body) });
}

const dataUrl = (bytes: Buffer, type = 'image/png'): string => `data:${type};base64,${bytes.toString('base64')}`;

/** What /describe sends: one user message with a text part and an image part. */
function describeBody(model: string, url: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model,
    messages: [
      { role: 'system', content: 'You write image prompts.' },
      { role: 'user', content: [{ type: 'text', text: 'Describe this image as a prompt.' }, { type: 'image_url', image_url: { url } }] },
    ],
    ...extra,
  };
}

interface Completion {
  id: string;
  object: string;
  model: string;
  choices: Array<{ index: number; message: { role: string; content: string }; finish_reason: string }>;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

async function expectRefusal(res: Response, status: number, pattern: RegExp): Promise<Record<string, unknown>> {
  expect(res.status).toBe(status);
  const body = (await res.json()) as Record<string, unknown>;
  expect(String(body.error)).toMatch(pattern);
  if (status === 400) expect(checkAgainstSpec(specPointers.detailedError, body)).toEqual([]);
  else expect(checkAgainstSpec(specPointers.standardError, body)).toEqual([]);
  return body;
}

describe('GET /models?type=text', () => {
  it('lists text models shaped as the spec\'s ModelResponse, with and without vision', async () => {
    const list = (await (await fetch(`${sim.baseUrl}/models?type=text`)).json()) as { type: string; data: Array<{ id: string; type: string; model_spec: { capabilities: { supportsVision: boolean } } }> };
    expect(checkAgainstSpec(specPointers.modelList, list)).toEqual([]);
    expect(list.type).toBe('text');
    expect(list.data.every((m) => m.type === 'text')).toBe(true);
    const vision = Object.fromEntries(list.data.map((m) => [m.id, m.model_spec.capabilities.supportsVision]));
    expect(vision).toMatchObject({ 'qwen3-vl-235b-a22b': true, 'mistral-31-24b': true, 'venice-uncensored': false, 'zai-org-glm-5': false });
    // Venice's default type is text; `all` lists every kind.
    expect(await (await fetch(`${sim.baseUrl}/models`)).json()).toEqual(list);
    const all = (await (await fetch(`${sim.baseUrl}/models?type=all`)).json()) as { data: Array<{ type: string }> };
    expect(checkAgainstSpec(specPointers.modelList, all)).toEqual([]);
    expect(all.data.filter((m) => m.type === 'text')).toHaveLength(simulatorTextModels.length);
    const traits = (await (await fetch(`${sim.baseUrl}/models/traits?type=text`)).json()) as { data: Record<string, string> };
    expect(checkAgainstSpec(specPointers.modelTraits, traits)).toEqual([]);
    expect(traits.data).toMatchObject({ default: 'zai-org-glm-5', default_vision: 'qwen3-vl-235b-a22b', most_uncensored: 'venice-uncensored' });
  });
});

describe('POST /chat/completions with image inputs', () => {
  it('answers a spec-shaped ChatCompletion naming the image, with the usual headers, and records the decoded image', async () => {
    const res = await chat(describeBody('qwen3-vl-235b-a22b', dataUrl(png)));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cf-ray')).toMatch(/^[0-9a-f]{16}-AMS$/);
    expect(res.headers.get('x-ratelimit-remaining-requests')).toMatch(/^\d+$/);
    expect(res.headers.get('x-venice-balance-usd')).toMatch(/^\d+\.\d{4}$/);
    expect(res.headers.get('x-venice-model-id')).toBe('qwen3-vl-235b-a22b');
    const body = (await res.json()) as Completion;
    expect(checkAgainstSpec(specPointers.chatCompletionResponse, body)).toEqual([]);
    expect(body).toMatchObject({ object: 'chat.completion', model: 'qwen3-vl-235b-a22b', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant' } }] });
    expect(body.id).toMatch(/^chatcmpl-[0-9a-f]{32}$/);
    expect(body.choices[0]?.message.content).toBe('Simulated description from qwen3-vl-235b-a22b: image 1 is a 64x48 png filled with #0a141e.');
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
    const [recorded] = sim.chatRequests();
    expect(recorded?.status).toBe(200);
    expect(recorded?.images).toHaveLength(1);
    expect(recorded?.images?.[0]?.equals(png)).toBe(true);
    // Deterministic: the same request, the same text.
    const again = (await (await chat(describeBody('qwen3-vl-235b-a22b', dataUrl(png)))).json()) as Completion;
    expect(again.choices[0]?.message.content).toBe(body.choices[0]?.message.content);
  });

  it('answers what the test sets, fixed or worked out from the request, and resolves a trait as the model', async () => {
    sim.setChatAnswer('a fox in the snow, soft light');
    const fixed = (await (await chat(describeBody('default_vision', dataUrl(png)))).json()) as Completion;
    expect(fixed.model).toBe('qwen3-vl-235b-a22b');
    expect(fixed.choices[0]?.message.content).toBe('a fox in the snow, soft light');
    sim.setChatAnswer((request) => `${request.model} saw ${request.images.map((i) => `${i.width}x${i.height} ${i.colour}`).join(', ')} for "${request.text}"`);
    const worked = (await (await chat(describeBody('mistral-31-24b', dataUrl(png)))).json()) as Completion;
    expect(worked.choices[0]?.message.content).toBe('mistral-31-24b saw 64x48 #0a141e for "Describe this image as a prompt."');
    const text = (await (await chat({ model: 'venice-uncensored', messages: [{ role: 'user', content: 'hello' }] })).json()) as Completion;
    expect(text.choices[0]?.message.content).toBe('venice-uncensored saw  for "hello"');
  });

  it('cuts the answer at max_completion_tokens and answers n choices', async () => {
    sim.setChatAnswer('x'.repeat(100));
    const body = (await (await chat(describeBody('qwen3-vl-235b-a22b', dataUrl(png), { max_completion_tokens: 5, n: 2 }))).json()) as Completion;
    expect(checkAgainstSpec(specPointers.chatCompletionResponse, body)).toEqual([]);
    expect(body.choices.map((c) => [c.index, c.message.content, c.finish_reason])).toEqual([
      [0, 'x'.repeat(20), 'length'],
      [1, 'x'.repeat(20), 'length'],
    ]);
    expect(body.usage.completion_tokens).toBe(10);
  });

  it('fetches an image URL on 127.0.0.1 and refuses any other host', async () => {
    const res = await chat(describeBody('qwen3-vl-235b-a22b', `${imagesUrl}/fox.png`));
    expect(res.status).toBe(200);
    expect(sim.chatRequests()[0]?.images?.[0]?.equals(png)).toBe(true);
    await expectRefusal(await chat(describeBody('qwen3-vl-235b-a22b', 'https://example.com/fox.png')), 400, /only fetches from 127\.0\.0\.1/);
    await expectRefusal(await chat(describeBody('qwen3-vl-235b-a22b', `${imagesUrl}/missing.png`)), 400, /HTTP 404/);
  });

  it('refuses image parts for a model without vision, and more images than the model takes', async () => {
    const body = await expectRefusal(await chat(describeBody('venice-uncensored', dataUrl(png))), 400, /venice-uncensored does not support image inputs/);
    expect(body.issues).toEqual([expect.objectContaining({ path: ['messages', 1, 'content', 1, 'type'] })]);
    expect(sim.chatRequests()[0]?.images).toBeUndefined();
    const two = {
      model: 'mistral-31-24b',
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: dataUrl(png) } }, { type: 'image_url', image_url: { url: dataUrl(png) } }] }],
    };
    await expectRefusal(await chat(two), 400, /mistral-31-24b accepts at most 1 image per request, got 2/);
    expect((await chat({ ...two, model: 'qwen3-vl-235b-a22b' })).status).toBe(200);
  });

  it('refuses bodies the spec refuses with a 400 DetailedError naming the field', async () => {
    const user = (content: unknown): unknown[] => [{ role: 'user', content }];
    await expectRefusal(await chat({ messages: user('hi') }), 400, /model: Required/);
    await expectRefusal(await chat({ model: 'zai-org-glm-5', messages: [] }), 400, /messages/);
    await expectRefusal(await chat({ model: 'zai-org-glm-5', messages: user('hi'), temprature: 1 }), 400, /Unrecognized key\(s\) in object: 'temprature'/);
    await expectRefusal(await chat({ model: 'zai-org-glm-5', messages: [{ role: 'robot', content: 'hi' }] }), 400, /messages\.0\.role: Invalid discriminator value/);
    await expectRefusal(await chat({ model: 'qwen3-vl-235b-a22b', messages: user([{ type: 'picture', url: 'x' }]) }), 400, /messages\.0\.content\.0\.type: Invalid discriminator/);
    await expectRefusal(await chat({ model: 'qwen3-vl-235b-a22b', messages: user([{ type: 'image_url', image_url: {} }]) }), 400, /messages\.0\.content\.0\.image_url\.url: Required/);
    await expectRefusal(await chat({ model: 'qwen3-vl-235b-a22b', messages: user([{ type: 'text', text: '' }]) }), 400, /messages\.0\.content\.0\.text: String must contain at least 1/);
    await expectRefusal(await chat({ model: 'qwen3-vl-235b-a22b', messages: user('hi'), n: 'two' }), 400, /n: Expected integer, received string/);
    await expectRefusal(await chat(describeBody('qwen3-vl-235b-a22b', dataUrl(Buffer.from('plain'), 'text/plain'))), 400, /text\/plain, not an image/);
    await expectRefusal(await chat(describeBody('qwen3-vl-235b-a22b', dataUrl(Buffer.from('not an image at all')))), 400, /Invalid image: not a PNG, JPEG, WebP or GIF/);
    await expectRefusal(await chat(describeBody('qwen3-vl-235b-a22b', dataUrl(png), { stream: true })), 400, /does not stream/);
    expect(sim.chatRequests().map((r) => r.status)).toEqual(Array(11).fill(400));
  });

  it('answers 404 for an unknown model, 401/402 without the key, 415 for another content-type, 503 offline', async () => {
    await expectRefusal(await chat(describeBody('z-image-turbo', dataUrl(png))), 404, /Specified model not found/);
    await expectRefusal(await chat(describeBody('qwen3-vl-235b-a22b', dataUrl(png)), { key: 'wrong' }), 401, /Authentication failed/);
    expect((await chat(describeBody('qwen3-vl-235b-a22b', dataUrl(png)), { key: null })).status).toBe(402);
    await expectRefusal(await chat(describeBody('qwen3-vl-235b-a22b', dataUrl(png)), { contentType: 'text/plain' }), 415, /content-type/);
    const offline = await startVeniceSimulator({ textModels: simulatorTextModels.map((m) => ({ ...m, model_spec: { ...m.model_spec, offline: true } })) });
    try {
      const res = await fetch(`${offline.baseUrl}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${offline.apiKey}` },
        body: JSON.stringify(describeBody('qwen3-vl-235b-a22b', dataUrl(png))),
      });
      await expectRefusal(res, 503, /offline/);
    } finally {
      await offline.close();
    }
  });

  it('spends no image budget, and takes scripted faults on its path', async () => {
    sim.setRateLimit({ requests: 1 });
    expect((await chat(describeBody('qwen3-vl-235b-a22b', dataUrl(png)))).status).toBe(200);
    expect((await chat(describeBody('qwen3-vl-235b-a22b', dataUrl(png)))).status).toBe(200);
    expect(sim.rateStats().windows.reduce((n, w) => n + w.accepted, 0)).toBe(0);
    sim.script({ kind: 'error', status: 503 }, { path: '/chat/completions' });
    await expectRefusal(await chat(describeBody('qwen3-vl-235b-a22b', dataUrl(png))), 503, /capacity/);
    expect((await chat(describeBody('qwen3-vl-235b-a22b', dataUrl(png)))).status).toBe(200);
  });
});
