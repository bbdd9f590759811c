import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  ChannelType,
  Events,
  ForumLayoutType,
  PermissionFlagsBits,
  SlashCommandBuilder,
} from 'discord.js';
import type { ForumChannel, Interaction, TextChannel ,
  Client} from 'discord.js';
import sharp from 'sharp';
import { startFakeDiscord } from './discord/fake-discord.js';
import { loginTo } from './discord/login.js';
import type { FakeDiscord } from './discord/fake-discord.js';
import { validateComponent } from './discord/spec.js';

let fake: FakeDiscord;
let client: Client | undefined;

beforeEach(async () => {
  fake = await startFakeDiscord();
});

afterEach(async () => {
  await client?.destroy();
  client = undefined;
  await fake.close();
});

async function login(): Promise<Client<true>> {
  const c = await loginTo(fake);
  client = c;
  return c;
}

function png(width = 4, height = 3): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 20, g: 120, b: 200 } } }).png().toBuffer();
}

/** A REST call as the bot makes it, outside discord.js, to see Discord's answer as sent. */
async function rest(method: string, path: string, body?: unknown, init: { form?: FormData } = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const headers: Record<string, string> = { authorization: `Bot ${fake.token}` };
  let payload: FormData | string | undefined = init.form;
  if (body !== undefined && !init.form) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await fetch(`${fake.apiUrl}/v10${path}`, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

function nextInteraction<T>(c: Client, handler: (i: Interaction) => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    c.once(Events.InteractionCreate, (interaction) => {
      handler(interaction).then(resolve, reject);
    });
  });
}

function nextRawInteraction(c: Client): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const listener = (packet: { t?: string; d?: Record<string, unknown> }): void => {
      if (packet.t !== 'INTERACTION_CREATE' || !packet.d) return;
      c.off(Events.Raw, listener);
      resolve(packet.d);
    };
    c.on(Events.Raw, listener);
  });
}

const remove = new ActionRowBuilder<ButtonBuilder>().addComponents(
  new ButtonBuilder().setCustomId('gallery:remove:1').setLabel('Remove').setStyle(ButtonStyle.Danger),
);

describe('the gallery forum (type 15)', () => {
  it('is in GUILD_CREATE, GET /guilds/{id}/channels and GET /channels/{id}, shaped as the spec says', async () => {
    const c = await login();
    const forum = c.channels.cache.get(fake.ids.channels.gallery) as ForumChannel | undefined;
    expect(forum?.type).toBe(ChannelType.GuildForum);
    expect(forum?.defaultForumLayout).toBe(ForumLayoutType.GalleryView);
    expect(forum?.availableTags.map((t) => [t.id, t.name, t.moderated])).toEqual([
      [fake.ids.forumTags.landscape, 'Landscape', false],
      [fake.ids.forumTags.portrait, 'Portrait', false],
      [fake.ids.forumTags.abstract, 'Abstract', false],
      [fake.ids.forumTags.featured, 'Featured', true],
    ]);
    // The server set it up for the bot: members may not open posts, the bot may, and may delete them.
    const me = forum?.guild.members.me;
    expect(me && forum?.permissionsFor(me).has([PermissionFlagsBits.SendMessages, PermissionFlagsBits.ManageThreads])).toBe(true);
    expect(forum?.permissionsFor(fake.ids.users.alice)?.has(PermissionFlagsBits.SendMessages)).toBe(false);
    expect(forum?.permissionsFor(fake.ids.users.alice)?.has(PermissionFlagsBits.SendMessagesInThreads)).toBe(true);

    const listed = await rest('GET', `/guilds/${fake.ids.guild}/channels`);
    const channels = listed.json as unknown as Array<Record<string, unknown>>;
    expect(channels.map((ch) => ch.type)).toEqual([4, 0, 0, 15]);
    const single = await rest('GET', `/channels/${fake.ids.channels.gallery}`);
    expect(single.status).toBe(200);
    expect(validateComponent('GuildChannelResponse', single.json)).toEqual({ ok: true });
    expect(single.json).toMatchObject({ id: fake.ids.channels.gallery, type: 15, guild_id: fake.ids.guild, default_forum_layout: 2 });
  });

  it('creates a post through discord.js: a thread whose first message holds the content, the components and the file on the CDN', async () => {
    const c = await login();
    const forum = c.channels.cache.get(fake.ids.channels.gallery) as ForumChannel;
    const image = await png();
    const thread = await forum.threads.create({
      name: 'a red fox by Alice',
      appliedTags: [fake.ids.forumTags.landscape],
      message: { content: 'a red fox, by <@' + fake.ids.users.alice + '>', files: [{ attachment: image, name: 'fox.png' }], components: [remove], allowedMentions: { parse: [] } },
    });
    expect(thread.type).toBe(ChannelType.PublicThread);
    expect(thread.parentId).toBe(fake.ids.channels.gallery);
    expect(thread.ownerId).toBe(fake.ids.botUser);
    expect(thread.appliedTags).toEqual([fake.ids.forumTags.landscape]);

    const [request] = fake.requests.filter((r) => r.path === `/channels/${fake.ids.channels.gallery}/threads`);
    expect(request).toMatchObject({ method: 'POST', status: 201, json: { name: 'a red fox by Alice', message: { content: expect.stringContaining('a red fox') } } });
    expect(request?.files.map((f) => f.field)).toEqual(['files[0]']);
    expect(fake.invalidRequests()).toEqual([]);

    const [post] = fake.forumPosts();
    expect(post?.thread).toMatchObject({ id: thread.id, type: 11, parent_id: fake.ids.channels.gallery, owner_id: fake.ids.botUser, message_count: 0, applied_tags: [fake.ids.forumTags.landscape] });
    expect(validateComponent('ThreadResponse', post?.thread)).toEqual({ ok: true });
    // On Discord the first message of a post has the thread's id.
    expect(post?.message).toMatchObject({ id: thread.id, channel_id: thread.id, content: expect.stringContaining('a red fox'), mentions: [], components: [{ type: 1 }] });
    const [attachment] = (post?.message?.attachments ?? []) as Array<{ url: string; filename: string; width: number }>;
    expect(attachment).toMatchObject({ filename: 'fox.png', width: 4, height: 3 });
    expect(attachment?.url.startsWith(`${fake.cdnUrl}/attachments/${thread.id}/`)).toBe(true);
    expect(Buffer.from(await (await fetch(attachment?.url ?? '')).arrayBuffer()).equals(image)).toBe(true);

    // The first message is a message like any other: fetched, edited, answered in the thread.
    const starter = await thread.fetchStarterMessage();
    expect(starter?.attachments.first()?.url).toBe(attachment?.url);
    const edited = await starter?.edit({ content: 'a red fox (removed by the author)', components: [], attachments: [] });
    expect(edited?.content).toBe('a red fox (removed by the author)');
    expect((await fetch(attachment?.url ?? '')).status).toBe(404);
    await thread.send('a comment');
    expect(fake.channelMessages(thread.id)).toHaveLength(1);
    expect(fake.forumPosts()[0]?.thread).toMatchObject({ message_count: 1, total_message_sent: 1 });
    expect(fake.invalidRequests()).toEqual([]);
  });

  it('answers 201 with the thread, its member and its message, as CreatedThreadResponse says, for multipart with files[n]', async () => {
    const image = await png(6, 5);
    const form = new FormData();
    form.append(
      'payload_json',
      JSON.stringify({
        name: 'blue hour',
        auto_archive_duration: 1440,
        rate_limit_per_user: 10,
        applied_tags: [fake.ids.forumTags.portrait, fake.ids.forumTags.abstract],
        message: { content: 'blue hour', attachments: [{ id: '0', filename: 'blue.png', description: 'a blue field' }], allowed_mentions: { parse: [] } },
      }),
    );
    form.append('files[0]', new Blob([image], { type: 'image/png' }), 'blue.png');
    const created = await rest('POST', `/channels/${fake.ids.channels.gallery}/threads`, undefined, { form });
    expect(created.status).toBe(201);
    expect(validateComponent('CreatedThreadResponse', created.json)).toEqual({ ok: true });
    expect(created.json).toMatchObject({
      type: 11,
      name: 'blue hour',
      rate_limit_per_user: 10,
      applied_tags: [fake.ids.forumTags.portrait, fake.ids.forumTags.abstract],
      thread_metadata: { archived: false, locked: false, auto_archive_duration: 1440 },
      member: { id: created.json.id, user_id: fake.ids.botUser },
      message: { id: created.json.id, channel_id: created.json.id, content: 'blue hour', attachments: [{ filename: 'blue.png', description: 'a blue field', width: 6, height: 5 }] },
    });
    const got = await rest('GET', `/channels/${String(created.json.id)}/messages/${String(created.json.id)}`);
    expect(got.status).toBe(200);
    expect(got.json).toEqual(fake.forumPosts()[0]?.message);
    expect((await rest('GET', `/channels/${String(created.json.id)}`)).json).toEqual(fake.forumPosts()[0]?.thread);
    // Deleting the first message leaves the post, as on Discord.
    expect((await rest('DELETE', `/channels/${String(created.json.id)}/messages/${String(created.json.id)}`)).status).toBe(204);
    expect(fake.forumPosts()).toEqual([{ thread: expect.objectContaining({ id: created.json.id }), message: undefined }]);
    expect(fake.deletedMessages()).toEqual([created.json.id]);
  });

  it('refuses what Discord refuses: no message, an empty or spec-invalid one, unknown tags, other channel types', async () => {
    const gallery = `/channels/${fake.ids.channels.gallery}/threads`;
    const noMessage = await rest('POST', gallery, { name: 'no message' });
    expect(noMessage).toMatchObject({ status: 400, json: { code: 50035, errors: { message: { _errors: [{ code: 'BASE_TYPE_REQUIRED' }] } } } });
    const badContent = await rest('POST', gallery, { name: 'bad', message: { content: 7 } });
    expect(badContent).toMatchObject({ status: 400, json: { code: 50035, errors: { message: { content: { _errors: [{ code: 'BASE_TYPE_BAD_TYPE' }] } } } } });
    const numericAttachment = await rest('POST', gallery, { name: 'bad', message: { content: 'x', attachments: [{ id: 0 }] } });
    expect(numericAttachment.json).toMatchObject({ code: 50035, errors: { message: { attachments: { '0': { id: {} } } } } });
    expect((await rest('POST', gallery, { name: '', message: { content: 'x' } })).json).toMatchObject({ code: 50035, errors: { name: {} } });
    expect(await rest('POST', gallery, { name: 'empty', message: {} })).toMatchObject({ status: 400, json: { code: 50006, message: 'Cannot send an empty message' } });
    expect(await rest('POST', gallery, { name: 'tagged', applied_tags: ['1234567890123456789'], message: { content: 'x' } })).toMatchObject({
      status: 400,
      json: { code: 50035, errors: { applied_tags: { '0': { _errors: [{ code: 'BASE_TYPE_CHOICES' }] } } } },
    });
    expect(fake.invalidRequests().map((r) => r.status)).toEqual([400, 400, 400, 400, 400]);

    // A text channel takes threads without a message (private by default; @everyone may create them); nothing else takes threads.
    const side = await rest('POST', `/channels/${fake.ids.channels.text}/threads`, { name: 'side thread' });
    expect(side).toMatchObject({ status: 201, json: { type: 12, parent_id: fake.ids.channels.text, last_message_id: null } });
    expect(side.json.message).toBeUndefined();
    fake.setPermissionOverwrite('text', 'everyone', { deny: PermissionFlagsBits.CreatePublicThreads });
    expect(await rest('POST', `/channels/${fake.ids.channels.text}/threads`, { name: 'public', type: 11 })).toMatchObject({ status: 403, json: { code: 50013 } });
    expect(await rest('POST', `/channels/${fake.ids.channels.thread}/threads`, { name: 'x', message: { content: 'x' } })).toMatchObject({ status: 400, json: { code: 50024 } });
    expect(await rest('POST', `/channels/${fake.ids.channels.dm}/threads`, { name: 'x', message: { content: 'x' } })).toMatchObject({ status: 400, json: { code: 50024 } });
    expect(await rest('POST', `/channels/${fake.ids.foreignChannel}/threads`, { name: 'x', message: { content: 'x' } })).toMatchObject({ status: 403, json: { code: 50001 } });
    expect(await rest('POST', '/channels/1234567890123456789/threads', { name: 'x', message: { content: 'x' } })).toMatchObject({ status: 404, json: { code: 10003 } });
    // A forum holds no messages of its own.
    expect(await rest('POST', `/channels/${fake.ids.channels.gallery}/messages`, { content: 'x' })).toMatchObject({ status: 400, json: { code: 50008 } });
    expect(fake.forumPosts()).toEqual([]);
  });

  it('checks the bot\'s permissions after the overwrites: posting, attaching, moderated tags, deleting', async () => {
    const gallery = `/channels/${fake.ids.channels.gallery}/threads`;
    const featured = { name: 'featured', applied_tags: [fake.ids.forumTags.featured], message: { content: 'x' } };
    // As set up, the bot may apply the moderated tag (MANAGE_THREADS).
    expect((await rest('POST', gallery, featured)).status).toBe(201);

    fake.setPermissionOverwrite('gallery', 'bot', { allow: PermissionFlagsBits.SendMessages });
    expect(await rest('POST', gallery, featured)).toMatchObject({ status: 403, json: { code: 50013, message: 'Missing Permissions' } });
    const plain = await rest('POST', gallery, { name: 'plain', message: { content: 'x' } });
    expect(plain.status).toBe(201);
    expect(await rest('DELETE', `/channels/${String(plain.json.id)}`)).toMatchObject({ status: 403, json: { code: 50013 } });

    fake.setPermissionOverwrite('gallery', 'bot', { allow: PermissionFlagsBits.SendMessages, deny: PermissionFlagsBits.AttachFiles });
    const form = new FormData();
    form.append('payload_json', JSON.stringify({ name: 'with a file', message: { content: 'x' } }));
    form.append('files[0]', new Blob([await png()], { type: 'image/png' }), 'a.png');
    expect(await rest('POST', gallery, undefined, { form })).toMatchObject({ status: 403, json: { code: 50013 } });

    // Without its overwrite the bot is one more member: @everyone may not open posts.
    fake.setPermissionOverwrite('gallery', 'bot', null);
    expect(await rest('POST', gallery, { name: 'denied', message: { content: 'x' } })).toMatchObject({ status: 403, json: { code: 50013 } });
    fake.setPermissionOverwrite('gallery', 'everyone', { deny: PermissionFlagsBits.ViewChannel });
    expect(await rest('POST', gallery, { name: 'hidden', message: { content: 'x' } })).toMatchObject({ status: 403, json: { code: 50001 } });
    // Channel messages are checked the same way.
    fake.setPermissionOverwrite('text', 'bot', { deny: PermissionFlagsBits.SendMessages });
    expect(await rest('POST', `/channels/${fake.ids.channels.text}/messages`, { content: 'x' })).toMatchObject({ status: 403, json: { code: 50013 } });
    expect(fake.forumPosts().map((p) => p.thread.name)).toEqual(['featured', 'plain']);
  });

  it('deletes a post with MANAGE_THREADS: the thread, its messages and their files go, and a press on it is impossible', async () => {
    const c = await login();
    const forum = c.channels.cache.get(fake.ids.channels.gallery) as ForumChannel;
    const thread = await forum.threads.create({ name: 'to remove', message: { content: 'mine', files: [{ attachment: await png(), name: 'a.png' }], components: [remove] } });
    const url = fake.forumPosts()[0]?.message?.attachments as Array<{ url: string }>;
    const deletedEvent = new Promise<string>((resolve) => c.once(Events.ThreadDelete, (t) => resolve(t.id)));
    await thread.delete();
    expect(await deletedEvent).toBe(thread.id);
    expect(fake.requests.find((r) => r.method === 'DELETE')).toMatchObject({ path: `/channels/${thread.id}`, status: 200 });
    expect(fake.forumPosts()).toEqual([]);
    expect(fake.deletedChannels()).toEqual([thread.id]);
    expect(fake.deletedMessages()).toEqual([thread.id]);
    expect(fake.message(thread.id)).toBeUndefined();
    expect((await fetch(url[0]?.url ?? '')).status).toBe(404);
    expect(await rest('GET', `/channels/${thread.id}`)).toMatchObject({ status: 404, json: { code: 10003 } });
    expect(await rest('GET', `/channels/${thread.id}/messages/${thread.id}`)).toMatchObject({ status: 404, json: { code: 10003 } });
    expect(await rest('DELETE', `/channels/${thread.id}`)).toMatchObject({ status: 404, json: { code: 10003 } });
    await expect(fake.button('gallery:remove:1', { id: thread.id })).rejects.toThrow(/deleted/);
    // Other channels need MANAGE_CHANNELS, which the bot's role lacks.
    const text = c.channels.cache.get(fake.ids.channels.text) as TextChannel;
    await expect(text.delete()).rejects.toMatchObject({ code: 50013 });
  });

  it('learns the posts created before it connected from GUILD_CREATE', async () => {
    const created = await rest('POST', `/channels/${fake.ids.channels.gallery}/threads`, { name: 'early', message: { content: 'x' } });
    const c = await login();
    const thread = c.channels.cache.get(String(created.json.id));
    expect(thread?.isThread() && thread.parentId).toBe(fake.ids.channels.gallery);
  });
});

describe('component interactions on messages the bot posted anywhere', () => {
  const describeCommand = new SlashCommandBuilder().setName('describe').setDescription('Describe an image');

  it('presses a button on the first message of a forum post, in the post', async () => {
    const c = await login();
    const forum = c.channels.cache.get(fake.ids.channels.gallery) as ForumChannel;
    const thread = await forum.threads.create({ name: 'pressed', message: { content: 'by alice', components: [remove] } });
    const raw = nextRawInteraction(c);
    const seen = nextInteraction(c, async (i) => {
      if (!i.isButton()) throw new Error('not a button');
      await i.reply({ content: 'removed', ephemeral: true });
      return { channelId: i.channelId, messageId: i.message.id, content: i.message.content, inThread: i.channel?.isThread() === true };
    });
    const press = await fake.button('gallery:remove:1', { id: thread.id }, { user: 'bob' });
    expect(await seen).toEqual({ channelId: thread.id, messageId: thread.id, content: 'by alice', inThread: true });
    const payload = await raw;
    expect(payload).toMatchObject({ channel_id: thread.id, channel: { id: thread.id, type: 11, parent_id: fake.ids.channels.gallery }, message: { id: thread.id, channel_id: thread.id } });
    // In the gallery members comment but do not post; the bot's app_permissions carry its overwrite.
    const member = BigInt(String((payload.member as { permissions: string }).permissions));
    expect(member & PermissionFlagsBits.SendMessages).toBe(0n);
    expect(member & PermissionFlagsBits.SendMessagesInThreads).toBe(PermissionFlagsBits.SendMessagesInThreads);
    expect(BigInt(String(payload.app_permissions)) & PermissionFlagsBits.ManageThreads).toBe(PermissionFlagsBits.ManageThreads);
    expect((await press.callback()).status).toBe(204);
    expect(fake.invalidRequests()).toEqual([]);
  });

  it('presses a button on a plain channel message, and runs a command in a post by channelId', async () => {
    const c = await login();
    await c.application.commands.set([describeCommand]);
    const text = c.channels.cache.get(fake.ids.channels.text) as TextChannel;
    const sent = await text.send({ content: 'review me', components: [remove] });
    const seen = nextInteraction(c, async (i) => (i.isButton() ? { channelId: i.channelId, content: i.message.content } : undefined));
    await fake.button('gallery:remove:1', { id: sent.id });
    expect(await seen).toEqual({ channelId: fake.ids.channels.text, content: 'review me' });

    const created = await rest('POST', `/channels/${fake.ids.channels.gallery}/threads`, { name: 'post', message: { content: 'x' } });
    const postId = String(created.json.id);
    const ran = nextInteraction(c, async (i) => (i.isChatInputCommand() ? i.channelId : undefined));
    await fake.slashCommand('describe', {}, { channelId: postId });
    expect(await ran).toBe(postId);
    await expect(fake.slashCommand('describe', {}, { channel: 'gallery' })).rejects.toThrow(/forum/);
    await expect(fake.slashCommand('describe', {}, { channelId: fake.ids.channels.gallery })).rejects.toThrow(/forum/);
    await expect(fake.slashCommand('describe', {}, { channelId: postId, channel: 'text' })).rejects.toThrow(/not both/);
  });
});
