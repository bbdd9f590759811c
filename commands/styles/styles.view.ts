import { ButtonStyle, ComponentType, type APIActionRowComponent, type APIComponentInMessageActionRow, type APIEmbed } from 'discord.js';
import { encodeCustomId } from '../../src/discord/custom-id.js';
import { NO_MENTIONS } from '../../src/discord/replies.js';
import type { Translator } from '../../src/i18n/index.js';

export const PAGE_SIZE = 25;

export interface StylesPage {
  embeds: APIEmbed[];
  components: APIActionRowComponent<APIComponentInMessageActionRow>[];
  allowedMentions: typeof NO_MENTIONS;
}

/**
 * The search text rides in the buttons' custom ids, base64url so any text fits the id's
 * alphabet, and cut to 30 bytes so the id part stays within 40 characters.
 */
export const encodeQuery = (query: string): string => (query === '' ? '-' : Buffer.from(query, 'utf8').subarray(0, 30).toString('base64url'));
export const decodeQuery = (token: string | undefined): string => (token === undefined || token === '-' ? '' : Buffer.from(token, 'base64url').toString('utf8'));

export function filterStyles(styles: readonly string[], query: string): string[] {
  const q = query.trim().toLowerCase();
  return q === '' ? [...styles] : styles.filter((s) => s.toLowerCase().includes(q));
}

/**
 * One page of styles, with back/forward buttons and a menu to pick one and see how to use it,
 * in the language of `t` (the page is private: the member's own). Style names stay Venice's.
 */
export function renderStylesPage(t: Translator, all: readonly string[], query: string, requestedPage: number): StylesPage {
  const matches = filterStyles(all, query);
  const pages = Math.max(1, Math.ceil(matches.length / PAGE_SIZE));
  const page = Math.min(Math.max(0, requestedPage), pages - 1);
  const shown = matches.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE);
  const q = encodeQuery(query);
  const title = query ? t.t('styles.page.titleMatching', { query: query.slice(0, 40) }) : t.t('styles.page.title');
  const description =
    shown.length === 0 ? t.t('styles.page.noMatch', { query: query.slice(0, 40) }) : shown.map((s, i) => `${page * PAGE_SIZE + i + 1}. ${s}`).join('\n');
  const components: StylesPage['components'] = [];
  if (shown.length > 0) {
    components.push({
      type: ComponentType.ActionRow,
      components: [
        {
          type: ComponentType.StringSelect,
          custom_id: encodeCustomId('styles', 'pick'),
          placeholder: t.t('styles.page.pick'),
          options: shown.map((s) => ({ label: s.slice(0, 100), value: s.slice(0, 100) })),
        },
      ],
    });
  }
  components.push({
    type: ComponentType.ActionRow,
    components: [
      { type: ComponentType.Button, style: ButtonStyle.Secondary, label: t.t('styles.page.back'), custom_id: encodeCustomId('styles', 'page', page - 1, q), disabled: page === 0 },
      { type: ComponentType.Button, style: ButtonStyle.Secondary, label: t.t('styles.page.forward'), custom_id: encodeCustomId('styles', 'page', page + 1, q), disabled: page >= pages - 1 },
    ],
  });
  return {
    embeds: [{ title, description, footer: { text: t.t('styles.page.footer', { count: matches.length, page: t.number(page + 1), pages: t.number(pages), styles: t.number(matches.length) }) } }],
    components,
    allowedMentions: NO_MENTIONS,
  };
}

/** How to use a style with `/imagine`, naming the command and its options as the reader's Discord shows them. */
export function renderStyleUsage(t: Translator, style: string): string {
  return t.t('styles.howTo', { style });
}
