import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeFlagsOfStart } from '../../bench/build.js';

const root = join(import.meta.dirname, '../..');

describe('the bench starts our bot with the flags of npm start', () => {
  it('takes the flags between node and the entry point', () => {
    expect(nodeFlagsOfStart('node --max-semi-space-size=2 dist/src/index.js')).toEqual(['--max-semi-space-size=2']);
    expect(nodeFlagsOfStart('node dist/src/index.js')).toEqual([]);
  });

  it('refuses a start script it could not reproduce, rather than measuring another process', () => {
    expect(() => nodeFlagsOfStart('MALLOC_ARENA_MAX=2 node dist/src/index.js')).toThrow(/start script/);
    expect(() => nodeFlagsOfStart('node -r ./x.js dist/src/index.js')).toThrow(/cannot pass/);
    expect(() => nodeFlagsOfStart(undefined)).toThrow(/start script/);
  });

  it('reads package.json as it stands', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(() => nodeFlagsOfStart(pkg.scripts['start'])).not.toThrow();
  });
});
