import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';
import { EPHEMERAL } from './helpers.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

interface Choice {
  name: string;
  value: string;
}
async function choicesFor(options: Record<string, string>, focused: string, locale?: string): Promise<Choice[]> {
  const i = await h.discord.autocomplete('imagine', { prompt: 'x', ...options }, focused, locale !== undefined ? { locale } : {});
  const callback = await i.callback();
  const body = callback.json as { type: number; data: { choices: Choice[] } };
  expect(body.type).toBe(8);
  for (const c of body.data.choices) {
    expect(c.name.length).toBeLessThanOrEqual(100);
    expect(c.value.length).toBeLessThanOrEqual(100);
  }
  expect(body.data.choices.length).toBeLessThanOrEqual(25);
  return body.data.choices;
}

describe('/imagine autocomplete', () => {
  it('offers models with their price, filtered by what the user typed', async () => {
    const veniceCallsBefore = h.venice.requests.length;
    const all = await choicesFor({ model: '' }, 'model');
    expect(all.length).toBe(25);
    const banana = await choicesFor({ model: 'banana' }, 'model');
    expect(banana.map((c) => c.value)).toContain('nano-banana-2');
    expect(banana.every((c) => /banana/i.test(c.name) || /banana/i.test(c.value))).toBe(true);
    expect(banana.find((c) => c.value === 'nano-banana-2')?.name).toMatch(/\$0\.10/);
    // Autocomplete answers from memory: Venice hears nothing of it.
    expect(h.venice.requests.length).toBe(veniceCallsBefore);
  });

  it('speaks the language of the member typing, keeping Venice’s names and values', async () => {
    const [zh] = await choicesFor({ model: 'z-image-turbo' }, 'model', 'zh-CN');
    expect(zh).toEqual({ name: 'Z-Image Turbo · US$0.01/张 · ⚡ 快速', value: 'z-image-turbo' });
    const sizes = await choicesFor({ model: 'venice-sd35', aspect_ratio: '16:9' }, 'aspect_ratio', 'es-ES');
    expect(sizes.map((c) => c.name)).toEqual(['1024x576 · 16:9 panorámico']);
    // Other locales read English.
    const [fr] = await choicesFor({ model: 'z-image-turbo' }, 'model', 'fr');
    expect(fr?.name).toBe('Z-Image Turbo · $0.01/image · ⚡ fast');
  });

  it('offers a pixel model sizes on its own grid', async () => {
    const sizes = await choicesFor({ model: 'venice-sd35', aspect_ratio: '' }, 'aspect_ratio');
    expect(sizes.length).toBeGreaterThan(3);
    for (const c of sizes) {
      const [w, h2] = c.value.split('x').map(Number);
      expect(w! % 16).toBe(0);
      expect(h2! % 16).toBe(0);
      expect(Math.max(w!, h2!)).toBeLessThanOrEqual(1280);
    }
  });

  it('offers an aspect-ratio model its ratios and no pixel sizes', async () => {
    const ratios = await choicesFor({ model: 'qwen-image-2', aspect_ratio: '' }, 'aspect_ratio');
    expect(ratios.map((c) => c.value)).toEqual(['1:1', '3:2', '16:9', '21:9', '9:16', '2:3', '3:4', '4:5']);
  });

  it('offers resolutions and qualities only where the chosen model has them', async () => {
    expect((await choicesFor({ model: 'gpt-image-2', resolution: '' }, 'resolution')).map((c) => c.value)).toEqual(['1K', '2K', '4K']);
    expect((await choicesFor({ model: 'gpt-image-2', quality: '' }, 'quality')).map((c) => c.value)).toEqual(['low', 'medium', 'high']);
    expect(await choicesFor({ model: 'venice-sd35', resolution: '' }, 'resolution')).toEqual([]);
  });

  it('filters styles by typed text', async () => {
    const styles = await choicesFor({ style: 'film' }, 'style');
    expect(styles.length).toBeGreaterThan(0);
    expect(styles.every((c) => /film/i.test(c.value))).toBe(true);
  });
});

describe('/styles', () => {
  it('lists 25 styles a page and pages forward and back with buttons', async () => {
    const i = await h.discord.slashCommand('styles', {});
    const first = await i.callback();
    const body = first.json as { type: number; data: { flags: number; embeds: Array<{ description: string; footer: { text: string } }>; components: Array<{ components: Array<{ custom_id: string; disabled?: boolean; type: number }> }> } };
    expect(body.type).toBe(4);
    expect(body.data.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(body.data.embeds[0]!.description.split('\n')).toHaveLength(25);
    expect(body.data.embeds[0]!.footer.text).toMatch(/^Page 1 of \d+/);
    const buttons = body.data.components[1]!.components;
    expect(buttons[0]!.disabled).toBe(true);
    const forward = buttons[1]!;
    expect(forward.disabled).toBe(false);

    const press = await h.discord.button(forward.custom_id, { id: '1', embeds: body.data.embeds });
    const update = (await press.callback()).json as { type: number; data: { embeds: Array<{ description: string; footer: { text: string } }> } };
    expect(update.type).toBe(7);
    expect(update.data.embeds[0]!.description.split('\n')[0]).toMatch(/^26\. /);
    expect(update.data.embeds[0]!.footer.text).toMatch(/^Page 2 of/);
  });

  it('filters by search and shows how to use a picked style', async () => {
    const i = await h.discord.slashCommand('styles', { search: 'film' });
    const body = (await i.callback()).json as { data: { embeds: Array<{ description: string }>; components: Array<{ components: Array<{ custom_id: string; options?: Array<{ value: string }> }> }> } };
    const lines = body.data.embeds[0]!.description.split('\n');
    expect(lines.every((l) => /film/i.test(l))).toBe(true);
    const menu = body.data.components[0]!.components[0]!;
    const style = menu.options![0]!.value;
    const pick = await h.discord.selectMenu(menu.custom_id, [style], { id: '2' });
    const reply = (await pick.callback()).json as { type: number; data: { content: string; flags: number } };
    expect(reply.type).toBe(4);
    expect(reply.data.content).toContain(`style:${style}`);
    expect(reply.data.flags & EPHEMERAL).toBe(EPHEMERAL);
  });
});
