import sharp from 'sharp';
import type { InteractionHandle, RecordedRequest } from '../support/discord/fake-discord.js';

export const EPHEMERAL = 1 << 6;

export interface MessageJson {
  content?: string;
  flags?: number;
  embeds?: Array<{ description?: string; fields?: Array<{ name: string; value: string }> }>;
  allowed_mentions?: { parse?: string[] };
  components?: unknown[];
  attachments?: unknown[];
}

export const json = (r: RecordedRequest): MessageJson => (r.json ?? {}) as MessageJson;

/** The message the user finally sees in the channel: the last edit of the deferred reply. */
export async function resultOf(handle: InteractionHandle): Promise<RecordedRequest> {
  return handle.originalEdit();
}

/** Waits until the interaction ends in an ephemeral message (a follow-up, or an edit of an ephemeral defer). */
export async function ephemeralOf(handle: InteractionHandle, discordWait: <T>(probe: () => T | undefined | false, ms?: number) => Promise<T>): Promise<RecordedRequest> {
  return discordWait(() =>
    handle.requests().find(
      (r) => r.method === 'POST' && /^\/webhooks\/\d+\/[^/]+$/.test(r.path) && ((json(r).flags ?? 0) & EPHEMERAL) !== 0,
    ),
  );
}

export async function imageInfo(data: Buffer): Promise<{ format: string | undefined; width: number | undefined; height: number | undefined }> {
  const meta = await sharp(data).metadata();
  return { format: meta.format, width: meta.width, height: meta.height };
}
