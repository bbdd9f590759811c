import type { Interaction } from 'discord.js';

/**
 * Discord's policy: adult content only in age-restricted channels, or threads whose parent
 * is one. DMs and uncached channels count as not age-restricted, the safe answer.
 */
export function isAgeRestricted(interaction: Interaction): boolean {
  const channel = interaction.channel;
  if (!channel || !interaction.inGuild()) return false;
  if (channel.isThread()) return channel.parent !== null && 'nsfw' in channel.parent && channel.parent.nsfw === true;
  return 'nsfw' in channel && channel.nsfw === true;
}

/** The channels whose settings apply, outermost first: a thread inherits its parent's. */
export function settingsChannels(interaction: Interaction): string[] {
  const channel = interaction.channel;
  const id = interaction.channelId ?? interaction.user.id;
  if (channel?.isThread() && channel.parentId) return [channel.parentId, id];
  return [id];
}
