import { request } from 'undici';
import { UserError } from '../errors.js';

const MAX_DOWNLOAD_BYTES = 30 * 1024 * 1024;

/** Fetches an attachment from Discord's CDN; a message older than the CDN link may have expired. */
export async function downloadAttachment(url: string, timeoutMs = 30_000): Promise<Buffer> {
  const res = await request(url, { method: 'GET', signal: AbortSignal.timeout(timeoutMs), headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new UserError('The image could not be downloaded from Discord any more. Run `/imagine` again with the same seed.');
  }
  const length = Number(res.headers['content-length'] ?? 0);
  if (length > MAX_DOWNLOAD_BYTES) {
    await res.body.dump();
    throw new UserError('That image is too large to upscale.');
  }
  const bytes = Buffer.from(await res.body.arrayBuffer());
  if (bytes.length > MAX_DOWNLOAD_BYTES) throw new UserError('That image is too large to upscale.');
  return bytes;
}
