import { randomBytes } from 'node:crypto';

/**
 * The fixed little Discord the fake serves: one guild with a normal text channel, an
 * age-restricted one, a public thread under each, a forum channel (the gallery, whose posts are
 * threads the bot creates at run time), roles, a DM, three users and the bot. Beyond
 * what the bot can see: a second guild the bot is not in (where a user-installed app still gets
 * interactions) and a group DM of the three users. Payloads follow what Discord sends (v10), not
 * the minimum discord.js needs, so a bot that reads a field real Discord sets finds it here too.
 */

export type ChannelKind = 'text' | 'nsfw' | 'thread' | 'nsfwThread' | 'gallery' | 'dm';
/** The tags of the gallery forum (`available_tags`); `featured` is moderated (applying it takes MANAGE_THREADS). */
export type ForumTagKey = 'landscape' | 'portrait' | 'abstract' | 'featured';
export type UserKey = 'alice' | 'bob' | 'admin';
/** Roles of the bot's guild; `everyone` is @everyone (its id is the guild's), `bot` the bot's managed role. */
export type RoleKey = 'everyone' | 'admins' | 'moderators' | 'artists' | 'muted' | 'bot';
/** Roles of the guild the bot is not in: the same names, their own ids, no bot role. */
export type ForeignRoleKey = Exclude<RoleKey, 'bot'>;
export type Json = Record<string, unknown>;

const DISCORD_EPOCH = 1_420_070_400_000n;
let increment = 0n;

/** A snowflake minted at `at` (ms since 1970), like Discord's: timestamp, worker, process, increment. */
export function snowflake(at: number = Date.now()): string {
  increment = (increment + 1n) & 0xfffn;
  const worker = 1n << 17n;
  return (((BigInt(Math.floor(at)) - DISCORD_EPOCH) << 22n) | worker | increment).toString();
}

export function snowflakeTime(id: string): number {
  return Number((BigInt(id) >> 22n) + DISCORD_EPOCH);
}

/** Interaction tokens look like Discord's: base64url of `interaction:<id>:<random>`, ~200 characters. */
export function interactionToken(id: string): string {
  return Buffer.from(`interaction:${id}:${randomBytes(96).toString('base64url')}`).toString('base64url');
}

// Permission bits (discord-api-types PermissionFlagsBits) the fixtures use.
export const P = {
  CreateInstantInvite: 1n << 0n,
  KickMembers: 1n << 1n,
  Administrator: 1n << 3n,
  ManageGuild: 1n << 5n,
  AddReactions: 1n << 6n,
  ViewChannel: 1n << 10n,
  SendMessages: 1n << 11n,
  ManageChannels: 1n << 4n,
  ManageMessages: 1n << 13n,
  EmbedLinks: 1n << 14n,
  AttachFiles: 1n << 15n,
  ReadMessageHistory: 1n << 16n,
  MentionEveryone: 1n << 17n,
  UseExternalEmojis: 1n << 18n,
  Connect: 1n << 20n,
  Speak: 1n << 21n,
  UseVAD: 1n << 25n,
  ChangeNickname: 1n << 26n,
  ManageNicknames: 1n << 27n,
  UseApplicationCommands: 1n << 31n,
  ManageThreads: 1n << 34n,
  CreatePublicThreads: 1n << 35n,
  CreatePrivateThreads: 1n << 36n,
  UseExternalStickers: 1n << 37n,
  SendMessagesInThreads: 1n << 38n,
  UseEmbeddedActivities: 1n << 39n,
  ModerateMembers: 1n << 40n,
  SendVoiceMessages: 1n << 46n,
  SendPolls: 1n << 49n,
  UseExternalApps: 1n << 50n,
} as const;

function bits(...flags: bigint[]): string {
  return flags.reduce((a, b) => a | b, 0n).toString();
}

/** What @everyone gets in a freshly created server. */
export const MEMBER_PERMISSIONS = bits(
  P.CreateInstantInvite, P.AddReactions, P.ViewChannel, P.SendMessages, P.EmbedLinks, P.AttachFiles,
  P.ReadMessageHistory, P.UseExternalEmojis, P.Connect, P.Speak, P.UseVAD, P.ChangeNickname,
  P.UseApplicationCommands, P.CreatePublicThreads, P.CreatePrivateThreads, P.UseExternalStickers,
  P.SendMessagesInThreads, P.UseEmbeddedActivities, P.SendVoiceMessages, P.SendPolls, P.UseExternalApps,
);
export const ADMIN_PERMISSIONS = (BigInt(MEMBER_PERMISSIONS) | P.Administrator | P.ManageGuild).toString();
/** The bot's managed role: what an invite link for an image bot asks for. */
export const BOT_PERMISSIONS = bits(
  P.ViewChannel, P.SendMessages, P.SendMessagesInThreads, P.EmbedLinks, P.AttachFiles, P.ReadMessageHistory,
  P.UseExternalEmojis, P.AddReactions,
);
/** What a moderator role adds to @everyone's. */
export const MODERATOR_PERMISSIONS = bits(P.KickMembers, P.ManageMessages, P.ManageNicknames, P.ManageThreads, P.ModerateMembers);
/**
 * `app_permissions` where the bot is not a member: Discord documents ATTACH_FILES | EMBED_LINKS |
 * MENTION_EVERYONE for (group) DMs between users. For a server the bot is not in it documents
 * nothing; the fake gives the same, which is all answering an interaction needs.
 */
export const EXTERNAL_APP_PERMISSIONS = bits(P.EmbedLinks, P.AttachFiles, P.MentionEveryone);
/** `app_permissions` in the bot's DM: the (group) DM set plus USE_EXTERNAL_EMOJIS, as Discord documents. */
export const BOT_DM_APP_PERMISSIONS = bits(P.EmbedLinks, P.AttachFiles, P.MentionEveryone, P.UseExternalEmojis);
export const DEFAULT_ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024;
/** GATEWAY_GUILD_MEMBERS_LIMITED | GATEWAY_MESSAGE_CONTENT_LIMITED | APPLICATION_COMMAND_BADGE */
export const APPLICATION_FLAGS = (1 << 15) | (1 << 19) | (1 << 23);

export interface World {
  application: string;
  guild: string;
  botUser: Json;
  users: Record<UserKey, Json>;
  channels: Record<Exclude<ChannelKind, 'dm'>, Json>;
  /** DM channel per user; `alice`'s is the one exposed as `ids.channels.dm`. */
  dms: Record<UserKey, Json>;
  roles: Record<RoleKey, Json>;
  members: Record<UserKey | 'bot', Json>;
  /** A server the bot is not in, with one text channel: only a user install reaches it. */
  foreign: { guild: string; channel: Json; roles: Record<ForeignRoleKey, Json>; createdAt: number };
  /** A group DM of alice, bob and admin (owner bob), which the bot is not part of. */
  groupDm: Json;
  createdAt: number;
  /** The server's language (`preferred_locale`, sent as `guild_locale`); tests may change it. */
  guildLocale: string;
  /**
   * Threads created at run time (forum posts, in creation order), deleted ones removed. Stored
   * as GET /channels/{id} returns them: without the create answer's `member` and `message`.
   */
  threads: Json[];
  /** Tag ids of the gallery forum by key. */
  forumTags: Record<ForumTagKey, string>;
}

const YEAR = 365 * 24 * 3600 * 1000;

function user(id: string, username: string, globalName: string | null, extra: Json = {}): Json {
  return {
    id,
    username,
    discriminator: '0',
    global_name: globalName,
    avatar: null,
    avatar_decoration_data: null,
    collectibles: null,
    banner: null,
    accent_color: null,
    public_flags: 0,
    flags: 0,
    primary_guild: null,
    ...extra,
  };
}

/** A guild member object as REST and GUILD_CREATE carry it (no `permissions`: interactions add those). */
export function member(u: Json, roles: string[], joinedAt: number): Json {
  return {
    user: u,
    nick: null,
    avatar: null,
    banner: null,
    roles,
    joined_at: new Date(joinedAt).toISOString(),
    premium_since: null,
    deaf: false,
    mute: false,
    pending: false,
    flags: 0,
    communication_disabled_until: null,
    unusual_dm_activity_until: null,
  };
}

function textChannel(id: string, guild: string, name: string, position: number, parent: string, nsfw: boolean, topic: string): Json {
  return {
    id,
    type: 0,
    guild_id: guild,
    name,
    position,
    parent_id: parent,
    permission_overwrites: [],
    nsfw,
    topic,
    rate_limit_per_user: 0,
    last_message_id: null,
    last_pin_timestamp: null,
    default_auto_archive_duration: 4320,
    default_thread_rate_limit_per_user: 0,
    flags: 0,
    icon_emoji: null,
    theme_color: null,
    version: 0,
  };
}

function forumTag(id: string, name: string, emoji: string, moderated: boolean): Json {
  return { id, name, moderated, emoji_id: null, emoji_name: emoji };
}

/**
 * A forum channel (type 15) as Discord sends it: posts are threads, tags in `available_tags`, a
 * grid layout. `overwrites` are its permission overwrites (the threads in it inherit them).
 */
function forumChannel(id: string, guild: string, name: string, position: number, parent: string, tags: Json[], overwrites: Json[]): Json {
  return {
    id,
    type: 15,
    guild_id: guild,
    name,
    position,
    parent_id: parent,
    permission_overwrites: overwrites,
    nsfw: false,
    topic: 'Images members chose to share',
    rate_limit_per_user: 0,
    last_message_id: null,
    default_auto_archive_duration: 10080,
    default_thread_rate_limit_per_user: 0,
    flags: 0,
    available_tags: tags,
    default_reaction_emoji: null,
    default_sort_order: null,
    default_forum_layout: 2,
    default_tag_setting: 'match_some',
    template: '',
    icon_emoji: null,
    theme_color: null,
    version: 0,
  };
}

function thread(id: string, guild: string, name: string, parent: string, owner: string, createdAt: number): Json {
  return {
    id,
    type: 11,
    guild_id: guild,
    name,
    parent_id: parent,
    owner_id: owner,
    last_message_id: null,
    rate_limit_per_user: 0,
    flags: 0,
    member_count: 2,
    message_count: 3,
    total_message_sent: 3,
    applied_tags: [],
    thread_metadata: {
      archived: false,
      auto_archive_duration: 4320,
      archive_timestamp: new Date(createdAt).toISOString(),
      locked: false,
      create_timestamp: new Date(createdAt).toISOString(),
    },
  };
}

/** `guildOnShard`: [shard, count] — the server's id is made to fall on that shard by Discord's formula. */
export function createWorld(now: number, options: { guildOnShard?: readonly [number, number] } = {}): World {
  let guildCreated = now - 3 * YEAR;
  if (options.guildOnShard) {
    const [shard, count] = options.guildOnShard;
    // shard = (id >> 22) % count, and id >> 22 is the creation time since Discord's epoch.
    const at = BigInt(guildCreated) - DISCORD_EPOCH;
    guildCreated += Number((BigInt(shard) - (at % BigInt(count)) + BigInt(count)) % BigInt(count));
  }
  const application = snowflake(now - 2 * YEAR);
  const guild = snowflake(guildCreated);
  const botUser = user(application, 'Venice Imagine (fake)', null, {
    bot: true,
    discriminator: '4821',
    verified: true,
    mfa_enabled: false,
    email: null,
    locale: 'en-US',
  });
  const users: Record<UserKey, Json> = {
    alice: user(snowflake(now - 6 * YEAR), 'alice', 'Alice'),
    bob: user(snowflake(now - 5 * YEAR), 'bob.builder', 'Bob'),
    admin: user(snowflake(guildCreated - YEAR), 'server.owner', 'Server Owner'),
  };
  const category = snowflake(guildCreated + 1000);
  const textId = snowflake(guildCreated + 2000);
  const nsfwId = snowflake(guildCreated + 3000);
  const roles: Record<RoleKey, Json> = {
    ...memberRoles(guild, guildCreated),
    bot: role(snowflake(now - 2 * YEAR + 1000), 'Venice Imagine', 3, BOT_PERMISSIONS, {
      managed: true,
      tags: { bot_id: application },
    }),
  };
  const forumTags: Record<ForumTagKey, string> = {
    landscape: snowflake(guildCreated + 6100),
    portrait: snowflake(guildCreated + 6200),
    abstract: snowflake(guildCreated + 6300),
    featured: snowflake(guildCreated + 6400),
  };
  const galleryTags = [
    forumTag(forumTags.landscape, 'Landscape', '🏞️', false),
    forumTag(forumTags.portrait, 'Portrait', '🖼️', false),
    forumTag(forumTags.abstract, 'Abstract', '🌀', false),
    forumTag(forumTags.featured, 'Featured', '⭐', true),
  ];
  // A gallery the bot curates, as a server admin would set it up: members may not open posts
  // (they comment in them), the bot's role may, and may delete them (MANAGE_THREADS).
  const galleryOverwrites: Json[] = [
    { id: guild, type: 0, allow: '0', deny: bits(P.SendMessages) },
    { id: roles.bot.id, type: 0, allow: bits(P.SendMessages, P.ManageThreads), deny: '0' },
  ];
  const channels = {
    text: textChannel(textId, guild, 'general', 0, category, false, 'Say hi'),
    nsfw: textChannel(nsfwId, guild, 'after-dark', 1, category, true, 'Age-restricted'),
    thread: thread(snowflake(now - YEAR / 2), guild, 'image ideas', textId, users.alice.id as string, now - YEAR / 2),
    nsfwThread: thread(snowflake(now - YEAR / 3), guild, 'after-dark ideas', nsfwId, users.bob.id as string, now - YEAR / 3),
    gallery: forumChannel(snowflake(guildCreated + 6000), guild, 'gallery', 2, category, galleryTags, galleryOverwrites),
  };
  const dm = (u: Json): Json => ({ id: snowflake(now - YEAR / 4), type: 1, last_message_id: null, flags: 0, recipients: [u] });
  const dms: Record<UserKey, Json> = { alice: dm(users.alice), bob: dm(users.bob), admin: dm(users.admin) };
  const members = {
    alice: member(users.alice, [], guildCreated + YEAR),
    bob: member(users.bob, [], guildCreated + 2 * YEAR),
    admin: member(users.admin, [roles.admins.id as string], guildCreated),
    bot: member(botUser, [roles.bot.id as string], now - YEAR),
  };
  const foreignCreated = now - 4 * YEAR;
  const foreignGuild = snowflake(foreignCreated);
  const foreign = {
    guild: foreignGuild,
    channel: textChannel(snowflake(foreignCreated + 2000), foreignGuild, 'art-share', 0, snowflake(foreignCreated + 1000), false, 'Post your art'),
    roles: memberRoles(foreignGuild, foreignCreated),
    createdAt: foreignCreated,
  };
  const groupDm: Json = {
    id: snowflake(now - YEAR / 5),
    type: 3,
    name: 'art friends',
    icon: null,
    owner_id: users.bob.id,
    last_message_id: null,
    flags: 0,
    recipients: [users.alice, users.bob, users.admin],
  };
  return { application, guild, botUser, users, channels, dms, roles, members, foreign, groupDm, createdAt: now, guildLocale: 'en-US', threads: [], forumTags };
}

function role(id: string, name: string, position: number, permissions: string, extra: Json = {}): Json {
  return {
    id,
    name,
    description: null,
    permissions,
    position,
    color: 0,
    colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
    hoist: false,
    managed: false,
    mentionable: false,
    icon: null,
    unicode_emoji: null,
    flags: 0,
    ...extra,
  };
}

/**
 * The roles members of a guild can hold, ids minted from the guild's creation. Muted carries no
 * permissions of its own (servers deny through channel overwrites; the fake has none): a bot
 * that honours it reads the role id.
 */
function memberRoles(guild: string, guildCreated: number): Record<ForeignRoleKey, Json> {
  return {
    everyone: role(guild, '@everyone', 0, MEMBER_PERMISSIONS),
    muted: role(snowflake(guildCreated + 4000), 'Muted', 1, '0'),
    artists: role(snowflake(guildCreated + 4500), 'Artists', 2, '0', { color: 3_447_003, mentionable: true }),
    moderators: role(snowflake(guildCreated + 4800), 'Moderators', 4, MODERATOR_PERMISSIONS, { color: 3_066_993, hoist: true }),
    admins: role(snowflake(guildCreated + 5000), 'Admins', 5, ADMIN_PERMISSIONS, { color: 15_158_332, hoist: true }),
  };
}

/** The guild as REST `GET /guilds/{id}` returns it. */
export function guildObject(world: World): Json {
  return {
    id: world.guild,
    name: 'Fake Imagine Server',
    icon: null,
    description: null,
    home_header: null,
    splash: null,
    discovery_splash: null,
    features: [],
    banner: null,
    owner_id: world.users.admin.id,
    application_id: null,
    region: 'deprecated',
    afk_channel_id: null,
    afk_timeout: 300,
    system_channel_id: world.channels.text.id,
    system_channel_flags: 0,
    widget_enabled: false,
    widget_channel_id: null,
    verification_level: 1,
    roles: Object.values(world.roles),
    default_message_notifications: 1,
    mfa_level: 0,
    explicit_content_filter: 2,
    max_presences: null,
    max_members: 25_000_000,
    max_stage_video_channel_users: 50,
    max_video_channel_users: 25,
    vanity_url_code: null,
    premium_tier: 0,
    premium_subscription_count: 0,
    preferred_locale: world.guildLocale,
    rules_channel_id: null,
    safety_alerts_channel_id: null,
    public_updates_channel_id: null,
    hub_type: null,
    premium_progress_bar_enabled: false,
    latest_onboarding_question_id: null,
    nsfw: false,
    nsfw_level: 0,
    emojis: [],
    stickers: [],
    incidents_data: null,
    inventory_settings: null,
    embed_enabled: false,
    embed_channel_id: null,
  };
}

export function categoryChannel(world: World): Json {
  return {
    id: world.channels.text.parent_id,
    type: 4,
    guild_id: world.guild,
    name: 'Text Channels',
    position: 0,
    parent_id: null,
    permission_overwrites: [],
    nsfw: false,
    flags: 0,
    version: 0,
  };
}

/** GUILD_CREATE as the gateway sends it after READY: the REST guild plus the lazy-load extras. */
export function guildCreatePayload(world: World): Json {
  return {
    ...guildObject(world),
    joined_at: new Date(snowflakeTime(world.application) + 60_000).toISOString(),
    large: false,
    unavailable: false,
    lazy: true,
    member_count: 4,
    version: Date.now(),
    voice_states: [],
    members: [world.members.bot, world.members.admin, world.members.alice, world.members.bob],
    channels: [categoryChannel(world), world.channels.text, world.channels.nsfw, world.channels.gallery],
    // Active threads: a reconnecting client learns the forum posts created so far.
    threads: [world.channels.thread, world.channels.nsfwThread, ...world.threads.filter((t) => !(t.thread_metadata as Json).archived)],
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
    embedded_activities: [],
    activity_instances: [],
    application_command_counts: {},
  };
}

export function channelObject(world: World, id: string): Json | undefined {
  if (id === world.channels.text.parent_id) return categoryChannel(world);
  for (const channel of [...Object.values(world.channels), ...Object.values(world.dms), ...world.threads]) {
    if (channel.id === id) return channel;
  }
  return undefined;
}

export function channelKindOf(world: World, id: string): ChannelKind | undefined {
  for (const [kind, channel] of Object.entries(world.channels)) if (channel.id === id) return kind as ChannelKind;
  if (Object.values(world.dms).some((c) => c.id === id)) return 'dm';
  return undefined;
}

/**
 * Applies a channel's permission overwrites to `base` as Discord computes them: @everyone's,
 * then the member's roles' (denies before allows), then the member's own. A thread has none of
 * its own and takes its parent's. Administrator overrides every overwrite.
 */
export function applyOverwrites(world: World, base: bigint, channel: Json, roleIds: readonly string[], memberId: string): bigint {
  if ((base & P.Administrator) !== 0n) return base;
  const source = channel.type === 11 || channel.type === 12 ? channelObject(world, String(channel.parent_id)) : channel;
  const overwrites = source && Array.isArray(source.permission_overwrites) ? (source.permission_overwrites as Json[]) : [];
  let perms = base;
  const apply = (list: Json[]): void => {
    let allow = 0n;
    let deny = 0n;
    for (const o of list) {
      allow |= BigInt(String(o.allow ?? '0'));
      deny |= BigInt(String(o.deny ?? '0'));
    }
    perms = (perms & ~deny) | allow;
  };
  apply(overwrites.filter((o) => o.type === 0 && o.id === world.guild));
  apply(overwrites.filter((o) => o.type === 0 && o.id !== world.guild && roleIds.includes(String(o.id))));
  apply(overwrites.filter((o) => o.type === 1 && o.id === memberId));
  return perms;
}

/** Whether the channel (or a thread's parent) has any permission overwrites at all. */
export function hasOverwrites(world: World, channel: Json): boolean {
  const source = channel.type === 11 || channel.type === 12 ? channelObject(world, String(channel.parent_id)) : channel;
  return Array.isArray(source?.permission_overwrites) && source.permission_overwrites.length > 0;
}
