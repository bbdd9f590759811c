import { afterEach } from 'vitest';
import type { InteractionHandle, Probed, RecordedRequest } from '../support/discord/fake-discord.js';
import { startHarness, type Harness } from './harness.js';
import { json } from './helpers.js';

/**
 * A fresh harness per test, closed after it (and with it the checks that neither fake was
 * sent anything its spec refuses). Call once at the top of a test file.
 */
export function harnessPerTest() {
  let current: Harness | undefined;
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  const get = (): Harness => {
    if (!current) throw new Error('no harness: call start() first');
    return current;
  };
  return {
    async start(options?: Parameters<typeof startHarness>[0]): Promise<Harness> {
      current = await startHarness(options);
      return current;
    },
    get,
    wait: <T>(probe: () => Probed<T> | Promise<Probed<T>>, ms?: number): Promise<T> => get().discord.waitFor(probe, ms),
  };
}

/** The text of a recorded message body. */
export const contentOf = (r: RecordedRequest): string => json(r).content ?? '';

/** Waits for the edit of the original reply that carries files: the posted result. */
export const resultWithFiles = (i: InteractionHandle, ms = 30_000): Promise<RecordedRequest> => i.originalEdit((r) => r.files.length > 0, ms);
