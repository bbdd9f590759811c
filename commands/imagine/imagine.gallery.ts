import { ChannelType, MessageFlags, type APIEmbed, type Client, type Message as DiscordMessage, type MessageComponentInteraction } from 'discord.js';
import type { CommandContext } from '../../src/discord/command.js';
import { NO_MENTIONS } from '../../src/discord/replies.js';
import { UserError } from '../../src/errors.js';
import { publicLocaleOf, translator } from '../../src/i18n/index.js';
import type { GalleryPost } from '../../src/store/gallery.js';
import { madeUnsafe, type Generation } from '../../src/store/generations.js';
import type { EffectiveSettings } from '../../src/store/settings.js';
import { messageLink, renderGalleryButtons, trimPrompt } from './imagine.view.js';

/** The image files of a result message (`image-N`, spoilered or not), in order. */
const IMAGE_FILE = /^(SPOILER_)?image-\d+(-x[24])?\.[a-z]+$/;

export interface ImageFile {
  name: string;
  data: Buffer;
}

/**
 * Downloads the images a message of the bot's holds, through the bounded attachment download:
 * the message is where the bytes live, so nothing has to be kept in memory or on disk.
 */
export async function downloadImages(message: Pick<DiscordMessage, 'attachments'>, ctx: CommandContext): Promise<ImageFile[]> {
  const attachments = [...message.attachments.values()].filter((a) => IMAGE_FILE.test(a.name));
  const files: ImageFile[] = [];
  for (const a of attachments) files.push({ name: a.name, data: await ctx.downloadAttachment(a.url) });
  return files;
}

export interface GallerySource {
  generation: Generation;
  guildId: string;
  channelId: string;
  messageId: string;
  files: ImageFile[];
  /** The result's embed (prompt, model, seeds, size), as the channel shows it. */
  embeds: APIEmbed[];
}

/**
 * Cross-posts a result to the server's gallery, once ever: a forum gets a new post (named after
 * the prompt), a text channel a message; both say who made it and link back. The claim in the
 * store decides who posts; a failed post releases it so a later ⭐ or approval can try again.
 * Returns the gallery channel when this call posted.
 */
export async function crossPost(client: Client, source: GallerySource, settings: EffectiveSettings, publicLocale: string, ctx: CommandContext): Promise<string | undefined> {
  const galleryId = settings.galleryChannelId;
  if (!galleryId || source.files.length === 0) return undefined;
  const g = source.generation;
  const channel = await client.channels.fetch(galleryId);
  // What safe mode off or an age-restricted channel allowed goes only to an age-restricted gallery.
  if (madeUnsafe(g) && !(channel !== null && 'nsfw' in channel && channel.nsfw === true)) {
    ctx.log.warn({ generationId: g.id, galleryId }, 'not cross-posting a result made with safe mode off or in an age-restricted channel to a gallery that is not age-restricted');
    return undefined;
  }
  const claimed = await ctx.store.gallery.claim(
    { generationId: g.id, guildId: source.guildId, userId: g.userId, sourceChannelId: source.channelId, sourceMessageId: source.messageId, galleryChannelId: galleryId },
    ctx.now(),
  );
  if (!claimed) return undefined;
  const t = translator(publicLocale);
  const content = t.t('review.gallery.content', { userId: g.userId, link: messageLink(source.guildId, source.channelId, source.messageId) });
  const components = renderGalleryButtons(t, g.id);
  try {
    if (channel?.type === ChannelType.GuildForum) {
      const thread = await channel.threads.create({
        name: trimPrompt(g.options.prompt.replace(/\s+/g, ' ').trim(), 100) || g.id,
        message: { content, embeds: source.embeds, components, files: source.files.map((f) => ({ attachment: f.data, name: f.name })), allowedMentions: NO_MENTIONS },
      });
      await ctx.store.gallery.posted(g.id, { messageId: thread.id, threadId: thread.id });
    } else {
      const sent = await ctx.sendChannelMessage(galleryId, { content, embeds: source.embeds, components, files: source.files });
      await ctx.store.gallery.posted(g.id, { messageId: sent.id, threadId: null });
    }
    ctx.log.info({ generationId: g.id, galleryId }, 'cross-posted to the gallery');
    return galleryId;
  } catch (err) {
    await ctx.store.gallery.release(g.id);
    throw err;
  }
}

/** Takes a result out of the gallery: its forum post or its message goes, and it is never posted again. */
export async function removeFromGallery(client: Client, post: GalleryPost, ctx: CommandContext): Promise<void> {
  await ctx.store.gallery.markRemoved(post.generationId, ctx.now());
  if (post.galleryThreadId) {
    const thread = await client.channels.fetch(post.galleryThreadId).catch(() => null);
    if (thread && thread.isThread()) await thread.delete();
  } else if (post.galleryMessageId) {
    await ctx.deleteChannelMessage(post.galleryChannelId, post.galleryMessageId);
  }
  ctx.log.info({ generationId: post.generationId }, 'removed from the gallery');
}

/** The ⭐ under a result: one vote per member; at the server's threshold the result is cross-posted. */
export async function star(interaction: MessageComponentInteraction, g: Generation, ctx: CommandContext): Promise<void> {
  const t = translator(interaction.locale);
  if (!interaction.inGuild()) throw new UserError('review.errors.noGallery');
  const settings = await ctx.store.settings.effective(interaction.guildId, []);
  if (!settings.galleryChannelId) throw new UserError('review.errors.noGallery');
  const needed = settings.galleryStars;
  const { added, count } = await ctx.store.gallery.vote(g.id, interaction.user.id, ctx.now());
  const shown = { count: t.number(Math.min(count, needed)), needed: t.number(needed) };
  if (!added) {
    await interaction.reply({ content: t.t('review.gallery.already', shown), flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
    return;
  }
  if (count < needed || await ctx.store.gallery.get(g.id)) {
    await interaction.reply({ content: t.t('review.gallery.starred', shown), flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
    return;
  }
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  const files = await downloadImages(interaction.message, ctx);
  const publicLocale = publicLocaleOf(interaction, settings.language);
  const posted = await crossPost(
    interaction.client,
    { generation: g, guildId: interaction.guildId, channelId: interaction.channelId, messageId: interaction.message.id, files, embeds: interaction.message.embeds.map((e) => e.toJSON()) },
    settings,
    publicLocale,
    ctx,
  );
  const content = posted ? t.t('review.gallery.crossPosted', { ...shown, channelId: posted }) : t.t('review.gallery.starred', shown);
  await interaction.editReply({ content, allowedMentions: NO_MENTIONS });
}

/** "Remove from gallery" on a gallery post: only the image's author may use it. */
export async function unlist(interaction: MessageComponentInteraction, g: Generation, ctx: CommandContext): Promise<void> {
  const post = await ctx.store.gallery.get(g.id);
  if (!post || post.state !== 'posted') throw new UserError('review.errors.notInGallery');
  if (interaction.user.id !== post.userId) throw new UserError('review.errors.removeNotAllowed');
  // Said first: a forum post's thread, where this button sits, is about to go.
  await interaction.reply({ content: translator(interaction.locale).t('review.gallery.removed'), flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
  await removeFromGallery(interaction.client, post, ctx);
}
