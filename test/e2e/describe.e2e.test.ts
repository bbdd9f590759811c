import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeCustomId } from '../../src/discord/custom-id.js';
import type { InteractionHandle, RecordedRequest, Upload } from '../support/discord/fake-discord.js';
import { countTokens, simulatorTextModels, tokensPerImage } from '../support/venice/chat.js';
import { checkAgainstSpec, specPointers } from '../support/venice/spec.js';
import type { Harness } from './harness.js';
import { contentOf as content, harnessPerTest, resultWithFiles } from './harness-slot.js';
import { EPHEMERAL, json } from './helpers.js';

const slot = harnessPerTest();
let h: Harness | undefined;
const { wait } = slot;

const png = (width: number, height: number, background: string) => sharp({ create: { width, height, channels: 3, background } }).png().toBuffer();
const upload = async (name: string, width = 512, height = 512, colour = 'teal'): Promise<Upload> => ({ file: { name, data: await png(width, height, colour) } });
const bytesOf = (u: Upload) => (u as { file: { data: Buffer } }).file.data;

const PROMPTS = [
  'a teal square glowing softly on a dark background, minimalist poster',
  'a lone lighthouse on a teal sea at dusk, oil painting, thick brushstrokes',
  'macro photograph of teal ink spreading in water, studio lighting',
  'a teal paper lantern floating over a quiet city, watercolour',
];
const answerJson = (prompts: readonly string[]) => `\`\`\`json\n${JSON.stringify({ prompts })}\n\`\`\``;

/** Per million tokens, as the simulator lists them. */
const pricing = (id: string) => {
  const model = simulatorTextModels.find((m) => m.id === id)!;
  return { input: model.model_spec.pricing.input.usd, output: model.model_spec.pricing.output.usd };
};

/** The private answer that lists the prompts: the edit of the ephemeral deferral that has buttons. */
const answerOf = (i: InteractionHandle): Promise<RecordedRequest> => i.originalEdit((r) => JSON.stringify(json(r).components ?? []).includes('custom_id'), 30_000);
const buttonIds = (r: RecordedRequest) => [...JSON.stringify(json(r).components ?? []).matchAll(/"custom_id":"([^"]+)"/g)].map((m) => m[1]!);
const labels = (r: RecordedRequest) => [...JSON.stringify(json(r).components ?? []).matchAll(/"label":"([^"]+)"/g)].map((m) => m[1]!);

async function settings(subcommand: string, options: Record<string, string | number | boolean>): Promise<void> {
  const i = await h!.discord.slashCommand('settings', options, { user: 'admin', subcommand });
  await wait(() => i.requests().find((r) => (r.method === 'PATCH' && r.path.endsWith('/@original')) || (r.method === 'POST' && /^\/webhooks\//.test(r.path))));
}

describe('/describe', () => {
  it('sends Venice a spec-valid vision request with exactly the uploaded bytes, lists the prompts privately, and Imagine 2 makes an image of the second', async () => {
    h = await slot.start();
    h.venice.setChatAnswer(answerJson(PROMPTS));
    const image = await upload('teal.png');
    const i = await h.discord.slashCommand('describe', { image });
    const defer = (await i.callback()).json as { type: number; data?: { flags?: number } };
    expect(defer.type).toBe(5);
    expect((defer.data?.flags ?? 0) & EPHEMERAL).toBe(EPHEMERAL);
    const answer = await answerOf(i);
    expect(answer.status).toBe(200);

    const [sent] = h.venice.chatRequests();
    expect(sent?.status).toBe(200);
    expect(checkAgainstSpec(specPointers.chatCompletionRequest, sent?.body)).toEqual([]);
    const body = sent?.body as { model: string; max_completion_tokens: number; stream: boolean; messages: Array<{ role: string; content: Array<{ type: string; text?: string; image_url?: { url: string } }> }> };
    expect(body.model).toBe('qwen3-vl-235b-a22b');
    expect(body.stream).toBe(false);
    expect(body.max_completion_tokens).toBeGreaterThan(0);
    expect(body.max_completion_tokens).toBeLessThanOrEqual(1000);
    expect(body.messages).toHaveLength(1);
    const [text, picture] = body.messages[0]!.content;
    expect(text?.type).toBe('text');
    expect(text?.text).toMatch(/4 distinct image-generation prompts/);
    expect(picture?.image_url?.url.startsWith('data:image/png;base64,')).toBe(true);
    expect(Buffer.from(picture!.image_url!.url.split(',')[1]!, 'base64').equals(bytesOf(image))).toBe(true);
    expect(sent?.images?.[0]?.equals(bytesOf(image))).toBe(true);
    // Downloaded once, by the job.
    expect(h.discord.cdnFetches().filter((f) => f.attachmentId === i.attachments['image']?.id && f.status === 200)).toHaveLength(1);

    const shown = content(answer);
    expect(shown).toMatch(/^Prompts from your image, by Qwen3 VL 235B \(\$0\.000\d\d\)\./);
    PROMPTS.forEach((p, n) => expect(shown).toContain(`${n + 1}. ${p}`));
    expect(json(answer).allowed_mentions?.parse).toEqual([]);
    expect(labels(answer)).toEqual(['Imagine 1', 'Imagine 2', 'Imagine 3', 'Imagine 4']);
    const ids = buttonIds(answer).map((c) => decodeCustomId(c));
    const generationId = ids[0]?.args[0];
    expect(ids.map((c) => [c?.command, c?.action, c?.args[1]])).toEqual([1, 2, 3, 4].map((n) => ['describe', 'imagine', String(n)]));

    // The charge is Venice's token count at the model's prices, in the history and the day's spend.
    const stored = await wait(async () => {
      const g = await h!.bot.store.generations.get(generationId!);
      return g?.outcome === 'posted' && g;
    });
    // The simulator counts a quarter of the characters and 258 tokens per image.
    const promptTokens = countTokens(text!.text!) + tokensPerImage;
    const completionTokens = countTokens(answerJson(PROMPTS));
    const price = pricing('qwen3-vl-235b-a22b');
    expect(stored).toMatchObject({ kind: 'describe', model: 'qwen3-vl-235b-a22b', outcome: 'posted', options: { prompts: PROMPTS } });
    expect(stored!.chargedUsd).toBeCloseTo((promptTokens * price.input + completionTokens * price.output) / 1e6, 9);
    expect(stored!.chargedUsd).toBeGreaterThan(0);
    expect(await h.bot.store.usage.userSpent(h.discord.ids.guild, h.discord.ids.users.alice, Date.now())).toBeCloseTo(stored!.chargedUsd, 9);
    expect(await h.bot.store.jobs.all()).toEqual([]);

    const message = await i.message((m) => Array.isArray(m['components']) && (m['components'] as unknown[]).length > 0);
    const press = await h.discord.button(buttonIds(answer)[1]!, { id: String(message['id']) }, { user: 'alice' });
    const pressDefer = (await press.callback()).json as { type: number; data?: { flags?: number } };
    expect(pressDefer.type).toBe(5);
    expect((pressDefer.data?.flags ?? 0) & EPHEMERAL).toBe(0);
    const result = await resultWithFiles(press);
    expect(result.status).toBe(200);
    const [generate] = h.venice.generateRequests();
    expect((generate?.body as { prompt: string }).prompt).toBe(PROMPTS[1]);
    expect(json(result).embeds?.[0]?.description).toContain(PROMPTS[1]);
    expect(h.venice.chatRequests()).toHaveLength(1);
  });

  it('refuses, before anything is downloaded or Venice is called, a GIF, a 30 MB file and an attachment off Discord’s CDN', async () => {
    h = await slot.start();
    const gif = await sharp({ create: { width: 512, height: 512, channels: 3, background: 'red' } }).gif().toBuffer();
    const cases: Array<[Upload, RegExp]> = [
      [{ file: { name: 'anim.gif', data: gif } }, /`image\/gif`; Venice edits PNG, JPEG and WebP images only/],
      [{ ...(await upload('huge.png')), size: 30 * 1024 * 1024 }, /is 31\.5 MB; Venice takes images under 25 MB/],
      [{ url: 'https://images.example.com/cat.png', name: 'cat.png', size: 2048, contentType: 'image/png', width: 512, height: 512 }, /not a Discord attachment/],
    ];
    for (const [image, expected] of cases) {
      const i = await h.discord.slashCommand('describe', { image });
      // The deferral was private, so the refusal is its edit.
      const told = await i.originalEdit();
      expect(told.status).toBe(200);
      expect(content(told)).toMatch(expected);
    }
    expect(h.venice.chatRequests()).toEqual([]);
    expect(h.discord.cdnFetches()).toEqual([]);
  });

  it('refuses a model that cannot see images, and one Venice does not list', async () => {
    h = await slot.start();
    const blind = await h.discord.slashCommand('describe', { image: await upload('a.png'), model: 'venice-uncensored' });
    expect(content(await blind.originalEdit())).toBe('Venice Uncensored 1.1 cannot see images. Pick a vision model from the list.');
    const unknown = await h.discord.slashCommand('describe', { image: await upload('b.png'), model: 'nope-7b' });
    expect(content(await unknown.originalEdit())).toMatch(/`nope-7b` is not one of Venice’s text models/);
    expect(h.venice.chatRequests()).toEqual([]);

    // Autocomplete offers the vision models only, with their prices.
    const ac = await h.discord.autocomplete('describe', { image: await upload('c.png'), model: '' }, 'model');
    const choices = ((await ac.callback()).json as { data: { choices: Array<{ name: string; value: string }> } }).data.choices;
    expect(choices.map((c) => c.value)).toEqual(['qwen3-vl-235b-a22b', 'mistral-31-24b']);
    expect(choices[0]?.name).toMatch(/^Qwen3 VL 235B · \$0\.25 in · \$1\.50 out per 1M tokens$/);
  });

  it('refuses a describe when the server’s daily budget is spent, and tells the moderator log', async () => {
    h = await slot.start();
    await settings('modlog', { channel: 'text' });
    await settings('limits', { server_daily_budget: 0.01 });
    await resultWithFiles(await h.discord.slashCommand('imagine', { prompt: 'one' }));
    const refused = await h.discord.slashCommand('describe', { image: await upload('a.png') }, { user: 'bob' });
    expect(content(await refused.originalEdit())).toMatch(/this server has \$0\.00 left of its \$0\.01 daily budget/);
    await wait(() => h!.discord.channelMessages('text').find((r) => /daily budget is spent/.test(json(r).content ?? '')));
    expect(h.venice.chatRequests()).toEqual([]);
    expect(h.discord.cdnFetches()).toEqual([]);
  });

  it('says so when Venice’s answer holds no usable prompt, with what it cost, and explains a Venice refusal', async () => {
    h = await slot.start();
    h.venice.setChatAnswer('```\n```');
    const empty = await h.discord.slashCommand('describe', { image: await upload('a.png'), count: 2 });
    const told = await empty.originalEdit((r) => /no prompt/.test(content(r)));
    expect(content(told)).toMatch(/^Venice answered, but with no prompt the bot could use\. Try again, or pick another model\. This describe cost \$0\.000\d+\.$/);
    const charged = await h.bot.store.usage.userSpent(h.discord.ids.guild, h.discord.ids.users.alice, Date.now());
    expect(charged).toBeGreaterThan(0);
    expect((h.venice.chatRequests()[0]?.body as { messages: Array<{ content: Array<{ text?: string }> }> }).messages[0]?.content[0]?.text).toMatch(/2 distinct/);

    h.venice.script({ kind: 'error', status: 400 }, { path: '/chat/completions' });
    const refused = await h.discord.slashCommand('describe', { image: await upload('b.png') });
    expect(content(await refused.originalEdit((r) => /Venice refused/.test(content(r))))).toMatch(/^Venice refused the request\./);
    expect(await h.bot.store.jobs.all()).toEqual([]);
  });

  it('answers in the member’s language', async () => {
    h = await slot.start();
    h.venice.setChatAnswer(answerJson(PROMPTS.slice(0, 2)));
    const i = await h.discord.slashCommand('describe', { image: await upload('a.png'), model: 'mistral-31-24b', count: 2 }, { locale: 'zh-CN' });
    const answer = await answerOf(i);
    expect(content(answer)).toMatch(/^根据你的图片生成的提示词，来自 Mistral 3\.1 24B/);
    expect(labels(answer)).toEqual(['生成 1', '生成 2']);
  });

  it('does not start a describe whose token would die before it could answer, says so, and charges nothing', async () => {
    let botOffset = 0;
    h = await slot.start({ env: { MAX_CONCURRENT_JOBS: '1' }, botNow: () => Date.now() + botOffset });
    h.venice.setInferenceDelay(800);
    const blocker = await h.discord.slashCommand('imagine', { prompt: 'a slow one' }, { user: 'bob' });
    await wait(() => h!.venice.generateRequests().length === 1);
    const i = await h.discord.slashCommand('describe', { image: await upload('q.png') }, { user: 'alice' });
    const queued = await i.originalEdit((r) => /In the queue: position 1/.test(content(r)), 10_000);
    expect(queued.status).toBe(200);
    // Fourteen minutes pass by the bot's clock while the describe waits: its token has 30 s left.
    botOffset = 14 * 60 * 1000;
    await resultWithFiles(blocker);
    const told = await i.originalEdit((r) => /waited too long/.test(content(r)), 10_000);
    expect(told.status).toBe(200);
    expect(content(told)).toBe("This request waited too long in line to be answered within Discord's 15 minutes, so it was not started and nothing was charged. Run it again.");
    await wait(async () => (await h!.bot.store.jobs.all()).length === 0, 10_000);
    expect(h.venice.chatRequests()).toEqual([]);
    expect(h.discord.cdnFetches()).toEqual([]);
    expect(await h.bot.store.usage.userSpent(h.discord.ids.guild, h.discord.ids.users.alice, Date.now() + botOffset)).toBe(0);
  });

  it('tells a member its place in the line in their own language, and never answers in the channel, even once the token expired', async () => {
    let offset = 0;
    h = await slot.start({ env: { MAX_CONCURRENT_JOBS: '1' }, discordNow: () => Date.now() + offset });
    h.venice.setInferenceDelay(800);
    h.venice.setChatAnswer(answerJson(PROMPTS));
    const blocker = await h.discord.slashCommand('imagine', { prompt: 'a slow one' }, { user: 'bob' });
    await wait(() => h!.venice.generateRequests().length === 1);
    const i = await h.discord.slashCommand('describe', { image: await upload('q.png') }, { user: 'alice', locale: 'zh-CN' });
    const queued = await i.originalEdit((r) => /排队位置/.test(content(r)), 10_000);
    expect(queued.status).toBe(200);
    await resultWithFiles(blocker);
    // Sixteen minutes pass while Venice reads the image: the token is dead when the answer comes.
    await wait(() => h!.venice.chatRequests().length === 1, 10_000);
    offset = 16 * 60 * 1000;
    await wait(async () => (await h!.bot.store.jobs.all()).length === 0, 15_000);
    const alice = h.discord.ids.users.alice;
    expect(h.discord.channelMessages('text').filter((r) => content(r).includes(`<@${alice}>`) || /提示词|Prompts/.test(content(r)))).toEqual([]);
  });

  it('answers a /describe while Venice’s image window is spent and image jobs wait for the next one', async () => {
    h = await slot.start();
    // Four image requests a minute, all spent by Alice's four variants: Bob's job waits a minute.
    h.venice.setRateLimit({ requests: 4, windowMs: 60_000, retryAfter: false });
    h.venice.setChatAnswer(answerJson(PROMPTS));
    const first = await h.discord.slashCommand('imagine', { prompt: 'a fox', variants: 4 }, { user: 'alice' });
    const firstResult = await first.originalEdit((r) => r.files.length > 0, 15_000);
    expect(firstResult.status).toBe(200);
    const waiting = await h.discord.slashCommand('imagine', { prompt: 'a heron', variants: 4 }, { user: 'bob' });
    const place = await waiting.originalEdit((r) => /In the queue: position 1/.test(content(r)), 15_000);
    expect(place.status).toBe(200);

    const started = Date.now();
    const i = await h.discord.slashCommand('describe', { image: await upload('teal.png') }, { user: 'admin' });
    const answer = await i.originalEdit((r) => content(r).startsWith('Prompts from your image'), 15_000);
    expect(answer.status).toBe(200);
    expect(content(answer)).toContain(`1. ${PROMPTS[0]!}`);
    // Not put in line behind Bob's job: no place in the queue was ever shown.
    expect(i.requests().some((r) => /In the queue/.test(content(r)))).toBe(false);
    // Answered in seconds, not after the image window's minute; Bob's job still waits its turn there.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(h.venice.chatRequests().map((r) => r.status)).toEqual([200]);
    expect(h.venice.generateRequests()).toHaveLength(4);
    expect(waiting.requests().some((r) => r.files.length > 0)).toBe(false);
    expect(h.venice.rateStats().totals).toMatchObject({ rateLimited: 0 });
  }, 30_000);
});
