import type Sharp from 'sharp';

let loading: Promise<typeof Sharp> | undefined;

/**
 * sharp, loaded on first use. libvips and its thread pool add about 17 MB of resident memory the
 * moment the module is imported; a bot that only generates images (sizes are read from the
 * headers, see `image-bytes.ts`) never needs it, so it is not paid for at start.
 */
export function loadSharp(): Promise<typeof Sharp> {
  loading ??= import('sharp').then(({ default: sharp }) => {
    // libvips keeps up to 50 MB of decoded images cached per process by default; the bot never
    // reads the same image twice, so the cache would only hold memory.
    sharp.cache(false);
    return sharp;
  });
  return loading;
}
