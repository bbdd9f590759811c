/**
 * The flags `npm start` gives node, read from package.json's `start` script, so our bot runs
 * in the bench as it runs in production (the Dockerfile's CMD is pinned to the same script by
 * test/e2e/entry.e2e.test.ts). Heap sizing flags change its RSS and GC pauses, which is what
 * the bench measures: a script of another shape is an error, not silently ignored.
 */
export function nodeFlagsOfStart(start: string | undefined): string[] {
  const words = (start ?? '').trim().split(/\s+/);
  const script = words.at(-1);
  if (words[0] !== 'node' || script === undefined || !script.endsWith('.js')) {
    throw new Error(`bench: package.json's start script should be "node [flags] <entry>.js", not ${JSON.stringify(start)}`);
  }
  const flags = words.slice(1, -1);
  const odd = flags.find((f) => !f.startsWith('--'));
  if (odd !== undefined) throw new Error(`bench: cannot pass ${JSON.stringify(odd)} from the start script to the bot's node`);
  return flags;
}
