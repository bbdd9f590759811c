import { ButtonStyle, ComponentType, type APIButtonComponentWithCustomId, type APIStringSelectComponent } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { decodeQuery, encodeQuery, filterStyles, PAGE_SIZE, renderStyleUsage, renderStylesPage, type StylesPage } from '../../../commands/styles/styles.view.js';
import { decodeCustomId } from '../../../src/discord/custom-id.js';
import { en } from '../../../src/i18n/index.js';
import { simulatorStyles } from '../../support/venice/catalogue.js';

const styles = [...simulatorStyles];
const lastPage = Math.ceil(styles.length / PAGE_SIZE) - 1;

function buttons(page: StylesPage): { back: APIButtonComponentWithCustomId; forward: APIButtonComponentWithCustomId } {
  const row = page.components.at(-1);
  const [back, forward] = (row?.components ?? []) as APIButtonComponentWithCustomId[];
  if (!back || !forward) throw new Error('no navigation buttons');
  return { back, forward };
}

function menu(page: StylesPage): APIStringSelectComponent | undefined {
  return page.components.flatMap((row) => row.components).find((c): c is APIStringSelectComponent => c.type === ComponentType.StringSelect);
}

/** Where a button leads, as the router would read it. */
function target(button: APIButtonComponentWithCustomId): { page: number; query: string } {
  const id = decodeCustomId(button.custom_id);
  expect(id).toMatchObject({ command: 'styles', action: 'page' });
  return { page: Number(id?.args[0]), query: decodeQuery(id?.args[1]) };
}

const lines = (page: StylesPage) => (page.embeds[0]?.description ?? '').split('\n');

describe('browsing the style presets', () => {
  it('shows 25 numbered styles on the first page, back disabled', () => {
    const page = renderStylesPage(en, styles, '', 0);
    expect(styles.length).toBeGreaterThan(2 * PAGE_SIZE);
    expect(lines(page)).toHaveLength(25);
    expect(lines(page)[0]).toBe('1. 3D Model');
    expect(page.embeds[0]?.title).toBe('Style presets');
    expect(page.embeds[0]?.footer?.text).toBe(`Page 1 of ${lastPage + 1} · ${styles.length} styles`);
    const { back, forward } = buttons(page);
    expect(back).toMatchObject({ type: ComponentType.Button, style: ButtonStyle.Secondary, disabled: true });
    expect(forward.disabled).toBe(false);
    expect(target(forward)).toEqual({ page: 1, query: '' });
  });

  it('continues the numbering on the next page', () => {
    const page = renderStylesPage(en, styles, '', 1);
    expect(lines(page)[0]).toBe(`26. ${styles[25]}`);
    expect(target(buttons(page).back)).toEqual({ page: 0, query: '' });
  });

  it('disables forward on the last page, which holds the rest', () => {
    const page = renderStylesPage(en, styles, '', lastPage);
    const { back, forward } = buttons(page);
    expect(forward.disabled).toBe(true);
    expect(back.disabled).toBe(false);
    expect(lines(page)).toHaveLength(styles.length - lastPage * PAGE_SIZE);
    expect(lines(page).at(-1)).toBe(`${styles.length}. ${styles.at(-1)}`);
  });

  it('shows the nearest real page for a page number out of range', () => {
    expect(renderStylesPage(en, styles, '', 99).embeds[0]?.footer?.text).toMatch(new RegExp(`^Page ${lastPage + 1} of`));
    expect(renderStylesPage(en, styles, '', -3).embeds[0]?.footer?.text).toMatch(/^Page 1 of/);
  });

  it('offers the shown styles in a menu whose id the router understands', () => {
    const page = renderStylesPage(en, styles, '', 0);
    const select = menu(page);
    expect(select?.options.map((o) => o.value)).toEqual(styles.slice(0, 25));
    expect(decodeCustomId(select?.custom_id ?? '')).toEqual({ command: 'styles', action: 'pick', args: [] });
  });

  it('pings nobody', () => {
    expect(renderStylesPage(en, styles, '', 0).allowedMentions.parse).toEqual([]);
  });
});

describe('searching the style presets', () => {
  it('shows only styles containing the search, in any case', () => {
    const page = renderStylesPage(en, styles, 'PUNK', 0);
    expect(page.embeds[0]?.title).toBe('Styles matching “PUNK”');
    expect(lines(page)).toEqual(['1. Neon Punk', '2. Steampunk', '3. Cyberpunk', '4. Retro Cyberpunk', '5. Solarpunk', '6. Dieselpunk']);
    expect(page.embeds[0]?.footer?.text).toBe('Page 1 of 1 · 6 styles');
    const { back, forward } = buttons(page);
    expect(back.disabled && forward.disabled).toBe(true);
  });

  it('keeps the search in the buttons, so the next page is still filtered', () => {
    const page = renderStylesPage(en, styles, 'a', 0);
    const next = target(buttons(page).forward);
    expect(next).toEqual({ page: 1, query: 'a' });
    const second = renderStylesPage(en, styles, next.query, next.page);
    expect(lines(second)[0]).toBe(`26. ${filterStyles(styles, 'a')[25]}`);
  });

  it('round-trips any search up to 30 bytes through the custom id', () => {
    for (const query of ['', 'a', 'neon punk', "children's", 'ukiyo-e', 'café ☕', 'x:y:z', '日本の絵'.repeat(2), 'q'.repeat(30)]) {
      expect(decodeQuery(encodeQuery(query)), query).toBe(query);
      const page = renderStylesPage(en, styles, query, 0);
      for (const button of Object.values(buttons(page))) {
        expect(button.custom_id.length).toBeLessThanOrEqual(100);
        expect(target(button).query).toBe(query);
      }
    }
  });

  it('says when nothing matches and how to see them all', () => {
    const page = renderStylesPage(en, styles, 'zzzz', 0);
    expect(page.embeds[0]?.description).toBe('No style matches “zzzz”. Try a shorter search, or run `/styles` with no search to see them all.');
    expect(page.embeds[0]?.footer?.text).toBe('Page 1 of 1 · 0 styles');
    expect(menu(page)).toBeUndefined();
    const { back, forward } = buttons(page);
    expect(back.disabled && forward.disabled).toBe(true);
  });
});

describe('how to use a style', () => {
  it('shows the command to type', () => {
    expect(renderStyleUsage(en, 'Neon Punk')).toContain('`/imagine prompt:<your prompt> style:Neon Punk`');
  });
});
