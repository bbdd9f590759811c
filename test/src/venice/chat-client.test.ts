import { Writable } from 'node:stream';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logger.js';
import { buildSnapshot, defaultVisionModel, toTextModel } from '../../../src/venice/catalog.js';
import { createVeniceClient, type VeniceClient, type VeniceClientOptions } from '../../../src/venice/client.js';
import { VeniceError } from '../../../src/venice/errors.js';
import { VeniceRateLimiter } from '../../../src/venice/rate-limiter.js';
import type { ChatCompletionBody } from '../../../src/venice/types.js';
import { checkAgainstSpec, specPointers } from '../../support/venice/spec.js';
import { startVeniceSimulator, type VeniceSimulator } from '../../support/venice/simulator.js';

describe('the Venice client and chat completions', () => {
  let sim: VeniceSimulator;
  let png: Buffer;
  const clients: VeniceClient[] = [];

  beforeAll(async () => {
    sim = await startVeniceSimulator();
    png = await sharp({ create: { width: 300, height: 300, channels: 3, background: 'orange' } }).png().toBuffer();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.destroy()));
    await sim.close();
  });
  beforeEach(() => {
    sim.reset();
    sim.setChatAnswer(undefined);
  });

  function client(overrides: Partial<VeniceClientOptions> = {}): { venice: VeniceClient; retries: () => number } {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const venice = createVeniceClient({ baseUrl: sim.baseUrl, apiKey: sim.apiKey, timeoutMs: 30_000, log: createLogger({ level: 'warn', secrets: [], destination }), retry: { baseDelayMs: 1, maxDelayMs: 5 }, ...overrides });
    clients.push(venice);
    return { venice, retries: () => lines.filter((l) => (JSON.parse(l) as { msg?: string }).msg === 'retrying Venice request').length };
  }

  const vision = (url: string): ChatCompletionBody => ({
    model: 'qwen3-vl-235b-a22b',
    messages: [{ role: 'user', content: [{ type: 'text', text: 'Write a prompt for this.' }, { type: 'image_url', image_url: { url } }] }],
    max_completion_tokens: 200,
    stream: false,
  });

  it('lists the text models with their vision capability and per-token prices', async () => {
    const { venice } = client();
    const models = (await venice.listTextModels()).map(toTextModel);
    const qwen = models.find((m) => m?.id === 'qwen3-vl-235b-a22b');
    expect(qwen).toMatchObject({ name: 'Qwen3 VL 235B', vision: true, pricing: { inputUsd: 0.25, outputUsd: 1.5 }, traits: ['default_vision'] });
    expect(models.find((m) => m?.id === 'venice-uncensored')?.vision).toBe(false);
    const snapshot = buildSnapshot([], {}, [], 0, [], undefined, models.filter((m) => m !== undefined));
    expect(snapshot.visionModels.map((m) => m.id)).toEqual(['qwen3-vl-235b-a22b', 'mistral-31-24b']);
    expect(defaultVisionModel(snapshot)?.id).toBe('qwen3-vl-235b-a22b');
  });

  it('sends a spec-valid vision request and reads the text, the usage and the request id', async () => {
    const { venice } = client();
    sim.setChatAnswer('a fox in the snow');
    const answer = await venice.chatCompletion(vision(`data:image/png;base64,${png.toString('base64')}`));
    const [sent] = sim.chatRequests();
    expect(checkAgainstSpec(specPointers.chatCompletionRequest, sent?.body)).toEqual([]);
    expect(sent?.images?.[0]?.equals(png)).toBe(true);
    expect(answer.text).toBe('a fox in the snow');
    expect(answer.finishReason).toBe('stop');
    expect(answer.usage?.promptTokens).toBeGreaterThan(258);
    expect(answer.usage?.completionTokens).toBe(5);
    expect(answer.costUsd).toBeGreaterThan(0);
    expect(answer.requestId).toMatch(/-AMS$/);
  });

  it('retries a 503 and a 429, but sends a POST whose connection dropped only once', async () => {
    const { venice, retries } = client();
    sim.script({ kind: 'error', status: 503 }, { path: '/chat/completions' });
    sim.script({ kind: 'error', status: 429, retryAfterSeconds: 0 }, { path: '/chat/completions' });
    await venice.chatCompletion(vision(`data:image/png;base64,${png.toString('base64')}`));
    expect(sim.chatRequests()).toHaveLength(3);
    expect(retries()).toBe(2);

    sim.reset();
    sim.script({ kind: 'drop-connection' }, { path: '/chat/completions', times: Infinity });
    const err = await venice.chatCompletion(vision(`data:image/png;base64,${png.toString('base64')}`)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(VeniceError);
    expect((err as VeniceError).kind).toBe('connection_lost');
    expect(sim.chatRequests()).toHaveLength(1);
  });

  it('maps a model without vision to a 400 quoting Venice', async () => {
    const { venice } = client();
    const err = (await venice.chatCompletion({ ...vision(`data:image/png;base64,${png.toString('base64')}`), model: 'venice-uncensored' }).catch((e: unknown) => e)) as VeniceError;
    expect(err.kind).toBe('bad_request');
    expect(err.veniceMessage).toMatch(/does not support image inputs/);
  });

  it('paces chat completions apart from the image requests: a text model’s headers never teach the image pacer', async () => {
    const images = new VeniceRateLimiter();
    const chat = new VeniceRateLimiter();
    const { venice } = client({ limiter: images, chatLimiter: chat });
    await venice.chatCompletion(vision(`data:image/png;base64,${png.toString('base64')}`));
    expect(chat.stats().sent).toBe(1);
    expect(images.stats().sent).toBe(0);
    await venice.generateImage({ model: 'z-image-turbo', prompt: 'a lighthouse' });
    expect(images.stats().sent).toBe(1);
    expect(chat.stats().sent).toBe(1);
  });

  it('counts failed chat completions in the image pacer’s room for failures, as Venice’s block counts the key’s', async () => {
    const images = new VeniceRateLimiter();
    const { venice } = client({ limiter: images, retry: { maxAttempts: 1 } });
    sim.script({ kind: 'error', status: 503 }, { path: '/chat/completions', times: 3 });
    for (let n = 0; n < 3; n++) {
      const err = await venice.chatCompletion(vision(`data:image/png;base64,${png.toString('base64')}`)).catch((e: unknown) => e);
      expect((err as VeniceError).status).toBe(503);
    }
    expect(sim.chatRequests()).toHaveLength(3);
    expect(images.stats().sent).toBe(0);
    // The chat pacer is the client's own; its three failures leave the image pacer 12 of the 15.
    expect(images.failureRoom.room(Date.now())).toBe(12);
  });
});
