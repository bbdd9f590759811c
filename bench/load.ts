import type { UserKey } from '../test/support/discord/fake-discord.js';
import type { BenchFormat } from './images.js';
import { hiresNow, type Rig } from './rig.js';

/**
 * The fake Discord knows three users and one server; load is spread over the users in turn.
 * "100 users" are 100 concurrent requesters, not 100 user ids: a per-user cap in the bot binds
 * at three ids (see docs/benchmarks.md; `--bot-env` can lift it).
 */
export const USERS: readonly UserKey[] = ['alice', 'bob', 'admin'];

export interface JobSpec {
  variants: number;
  format: BenchFormat;
}

/**
 * A fixed seed: the simulator's renders (which the proxy replaces anyway) stay in its cache,
 * so the parent spends its CPU on moving the bot's bytes, not on drawing discarded images.
 */
const SEED = 42;
const PROMPT = 'a lighthouse on a cliff at dusk, volumetric light, 35mm photograph';

export function imagineOptions(spec: JobSpec): Record<string, string | number> {
  return { prompt: PROMPT, variants: spec.variants, seed: SEED, format: spec.format };
}

export interface JobResult {
  /** Fake Discord's INTERACTION_CREATE on the socket -> defer callback received, ms. */
  ackMs: number;
  ok: boolean;
  sentAt: number;
  /** When the images (or the error) reached the fake Discord; NaN when the job never ended. */
  endAt: number;
  /** Images posted (0 when the job failed): fewer than asked when a variant failed. */
  files: number;
}

export interface StartedJob {
  ackMs: Promise<number>;
  result: Promise<JobResult>;
}

/** Sends one /imagine and follows it to its end; the bench deletes the posted message after. */
export async function startJob(rig: Rig, user: number, spec: JobSpec, timeoutMs = 60_000): Promise<StartedJob> {
  const handle = await rig.discord.slashCommand('imagine', imagineOptions(spec), { user: USERS[user % USERS.length] ?? 'alice' });
  // Right after the fake wrote the dispatch to the socket: the start of the bot's part.
  const sentAt = hiresNow();
  const ack = rig.tap.ack(handle.id).then((a) => {
    if (a.status >= 300) throw new Error(`bench: the fake Discord refused the ${rig.kind} bot's callback with ${a.status}`);
    return a.at - sentAt;
  });
  const result = Promise.all([ack, rig.tap.end(handle.token, timeoutMs)]).then(
    ([ackMs, end]): JobResult => {
      rig.tap.cleanUp(handle.token);
      return { ackMs, ok: end.ok, sentAt, endAt: end.at, files: end.ok ? end.files : 0 };
    },
    (): JobResult => {
      rig.tap.cleanUp(handle.token);
      return { ackMs: Number.NaN, ok: false, sentAt, endAt: Number.NaN, files: 0 };
    },
  );
  return { ackMs: ack, result };
}

export async function runJob(rig: Rig, user: number, spec: JobSpec, timeoutMs?: number): Promise<JobResult> {
  const job = await startJob(rig, user, spec, timeoutMs);
  return job.result;
}

export interface LoopOptions {
  users: number;
  spec: JobSpec;
  /** Users start no new job once this says stop; the loop resolves when their last job ended. */
  keepGoing(): boolean;
  onResult(result: JobResult): void;
}

/**
 * Closed loop: each user sends a job, waits for its images, and sends the next. A job that
 * fails is a result; a user that cannot even send (the bot or the fake is gone) stops every
 * user, and the loop rejects once all of them stopped, so nothing keeps running behind it.
 */
export async function runClosedLoop(rig: Rig, options: LoopOptions): Promise<void> {
  let broken = false;
  const settled = await Promise.allSettled(
    Array.from({ length: options.users }, async (_, user) => {
      try {
        while (!broken && options.keepGoing()) options.onResult(await runJob(rig, user, options.spec));
      } catch (err) {
        broken = true;
        throw err;
      }
    }),
  );
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure) throw failure.reason;
}

const MODEL_TYPED = ['', 'fl', 'qwen', 'z-im', 'Nano', 'seedream-v5', 'x'];
const STYLE_TYPED = ['', 'an', 'Photo', 'cyber', 'paper', 'retro f', 'zz'];

/** One autocomplete of `model` or `style`, with what a user has typed so far; returns ms to the answer. */
export async function probeAutocomplete(rig: Rig, option: 'model' | 'style', i: number): Promise<number> {
  const typed = (option === 'model' ? MODEL_TYPED : STYLE_TYPED)[i % MODEL_TYPED.length] ?? '';
  const handle = await rig.discord.autocomplete('imagine', { [option]: typed }, option, { user: USERS[i % USERS.length] ?? 'alice' });
  const sentAt = hiresNow();
  const ack = await rig.tap.ack(handle.id);
  if (ack.status >= 300) throw new Error(`bench: the fake Discord refused the ${rig.kind} bot's autocomplete answer with ${ack.status}`);
  return ack.at - sentAt;
}
