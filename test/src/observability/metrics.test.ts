import { Client } from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import { shardingOptions } from '../../../src/observability/discord.js';
import { createBotMetrics } from '../../../src/observability/metrics.js';

const known = new Set(['z-image-turbo']);

describe('the bot’s metrics', () => {
  it('labels a request with its model only when the catalogue lists it, and its endpoint without the query', async () => {
    const metrics = createBotMetrics({ isKnownModel: (id) => known.has(id) });
    metrics.veniceRequest('/image/generate', 'z-image-turbo', '200', 1.5);
    metrics.veniceRequest('/image/generate', 'a-model-someone-typed', '400', 0.1);
    metrics.veniceRequest('/models?type=image', undefined, '200', 0.05);
    const text = await metrics.registry.metrics();
    expect(text).toContain('imagine_venice_request_duration_seconds_count{endpoint="/image/generate",model="z-image-turbo"} 1');
    expect(text).toContain('imagine_venice_request_duration_seconds_count{endpoint="/image/generate",model="other"} 1');
    expect(text).toContain('imagine_venice_request_duration_seconds_count{endpoint="/models",model="none"} 1');
    expect(text).toContain('imagine_venice_responses_total{endpoint="/image/generate",status="400"} 1');
    expect(text).not.toContain('a-model-someone-typed');
  });

  it('keeps each bot’s metrics on a registry of its own, so two bots in one process do not collide', async () => {
    const a = createBotMetrics({ isKnownModel: () => false });
    const b = createBotMetrics({ isKnownModel: () => false });
    a.imagesPosted(3, 1);
    b.imagesWithheld(2);
    expect(await a.registry.metrics()).toMatch(/^imagine_images_posted_total 3$/m);
    expect(await a.registry.metrics()).toMatch(/^imagine_images_spoilered_total 1$/m);
    expect(await b.registry.metrics()).toMatch(/^imagine_images_posted_total 0$/m);
    expect(await b.registry.metrics()).toMatch(/^imagine_images_withheld_total 2$/m);
  });

  it('reads the queue and each shard’s latency when scraped, skipping shards with no heartbeat yet', async () => {
    const metrics = createBotMetrics({ isKnownModel: () => false });
    let queued = 3;
    metrics.watch({
      queue: () => ({ queued, running: 1 }),
      shardPings: () => [
        [0, 42],
        [1, -1],
      ],
    });
    expect(await metrics.registry.metrics()).toContain('imagine_jobs{state="queued"} 3');
    queued = 0;
    const text = await metrics.registry.metrics();
    expect(text).toContain('imagine_jobs{state="queued"} 0');
    expect(text).toContain('imagine_jobs{state="running"} 1');
    expect(text).toContain('imagine_discord_gateway_latency_seconds{shard="0"} 0.042');
    expect(text).not.toContain('shard="1"');
  });

  it('adds USD by kind of job and counts outcomes with run times', async () => {
    const metrics = createBotMetrics({ isKnownModel: () => false });
    metrics.charged('generate', 0.01);
    metrics.charged('generate', 0.02);
    metrics.jobFinished('generate', 'posted', 2);
    metrics.jobFinished('generate', 'cancelled', undefined);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^imagine_spent_usd_total\{kind="generate"\} 0\.03/m);
    expect(text).toContain('imagine_jobs_finished_total{kind="generate",outcome="posted"} 1');
    expect(text).toContain('imagine_jobs_finished_total{kind="generate",outcome="cancelled"} 1');
    expect(text).toContain('imagine_job_run_seconds_count{kind="generate"} 1');
  });
});

describe('discord.js options for SHARD_COUNT', () => {
  const saved = process.env['SHARD_COUNT'];
  afterEach(() => {
    if (saved === undefined) delete process.env['SHARD_COUNT'];
    else process.env['SHARD_COUNT'] = saved;
  });

  it('lists every shard for a fixed count', () => {
    expect(shardingOptions(3)).toEqual({ shards: [0, 1, 2], shardCount: 3 });
  });

  it('lets discord.js start with SHARD_COUNT=auto in the environment, which it also reads', async () => {
    process.env['SHARD_COUNT'] = 'auto';
    const client = new Client({ intents: [], ...shardingOptions('auto') });
    expect(client.options.shards).toBe('auto');
    await client.destroy();
  });
});
