import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '../..');
// tsx as a loader inside the bot's own node process (not the tsx CLI, which would sit in
// between and relay signals), so SIGTERM and SIGKILL reach the bot itself.
const tsxLoader = pathToFileURL(join(root, 'node_modules/tsx/dist/esm/index.mjs')).href;
const entry = join(root, 'src/index.ts');

export interface BotProcess {
  child: ChildProcess;
  output(): string;
  exit: Promise<number | null>;
  /** SIGTERM, then wait for the exit code. */
  stop(): Promise<number | null>;
}

/** Runs the real entry point, as `npm start` does, from an empty folder (so no `.env` is read). */
export function spawnBot(env: Record<string, string>): BotProcess {
  const cwd = mkdtempSync(join(tmpdir(), 'venice-imagine-'));
  const child = spawn(process.execPath, ['--import', tsxLoader, entry], { cwd, env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exit = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return {
    child,
    output: () => out,
    exit,
    stop() {
      child.kill('SIGTERM');
      return exit;
    },
  };
}
