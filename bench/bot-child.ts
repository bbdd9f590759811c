import { fork, type ChildProcess } from 'node:child_process';
import { isChildMessage, type BotKind, type ChildMessage, type ParentMessage, type ProcessStats } from './protocol.js';

export interface BotChildOptions {
  kind: BotKind;
  /** The compiled bot-process.js (see build.ts). */
  script: string;
  env: Record<string, string>;
  /** More flags for node (ours: those of `npm start`). */
  nodeFlags?: readonly string[];
  startTimeoutMs?: number;
}

type Pending = { resolve(message: ChildMessage): void; reject(error: Error): void };

/** The parent's handle on a bot running in `bot-process.ts`. */
export class BotChild {
  /** How long the bot took from its first line to commands registered, in the child's clock. */
  startupMs = 0;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private exitCode: number | null | undefined;
  private stopping = false;
  private readonly exitListeners: Array<(code: number | null) => void> = [];

  private constructor(
    readonly kind: BotKind,
    private readonly child: ChildProcess,
  ) {
    child.on('message', (raw: unknown) => {
      if (!isChildMessage(raw) || !('id' in raw) || raw.id === undefined) return;
      const waiter = this.pending.get(raw.id);
      this.pending.delete(raw.id);
      if (raw.type === 'failed') waiter?.reject(new Error(`bench: the ${kind} bot: ${raw.message}`));
      else waiter?.resolve(raw);
    });
    child.on('exit', (code) => {
      this.exitCode = code;
      for (const waiter of this.pending.values()) waiter.reject(new Error(`bench: the ${kind} bot exited (code ${String(code)})`));
      this.pending.clear();
      if (!this.stopping) for (const listener of this.exitListeners) listener(code);
    });
  }

  static async start(options: BotChildOptions): Promise<BotChild> {
    // Lets the child collect garbage before a leak reading.
    const execArgv = ['--expose-gc', ...(options.nodeFlags ?? [])];
    // Only what the bot needs: a developer's .env or shell must not change what is measured.
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TMPDIR: process.env.TMPDIR ?? '', ...options.env };
    // stdout is discarded (the bot's JSON logs); stderr shows crashes.
    const child = fork(options.script, [options.kind], { execArgv, env, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const bot = new BotChild(options.kind, child);
    const timeoutMs = options.startTimeoutMs ?? 30_000;
    const first = await new Promise<ChildMessage>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`bench: the ${options.kind} bot did not start within ${timeoutMs} ms`)), timeoutMs);
      const onMessage = (raw: unknown): void => {
        if (!isChildMessage(raw) || (raw.type !== 'ready' && raw.type !== 'failed')) return;
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(raw);
      };
      child.on('message', onMessage);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`bench: the ${options.kind} bot exited during start (code ${String(code)})`));
      });
    });
    if (first.type === 'failed') {
      child.kill();
      throw new Error(`bench: the ${options.kind} bot could not start: ${first.message}`);
    }
    if (first.type === 'ready') bot.startupMs = first.startupMs;
    return bot;
  }

  /** Called if the bot's process ends without being asked to: the bench must not wait on it. */
  onCrash(listener: (code: number | null) => void): void {
    this.exitListeners.push(listener);
  }

  get alive(): boolean {
    return this.exitCode === undefined;
  }

  async stats(gc = false): Promise<ProcessStats> {
    const answer = await this.ask({ type: 'stats', id: this.nextId++, gc });
    if (answer.type !== 'stats') throw new Error(`bench: the ${this.kind} bot answered ${answer.type} to stats`);
    return answer.stats;
  }

  /** Starts a new measuring window: event-loop histogram, peak RSS and CPU time. */
  async reset(): Promise<void> {
    await this.ask({ type: 'reset', id: this.nextId++ });
  }

  async startProfile(): Promise<void> {
    await this.ask({ type: 'profile-start', id: this.nextId++ });
  }

  /** Stops the CPU profiler and has the child write the `.cpuprofile` to `path`. */
  async stopProfile(path: string): Promise<void> {
    await this.ask({ type: 'profile-stop', id: this.nextId++, path });
  }

  /** Has the child write a V8 heap snapshot to `path` (large: tens of MB). */
  async heapSnapshot(path: string): Promise<void> {
    await this.ask({ type: 'heap-snapshot', id: this.nextId++, path });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (!this.alive) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    await this.ask({ type: 'stop', id: this.nextId++ }).catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  private ask(message: ParentMessage): Promise<ChildMessage> {
    if (!this.alive) return Promise.reject(new Error(`bench: the ${this.kind} bot is not running (exit code ${String(this.exitCode)})`));
    return new Promise<ChildMessage>((resolve, reject) => {
      this.pending.set(message.id, { resolve, reject });
      this.child.send(message);
    });
  }
}
