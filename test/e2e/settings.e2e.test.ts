import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InteractionHandle, Probed } from '../support/discord/fake-discord.js';
import type { GenerateImageBody } from '../../src/venice/types.js';
import { startHarness, type Harness } from './harness.js';
import { EPHEMERAL, ephemeralOf, json, type MessageJson } from './helpers.js';

let h: Harness;
const wait = <T>(probe: () => Probed<T> | Promise<Probed<T>>, ms?: number) => h.discord.waitFor(probe, ms);
const sent = () => h.venice.generateRequests().map((r) => r.body as GenerateImageBody);

beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

/** Runs a /settings subcommand and returns the text of its (ephemeral) answer. */
async function settings(subcommand: string, options: Record<string, string | number | boolean>, user: 'admin' | 'alice' = 'admin', locale?: string): Promise<MessageJson> {
  const i = await h.discord.slashCommand('settings', options, { user, subcommand, ...(locale !== undefined ? { locale } : {}) });
  const defer = (await i.callback()).json as { type: number; data?: { flags?: number } };
  expect(defer.type).toBe(5);
  expect((defer.data?.flags ?? 0) & EPHEMERAL).toBe(EPHEMERAL);
  const answer = await wait(() => i.requests().find((r) => (r.method === 'PATCH' && r.path.endsWith('/@original')) || (r.method === 'POST' && /^\/webhooks\//.test(r.path))));
  return json(answer);
}

async function imagine(options: Record<string, string | number | boolean>, ctx: { user?: 'alice' | 'bob' } = {}): Promise<InteractionHandle> {
  return h.discord.slashCommand('imagine', options, ctx);
}

describe('/settings', () => {
  it('is registered for Manage Server only, and refused at run time to a member without it', async () => {
    const registered = (h.discord.commands({ guildId: h.discord.ids.guild }) as Array<{ name: string; default_member_permissions?: string }>).find((c) => c.name === 'settings');
    expect(registered?.default_member_permissions).toBe('32');
    const answer = await settings('limits', { max_variants: 1 }, 'alice');
    expect(answer.content).toMatch(/Only members with the Manage Server permission/);
    // The refused change did not happen: alice can still ask for two images.
    const i = await imagine({ prompt: 'two moons', variants: 2 });
    expect((await i.originalEdit()).files).toHaveLength(2);
  });

  it('changes the default model and the allowed models, which autocomplete then honours', async () => {
    expect((await settings('models', { default: 'venice-sd35', allowed: 'venice-sd35, qwen-image-2' })).content).toMatch(/Saved for this server/);
    await (await imagine({ prompt: 'a map' })).originalEdit();
    expect(sent()[0]?.model).toBe('venice-sd35');

    const ac = await h.discord.autocomplete('imagine', { prompt: 'x', model: '' }, 'model');
    const choices = ((await ac.callback()).json as { data: { choices: Array<{ value: string }> } }).data.choices;
    expect(choices.map((c) => c.value).sort()).toEqual(['qwen-image-2', 'venice-sd35']);

    const refused = await imagine({ prompt: 'a map', model: 'z-image-turbo' });
    expect(json(await ephemeralOf(refused, wait)).content).toMatch(/allows only these models: `venice-sd35`, `qwen-image-2`/);
    expect(sent()).toHaveLength(1);
  });

  it('refuses a banned word, naming the rule without repeating the word', async () => {
    await settings('banned', { action: 'add', pattern: 'gore' });
    await settings('banned', { action: 'add', pattern: '/blood\\s*bath/i' });
    const i = await imagine({ prompt: 'a BloodBath at noon' });
    const reply = json(await ephemeralOf(i, wait));
    expect(reply.content).toMatch(/rule #2 of this server's banned-words list/);
    expect(reply.content).not.toMatch(/blood/i);
    const j = await imagine({ prompt: 'a calm lake', negative_prompt: 'gore' });
    expect(json(await ephemeralOf(j, wait)).content).toMatch(/rule #1/);
    // "gored" is another word: whole words only.
    await (await imagine({ prompt: 'an ox gored nobody' })).originalEdit();
    expect(sent()).toHaveLength(1);
    expect((await settings('banned', { action: 'list' })).content).toContain('1. `gore`');
  });

  it('refuses a request over the daily budget and states what is left', async () => {
    await settings('limits', { user_daily_budget: 0.03 });
    const first = await imagine({ prompt: 'coins', variants: 2 });
    await first.originalEdit();
    const second = await imagine({ prompt: 'more coins', variants: 2 });
    expect(json(await ephemeralOf(second, wait)).content).toMatch(/This would cost \$0\.02, but you have \$0\.01 left of your \$0\.03 daily budget/);
    expect(sent()).toHaveLength(2);
    // Another member has their own budget.
    await (await imagine({ prompt: 'coins', variants: 2 }, { user: 'bob' })).originalEdit();
    expect(sent()).toHaveLength(4);
  });

  it('enforces the server budget and tells the moderator log', async () => {
    await settings('modlog', { channel: 'text' });
    await settings('limits', { server_daily_budget: 0.01 });
    await (await imagine({ prompt: 'one' })).originalEdit();
    const refused = await imagine({ prompt: 'two' }, { user: 'bob' });
    expect(json(await ephemeralOf(refused, wait)).content).toMatch(/this server has \$0\.00 left of its \$0\.01 daily budget/);
    const log = await wait(() => h.discord.channelMessages('text').find((r) => /daily budget is spent/.test(json(r).content ?? '')));
    expect(json(log).allowed_mentions?.parse).toEqual([]);
  });

  it('sends content violations to the moderator log', async () => {
    await settings('modlog', { channel: 'text' });
    h.venice.script({ kind: 'ok', contentViolation: true });
    const i = await imagine({ prompt: 'forbidden thing' });
    await ephemeralOf(i, wait);
    const log = await wait(() => h.discord.channelMessages('text').find((r) => /Venice refused 1 image/.test(json(r).content ?? '')));
    expect(json(log).content).toContain(`<@${h.discord.ids.users.alice}>`);
    expect(json(log).content).toContain('forbidden thing');
    expect(json(log).allowed_mentions?.parse).toEqual([]);
  });

  it('caps variants, adds the server negative prompt, applies a cooldown, and forbids hiding the watermark', async () => {
    await settings('limits', { max_variants: 2, cooldown_seconds: 60 });
    await settings('negative_prompt', { text: 'text, logos' });
    await settings('watermark', { allow_hide: false });
    const tooMany = await imagine({ prompt: 'birds', variants: 3 });
    expect(json(await ephemeralOf(tooMany, wait)).content).toMatch(/`variants` must be between 1 and 2/);
    const noWatermark = await imagine({ prompt: 'birds', hide_watermark: true });
    expect(json(await ephemeralOf(noWatermark, wait)).content).toMatch(/not allowed hiding the watermark/);
    await (await imagine({ prompt: 'birds', negative_prompt: 'cats' })).originalEdit();
    expect(sent()[0]?.negative_prompt).toBe('cats, text, logos');
    const tooSoon = await imagine({ prompt: 'more birds' });
    expect(json(await ephemeralOf(tooSoon, wait)).content).toMatch(/60 s cooldown.*Try again in \d+ s/);
  });

  it('lets a channel override the server, and shows the effective settings', async () => {
    await settings('limits', { max_variants: 1 });
    await settings('limits', { max_variants: 3, channel: 'nsfw' });
    const shown = await settings('show', {});
    expect(shown.embeds?.[0]?.description).toMatch(/Max variants:\*\* 1/);
    const i = await h.discord.slashCommand('imagine', { prompt: 'owls', variants: 3 }, { channel: 'nsfw' });
    expect((await i.originalEdit()).files).toHaveLength(3);
  });
});

interface RegisteredOption {
  name: string;
  name_localizations?: Record<string, string> | null;
  description_localizations?: Record<string, string> | null;
  options?: RegisteredOption[];
  choices?: Array<{ name: string; value: string; name_localizations?: Record<string, string> | null }>;
}

describe('/settings language', () => {
  const registeredSettings = () => (h.discord.commands({ guildId: h.discord.ids.guild }) as RegisteredOption[]).find((c) => c.name === 'settings');
  const shown = async (locale?: string) => (await settings('show', {}, 'admin', locale)).embeds?.[0]?.description ?? '';

  it('is registered as a sub-command whose choices are the bot’s languages and the server default, named in Chinese and Spanish too', async () => {
    const command = registeredSettings();
    expect(command?.name_localizations).toMatchObject({ 'zh-CN': '设置', 'es-ES': 'ajustes', 'es-419': 'ajustes' });
    const sub = command?.options?.find((o) => o.name === 'language');
    expect(sub?.name_localizations).toMatchObject({ 'zh-CN': '语言', 'es-ES': 'idioma' });
    const option = sub?.options?.find((o) => o.name === 'language');
    expect(option?.choices?.map((c) => [c.value, c.name])).toEqual([
      ['en-US', 'English'],
      ['zh-CN', '简体中文'],
      ['es-ES', 'Español (España)'],
      ['es-419', 'Español (Latinoamérica)'],
      ['default', 'server default'],
    ]);
    expect(option?.choices?.find((c) => c.value === 'default')?.name_localizations).toMatchObject({ 'zh-CN': '服务器默认', 'es-419': 'predeterminado del servidor' });
  });

  it('sets the language of public results, shows it, and clears it back to the server’s own', async () => {
    const set = await settings('language', { language: 'zh-CN' });
    expect(set.content).toBe('Saved for this server.\nResults the bot posts for everyone in this server are now in Simplified Chinese. What only one member sees stays in their own Discord language.');
    expect((await h.bot.store.settings.guild(h.discord.ids.guild)).language).toBe('zh-CN');
    expect(await shown()).toContain('**Language of public results:** Simplified Chinese');

    const cleared = await settings('language', { language: 'default' });
    expect(cleared.content).toBe('Saved for this server.\nResults the bot posts for everyone in this server now follow the server’s own language (English).');
    expect((await h.bot.store.settings.guild(h.discord.ids.guild)).language).toBeUndefined();
    expect(await shown()).toContain('**Language of public results:** server default (English)');
  });

  it('names the server’s own language when none is chosen', async () => {
    h.discord.setGuildLocale('es-ES');
    expect(await shown()).toContain('**Language of public results:** server default (Spanish (Spain))');
  });

  it('answers each admin in their own Discord language', async () => {
    const zh = await settings('language', { language: 'es-419' }, 'admin', 'zh-CN');
    expect(zh.content).toBe('已为本服务器保存。\n机器人在本服务器公开发布的结果现在使用西班牙语（拉丁美洲）。只有你自己能看到的消息仍使用你的 Discord 语言。');
    const es = await shown('es-ES');
    expect(es).toContain('**Idioma de los resultados públicos:** español (Latinoamérica)');
    expect(es).toContain('**Máximo de variantes:** 4');
    expect((await settings('show', {}, 'admin', 'zh-CN')).embeds?.[0]).toMatchObject({ title: '图片机器人设置' });
  });

  it('is refused to a member without Manage Server, like every other /settings sub-command', async () => {
    const answer = await settings('language', { language: 'zh-CN' }, 'alice');
    expect(answer.content).toMatch(/Only members with the Manage Server permission/);
    expect((await h.bot.store.settings.guild(h.discord.ids.guild)).language).toBeUndefined();
  });

  it('writes the moderator log in the chosen language, whatever the moderator’s own', async () => {
    await settings('modlog', { channel: 'text' });
    await settings('language', { language: 'es-ES' });
    await settings('block', { who: 'muted' }, 'admin', 'zh-CN');
    const log = await wait(() => h.discord.channelMessages('text').find((r) => (json(r).content ?? '').startsWith('⛔')));
    expect(json(log).content).toMatch(/^⛔ <@\d+> bloqueó a <@&\d+> el acceso al bot de imágenes\.$/);
    expect(json(log).allowed_mentions?.parse).toEqual([]);
  });
  it('turns review mode and the gallery on, refusing review mode without a review channel, and shows both', async () => {
    expect((await settings('review', { enabled: true })).content).toMatch(/Choose a review channel first/);
    expect((await settings('review', { enabled: true, review_channel: 'nsfw', timeout_hours: 6 })).content).toMatch(/Saved for this server/);
    expect((await settings('gallery', { channel: 'gallery', stars: 5 })).content).toMatch(/Saved for this server/);
    const shown = JSON.stringify((await settings('show', {})).embeds);
    expect(shown).toContain(`Review mode: on, in <#${h.discord.ids.channels.nsfw}>, rejected after 6 h`);
    expect(shown).toContain(`Gallery: <#${h.discord.ids.channels.gallery}>, after 5 ⭐`);
    const registered = (h.discord.commands({ guildId: h.discord.ids.guild }) as Array<{ name: string; options: Array<{ name: string; options?: Array<{ name: string; channel_types?: number[] }> }> }>).find((c) => c.name === 'settings');
    const review = registered?.options.find((o) => o.name === 'review');
    expect(review?.options?.find((o) => o.name === 'review_channel')?.channel_types).toEqual([0]);
    expect(registered?.options.find((o) => o.name === 'gallery')?.options?.find((o) => o.name === 'channel')?.channel_types).toEqual([0, 15]);
  });
});
