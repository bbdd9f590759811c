import { request } from 'undici';
import { UserError } from '../errors.js';
import { readBody } from '../http/read-body.js';

/** Where Discord serves attachments: `url` on the CDN, `proxy_url` on the media proxy. */
export const DISCORD_ATTACHMENT_HOSTS: readonly string[] = ['cdn.discordapp.com', 'media.discordapp.net'];

const DEFAULT_MAX_BYTES = 30 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 30_000;

export interface DownloadOptions {
  /**
   * Hosts allowed besides Discord's own, as `host` or `host:port`: a self-hosted REST proxy
   * (or the test fake) serves attachments from the origin of `DISCORD_API_URL`.
   */
  extraHosts?: readonly string[];
  /** Default 30 MiB. */
  maxBytes?: number;
  /** For the whole download, headers and body. Default 30 s. */
  timeoutMs?: number;
}

/** The hosts {@link downloadAttachment} should also accept when the bot talks to Discord through `apiUrl`. */
export function attachmentHostsFor(apiUrl: string | undefined): string[] {
  if (!apiUrl) return [];
  try {
    return [new URL(apiUrl).host];
  } catch {
    return [];
  }
}

const notAnAttachment = () => new UserError('discord.attachment.notAttachment');

const withCause = (error: UserError, cause: unknown): UserError => Object.assign(error, { cause });

const megabytes = (bytes: number) => Math.round(bytes / (1024 * 1024));

/**
 * Refuses what is not an attachment before any request: the URL comes from a message, and an
 * arbitrary one would let a user make the bot fetch from inside its own network.
 */
function checkAttachmentUrl(url: string, extraHosts: readonly string[]): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw notAnAttachment();
  }
  const host = parsed.host.toLowerCase();
  const hostname = parsed.hostname.toLowerCase();
  const discord = DISCORD_ATTACHMENT_HOSTS.includes(hostname) && parsed.protocol === 'https:' && parsed.port === '';
  const extra = (parsed.protocol === 'https:' || parsed.protocol === 'http:') && extraHosts.some((h) => h.toLowerCase() === host || h.toLowerCase() === hostname);
  if (!discord && !extra) throw notAnAttachment();
  if (parsed.username !== '' || parsed.password !== '') throw notAnAttachment();
  return parsed;
}

/** Whether the bot would download this URL at all: Discord's CDN over https, or a host the caller allows. */
export function isAllowedAttachmentUrl(url: string, extraHosts: readonly string[]): boolean {
  try {
    checkAttachmentUrl(url, extraHosts);
    return true;
  } catch {
    return false;
  }
}

/**
 * Downloads an attachment from Discord's CDN (or a host the caller allows), streaming it and
 * stopping as soon as it passes `maxBytes`: a Content-Length can lie or be missing. A message
 * older than the CDN link's signature may have expired. Its refusals carry only small whole
 * numbers (megabytes, seconds, an HTTP status), rendered in the reader's language where shown.
 */
export async function downloadAttachment(url: string, options: DownloadOptions = {}): Promise<Buffer> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const target = checkAttachmentUrl(url, options.extraHosts ?? []);
  const tooLarge = () => new UserError('discord.attachment.tooLarge', { megabytes: megabytes(maxBytes) });
  const timeout = AbortSignal.timeout(timeoutMs);
  const failed = (cause: unknown) =>
    timeout.aborted
      ? withCause(new UserError('discord.attachment.timeout', { seconds: Math.max(1, Math.ceil(timeoutMs / 1000)) }), cause)
      : withCause(new UserError('discord.attachment.failed'), cause);

  let res: Awaited<ReturnType<typeof request>>;
  try {
    res = await request(target, { method: 'GET', signal: timeout, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  } catch (err) {
    throw failed(err);
  }
  if (res.statusCode !== 200) {
    await res.body.dump().catch(() => undefined);
    if (res.statusCode === 404 || res.statusCode === 403 || res.statusCode === 410) {
      throw new UserError('discord.attachment.gone');
    }
    throw new UserError('discord.attachment.status', { status: res.statusCode });
  }
  // undici reports a body destroyed before its end as an 'error' on it: nobody reads one here.
  const abandon = () => res.body.on('error', () => undefined).destroy();
  try {
    // Refused on a Content-Length past the limit before a byte is read, else as the bytes pass it.
    return await readBody(res.body, { contentLength: res.headers['content-length'], maxBytes, tooLarge });
  } catch (err) {
    if (err instanceof UserError) {
      abandon();
      throw err;
    }
    throw failed(err);
  }
}
