import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { InferenceDelay, RateStats, VeniceSimulatorOptions } from '../test/support/venice/simulator.js';
import type { BenchFormat, RealisticImage } from './images.js';
import type { VeniceChildAnswer, VeniceChildRequest } from './venice-process.js';

type Request = VeniceChildRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/**
 * The parent's handle on a Venice simulator and proxy running in `venice-process.ts`: what the
 * scenarios ask of Venice (its inference delay, its rate-limit windows), each call answered once
 * the child has done it.
 */
export class VeniceChild {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  #nextId = 1;
  /** The proxy's base URL: what the bot is given as VENICE_API_URL. */
  baseUrl = '';
  apiKey = '';
  timeScale = 1;

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.on('message', (message: unknown) => {
      const answer = message as VeniceChildAnswer;
      const waiter = this.#pending.get(answer.id);
      this.#pending.delete(answer.id);
      if (answer.ok) waiter?.resolve(answer.value);
      else waiter?.reject(new Error(`bench: the Venice simulator's process: ${answer.message}`));
    });
    child.on('exit', (code) => {
      for (const waiter of this.#pending.values()) waiter.reject(new Error(`bench: the Venice simulator's process exited (code ${String(code)})`));
      this.#pending.clear();
    });
  }

  static async start(options: VeniceSimulatorOptions, images: Record<BenchFormat, RealisticImage>): Promise<VeniceChild> {
    // The parent runs under tsx: its execArgv loads TypeScript in the child too.
    const child = fork(fileURLToPath(new URL('./venice-process.ts', import.meta.url)), [], {
      execArgv: process.execArgv,
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const handle = new VeniceChild(child);
    try {
      const started = (await handle.#ask({ op: 'start', options, images })) as { baseUrl: string; apiKey: string; timeScale: number };
      handle.baseUrl = started.baseUrl;
      handle.apiKey = started.apiKey;
      handle.timeScale = started.timeScale;
    } catch (err) {
      child.kill();
      throw err;
    }
    return handle;
  }

  #ask(request: Request): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#child.send({ ...request, id });
    });
  }

  /** Venice time, scaled; applies to requests the simulator admits once this has resolved. */
  async setInferenceDelay(delay: InferenceDelay): Promise<void> {
    await this.#ask({ op: 'setInferenceDelay', delay });
  }

  /** Clears the simulator's requests, windows, failures and stats. */
  async reset(): Promise<void> {
    await this.#ask({ op: 'reset' });
  }

  async rateStats(): Promise<RateStats> {
    return (await this.#ask({ op: 'rateStats' })) as RateStats;
  }

  async close(): Promise<void> {
    if (this.#child.exitCode !== null || !this.#child.connected) return;
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    await this.#ask({ op: 'close' });
    await exited;
  }
}
