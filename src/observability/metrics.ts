import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/*
 * Every metric the bot exports, on a registry of its own (never prom-client's global one:
 * the tests run several bots in one process). Labels are bounded by construction: endpoints
 * and kinds are fixed strings in our code, models are Venice's catalogue (anything else is
 * "other"), statuses are HTTP codes or our error kinds. No user, guild, channel or job id is
 * ever a label: Prometheus keeps one series per label value, forever.
 */

/** The label for a request that names no model (lists, upscale, background removal). */
export const NO_MODEL = 'none';
/** The label for a model id the catalogue does not list. */
export const OTHER_MODEL = 'other';

export interface BotMetricsOptions {
  /** Whether Venice's catalogue lists this model id; only such ids become label values. */
  isKnownModel(id: string): boolean;
}

/** What the Venice client reports. */
export interface VeniceMetrics {
  /** One HTTP exchange with Venice: `status` is the HTTP code, or the error kind when no answer came. */
  veniceRequest(endpoint: string, model: string | undefined, status: string, seconds: number): void;
  /** A request about to be sent again, and why (the failure's kind). */
  veniceRetry(endpoint: string, reason: string): void;
  /** Images Venice flagged as a content violation: the bot never posts them. */
  imagesWithheld(count: number): void;
}

/** What a Venice pacer reports: a request that had to wait for its turn, and how long. */
export interface PacerMetrics {
  pacerWaited(seconds: number): void;
}

/** What the job queue, the lifecycle and the ledger report. */
export interface JobMetrics {
  /** A job left the line after waiting `seconds`. */
  jobWaited(seconds: number): void;
  /** A job ended; `seconds` is its run time (undefined when it never ran). */
  jobFinished(kind: string, outcome: string, seconds: number | undefined): void;
  /** Venice charged `usd` for a job of this kind. */
  charged(kind: string, usd: number): void;
}

/** What result delivery reports. */
export interface DeliveryMetrics {
  imagesPosted(count: number, spoilered: number): void;
}

/** What the Discord client's REST and gateway report. */
export interface DiscordMetrics {
  discordRestError(method: string, status: number): void;
  discordRateLimited(global: boolean, scope: string): void;
}

export interface BotMetrics extends VeniceMetrics, JobMetrics, DeliveryMetrics, DiscordMetrics {
  readonly registry: Registry;
  /** The pacer's reports, labelled with which pacer it is. */
  pacer(limiter: 'image' | 'chat'): PacerMetrics;
  /** Gauges read when Prometheus scrapes, from the parts that know the numbers. */
  watch(sources: MetricSources): void;
  /** Process metrics (CPU, memory, handles, GC, event-loop lag): only when they are served. */
  collectProcessMetrics(): void;
}

export interface MetricSources {
  queue(): { queued: number; running: number };
  /** Each shard's last heartbeat round trip in ms (negative: none measured yet). */
  shardPings(): Iterable<[shard: number, pingMs: number]>;
}

/** Creates one bot's metrics on a registry of its own. */
export function createBotMetrics(options: BotMetricsOptions): BotMetrics {
  const registry = new Registry();
  const registers = [registry];

  const veniceDuration = new Histogram({
    name: 'imagine_venice_request_duration_seconds',
    help: 'Time from sending a request to Venice to the last byte of its answer', // i18n-exempt: operator-facing (Prometheus HELP)
    labelNames: ['endpoint', 'model'] as const,
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120],
    registers,
  });
  const veniceResponses = new Counter({
    name: 'imagine_venice_responses_total',
    help: 'Venice answers by HTTP status, or by error kind when none came (timeout, network, connection_lost)', // i18n-exempt: operator-facing (Prometheus HELP)
    labelNames: ['endpoint', 'status'] as const,
    registers,
  });
  const veniceRetries = new Counter({
    name: 'imagine_venice_retries_total',
    help: 'Venice requests sent again, by the kind of failure that made it worth it', // i18n-exempt: operator-facing (Prometheus HELP)
    labelNames: ['endpoint', 'reason'] as const,
    registers,
  });
  const pacerWait = new Histogram({
    name: 'imagine_venice_rate_limit_wait_seconds',
    help: 'Requests that waited for the Venice rate-limit window, and how long (count and sum)', // i18n-exempt: operator-facing (Prometheus HELP)
    labelNames: ['limiter'] as const,
    buckets: [0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 120],
    registers,
  });
  const queueWait = new Histogram({
    name: 'imagine_job_queue_wait_seconds',
    help: 'Time a job waited in the fair queue before it started', // i18n-exempt: operator-facing (Prometheus HELP)
    buckets: [0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600],
    registers,
  });
  const runTime = new Histogram({
    name: 'imagine_job_run_seconds',
    help: 'Time a job ran, from leaving the queue to its end', // i18n-exempt: operator-facing (Prometheus HELP)
    labelNames: ['kind'] as const,
    buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300],
    registers,
  });
  const jobsFinished = new Counter({
    name: 'imagine_jobs_finished_total',
    help: 'Jobs that ended, by kind and outcome', // i18n-exempt: operator-facing (Prometheus HELP)
    labelNames: ['kind', 'outcome'] as const,
    registers,
  });
  const spent = new Counter({
    name: 'imagine_spent_usd_total',
    help: 'USD Venice charged, by kind of job', // i18n-exempt: operator-facing (Prometheus HELP)
    labelNames: ['kind'] as const,
    registers,
  });
  const posted = new Counter({ name: 'imagine_images_posted_total', help: 'Images posted to Discord (spoilered ones included)', registers }); // i18n-exempt: operator-facing (Prometheus HELP)
  const spoilered = new Counter({ name: 'imagine_images_spoilered_total', help: 'Images posted behind a spoiler (Venice blurred them, or the member asked for a spoiler)', registers }); // i18n-exempt: operator-facing (Prometheus HELP)
  const withheld = new Counter({ name: 'imagine_images_withheld_total', help: 'Images Venice flagged as a content violation, never posted', registers }); // i18n-exempt: operator-facing (Prometheus HELP)
  const restErrors = new Counter({
    name: 'imagine_discord_rest_errors_total',
    help: 'Discord REST answers of 400 or more (429 included), by method and status', // i18n-exempt: operator-facing (Prometheus HELP)
    labelNames: ['method', 'status'] as const,
    registers,
  });
  const restRateLimited = new Counter({
    name: 'imagine_discord_rest_rate_limited_total',
    help: 'Discord REST requests held back by a rate limit discord.js knew of', // i18n-exempt: operator-facing (Prometheus HELP)
    labelNames: ['global', 'scope'] as const,
    registers,
  });

  const label = (model: string | undefined): string => (model === undefined ? NO_MODEL : options.isKnownModel(model) ? model : OTHER_MODEL);
  const endpointOf = (path: string): string => path.split('?')[0] ?? path;

  return {
    registry,
    veniceRequest(endpoint, model, status, seconds) {
      const e = endpointOf(endpoint);
      veniceDuration.observe({ endpoint: e, model: label(model) }, seconds);
      veniceResponses.inc({ endpoint: e, status });
    },
    veniceRetry(endpoint, reason) {
      veniceRetries.inc({ endpoint: endpointOf(endpoint), reason });
    },
    imagesWithheld(count) {
      if (count > 0) withheld.inc(count);
    },
    pacer(limiter) {
      return { pacerWaited: (seconds) => pacerWait.observe({ limiter }, seconds) };
    },
    jobWaited(seconds) {
      queueWait.observe(seconds);
    },
    jobFinished(kind, outcome, seconds) {
      jobsFinished.inc({ kind, outcome });
      if (seconds !== undefined) runTime.observe({ kind }, seconds);
    },
    charged(kind, usd) {
      if (usd > 0) spent.inc({ kind }, usd);
    },
    imagesPosted(count, spoileredCount) {
      if (count > 0) posted.inc(count);
      if (spoileredCount > 0) spoilered.inc(spoileredCount);
    },
    discordRestError(method, status) {
      restErrors.inc({ method: method.toUpperCase(), status: String(status) });
    },
    discordRateLimited(global, scope) {
      restRateLimited.inc({ global: String(global), scope });
    },
    watch(sources) {
      new Gauge({
        name: 'imagine_jobs',
        help: 'Jobs in the fair queue now, by state', // i18n-exempt: operator-facing (Prometheus HELP)
        labelNames: ['state'] as const,
        registers,
        collect() {
          const { queued, running } = sources.queue();
          this.set({ state: 'queued' }, queued);
          this.set({ state: 'running' }, running);
        },
      });
      new Gauge({
        name: 'imagine_discord_gateway_latency_seconds',
        help: 'Last gateway heartbeat round trip, per shard', // i18n-exempt: operator-facing (Prometheus HELP)
        labelNames: ['shard'] as const,
        registers,
        collect() {
          this.reset();
          for (const [shard, ping] of sources.shardPings()) if (ping >= 0) this.set({ shard: String(shard) }, ping / 1000);
        },
      });
    },
    collectProcessMetrics() {
      collectDefaultMetrics({ register: registry });
    },
  };
}
