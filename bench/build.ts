import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { nodeFlagsOfStart } from './node-flags.js';

export { nodeFlagsOfStart };

/**
 * The bots run as plain JavaScript, as `npm start` runs ours (`node dist/...`), not under tsx:
 * tsx's loader thread and source maps add about 30 MB of RSS and some CPU to every process,
 * which would count against the memory target. Transpiling (no type check: others' work in
 * progress must not stop the bench) takes a second or two.
 */
export interface BuiltBots {
  /** The compiled `bench/bot-process.js`. */
  botProcess: string;
  /** Node's flags from `npm start` (package.json), which our bot runs with here too. */
  ourNodeFlags: string[];
  remove(): Promise<void>;
}

/** What a bot process loads: our sources, and the bench's side of the child. */
const SOURCE_DIRS = ['src', 'commands'];
const BENCH_FILES = ['bench/bot-process.ts', 'bench/floor-bot.ts', 'bench/protocol.ts'];

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const nested = await Promise.all(
    entries.map((e) => {
      const path = join(dir, e.name);
      return e.isDirectory() ? listFiles(path) : Promise.resolve([path]);
    }),
  );
  return nested.flat();
}

export async function buildBots(root: string): Promise<BuiltBots> {
  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  const ourNodeFlags = nodeFlagsOfStart(pkg.scripts?.['start']);
  const out = await mkdtemp(join(tmpdir(), 'venice-imagine-bench-build-'));
  const files = [...(await Promise.all(SOURCE_DIRS.map((d) => listFiles(join(root, d))))).flat(), ...BENCH_FILES.map((f) => join(root, f))];
  const compilerOptions: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    // As in tsconfig.json: imports are kept as written, `import type` ones dropped.
    verbatimModuleSyntax: true,
    isolatedModules: true,
  };
  await Promise.all(
    files.map(async (file) => {
      const rel = relative(root, file);
      if (rel.endsWith('.test.ts') || rel.endsWith('.d.ts')) return;
      const target = join(out, rel.endsWith('.ts') ? rel.replace(/\.ts$/, '.js') : rel);
      await mkdir(dirname(target), { recursive: true });
      if (!rel.endsWith('.ts')) {
        // Data files a module may read next to itself.
        await copyFile(file, target);
        return;
      }
      const { outputText } = ts.transpileModule(await readFile(file, 'utf8'), { compilerOptions, fileName: rel });
      await writeFile(target, outputText);
    }),
  );
  await writeFile(join(out, 'package.json'), JSON.stringify({ type: 'module' }));
  await symlink(join(root, 'node_modules'), join(out, 'node_modules'), 'dir');
  return {
    botProcess: join(out, 'bench', 'bot-process.js'),
    ourNodeFlags,
    remove: () => rm(out, { recursive: true, force: true }),
  };
}
