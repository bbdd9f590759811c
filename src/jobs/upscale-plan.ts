import { imageSize } from '../venice/image-bytes.js';
import type { VariantOutcome } from './image-job.js';

/** Venice caps an upscale's output at this many pixels and quietly shrinks ×4 on large inputs. */
export const UPSCALE_MAX_PIXELS = 16_777_216;

/** The scales whose result Venice delivers in full for an image of this size. */
export function upscaleScales(width: number, height: number): Array<2 | 4> {
  return ([2, 4] as const).filter((scale) => width * scale * height * scale <= UPSCALE_MAX_PIXELS);
}

/**
 * For each posted image (by its 1-based number), the scales worth offering. The size comes
 * from the image's header, a few bytes, whatever the image's size.
 */
export function upscalableImages(posted: ReadonlyArray<Extract<VariantOutcome, { ok: true }>>): Map<number, Array<2 | 4>> {
  const out = new Map<number, Array<2 | 4>>();
  for (const o of posted) {
    const bytes = o.result.images[0];
    if (!bytes) continue;
    const meta = imageSize(bytes);
    if (!meta) continue;
    const scales = upscaleScales(meta.width, meta.height);
    if (scales.length > 0) out.set(o.index + 1, scales);
  }
  return out;
}
