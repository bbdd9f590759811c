import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { DiscordAPIError, MessageFlags } from 'discord.js';
import { deliverResult, packFiles, packForOneMessage, type DeliveryTarget } from '../../../commands/imagine/imagine.delivery.js';
import type { CommandContext } from '../../../src/discord/command.js';
import type { JobReply } from '../../../src/discord/job-reply.js';
import { NO_MENTIONS } from '../../../src/discord/replies.js';
import { createLogger } from '../../../src/logger.js';

const MiB = 1024 * 1024;
/** A PNG of noise: it barely compresses, so its size is close to width × height × 3. */
const noisyPng = (width: number, height: number) => sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } }).png({ compressionLevel: 1 }).toBuffer();

describe('packForOneMessage', () => {
  it('fits four large PNGs, each under the attachment limit but together over Discord’s body limit, into one message', async () => {
    const png = await noisyPng(1800, 1800);
    expect(png.length).toBeGreaterThan(8 * MiB);
    expect(png.length).toBeLessThan(10 * MiB);
    const files = [1, 2, 3, 4].map((n) => ({ attachment: png, name: `image-${n}.png` }));
    const { files: fitted, reencoded } = await packForOneMessage(files, 10 * MiB);
    expect(fitted).toHaveLength(4);
    expect(reencoded).toBe(4);
    for (const f of fitted) expect(f.attachment.length).toBeLessThanOrEqual(6 * MiB);
    expect(fitted.reduce((n, f) => n + f.attachment.length, 0)).toBeLessThanOrEqual(24 * MiB);
    expect(fitted.map((f) => f.name.replace(/\.\w+$/, ''))).toEqual(['image-1', 'image-2', 'image-3', 'image-4']);
  }, 60_000);

  it('leaves files alone when they already fit together', async () => {
    const small = await noisyPng(64, 64);
    const { files, reencoded } = await packForOneMessage([{ attachment: small, name: 'image-1.png' }], 10 * MiB);
    expect(reencoded).toBe(0);
    expect(files[0]!.attachment).toBe(small);
  });
});

describe('packFiles', () => {
  it('re-encodes a file under a boosted server’s 50 MiB limit but over what one request may carry', async () => {
    const png = await noisyPng(3300, 3300);
    expect(png.length).toBeGreaterThan(25 * MiB);
    expect(png.length).toBeLessThan(50 * MiB);
    const { groups, reencoded } = await packFiles([{ attachment: png, name: 'image-1-x4.png' }], 50 * MiB);
    expect(reencoded).toBe(1);
    expect(groups).toHaveLength(1);
    expect(groups[0]![0]!.attachment.length).toBeLessThanOrEqual(24 * MiB);
    expect(groups[0]![0]!.name).toMatch(/^image-1-x4\.(webp|jpg)$/);
  }, 60_000);
});

/**
 * deliverResult against a recording interaction and channel (our own functions stubbed: a unit
 * test). A result over Discord's 24 MiB per message goes as two messages; what fails between
 * them must not post the first one's images again.
 */
describe('deliverResult, when Discord fails between two messages of one result', () => {
  const deadToken = () => new DiscordAPIError({ code: 10015, message: 'Unknown Webhook' }, 10015, 404, 'POST', '/webhooks/1/t', {});
  const tooLarge = () => new DiscordAPIError({ code: 40005, message: 'Request entity too large' }, 40005, 413, 'POST', '/webhooks/1/t', {});

  async function rig(followUpFails: () => Error) {
    // Four files of about 9.7 MB each: two fit in one message, so the result goes as two.
    const png = await noisyPng(1800, 1800);
    const files = [1, 2, 3, 4].map((n) => ({ attachment: png, name: `image-${n}.png` }));
    const calls: Array<{ via: string; files: string[]; replyTo?: string; content?: string }> = [];
    let followUpFailed = false;
    const names = (list: ReadonlyArray<{ name?: string | null }> | undefined) => (list ?? []).map((f) => String(f.name));
    const interaction = {
      attachmentSizeLimit: 50 * MiB,
      // Deferred, and replied once its first edit went (as discord.js marks it).
      deferred: true,
      replied: true,
      editReply: async (options: { files?: Array<{ name: string }> }) => {
        calls.push({ via: 'editReply', files: names(options.files) });
        return { id: 'reply-1' };
      },
      followUp: async (options: { files?: Array<{ name: string }>; content?: string; flags?: number }) => {
        if (!followUpFailed) {
          followUpFailed = true;
          throw followUpFails();
        }
        calls.push({ via: options.flags === MessageFlags.Ephemeral ? 'ephemeral' : 'followUp', files: names(options.files), ...(options.content ? { content: options.content } : {}) });
        return { id: 'follow-1' };
      },
    } as unknown as JobReply;
    const target: DeliveryTarget = { interaction, ageRestricted: false, placeholderId: 'reply-1', userId: '1', channelId: '2', receivedAt: 0, canPostInChannel: true, locale: 'en-US', publicLocale: 'en-US' };
    const ctx = {
      now: () => 1_000,
      log: createLogger({ level: 'silent', secrets: [] }),
      metrics: { imagesPosted: () => undefined },
      sendChannelMessage: async (_channel: string, m: { files?: Array<{ name: string }>; replyTo?: string }) => {
        calls.push({ via: 'channel', files: names(m.files), ...(m.replyTo ? { replyTo: m.replyTo } : {}) });
        return { id: 'channel-1' };
      },
      editChannelMessage: async () => undefined,
    } as unknown as CommandContext;
    return { target, ctx, calls, message: { content: 'made', embeds: [], files, components: [], allowedMentions: NO_MENTIONS } };
  }

  it('posts only the images not yet sent in the channel when the token dies after the first message', async () => {
    const { target, ctx, calls, message } = await rig(deadToken);
    const delivered = await deliverResult(target, message, ctx);
    expect(delivered).toEqual({ messageId: 'reply-1', via: 'reply', complete: true });
    expect(calls).toEqual([
      { via: 'editReply', files: ['image-1.png', 'image-2.png'] },
      { via: 'channel', files: ['image-3.png', 'image-4.png'], replyTo: 'reply-1' },
    ]);
  }, 60_000);

  it('keeps the images that went when Discord refuses the rest, and tells the requester what is missing', async () => {
    const noPermission = () => new DiscordAPIError({ code: 50013, message: 'Missing Permissions' }, 50013, 403, 'POST', '/webhooks/1/t', {});
    const { target, ctx, calls, message } = await rig(noPermission);
    const delivered = await deliverResult(target, message, ctx);
    expect(delivered).toEqual({ messageId: 'reply-1', via: 'reply', complete: false });
    expect(calls).toEqual([
      { via: 'editReply', files: ['image-1.png', 'image-2.png'] },
      { via: 'ephemeral', files: [], content: 'Only 2 of your 4 images could be posted. Your images were made, but the bot is not allowed to post them here. Ask an admin to give it Send Messages, Attach Files and Embed Links in this channel.' },
    ]);
  }, 60_000);

  it('re-encodes smaller on the retry in a boosted server whose real limit is lower than it said', async () => {
    const { ctx } = await rig(deadToken);
    const png = await noisyPng(2600, 2600);
    expect(png.length).toBeGreaterThan(16 * MiB);
    const sizes: number[] = [];
    let refused = false;
    const interaction = {
      attachmentSizeLimit: 50 * MiB,
      deferred: true,
      replied: false,
      editReply: async (options: { files?: Array<{ attachment: Buffer }> }) => {
        sizes.push(...(options.files ?? []).map((f) => f.attachment.length));
        if (!refused) {
          refused = true;
          throw tooLarge();
        }
        return { id: 'reply-1' };
      },
    } as unknown as JobReply;
    const target: DeliveryTarget = { interaction, ageRestricted: false, placeholderId: 'reply-1', userId: '1', channelId: '2', receivedAt: 0, canPostInChannel: true, locale: 'en-US', publicLocale: 'en-US' };
    await deliverResult(target, { content: 'made', embeds: [], files: [{ attachment: png, name: 'image-1.png' }], components: [], allowedMentions: NO_MENTIONS }, ctx);
    // First as it was (under 24 MiB), then within half of that: the 25 MiB that half of 50 would allow changes nothing.
    expect(sizes[0]).toBe(png.length);
    expect(sizes[1]).toBeLessThanOrEqual(12 * MiB);
  }, 60_000);

  it('sends only the rest again when Discord refuses the second message as too large', async () => {
    const { target, ctx, calls, message } = await rig(tooLarge);
    await deliverResult(target, message, ctx);
    expect(calls).toEqual([
      { via: 'editReply', files: ['image-1.png', 'image-2.png'] },
      { via: 'followUp', files: ['image-3.png', 'image-4.png'] },
    ]);
  }, 60_000);
});
