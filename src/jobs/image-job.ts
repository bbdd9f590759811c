import type { GeneratedImages } from '../venice/types.js';

export interface VariantOutcomeBase {
  /** 0-based position in the job, which fixes the file name `image-<index+1>`. */
  index: number;
  seed: number | undefined;
}
export type VariantOutcome =
  | (VariantOutcomeBase & { ok: true; result: GeneratedImages })
  | (VariantOutcomeBase & { ok: false; error: unknown });

export interface VariantCall {
  seed: number | undefined;
  run(signal: AbortSignal | undefined): Promise<GeneratedImages>;
}

/**
 * Runs every variant of a job at once and waits for all of them: one variant failing must
 * not throw away the images the others produced (Venice bills each one).
 */
export async function runVariants(calls: readonly VariantCall[], signal?: AbortSignal): Promise<VariantOutcome[]> {
  const settled = await Promise.allSettled(calls.map((c) => c.run(signal)));
  return settled.map((s, index): VariantOutcome => {
    const seed = calls[index]?.seed;
    return s.status === 'fulfilled' ? { index, seed, ok: true, result: s.value } : { index, seed, ok: false, error: s.reason };
  });
}
