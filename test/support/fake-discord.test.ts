import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ActionRowBuilder,
  ApplicationIntegrationType,
  ButtonBuilder,
  ButtonStyle,
  ChannelType,
  Client,
  DiscordAPIError,
  Events,
  GatewayIntentBits,
  InteractionContextType,
  LabelBuilder,
  MessageFlags,
  ModalBuilder,
  PermissionFlagsBits,
  RESTJSONErrorCodes,
  Routes,
  SlashCommandBuilder,
  TextInputBuilder,
  TextInputStyle,
} from 'discord.js';
import type { APIMessage, Attachment, Interaction, TextChannel } from 'discord.js';
import sharp from 'sharp';
import { startFakeDiscord } from './discord/fake-discord.js';
import { loginTo } from './discord/login.js';
import type { FakeDiscord, Upload } from './discord/fake-discord.js';
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

const imagine = new SlashCommandBuilder()
  .setName('imagine')
  .setDescription('Turn a prompt into an image')
  .addStringOption((o) => o.setName('prompt').setDescription('What to draw').setRequired(true).setMaxLength(1500))
  .addStringOption((o) => o.setName('model').setDescription('Model').setAutocomplete(true))
  .addIntegerOption((o) => o.setName('count').setDescription('How many').setMinValue(1).setMaxValue(4))
  .addNumberOption((o) => o.setName('cfg').setDescription('Guidance'))
  .addBooleanOption((o) => o.setName('private').setDescription('Only you see it'));

const admin = new SlashCommandBuilder()
  .setName('imagine-admin')
  .setDescription('Bot settings')
  .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
  .addSubcommand((s) => s.setName('status').setDescription('Show status'));

async function loginWithCommands(): Promise<Client<true>> {
  const c = await login();
  await c.application.commands.set([imagine, admin]);
  return c;
}

/** The next interaction the client emits; the handler runs inside so errors reach the test. */
function nextInteraction<T>(c: Client, handler: (i: Interaction) => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    c.once(Events.InteractionCreate, (interaction) => {
      handler(interaction).then(resolve, reject);
    });
  });
}

/** The next INTERACTION_CREATE as the gateway sent it, before discord.js parses it. */
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

describe('fake Discord driven by an unmodified discord.js client', () => {
  it('logs in and caches the guild with its channels and threads', async () => {
    const c = await login();
    const guild = c.guilds.cache.get(fake.ids.guild);
    expect(guild?.available).toBe(true);
    expect(guild?.memberCount).toBe(4);
    const text = c.channels.cache.get(fake.ids.channels.text);
    const nsfw = c.channels.cache.get(fake.ids.channels.nsfw);
    const thread = c.channels.cache.get(fake.ids.channels.nsfwThread);
    expect(text?.type).toBe(ChannelType.GuildText);
    expect((text as TextChannel).nsfw).toBe(false);
    expect((nsfw as TextChannel).nsfw).toBe(true);
    expect(thread?.isThread() && thread.parent?.nsfw).toBe(true);
    expect(c.user.id).toBe(fake.ids.botUser);
    expect(c.application.id).toBe(fake.ids.application);
    expect(fake.gateway.identifies).toHaveLength(1);
    expect(fake.gateway.identifies[0]?.intents).toBe(GatewayIntentBits.Guilds);
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /gateway/bot']);
    await fake.ready();
  });

  it('refuses a wrong token the way Discord does', async () => {
    const c = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: fake.apiUrl } });
    client = c;
    await expect(c.login('not-the-token')).rejects.toMatchObject({ code: 'TokenInvalid' });
    expect(fake.requests[0]?.status).toBe(401);
  });

  it('records command registration and assigns ids and versions', async () => {
    const c = await loginWithCommands();
    const commands = fake.commands() as Array<Record<string, unknown>>;
    expect(commands.map((cmd) => cmd.name)).toEqual(['imagine', 'imagine-admin']);
    expect(commands[1]).toMatchObject({ application_id: fake.ids.application, default_member_permissions: '32', type: 1 });
    expect(String(commands[0]?.id)).toMatch(/^\d{17,19}$/);
    expect(fake.commandWrites()).toHaveLength(1);
    expect(fake.commandWrites()[0]).toMatchObject({ method: 'PUT', status: 200 });
    expect(fake.invalidRequests()).toEqual([]);
    // Re-registering the same definitions keeps ids and versions, as Discord does.
    const again = await c.application.commands.set([imagine, admin]);
    expect(again.map((cmd) => cmd.version)).toEqual(commands.map((cmd) => cmd.version));
    await expect(fake.slashCommand('unknown')).rejects.toThrow(/not registered/);
    await expect(fake.slashCommand('imagine', { count: 'two' })).rejects.toThrow(/INTEGER/);
  });

  it('delivers a typed slash command and records a deferred reply with a file', async () => {
    const c = await loginWithCommands();
    const image = randomBytes(4096);
    const seen = nextInteraction(c, async (i) => {
      if (!i.isChatInputCommand()) throw new Error(`unexpected ${i.type}`);
      const opts = {
        prompt: i.options.getString('prompt', true),
        count: i.options.getInteger('count'),
        cfg: i.options.getNumber('cfg'),
        private: i.options.getBoolean('private'),
      };
      await i.deferReply();
      const reply = await i.editReply({
        content: 'done',
        files: [{ attachment: image, name: 'SPOILER_image-1.webp' }],
        allowedMentions: { parse: [] },
      });
      return { opts, nsfw: (i.channel as TextChannel).nsfw, size: i.attachmentSizeLimit, reply };
    });
    const handle = await fake.slashCommand('imagine', { prompt: 'a red fox', count: 2, cfg: 7.5, private: false }, { channel: 'nsfw' });
    const result = await seen;
    expect(result.opts).toEqual({ prompt: 'a red fox', count: 2, cfg: 7.5, private: false });
    expect(result.nsfw).toBe(true);
    expect(result.size).toBe(10 * 1024 * 1024);
    expect(result.reply.attachments.first()?.name).toBe('SPOILER_image-1.webp');
    expect(result.reply.attachments.first()?.spoiler).toBe(true);

    const callback = await handle.callback();
    expect(callback).toMatchObject({ status: 204, query: { with_response: 'false' }, json: { type: 5 } });
    expect(callback.headers.authorization).toBeUndefined();
    const edit = await handle.originalEdit((r) => r.files.length > 0);
    expect(edit.status).toBe(200);
    expect(edit.json).toMatchObject({ content: 'done', allowed_mentions: { parse: [] } });
    expect(edit.files).toHaveLength(1);
    expect(edit.files[0]).toMatchObject({ field: 'files[0]', filename: 'SPOILER_image-1.webp', size: 4096 });
    expect(edit.files[0]?.data.equals(image)).toBe(true);
    expect(handle.requests()).toHaveLength(2);
    expect(handle.token.length).toBeGreaterThan(100);
    expect(fake.invalidRequests()).toEqual([]);
  });

  it('records autocomplete choices', async () => {
    const c = await loginWithCommands();
    const seen = nextInteraction(c, async (i) => {
      if (!i.isAutocomplete()) throw new Error('not autocomplete');
      const focused = i.options.getFocused(true);
      await i.respond([{ name: `flux (${focused.value})`, value: 'flux-dev' }]);
      return focused;
    });
    const handle = await fake.autocomplete('imagine', { prompt: 'fox', model: 'fl' }, 'model');
    expect(await seen).toMatchObject({ name: 'model', value: 'fl' });
    expect((await handle.callback()).json).toEqual({ type: 8, data: { choices: [{ name: 'flux (fl)', value: 'flux-dev' }] } });
  });

  it('delivers a button and a modal submit with their custom ids', async () => {
    const c = await loginWithCommands();
    const row = new ActionRowBuilder<ButtonBuilder>().addComponents(
      new ButtonBuilder().setCustomId('regen:1').setLabel('Again').setStyle(ButtonStyle.Primary),
    );
    const first = nextInteraction(c, async (i) => {
      if (!i.isChatInputCommand()) throw new Error('not a command');
      return i.reply({ content: 'here', components: [row], withResponse: true });
    });
    await fake.slashCommand('imagine', { prompt: 'fox' });
    const messageId = (await first).resource?.message?.id;
    expect(messageId).toMatch(/^\d{17,19}$/);

    const clicked = nextInteraction(c, async (i) => {
      if (!i.isButton()) throw new Error('not a button');
      await i.showModal(
        new ModalBuilder()
          .setCustomId('edit-prompt')
          .setTitle('Edit prompt')
          .addLabelComponents(
            new LabelBuilder().setLabel('Prompt').setTextInputComponent(new TextInputBuilder().setCustomId('prompt').setStyle(TextInputStyle.Paragraph)),
          ),
      );
      return { customId: i.customId, content: i.message.content };
    });
    const button = await fake.button('regen:1', { id: messageId ?? '' });
    expect(await clicked).toEqual({ customId: 'regen:1', content: 'here' });
    expect((await button.callback()).json).toMatchObject({ type: 9, data: { custom_id: 'edit-prompt' } });

    const submitted = nextInteraction(c, async (i) => {
      if (!i.isModalSubmit()) throw new Error('not a modal');
      await i.deferUpdate();
      return { customId: i.customId, prompt: i.fields.getTextInputValue('prompt') };
    });
    const modal = await fake.modalSubmit('edit-prompt', { prompt: 'a blue fox' }, { message: { id: messageId ?? '' } });
    expect(await submitted).toEqual({ customId: 'edit-prompt', prompt: 'a blue fox' });
    expect((await modal.callback()).json).toEqual({ type: 6 });
    expect(fake.invalidRequests()).toEqual([]);
  });

  it('records follow-ups and channel messages', async () => {
    const c = await loginWithCommands();
    const done = nextInteraction(c, async (i) => {
      if (!i.isChatInputCommand()) throw new Error('not a command');
      await i.reply({ content: 'working' });
      const followUp = await i.followUp({ content: 'second image', files: [{ attachment: Buffer.from('png'), name: 'b.png' }] });
      return followUp.id;
    });
    const handle = await fake.slashCommand('imagine', { prompt: 'fox' }, { channel: 'thread', user: 'bob' });
    expect(await done).toMatch(/^\d{17,19}$/);
    expect(handle.followUps()).toHaveLength(1);
    expect(handle.followUps()[0]).toMatchObject({ status: 200, query: { wait: 'true' }, json: { content: 'second image' } });

    const channel = c.channels.cache.get(fake.ids.channels.text) as TextChannel;
    const sent = await channel.send({ content: 'hello <@123456789012345678>', allowedMentions: { parse: [] } });
    expect(sent.channelId).toBe(fake.ids.channels.text);
    expect(fake.channelMessages('text')).toHaveLength(1);
    expect(fake.channelMessages('text')[0]?.headers.authorization).toBe(`Bot ${fake.token}`);
    expect(fake.channelMessages('nsfw')).toHaveLength(0);
    expect(fake.invalidRequests()).toEqual([]);
  });

  it('surfaces an injected fault as a DiscordAPIError and honours 429s', async () => {
    const c = await loginWithCommands();
    fake.fail({ method: 'POST', path: /^\/interactions\/.*\/callback$/ }, { status: 404, code: 10062 });
    const failed = nextInteraction(c, async (i) => {
      if (!i.isChatInputCommand()) throw new Error('not a command');
      return i.deferReply().then(
        () => undefined,
        (error: unknown) => error,
      );
    });
    await fake.slashCommand('imagine', { prompt: 'fox' });
    const error = await failed;
    expect(error).toBeInstanceOf(DiscordAPIError);
    expect((error as DiscordAPIError).code).toBe(10062);
    expect((error as DiscordAPIError).status).toBe(404);

    fake.fail({ path: /^\/channels\/\d+\/messages$/ }, { status: 429, retryAfter: 0.05 });
    const channel = c.channels.cache.get(fake.ids.channels.text) as TextChannel;
    await channel.send('after the limit');
    expect(fake.channelMessages('text').map((r) => r.status)).toEqual([429, 200]);
  });

  it('refuses bodies the spec refuses, and second callbacks', async () => {
    const c = await loginWithCommands();
    const received = nextInteraction(c, async (i) => i.id);
    const handle = await fake.slashCommand('imagine', { prompt: 'fox' });
    await received;
    const url = `${fake.apiUrl}/v10/interactions/${handle.id}/${handle.token}/callback`;
    const post = (body: unknown): Promise<Response> =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

    const tooLong = await post({ type: 4, data: { content: 'x'.repeat(2001) } });
    expect(tooLong.status).toBe(400);
    expect(await tooLong.json()).toMatchObject({ code: 50035, message: 'Invalid Form Body', errors: { data: { content: {} } } });
    const unknownType = await post({ type: 42 });
    expect(unknownType.status).toBe(400);
    expect(await unknownType.json()).toMatchObject({ code: 50035, errors: { type: {} } });
    expect(fake.invalidRequests()).toHaveLength(2);
    expect(fake.invalidRequests()[0]?.invalid).toMatch(/content/);

    const ok = await post({ type: 4, data: { content: 'fine' } });
    expect(ok.status).toBe(204);
    expect(ok.headers.get('content-type')).toBeNull();
    const again = await post({ type: 4, data: { content: 'twice' } });
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual({ code: 40060, message: 'Interaction has already been acknowledged.' });

    const unknown = await fetch(`${fake.apiUrl}/v10/interactions/123456789012345678/nope/callback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 5 }),
    });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ code: 10062, message: 'Unknown interaction' });
    const badWebhook = await fetch(`${fake.apiUrl}/v10/webhooks/${fake.ids.application}/not-a-token/messages/%40original`);
    expect(badWebhook.status).toBe(401);
    expect(await badWebhook.json()).toEqual({ code: 50027, message: 'Invalid Webhook Token' });
    const route = await fetch(`${fake.apiUrl}/v10/nothing/here`, { headers: { authorization: `Bot ${fake.token}` } });
    expect(route.status).toBe(404);
    expect(fake.requests.at(-1)).toMatchObject({ path: '/nothing/here', status: 404 });
  });

  it('refuses a file over the interaction attachment_size_limit with 40005', async () => {
    const c = await loginWithCommands();
    const outcome = nextInteraction(c, async (i) => {
      if (!i.isChatInputCommand()) throw new Error('not a command');
      await i.deferReply();
      return i.editReply({ files: [{ attachment: Buffer.alloc(2048), name: 'big.webp' }] }).then(
        () => undefined,
        (error: unknown) => error,
      );
    });
    await fake.slashCommand('imagine', { prompt: 'fox' }, { attachmentSizeLimit: 1024 });
    const error = await outcome;
    expect(error).toBeInstanceOf(DiscordAPIError);
    expect((error as DiscordAPIError).code).toBe(40005);
    expect((error as DiscordAPIError).status).toBe(413);
  });

  it('ends the 3 s callback window and the 15 min webhook token on its clock', async () => {
    await fake.close();
    let clock = Date.now();
    fake = await startFakeDiscord({ now: () => clock });
    const c = await loginWithCommands();
    const replied = nextInteraction(c, async (i) => (i.isChatInputCommand() ? i.reply('hi') : undefined));
    const answered = await fake.slashCommand('imagine', { prompt: 'fox' });
    await replied;
    const late = await fake.slashCommand('imagine', { prompt: 'fox' });
    clock += 16 * 60_000;
    const callback = await fetch(`${fake.apiUrl}/v10/interactions/${late.id}/${late.token}/callback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 5 }),
    });
    expect(await callback.json()).toEqual({ code: 10062, message: 'Unknown interaction' });
    const edit = await fetch(`${fake.apiUrl}/v10/webhooks/${fake.ids.application}/${answered.token}/messages/%40original`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'too late' }),
    });
    expect(edit.status).toBe(401);
    expect(await edit.json()).toEqual({ code: 50027, message: 'Invalid Webhook Token' });
  });

  it('lets the client resume after the gateway drops and replays the interaction', async () => {
    const c = await loginWithCommands();
    fake.disconnectGateway();
    const received = nextInteraction(c, async (i) => (i.isChatInputCommand() ? i.commandName : ''));
    // Injected while the socket is down: delivered by the replay after RESUME.
    await fake.slashCommand('imagine-admin', {}, { subcommand: 'status', user: 'admin' });
    expect(await received).toBe('imagine-admin');
    expect(fake.gateway.resumes).toBe(1);
    expect(fake.gateway.identifies).toHaveLength(1);
  });
});

/** A real little image, so the fake's width/height sniffing is checked against a real encoder. */
async function image(format: 'png' | 'webp' | 'jpeg' | 'gif', width = 3, height = 2): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 40, b: 10 } } })
    .toFormat(format)
    .toBuffer();
}

describe('attachments on the fake CDN', () => {
  const upscale = new ActionRowBuilder<ButtonBuilder>().addComponents(
    new ButtonBuilder().setCustomId('upscale:0').setLabel('Upscale').setStyle(ButtonStyle.Secondary),
  );

  /** /imagine answered the way the bot does: deferred, then one edit with the image and a button. */
  async function postImage(c: Client, png: Buffer): Promise<{ handle: Awaited<ReturnType<FakeDiscord['slashCommand']>>; reply: { id: string; url: string; proxyURL: string; width: number | null; height: number | null; contentType: string | null } }> {
    const done = nextInteraction(c, async (i) => {
      if (!i.isChatInputCommand()) throw new Error('not a command');
      await i.deferReply();
      const message = await i.editReply({ content: 'a red fox', files: [{ attachment: png, name: 'fox 1.png' }], components: [upscale] });
      const attachment = message.attachments.first();
      if (!attachment) throw new Error('no attachment on the edited reply');
      return {
        id: message.id,
        url: attachment.url,
        proxyURL: attachment.proxyURL,
        width: attachment.width,
        height: attachment.height,
        contentType: attachment.contentType,
      };
    });
    const handle = await fake.slashCommand('imagine', { prompt: 'fox' });
    return { handle, reply: await done };
  }

  it('serves the bytes of an editReply file at the attachment url discord.js hands back', async () => {
    const c = await loginWithCommands();
    const png = await image('png', 5, 4);
    const { reply } = await postImage(c, png);
    expect(reply.url.startsWith(`${fake.cdnUrl}/attachments/${fake.ids.channels.text}/`)).toBe(true);
    expect(new URL(reply.url).hostname).toBe('127.0.0.1');
    expect(new URL(reply.url).searchParams.get('hm')).toMatch(/^[0-9a-f]{64}$/);
    expect(new URL(reply.proxyURL).origin).toBe(new URL(fake.cdnUrl).origin);
    expect({ width: reply.width, height: reply.height, contentType: reply.contentType }).toEqual({ width: 5, height: 4, contentType: 'image/png' });

    const response = await fetch(reply.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(response.headers.get('content-length')).toBe(String(png.length));
    expect(Buffer.from(await response.arrayBuffer()).equals(png)).toBe(true);
    const viaProxy = await fetch(reply.proxyURL);
    expect(Buffer.from(await viaProxy.arrayBuffer()).equals(png)).toBe(true);

    // An unsigned or tampered url, another attachment id, another file name: not served.
    const unsigned = new URL(reply.url);
    unsigned.search = '';
    expect((await fetch(unsigned)).status).toBe(404);
    const tampered = new URL(reply.url);
    tampered.searchParams.set('hm', '0'.repeat(64));
    expect((await fetch(tampered)).status).toBe(404);
    expect((await fetch(reply.url.replace('/fox%201.png', '/other.png'))).status).toBe(404);
    expect((await fetch(`${fake.cdnUrl}/attachments/${fake.ids.channels.text}/1/fox.png`)).status).toBe(404);
    expect(fake.cdnFetches().map((f) => f.status)).toEqual([200, 200, 404, 404, 404, 404]);
    expect(fake.cdnFetches()[0]?.attachmentId).toBe(reply.url.split('/')[6]);
    // CDN traffic is not REST traffic.
    expect(fake.requests.some((r) => r.path.includes('attachments'))).toBe(false);

    fake.fail({ path: /^\/cdn\/attachments\// }, { status: 503 });
    expect((await fetch(reply.url)).status).toBe(503);
    expect((await fetch(reply.url)).status).toBe(200);
    expect(fake.invalidRequests()).toEqual([]);
  });

  it('gives every attachment route loopback urls and sniffs image sizes', async () => {
    const c = await loginWithCommands();
    const [webp, jpeg, gif] = await Promise.all([image('webp', 7, 3), image('jpeg', 9, 6), image('gif', 4, 8)]);
    const done = nextInteraction(c, async (i) => {
      if (!i.isChatInputCommand()) throw new Error('not a command');
      const callback = await i.reply({ files: [{ attachment: webp, name: 'a.webp' }], withResponse: true });
      const followUp = await i.followUp({ files: [{ attachment: jpeg, name: 'SPOILER_b.jpg' }] });
      const channel = i.channel as TextChannel;
      const sent = await channel.send({ files: [{ attachment: gif, name: 'c.gif' }, { attachment: Buffer.from('hello'), name: 'd.txt' }] });
      return [callback.resource?.message, followUp, sent].flatMap((m) => [...(m?.attachments.values() ?? [])]);
    });
    await fake.slashCommand('imagine', { prompt: 'fox' });
    const attachments = await done;
    expect(attachments.map((a) => [a.name, a.width, a.height, a.contentType, a.spoiler])).toEqual([
      ['a.webp', 7, 3, 'image/webp', false],
      ['SPOILER_b.jpg', 9, 6, 'image/jpeg', true],
      ['c.gif', 4, 8, 'image/gif', false],
      ['d.txt', null, null, 'text/plain; charset=utf-8', false],
    ]);
    const bodies = await Promise.all(attachments.map(async (a) => {
      expect(a.url.startsWith(`${fake.cdnUrl}/attachments/`)).toBe(true);
      const response = await fetch(a.url);
      return { type: response.headers.get('content-type'), bytes: Buffer.from(await response.arrayBuffer()) };
    }));
    expect(bodies.map((b) => b.type)).toEqual(['image/webp', 'image/jpeg', 'image/gif', 'text/plain; charset=utf-8']);
    expect(bodies[0]?.bytes.equals(webp)).toBe(true);
    expect(bodies[3]?.bytes.toString()).toBe('hello');
    expect(fake.invalidRequests()).toEqual([]);
  });

  it('keeps the message as edited, and delivers it whole on a button press', async () => {
    const c = await loginWithCommands();
    const png = await image('png');
    const big = await image('png', 12, 8);
    const { handle, reply } = await postImage(c, png);
    const stored = fake.message(reply.id);
    expect(stored).toMatchObject({
      id: reply.id,
      channel_id: fake.ids.channels.text,
      content: 'a red fox',
      flags: 0,
      edited_timestamp: null,
      author: { id: fake.ids.botUser, bot: true },
      interaction_metadata: { id: handle.id, type: 2, name: 'imagine' },
      components: [{ type: 1, components: [{ custom_id: 'upscale:0' }] }],
      attachments: [{ filename: 'fox 1.png', size: png.length, content_type: 'image/png', width: 3, height: 2, url: reply.url }],
    });
    expect(await handle.message()).toEqual(stored);
    // A copy: changing it changes nothing in the fake.
    (stored as { content: string }).content = 'changed';
    expect(fake.message(reply.id)?.content).toBe('a red fox');
    expect(fake.message('123')).toBeUndefined();

    const pressed = nextInteraction(c, async (i) => {
      if (!i.isButton()) throw new Error('not a button');
      const attachment = i.message.attachments.first();
      // What an upscale handler does: download the image it posted, then answer.
      const bytes = Buffer.from(await (await fetch(attachment?.url ?? '')).arrayBuffer());
      await i.deferUpdate();
      await i.editReply({ content: 'a red fox (upscaled)', components: [], files: [{ attachment: big, name: 'fox-big.png' }], attachments: [] });
      return { customId: i.customId, channelId: i.channelId, url: attachment?.url, name: attachment?.name, bytes, content: i.message.content, user: i.message.author.id };
    });
    const press = await fake.button('upscale:0', { id: reply.id });
    const seen = await pressed;
    expect(seen).toMatchObject({ customId: 'upscale:0', channelId: fake.ids.channels.text, url: reply.url, name: 'fox 1.png', content: 'a red fox', user: fake.ids.botUser });
    expect(seen.bytes.equals(png)).toBe(true);
    expect((await press.callback()).json).toEqual({ type: 6 });
    const edited = await press.message((m) => m.content === 'a red fox (upscaled)');
    expect(edited).toMatchObject({ id: reply.id, components: [], attachments: [{ filename: 'fox-big.png', width: 12, height: 8 }] });
    expect(edited.edited_timestamp).toEqual(expect.any(String));
    expect(await handle.message()).toEqual(edited);
    // The edit dropped the first file: Discord deletes it, the new one is served.
    expect((await fetch(reply.url)).status).toBe(404);
    const [replaced] = edited.attachments as Array<{ url: string }>;
    expect(Buffer.from(await (await fetch(replaced?.url ?? '')).arrayBuffer()).equals(big)).toBe(true);
    expect(fake.invalidRequests()).toEqual([]);
  });

  it('presses in the stored message\'s channel and waits for a deferred reply to be edited', async () => {
    const c = await loginWithCommands();
    const deferred = nextInteraction(c, async (i) => {
      if (!i.isChatInputCommand()) throw new Error('not a command');
      await i.deferReply();
      return i;
    });
    const handle = await fake.slashCommand('imagine', { prompt: 'fox' }, { channel: 'nsfw' });
    const interaction = await deferred;
    await handle.callback();
    // Still "thinking…": message() waits for the edit.
    const waited = handle.message();
    await interaction.editReply({ content: 'done', components: [upscale] });
    const message = await waited;
    expect(message).toMatchObject({ content: 'done', channel_id: fake.ids.channels.nsfw });
    const pressed = nextInteraction(c, async (i) => (i.isButton() ? i.channelId : ''));
    await fake.button('upscale:0', { id: String(message.id) });
    expect(await pressed).toBe(fake.ids.channels.nsfw);
  });

  it('forgets deleted messages, records their ids and drops their files', async () => {
    const c = await loginWithCommands();
    const png = await image('png');
    const { handle, reply } = await postImage(c, png);
    const deleted = nextInteraction(c, async (i) => {
      if (!i.isButton()) throw new Error('not a button');
      const followUp = await i.reply({ content: 'upscaled', files: [{ attachment: png, name: 'big.png' }], withResponse: true });
      await i.deleteReply(reply.id);
      return followUp.resource?.message;
    });
    const press = await fake.button('upscale:0', { id: reply.id });
    const followUp = await deleted;
    expect(fake.message(reply.id)).toBeUndefined();
    expect(fake.deletedMessages()).toEqual([reply.id]);
    expect((await fetch(reply.url)).status).toBe(404);
    await expect(handle.message()).rejects.toThrow(/was deleted/);
    await expect(fake.button('upscale:0', { id: reply.id })).rejects.toThrow(/deleted/);
    expect(await press.message()).toMatchObject({ id: followUp?.id, content: 'upscaled' });

    const channel = c.channels.cache.get(fake.ids.channels.text) as TextChannel;
    const sent = await channel.send('bye');
    await sent.delete();
    const originalGone = nextInteraction(c, async (i) => {
      if (!i.isChatInputCommand()) throw new Error('not a command');
      await i.reply('short-lived');
      await i.deleteReply();
    });
    await fake.slashCommand('imagine', { prompt: 'fox' });
    await originalGone;
    expect(fake.deletedMessages()).toHaveLength(3);
    expect(fake.deletedMessages().slice(0, 2)).toEqual([reply.id, sent.id]);
    expect(fake.requests.filter((r) => r.method === 'DELETE').map((r) => r.path.replace(/\/webhooks\/\d+\/[^/]+/, '/webhooks/APP/TOKEN'))).toEqual([
      `/webhooks/APP/TOKEN/messages/${reply.id}`,
      `/channels/${fake.ids.channels.text}/messages/${sent.id}`,
      '/webhooks/APP/TOKEN/messages/@original',
    ]);
    for (const id of fake.deletedMessages()) expect(fake.message(id)).toBeUndefined();
  });
});

describe('spec strictness on every route the bot writes to', () => {
  const png = Buffer.from('89504e470d0a1a0a', 'hex');

  it('refuses a channel message whose attachment id is a number (400, 50035) and accepts a string id', async () => {
    const c = await login();
    const route = Routes.channelMessages(fake.ids.channels.text);
    // The shape src/main.ts sendChannelMessage builds: payload_json of a multipart body.
    const body = (id: number | string) => ({
      content: 'your images are ready',
      allowed_mentions: { parse: [], users: [fake.ids.users.alice] },
      attachments: [{ id, filename: 'image-1.webp' }],
    });
    const files = [{ name: 'image-1.webp', data: png }];

    const error: unknown = await c.rest.post(route, { body: body(0), files }).then(() => undefined, (err: unknown) => err);
    expect(error).toBeInstanceOf(DiscordAPIError);
    expect(error).toMatchObject({ status: 400, code: 50035, message: expect.stringContaining('Invalid Form Body') as unknown });
    expect((error as DiscordAPIError).rawError).toEqual({
      code: 50035,
      message: 'Invalid Form Body',
      errors: { attachments: { '0': { id: { _errors: [{ code: 'BASE_TYPE_BAD_TYPE', message: 'must be string' }] } } } },
    });
    const [refused] = fake.channelMessages('text');
    expect(refused).toMatchObject({ status: 400, invalid: 'attachments.0.id: must be string' });
    expect(refused?.headers['content-type']).toMatch(/^multipart\/form-data/);
    expect(fake.invalidRequests()).toEqual([refused]);

    const sent = (await c.rest.post(route, { body: body('0'), files })) as APIMessage;
    expect(sent.attachments.map((a) => a.filename)).toEqual(['image-1.webp']);
    expect(fake.channelMessages('text').map((r) => [r.status, r.invalid])).toEqual([[400, 'attachments.0.id: must be string'], [200, undefined]]);
    expect(fake.message(sent.id)).toMatchObject({ attachments: [{ filename: 'image-1.webp' }] });
  });

  type Encoding = 'json' | 'multipart';
  /** A message body with one defect at a known place, and its fixed twin. */
  const defects: Array<{ name: string; bad: Record<string, unknown>; good: Record<string, unknown>; at: string[] }> = [
    { name: 'a numeric attachment id', bad: { content: 'x', attachments: [{ id: 0, filename: 'a.png' }] }, good: { content: 'x', attachments: [{ id: '0', filename: 'a.png' }] }, at: ['attachments', '0', 'id'] },
    { name: 'a numeric user id in allowed_mentions', bad: { content: 'x', allowed_mentions: { parse: [], users: [123] } }, good: { content: 'x', allowed_mentions: { parse: [], users: ['123'] } }, at: ['allowed_mentions', 'users', '0'] },
    { name: 'content as a number', bad: { content: 5 }, good: { content: '5' }, at: ['content'] },
    { name: 'embeds as an object', bad: { content: 'x', embeds: { description: 'd' } }, good: { content: 'x', embeds: [{ description: 'd' }] }, at: ['embeds'] },
  ];

  async function send(method: string, path: string, body: unknown, encoding: Encoding, auth = true): Promise<{ status: number; json: Record<string, unknown> | undefined }> {
    const headers: Record<string, string> = auth ? { authorization: `Bot ${fake.token}` } : {};
    let payload: string | FormData;
    if (encoding === 'json') {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    } else {
      payload = new FormData();
      payload.append('files[0]', new Blob([png], { type: 'image/png' }), 'a.png');
      payload.append('payload_json', JSON.stringify(body));
    }
    const res = await fetch(`${fake.apiUrl}/v10${path}`, { method, headers, body: payload });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
  }

  /** Walks Discord's `errors` object down a path and returns the `_errors` found there. */
  function errorsAt(json: Record<string, unknown> | undefined, at: string[]): unknown {
    let node: unknown = json?.errors;
    for (const part of at) node = (node as Record<string, unknown> | undefined)?.[part];
    return (node as { _errors?: unknown } | undefined)?._errors;
  }

  /** Every defect, JSON and multipart, refused with 400/50035 at its path; then the fixed body accepted. Returns the accepted answer. */
  async function expectRefusedThenAccepted(method: string, path: string, wrap: (b: Record<string, unknown>) => unknown, prefix: string[], auth: boolean): Promise<unknown> {
    for (const encoding of ['json', 'multipart'] as const) {
      for (const defect of defects) {
        const bad = await send(method, path, wrap(defect.bad), encoding, auth);
        expect({ route: `${method} ${path.split('/').slice(0, 2).join('/')}`, encoding, defect: defect.name, status: bad.status, code: bad.json?.code }).toEqual({
          route: `${method} ${path.split('/').slice(0, 2).join('/')}`,
          encoding,
          defect: defect.name,
          status: 400,
          code: 50035,
        });
        expect(bad.json?.message).toBe('Invalid Form Body');
        expect(errorsAt(bad.json, [...prefix, ...defect.at])).toEqual(expect.arrayContaining([expect.objectContaining({ code: expect.any(String) as unknown, message: expect.any(String) as unknown })]));
      }
    }
    // Callbacks answer only once: the accepted twin goes last, once per route.
    const ok = await send(method, path, wrap(defects[0]!.good), 'multipart', auth);
    expect(ok.status).toBeLessThan(300);
    expect(fake.requests.filter((r) => r.status === 400).every((r) => r.invalid !== undefined)).toBe(true);
    return ok.json;
  }

  it('refuses every spec-invalid body with 400/50035 on callbacks, webhook edits and follow-ups, channel messages, JSON and multipart alike', async () => {
    const c = await loginWithCommands();
    const received = nextInteraction(c, async (i) => i.id);
    const handle = await fake.slashCommand('imagine', { prompt: 'fox' });
    await received;
    const app = fake.ids.application;
    const channel = fake.ids.channels.text;

    await expectRefusedThenAccepted('POST', `/interactions/${handle.id}/${handle.token}/callback`, (data) => ({ type: 4, data }), ['data'], false);
    await expectRefusedThenAccepted('PATCH', `/webhooks/${app}/${handle.token}/messages/@original`, (b) => b, [], false);
    const followUp = (await expectRefusedThenAccepted('POST', `/webhooks/${app}/${handle.token}?wait=true`, (b) => b, [], false)) as { id: string };
    await expectRefusedThenAccepted('PATCH', `/webhooks/${app}/${handle.token}/messages/${followUp.id}`, (b) => b, [], false);
    const posted = (await expectRefusedThenAccepted('POST', `/channels/${channel}/messages`, (b) => b, [], true)) as { id: string };
    await expectRefusedThenAccepted('PATCH', `/channels/${channel}/messages/${posted.id}`, (b) => b, [], true);

    const perRoute = defects.length * 2;
    expect(fake.invalidRequests()).toHaveLength(6 * perRoute);
    expect(fake.requests.filter((r) => r.status < 300 && r.invalid !== undefined)).toEqual([]);
  });

  it('refuses spec-invalid command writes with 400/50035 and keeps the registered commands', async () => {
    await loginWithCommands();
    const before = fake.commands();
    expect(before).toHaveLength(2);
    const guildCommands = `/applications/${fake.ids.application}/guilds/${fake.ids.guild}/commands`;
    const globalCommands = `/applications/${fake.ids.application}/commands`;
    const cases: Array<[string, string, unknown, string[]]> = [
      ['PUT', guildCommands, [{ type: 1, name: 'imagine', description: 'x'.repeat(101) }], ['0', 'description']],
      ['PUT', globalCommands, [{ type: 1, name: 'imagine', description: 'd', options: [{ type: '3', name: 'prompt', description: 'p' }] }], ['0', 'options', '0', 'type']],
      ['POST', guildCommands, { type: 1, name: 'imagine', description: 'd', options: [{ type: 4, name: 'steps', description: 's', required: 'yes' }] }, ['options', '0', 'required']],
    ];
    for (const [method, path, body, at] of cases) {
      const res = await send(method, path, body, 'json');
      expect({ method, path, status: res.status, code: res.json?.code }).toEqual({ method, path, status: 400, code: 50035 });
      expect(errorsAt(res.json, at)).toEqual(expect.arrayContaining([expect.objectContaining({ code: expect.any(String) as unknown })]));
    }
    expect(fake.commands()).toEqual(before);
    expect(fake.commands({ guildId: fake.ids.guild })).toEqual([]);
    expect(fake.commandWrites().map((r) => [r.method, r.status, r.invalid !== undefined])).toEqual([
      ['PUT', 200, false],
      ['PUT', 400, true],
      ['PUT', 400, true],
      ['POST', 400, true],
    ]);
  });

  it('refuses a payload_json that is not JSON, and records a spec-invalid body even when another refusal answered first', async () => {
    await login();
    const form = new FormData();
    form.append('files[0]', new Blob([png], { type: 'image/png' }), 'a.png');
    form.append('payload_json', '{"content": "x",');
    const res = await fetch(`${fake.apiUrl}/v10/channels/${fake.ids.channels.text}/messages`, { method: 'POST', headers: { authorization: `Bot ${fake.token}` }, body: form });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 50035, message: 'Invalid Form Body' });

    // A dead token answers 401 before the body is read, yet the record still says the body was invalid.
    const dead = await send('PATCH', `/webhooks/${fake.ids.application}/not-a-token/messages/@original`, defects[0]!.bad, 'multipart', false);
    expect(dead.status).toBe(401);
    fake.fail({ method: 'POST', path: /^\/channels\/\d+\/messages$/ }, { status: 503 });
    const faulted = await send('POST', `/channels/${fake.ids.channels.text}/messages`, defects[1]!.bad, 'json');
    expect(faulted.status).toBe(503);
    expect(fake.invalidRequests().map((r) => [r.status, r.invalid])).toEqual([
      [400, 'payload_json is not valid JSON'],
      [401, 'attachments.0.id: must be string'],
      [503, expect.stringContaining('allowed_mentions.users.0: must be string') as unknown],
    ]);
  });
});

describe('attachment options (type 11) on slash commands', () => {
  const edit = new SlashCommandBuilder()
    .setName('edit')
    .setDescription('Edit an image')
    .addAttachmentOption((o) => o.setName('image').setDescription('The image to edit').setRequired(true))
    .addStringOption((o) => o.setName('prompt').setDescription('What to change').setRequired(true))
    .addAttachmentOption((o) => o.setName('image2').setDescription('A second image'))
    .addStringOption((o) => o.setName('style').setDescription('Style').setAutocomplete(true));

  async function loginWithEdit(): Promise<Client<true>> {
    const c = await login();
    await c.application.commands.set([imagine, edit]);
    return c;
  }

  const facts = (a: Attachment) => ({
    id: a.id,
    name: a.name,
    url: a.url,
    proxyURL: a.proxyURL,
    size: a.size,
    contentType: a.contentType,
    width: a.width,
    height: a.height,
    ephemeral: a.ephemeral,
    spoiler: a.spoiler,
  });

  it('resolves each upload as getAttachment reads it and serves its bytes on the CDN', async () => {
    const c = await loginWithEdit();
    const cat = await image('png', 5, 4);
    const dog = await image('jpeg', 9, 6);
    const raw = nextRawInteraction(c);
    const seen = nextInteraction(c, async (i) => {
      if (!i.isChatInputCommand()) throw new Error('not a command');
      const first = i.options.getAttachment('image', true);
      const second = i.options.getAttachment('image2');
      // What an /edit handler does: download the upload before asking for the edit.
      const bytes = Buffer.from(await (await fetch(first.url)).arrayBuffer());
      await i.reply('editing');
      return { first: facts(first), second: second && facts(second), prompt: i.options.getString('prompt'), bytes, resolved: i.options.resolved?.attachments?.size };
    });
    const handle = await fake.slashCommand(
      'edit',
      { image: { file: { name: 'cat.png', data: cat } }, prompt: 'make it blue', image2: { file: { name: 'dog.jpg', data: dog, contentType: 'image/jpeg' } } },
      { channel: 'thread' },
    );
    const result = await seen;
    const sent = handle.attachments;
    const thread = fake.ids.channels.thread;
    expect(result.first).toEqual({
      id: sent.image?.id,
      name: 'cat.png',
      url: sent.image?.url,
      proxyURL: sent.image?.proxy_url,
      size: cat.length,
      contentType: 'image/png',
      width: 5,
      height: 4,
      ephemeral: true,
      spoiler: false,
    });
    expect(result.second).toMatchObject({ id: sent.image2?.id, name: 'dog.jpg', size: dog.length, contentType: 'image/jpeg', width: 9, height: 6 });
    expect(result.prompt).toBe('make it blue');
    expect(result.resolved).toBe(2);
    expect(result.bytes.equals(cat)).toBe(true);

    const url = new URL(result.first.url);
    expect(url.origin + url.pathname).toBe(`${fake.cdnUrl}/ephemeral-attachments/${thread}/${result.first.id}/cat.png`);
    expect(url.searchParams.get('ex')).toMatch(/^[0-9a-f]+$/);
    expect(url.searchParams.get('is')).toMatch(/^[0-9a-f]+$/);
    expect(url.searchParams.get('hm')).toMatch(/^[0-9a-f]{64}$/);
    expect(result.first.proxyURL.startsWith(`${url.origin}/media/ephemeral-attachments/${thread}/${result.first.id}/cat.png?`)).toBe(true);
    expect(fake.cdnFetches()).toEqual([
      {
        method: 'GET',
        path: `/cdn/ephemeral-attachments/${thread}/${result.first.id}/cat.png`,
        query: Object.fromEntries(url.searchParams),
        attachmentId: result.first.id,
        status: 200,
        at: expect.any(Number) as unknown,
      },
    ]);
    const viaProxy = await fetch(result.first.proxyURL);
    expect(viaProxy.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await viaProxy.arrayBuffer()).equals(cat)).toBe(true);
    expect(Buffer.from(await (await fetch(result.second?.url ?? '')).arrayBuffer()).equals(dog)).toBe(true);
    // The upload lives in its own folder: the same ids under a message's folder are not served.
    expect((await fetch(result.first.url.replace('/ephemeral-attachments/', '/attachments/'))).status).toBe(404);
    expect(fake.cdnFetches().map((f) => [f.attachmentId, f.status])).toEqual([
      [result.first.id, 200],
      [result.first.id, 200],
      [result.second?.id, 200],
      [result.first.id, 404],
    ]);

    const payload = await raw;
    const data = payload.data as { options: unknown[]; resolved: Record<string, Record<string, unknown>> };
    expect(data.options).toEqual([
      { name: 'image', type: 11, value: result.first.id },
      { name: 'prompt', type: 3, value: 'make it blue' },
      { name: 'image2', type: 11, value: result.second?.id },
    ]);
    expect(Object.keys(data.resolved)).toEqual(['attachments']);
    expect(data.resolved.attachments).toEqual({ [result.first.id]: sent.image, [result.second?.id ?? '']: sent.image2 });
    for (const attachment of Object.values(data.resolved.attachments ?? {})) {
      expect(validateComponent('AttachmentResponse', attachment)).toEqual({ ok: true });
    }

    // Apart from its data, the payload has the shape of every other command interaction.
    const plainRaw = nextRawInteraction(c);
    await fake.slashCommand('imagine', { prompt: 'fox' }, { channel: 'thread' });
    const plain = await plainRaw;
    expect(Object.keys(payload).sort()).toEqual(Object.keys(plain).sort());
    expect(Object.keys(data).sort()).toEqual([...Object.keys(plain.data as object), 'resolved'].sort());
    expect(fake.invalidRequests()).toEqual([]);
  });

  it('lets metadata lie while the CDN serves the real bytes, and serves a 40 MiB upload whole', async () => {
    const c = await loginWithEdit();
    const small = Buffer.from('not an image at all');
    const huge = randomBytes(40 * 1024 * 1024);
    const seen = nextInteraction(c, async (i) => {
      if (!i.isChatInputCommand()) throw new Error('not a command');
      return { liar: facts(i.options.getAttachment('image', true)), huge: facts(i.options.getAttachment('image2', true)) };
    });
    await fake.slashCommand('edit', {
      image: { file: { name: 'cat.png', data: small }, size: 30 * 1024 * 1024, contentType: 'image/webp', width: 4096, height: 4096 },
      prompt: 'sharper',
      image2: { file: { name: 'huge.bin', data: huge } },
    });
    const { liar, huge: big } = await seen;
    expect(liar).toMatchObject({ size: 30 * 1024 * 1024, contentType: 'image/webp', width: 4096, height: 4096 });
    const served = await fetch(liar.url);
    expect(served.headers.get('content-length')).toBe(String(small.length));
    expect(Buffer.from(await served.arrayBuffer()).equals(small)).toBe(true);

    expect(big).toMatchObject({ size: huge.length, contentType: null, width: null, height: null });
    const head = await fetch(big.url, { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe(String(huge.length));
    expect(head.headers.get('content-type')).toBe('application/octet-stream');
    expect(Buffer.from(await (await fetch(big.url)).arrayBuffer()).equals(huge)).toBe(true);
    expect(fake.cdnFetches().map((f) => [f.method, f.attachmentId, f.status])).toEqual([
      ['GET', liar.id, 200],
      ['HEAD', big.id, 200],
      ['GET', big.id, 200],
    ]);

    // null leaves a field out; a SPOILER_ name is flagged, as Discord flags it.
    const webp = await image('webp', 7, 3);
    const quiet = await fake.slashCommand('edit', { image: { file: { name: 'SPOILER_a.webp', data: webp }, contentType: null, width: null, height: null }, prompt: 'x' });
    expect(quiet.attachments.image).toEqual({
      id: expect.any(String) as unknown,
      filename: 'SPOILER_a.webp',
      size: webp.length,
      url: expect.any(String) as unknown,
      proxy_url: expect.any(String) as unknown,
      ephemeral: true,
      flags: 8,
      content_scan_version: 0,
    });
    // Metadata Discord could never send is refused before anything is delivered.
    await expect(fake.slashCommand('edit', { image: { file: { name: 'a.png', data: small }, width: 1.5 }, prompt: 'x' })).rejects.toThrow(/never send.*width/);
  });

  it('puts an attachment from elsewhere in resolved and neither fetches nor serves it', async () => {
    const c = await loginWithEdit();
    const elsewhere: Upload = { url: 'https://evil.example/cat.png', name: 'cat.png', size: 2048, contentType: 'image/png', width: 64, height: 64 };
    const seen = nextInteraction(c, async (i) => (i.isChatInputCommand() ? facts(i.options.getAttachment('image', true)) : undefined));
    const handle = await fake.slashCommand('edit', { image: elsewhere, prompt: 'x' });
    const attachment = await seen;
    expect(attachment).toMatchObject({
      id: handle.attachments.image?.id,
      name: 'cat.png',
      url: 'https://evil.example/cat.png',
      proxyURL: 'https://evil.example/cat.png',
      size: 2048,
      contentType: 'image/png',
      width: 64,
      height: 64,
    });
    expect(fake.cdnFetches()).toEqual([]);
    const guessed = await fetch(`${fake.cdnUrl}/ephemeral-attachments/${fake.ids.channels.text}/${attachment?.id ?? ''}/cat.png`);
    expect(guessed.status).toBe(404);
    await expect(fake.slashCommand('edit', { image: { url: 'not a url', name: 'a.png', size: 1 }, prompt: 'x' })).rejects.toThrow(/never send.*url/);
  });

  it('sends an attachment option in autocomplete as an id only, with nothing resolved or uploaded', async () => {
    const c = await loginWithEdit();
    const raw = nextRawInteraction(c);
    const seen = nextInteraction(c, async (i) => {
      if (!i.isAutocomplete()) throw new Error('not autocomplete');
      const found = { focused: i.options.getFocused(true), image: i.options.get('image') };
      await i.respond([{ name: 'Watercolor', value: 'watercolor' }]);
      return found;
    });
    const handle = await fake.autocomplete('edit', { image: { file: { name: 'cat.png', data: await image('png') } }, prompt: 'x', style: 'wat' }, 'style');
    const { focused, image: option } = await seen;
    expect(focused).toMatchObject({ name: 'style', value: 'wat' });
    expect(option).toEqual({ name: 'image', type: 11, value: expect.stringMatching(/^\d{17,20}$/) as unknown });
    const data = (await raw).data as Record<string, unknown>;
    expect(data.resolved).toBeUndefined();
    expect(data.options).toEqual([
      { name: 'image', type: 11, value: option?.value },
      { name: 'prompt', type: 3, value: 'x' },
      { name: 'style', type: 3, value: 'wat', focused: true },
    ]);
    expect(handle.attachments).toEqual({});
    expect((await handle.callback()).json).toEqual({ type: 8, data: { choices: [{ name: 'Watercolor', value: 'watercolor' }] } });
    await expect(fake.autocomplete('edit', { image: { file: { name: 'cat.png', data: Buffer.from('x') } } }, 'image')).rejects.toThrow(/never autocompletes/);
  });

  it('refuses values that do not fit an option\'s registered type', async () => {
    await loginWithEdit();
    const upload: Upload = { file: { name: 'cat.png', data: Buffer.from('x') } };
    await expect(fake.slashCommand('edit', { image: 'cat.png', prompt: 'x' })).rejects.toThrow(/"image" of \/edit is ATTACHMENT, got "cat.png"/);
    await expect(fake.slashCommand('edit', { image: upload, prompt: upload })).rejects.toThrow(/"prompt" of \/edit is STRING, got an upload/);
    expect(fake.cdnFetches()).toEqual([]);
  });
});

/**
 * The member's role ids, read the way the bot should: a `GuildMemberRoleManager` when discord.js
 * caches the server (its cache adds @everyone), the raw `string[]` of the payload when it does
 * not (a server the bot is not in).
 */
function memberRoleIds(i: Interaction): string[] {
  const member = i.member;
  if (!member) return [];
  if (Array.isArray(member.roles)) return [...member.roles];
  return [...member.roles.cache.keys()].filter((id) => id !== i.guildId);
}

describe('roles, user installs and where a user-installed app may answer', () => {
  const sketch = new SlashCommandBuilder()
    .setName('sketch')
    .setDescription('Draw anywhere')
    .setIntegrationTypes(ApplicationIntegrationType.GuildInstall, ApplicationIntegrationType.UserInstall)
    .setContexts(InteractionContextType.Guild, InteractionContextType.BotDM, InteractionContextType.PrivateChannel)
    .addStringOption((o) => o.setName('prompt').setDescription('What to draw').setRequired(true));
  const again = new ActionRowBuilder<ButtonBuilder>().addComponents(
    new ButtonBuilder().setCustomId('again:1').setLabel('Again').setStyle(ButtonStyle.Primary),
  );

  async function loginWithSketch(): Promise<Client<true>> {
    const c = await login();
    await c.application.commands.set([imagine, sketch]);
    return c;
  }

  const owners = (i: Interaction): Record<string, string> => ({ ...i.authorizingIntegrationOwners.toJSON() });

  it('lists the server roles in GUILD_CREATE and on REST, @everyone under the guild id', async () => {
    const c = await login();
    const guild = c.guilds.cache.get(fake.ids.guild);
    if (!guild) throw new Error('guild not cached');
    expect(fake.ids.roles.everyone).toBe(fake.ids.guild);
    expect(guild.roles.everyone.id).toBe(fake.ids.guild);
    const names = Object.fromEntries(Object.entries(fake.ids.roles).map(([key, id]) => [key, guild.roles.cache.get(id)?.name]));
    expect(names).toEqual({ everyone: '@everyone', admins: 'Admins', moderators: 'Moderators', artists: 'Artists', muted: 'Muted', bot: 'Venice Imagine' });
    expect(guild.roles.cache.get(fake.ids.roles.bot)?.managed).toBe(true);
    expect(new Set(Object.values(fake.ids.roles)).size).toBe(6);
    expect(Object.values(fake.ids.foreignRoles).some((id) => Object.values(fake.ids.roles).includes(id))).toBe(false);

    const listed = (await c.rest.get(Routes.guildRoles(fake.ids.guild))) as Array<{ id: string }>;
    expect(listed.map((r) => r.id).sort()).toEqual(Object.values(fake.ids.roles).sort());
    for (const role of listed) expect(validateComponent('GuildRoleResponse', role)).toEqual({ ok: true });
  });

  it('puts the given roles on member.roles as ids without @everyone, with their permissions', async () => {
    const c = await loginWithCommands();
    const read = (): Promise<{ cached: boolean; roles: string[]; manage: boolean | undefined }> =>
      nextInteraction(c, async (i) => ({
        cached: i.inCachedGuild(),
        roles: memberRoleIds(i),
        manage: i.memberPermissions?.has(PermissionFlagsBits.ManageMessages),
      }));
    let seen = read();
    const raw = nextRawInteraction(c);
    await fake.slashCommand('imagine', { prompt: 'fox' }, { roles: ['Artists', 'moderators'] });
    expect(await seen).toEqual({ cached: true, roles: [fake.ids.roles.artists, fake.ids.roles.moderators], manage: true });
    expect((await raw).member).toMatchObject({ roles: [fake.ids.roles.artists, fake.ids.roles.moderators] });

    // discord.js patches its cached member from each interaction: roles follow the payload.
    seen = read();
    await fake.slashCommand('imagine', { prompt: 'fox' });
    expect(await seen).toEqual({ cached: true, roles: [], manage: false });
    seen = read();
    await fake.slashCommand('imagine', { prompt: 'fox' }, { roles: [fake.ids.roles.muted] });
    expect((await seen).roles).toEqual([fake.ids.roles.muted]);
    seen = read();
    await fake.slashCommand('imagine', { prompt: 'fox' }, { user: 'admin' });
    expect((await seen).roles).toEqual([fake.ids.roles.admins]);

    await expect(fake.slashCommand('imagine', { prompt: 'fox' }, { roles: ['@everyone'] })).rejects.toThrow(/never lists @everyone/);
    await expect(fake.slashCommand('imagine', { prompt: 'fox' }, { roles: ['bot'] })).rejects.toThrow(/managed role/);
    await expect(fake.slashCommand('imagine', { prompt: 'fox' }, { roles: ['Painters'] })).rejects.toThrow(/no role "Painters"/);
    await expect(fake.slashCommand('imagine', { prompt: 'fox' }, { channel: 'dm', roles: ['artists'] })).rejects.toThrow(/server member/);
  });

  it('keeps a guild install as it was: key "0" is the guild, or "0" in the bot\'s DM', async () => {
    const c = await loginWithSketch();
    let seen = nextInteraction(c, async (i) => ({ owners: owners(i), context: i.context }));
    await fake.slashCommand('sketch', { prompt: 'owl' });
    expect(await seen).toEqual({ owners: { '0': fake.ids.guild }, context: InteractionContextType.Guild });
    seen = nextInteraction(c, async (i) => ({ owners: owners(i), context: i.context }));
    await fake.slashCommand('sketch', { prompt: 'owl' }, { channel: 'dm' });
    expect(await seen).toEqual({ owners: { '0': '0' }, context: InteractionContextType.BotDM });
    seen = nextInteraction(c, async (i) => ({ owners: owners(i), context: i.context }));
    await fake.slashCommand('sketch', { prompt: 'owl' }, { install: 'both', user: 'bob' });
    expect(await seen).toEqual({ owners: { '0': fake.ids.guild, '1': fake.ids.users.bob }, context: InteractionContextType.Guild });
  });

  it('delivers a user-install command from a server the bot is not in, authorised by key "1" only', async () => {
    const c = await loginWithSketch();
    const raw = nextRawInteraction(c);
    const seen = nextInteraction(c, async (i) => {
      if (!i.isChatInputCommand()) throw new Error('not a command');
      await i.deferReply();
      const reply = await i.editReply({ content: 'an owl', components: [again] });
      return {
        context: i.context,
        guildId: i.guildId,
        channelId: i.channelId,
        owners: owners(i),
        byGuild: i.authorizingIntegrationOwners.guildId,
        byUser: i.authorizingIntegrationOwners.userId,
        inGuild: i.inGuild(),
        inCachedGuild: i.inCachedGuild(),
        inRawGuild: i.inRawGuild(),
        guild: i.guild,
        channel: i.channel,
        roles: memberRoleIds(i),
        mayAttach: i.appPermissions.has(PermissionFlagsBits.AttachFiles),
        maySend: i.appPermissions.has(PermissionFlagsBits.SendMessages),
        replyId: reply.id,
      };
    });
    const handle = await fake.slashCommand('sketch', { prompt: 'owl' }, { install: 'user', roles: ['Artists'] });
    const result = await seen;
    expect(result).toEqual({
      context: InteractionContextType.Guild,
      guildId: fake.ids.foreignGuild,
      channelId: fake.ids.foreignChannel,
      owners: { '1': fake.ids.users.alice },
      byGuild: null,
      byUser: fake.ids.users.alice,
      inGuild: true,
      inCachedGuild: false,
      inRawGuild: true,
      guild: null,
      channel: null,
      roles: [fake.ids.foreignRoles.artists],
      mayAttach: true,
      maySend: false,
      replyId: expect.stringMatching(/^\d{17,20}$/) as unknown,
    });
    expect(await raw).toMatchObject({
      guild_id: fake.ids.foreignGuild,
      channel: { id: fake.ids.foreignChannel, type: 0, guild_id: fake.ids.foreignGuild, nsfw: false },
      member: { roles: [fake.ids.foreignRoles.artists], user: { id: fake.ids.users.alice } },
      authorizing_integration_owners: { '1': fake.ids.users.alice },
      context: 0,
    });

    // The reply lives in the foreign channel, stored like any other.
    const stored = await handle.message();
    expect(stored).toMatchObject({
      id: result.replyId,
      channel_id: fake.ids.foreignChannel,
      content: 'an owl',
      interaction_metadata: { authorizing_integration_owners: { '1': fake.ids.users.alice }, user: { id: fake.ids.users.alice } },
    });
    expect(fake.message(result.replyId)).toEqual(stored);

    // A button on it is pressed there, through the same install, even by someone who never installed the app.
    const pressed = nextInteraction(c, async (i) => {
      if (!i.isButton()) throw new Error('not a button');
      await i.update({ content: 'another owl', components: [] });
      return { owners: owners(i), guildId: i.guildId, context: i.context, user: i.user.id, message: i.message.id };
    });
    await fake.button('again:1', { id: result.replyId }, { user: 'bob' });
    expect(await pressed).toEqual({
      owners: { '1': fake.ids.users.alice },
      guildId: fake.ids.foreignGuild,
      context: InteractionContextType.Guild,
      user: fake.ids.users.bob,
      message: result.replyId,
    });
    expect(fake.message(result.replyId)).toMatchObject({ content: 'another owl', components: [] });
    expect(fake.invalidRequests()).toEqual([]);
  });

  it('refuses the sixth follow-up with 40094 when only a user install authorised the interaction', async () => {
    const c = await loginWithSketch();
    const followUps = (count: number) =>
      nextInteraction(c, async (i) => {
        if (!i.isChatInputCommand()) throw new Error('not a command');
        await i.reply('first');
        const outcomes: unknown[] = [];
        for (let n = 1; n <= count; n++) outcomes.push(await i.followUp(`follow-up ${n}`).then((m) => m.id, (error: unknown) => error));
        return outcomes;
      });
    let done = followUps(6);
    const userOnly = await fake.slashCommand('sketch', { prompt: 'owl' }, { install: 'user' });
    const outcomes = await done;
    expect(outcomes.slice(0, 5).every((o) => typeof o === 'string')).toBe(true);
    const refused = outcomes[5];
    expect(refused).toBeInstanceOf(DiscordAPIError);
    expect(refused).toMatchObject({ status: 400, code: RESTJSONErrorCodes.ThisInteractionHasHitTheMaximumNumberOfFollowUpMessages });
    expect((refused as DiscordAPIError).rawError).toEqual({ code: 40094, message: 'This interaction has hit the maximum number of follow up messages' });
    expect(userOnly.followUps().map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 400]);

    // With the guild install too (key "0"), Discord does not cap follow-ups.
    done = followUps(6);
    const both = await fake.slashCommand('sketch', { prompt: 'owl' }, { install: 'both' });
    expect((await done).every((o) => typeof o === 'string')).toBe(true);
    expect(both.followUps().map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
  });

  it('answers the bot\'s own REST calls to the foreign server and the group DM with 403 50001', async () => {
    const c = await login();
    const missingAccess = { status: 403, code: RESTJSONErrorCodes.MissingAccess };
    await expect(c.rest.post(Routes.channelMessages(fake.ids.foreignChannel), { body: { content: 'hello' } })).rejects.toMatchObject(missingAccess);
    await expect(c.rest.post(Routes.channelMessages(fake.ids.groupDm), { body: { content: 'hello' } })).rejects.toMatchObject(missingAccess);
    await expect(c.channels.fetch(fake.ids.foreignChannel)).rejects.toMatchObject(missingAccess);
    await expect(c.channels.fetch(fake.ids.groupDm)).rejects.toMatchObject(missingAccess);
    await expect(c.guilds.fetch(fake.ids.foreignGuild)).rejects.toMatchObject(missingAccess);
    await expect(c.rest.get(Routes.guildRoles(fake.ids.foreignGuild))).rejects.toMatchObject(missingAccess);
    expect(fake.requests.filter((r) => r.path !== '/gateway/bot').map((r) => r.status)).toEqual([403, 403, 403, 403, 403, 403]);
  });

  it('delivers a user-install command and a button in a group DM: user, no guild, channel type 3', async () => {
    const c = await loginWithSketch();
    const raw = nextRawInteraction(c);
    const seen = nextInteraction(c, async (i) => {
      if (!i.isChatInputCommand()) throw new Error('not a command');
      const reply = await i.reply({ content: 'an owl', components: [again], withResponse: true });
      return { context: i.context, guildId: i.guildId, member: i.member, user: i.user.id, channelId: i.channelId, inGuild: i.inGuild(), owners: owners(i), replyId: reply.resource?.message?.id };
    });
    await fake.slashCommand('sketch', { prompt: 'owl' }, { install: 'user', context: 2 });
    const result = await seen;
    expect(result).toMatchObject({
      context: InteractionContextType.PrivateChannel,
      guildId: null,
      member: null,
      user: fake.ids.users.alice,
      channelId: fake.ids.groupDm,
      inGuild: false,
      owners: { '1': fake.ids.users.alice },
    });
    const payload = await raw;
    expect(payload.guild_id).toBeUndefined();
    expect(payload.member).toBeUndefined();
    expect(payload).toMatchObject({ user: { id: fake.ids.users.alice }, channel: { id: fake.ids.groupDm, type: 3 }, app_permissions: String(PermissionFlagsBits.AttachFiles | PermissionFlagsBits.EmbedLinks | PermissionFlagsBits.MentionEveryone) });
    expect(((payload.channel as { recipients: Array<{ id: string }> }).recipients).map((u) => u.id).sort()).toEqual([fake.ids.users.bob, fake.ids.users.admin].sort());
    expect(fake.message(result.replyId ?? '')).toMatchObject({ channel_id: fake.ids.groupDm, content: 'an owl' });

    const pressed = nextInteraction(c, async (i) => {
      if (!i.isButton()) throw new Error('not a button');
      await i.update({ content: 'another owl' });
      return { context: i.context, owners: owners(i), channelId: i.channelId };
    });
    await fake.button('again:1', { id: result.replyId ?? '' });
    expect(await pressed).toEqual({ context: InteractionContextType.PrivateChannel, owners: { '1': fake.ids.users.alice }, channelId: fake.ids.groupDm });
    expect(fake.message(result.replyId ?? '')).toMatchObject({ content: 'another owl' });
    expect(fake.invalidRequests()).toEqual([]);
  });

  it('makes a user install\'s answers ephemeral where the member may not use external apps', async () => {
    const c = await loginWithSketch();
    const done = nextInteraction(c, async (i) => {
      if (!i.isChatInputCommand()) throw new Error('not a command');
      await i.reply('an owl');
      const followUp = await i.followUp('another');
      return followUp.flags.has(MessageFlags.Ephemeral);
    });
    const denied = (BigInt(PermissionFlagsBits.ViewChannel) | PermissionFlagsBits.SendMessages | PermissionFlagsBits.UseApplicationCommands).toString();
    const handle = await fake.slashCommand('sketch', { prompt: 'owl' }, { install: 'user', permissions: denied });
    expect(await done).toBe(true);
    expect(Number((await handle.message()).flags) & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
  });

  it('refuses what Discord never sends: user installs of guild-only commands, private channels without a user install', async () => {
    await loginWithSketch();
    await expect(fake.slashCommand('imagine', { prompt: 'fox' }, { install: 'user' })).rejects.toThrow(/integration_types \[0\]/);
    await expect(fake.slashCommand('sketch', { prompt: 'owl' }, { context: 2 })).rejects.toThrow(/only a user install/);
    await expect(fake.slashCommand('sketch', { prompt: 'owl' }, { install: 'user', context: 2, channel: 'text' })).rejects.toThrow(/group DM/);
    await expect(fake.slashCommand('sketch', { prompt: 'owl' }, { channel: 'dm', context: 0 })).rejects.toThrow(/bot's DM/);
  });
});
