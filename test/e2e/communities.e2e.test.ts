import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { GenerateImageBody } from '../../src/venice/types.js';

import type { Harness } from './harness.js';
import { contentOf as content, harnessPerTest, resultWithFiles as resultEdit } from './harness-slot.js';
import { EPHEMERAL, ephemeralOf, json } from './helpers.js';

const slot = harnessPerTest();
let h: Harness | undefined;
const harness = slot.get;
const { wait } = slot;

async function settings(subcommand: string, options: Record<string, string | number | boolean>): Promise<string> {
  const i = await harness().discord.slashCommand('settings', options, { user: 'admin', subcommand });
  const answer = await wait(() => i.requests().find((r) => r.method === 'PATCH' && r.path.endsWith('/@original')));
  expect(answer.status).toBe(200);
  return `${content(answer)}${JSON.stringify(json(answer).embeds ?? [])}`;
}

describe('rules by role', () => {
  it('gives an Artist the role’s quota and another member the default, refusing the image past the quota before Venice is called', async () => {
    h = await slot.start();
    expect(await settings('limits', { daily_images: 1 })).toMatch(/Saved/);
    expect(await settings('role', { role: 'artists', daily_images: 3 })).toMatch(/now get this rule/);

    for (let n = 0; n < 3; n++) await resultEdit(await h.discord.slashCommand('imagine', { prompt: `artist ${n}` }, { user: 'alice', roles: ['artists'] }));
    const fourth = await h.discord.slashCommand('imagine', { prompt: 'artist 3' }, { user: 'alice', roles: ['artists'] });
    expect(content(await ephemeralOf(fourth, wait))).toMatch(/You have 0 of your 3 images a day left in this server.*It resets at 00:00 UTC \(<t:\d+:R>\)/);

    await resultEdit(await h.discord.slashCommand('imagine', { prompt: 'member 0' }, { user: 'bob' }));
    const second = await h.discord.slashCommand('imagine', { prompt: 'member 1' }, { user: 'bob' });
    expect(content(await ephemeralOf(second, wait))).toMatch(/0 of your 1 image a day left/);
    expect(h.venice.generateRequests()).toHaveLength(4);
  });

  it('refuses a member with a blocked role, and notes the block in the moderator log', async () => {
    h = await slot.start();
    await settings('modlog', { channel: h.discord.ids.channels.nsfw });
    expect(await settings('block', { who: 'muted' })).toMatch(/is blocked from the bot/);
    const i = await h.discord.slashCommand('imagine', { prompt: 'let me' }, { user: 'bob', roles: ['muted'] });
    expect(content(await ephemeralOf(i, wait))).toMatch(/admins have blocked you/);
    expect(h.venice.generateRequests()).toHaveLength(0);
    const log = h.discord.channelMessages('nsfw').map(content);
    expect(log.some((l) => /⛔ <@&\d+> was blocked from the image bot/.test(l))).toBe(true);
  });
});

describe('/usage', () => {
  it('gives an admin a chart of the server’s 30 days, with the same totals in the text', async () => {
    h = await slot.start();
    await resultEdit(await h.discord.slashCommand('imagine', { prompt: 'one', variants: 2 }, { user: 'alice' }));
    await resultEdit(await h.discord.slashCommand('imagine', { prompt: 'two' }, { user: 'bob' }));
    const i = await h.discord.slashCommand('usage', {}, { user: 'admin' });
    const answer = await wait(() => i.requests().find((r) => r.method === 'PATCH' && r.files.length > 0));
    expect(answer.status).toBe(200);
    const chart = answer.files.find((f) => f.filename === 'spending.png')!;
    const meta = await sharp(chart.data).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 800, 400]);
    expect(content(answer)).toMatch(/This server, last 30 days:\*\* \$0\.03 for 3 images/);
    expect(content(answer)).toMatch(new RegExp(`Top members: <@${h.discord.ids.users.alice}> \\$0\\.02 \\(2\\), <@${h.discord.ids.users.bob}> \\$0\\.01 \\(1\\)`));
    expect(content(answer)).toMatch(/Top models: `z-image-turbo` \$0\.03 \(2 jobs\)/);
    expect(json(answer).allowed_mentions?.parse).toEqual([]);
  });

  it('shows a member only their own day and what is left', async () => {
    h = await slot.start();
    await settings('limits', { daily_images: 5, user_daily_budget: 1 });
    await resultEdit(await h.discord.slashCommand('imagine', { prompt: 'mine' }, { user: 'bob' }));
    const i = await h.discord.slashCommand('usage', {}, { user: 'bob' });
    const answer = await wait(() => i.requests().find((r) => r.method === 'PATCH' && r.path.endsWith('/@original')));
    expect(content(answer)).toMatch(/Today in this server:\*\* 1 image, \$0\.01/);
    expect(content(answer)).toMatch(/Images: 4 of 5 left · Budget: \$0\.99 of \$1\.00 left/);
    expect(answer.files).toEqual([]);
  });
});

describe('as a user-installed app', () => {
  // A user install reaches only global commands, as Discord registers them: no DISCORD_GUILD_ID.
  it('in a server without the bot, sends Venice safe_mode true, charges the installer, and stays within five follow-ups', async () => {
    h = await slot.start({ env: { DM_DAILY_BUDGET_USD: '1', DISCORD_GUILD_ID: '' } });
    const i = await h.discord.slashCommand('imagine', { prompt: 'a quiet lake', variants: 4, safe_mode: false }, { user: 'bob', install: 'user', context: 0 });
    // safe_mode:false is refused there: the bot never turns safe mode off outside its own age-restricted channels.
    expect(content(await ephemeralOf(i, wait))).toMatch(/Safe mode can be turned off only/);
    const ok = await h.discord.slashCommand('imagine', { prompt: 'a quiet lake', variants: 4 }, { user: 'bob', install: 'user', context: 0 });
    const edit = await resultEdit(ok);
    expect(edit.status).toBe(200);
    expect(edit.files).toHaveLength(4);
    const bodies = h.venice.generateRequests().map((r) => r.body as GenerateImageBody);
    expect(bodies).toHaveLength(4);
    expect(bodies.every((b) => b.safe_mode === true)).toBe(true);
    expect(await h.bot.store.usage.userSpent(null, h.discord.ids.users.bob, Date.now())).toBeCloseTo(0.04, 9);
    expect(await h.bot.store.usage.guildSpent(h.discord.ids.foreignGuild, Date.now())).toBe(0);
    expect(ok.followUps().length).toBeLessThanOrEqual(5);
    expect(h.discord.requests.filter((r) => r.path.startsWith(`/channels/${h!.discord.ids.foreignChannel}`))).toEqual([]);
  });

  it('is refused in a server that has the bot when its admins turned user installs off', async () => {
    h = await slot.start({ env: { DISCORD_GUILD_ID: '' } });
    await settings('userinstall', { allow: false });
    const i = await h.discord.slashCommand('imagine', { prompt: 'mine' }, { user: 'bob', install: 'user', channel: 'text' });
    const told = await ephemeralOf(i, wait);
    expect(content(told)).toMatch(/do not allow the bot’s user-installed app here/);
    expect((json(told).flags ?? 0) & EPHEMERAL).toBe(EPHEMERAL);
    expect(h.venice.generateRequests()).toHaveLength(0);
  });
});
