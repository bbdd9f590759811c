import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  ChannelType,
  Client,
  DiscordAPIError,
  Events,
  GatewayIntentBits,
  LabelBuilder,
  ModalBuilder,
  PermissionFlagsBits,
  SlashCommandBuilder,
  TextInputBuilder,
  TextInputStyle,
} from 'discord.js';
import type { Interaction, TextChannel } from 'discord.js';
import { startFakeDiscord } from './discord/fake-discord.js';
import type { FakeDiscord } from './discord/fake-discord.js';

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
  const c = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: fake.apiUrl } });
  client = c;
  const ready = new Promise<Client<true>>((resolve) => c.once(Events.ClientReady, resolve));
  await c.login(fake.token);
  return ready;
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
