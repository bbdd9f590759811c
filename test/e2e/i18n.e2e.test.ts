import { describe, expect, it } from 'vitest';
import type { InteractionHandle } from '../support/discord/fake-discord.js';
import { decodeCustomId } from '../../src/discord/custom-id.js';
import { en, translator, type MessageKey, type MessageParams } from '../../src/i18n/index.js';
import { EPHEMERAL, ephemeralOf, json } from './helpers.js';
import { contentOf, harnessPerTest } from './harness-slot.js';

const slot = harnessPerTest();
const wait = slot.wait;

/** A catalogue message as a pattern: its text exactly, with each placeholder standing for anything. */
function pattern(locale: string, key: MessageKey, params: MessageParams = {}): RegExp {
  const t = translator(locale);
  const marked = t.t(key, Object.fromEntries(Object.keys(params).map((k) => [k, `⟦${k}⟧`])));
  const escaped = marked.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/⟦\w+⟧/g, '.+?');
  return new RegExp(escaped);
}

const HAN = /\p{Script=Han}/u;
/** What each member's Discord is set to, and what the bot should answer them in. */
const MEMBERS = [
  { user: 'bob', locale: 'zh-CN', speaks: 'zh-CN' },
  { user: 'admin', locale: 'es-419', speaks: 'es-419' },
  { user: 'alice', locale: 'fr', speaks: 'en-US' },
] as const;

function components(message: Record<string, unknown>): Array<{ type: number; custom_id?: string; label?: string; placeholder?: string }> {
  const rows = (message['components'] as Array<{ components: Array<{ type: number; custom_id?: string; label?: string; placeholder?: string }> }> | undefined) ?? [];
  return rows.flatMap((r) => r.components);
}

async function posted(i: InteractionHandle) {
  return i.message((m) => Array.isArray(m['attachments']) && (m['attachments'] as unknown[]).length > 0, 30_000);
}

describe('every member in their own language', () => {
  it('tells a zh-CN member in Chinese, an es-419 member in Spanish and an fr member in English of a refusal and of an error', async () => {
    const h = await slot.start();
    for (const m of MEMBERS) {
      const refused = await h.discord.slashCommand('imagine', { prompt: 'a lantern', model: 'no-such-model' }, { user: m.user, locale: m.locale });
      const refusal = await ephemeralOf(refused, wait);
      expect(refusal.status).toBe(200);
      expect(json(refusal).flags! & EPHEMERAL).toBe(EPHEMERAL);
      expect(contentOf(refusal)).toBe(translator(m.speaks).t('venice.request.unknownModel', { name: 'no-such-model' }));

      h.venice.script({ kind: 'error', status: 503 }, { times: Infinity });
      const failed = await h.discord.slashCommand('imagine', { prompt: 'a lantern' }, { user: m.user, locale: m.locale });
      const error = await ephemeralOf(failed, wait);
      expect(error.status).toBe(200);
      expect(contentOf(error)).toContain(translator(m.speaks).t('venice.error.unavailable'));
      // Venice was asked (and refused), so this is Venice's error said in the member's language.
      expect(h.venice.generateRequests().length).toBeGreaterThan(0);
      h.venice.reset();

      if (m.speaks === 'zh-CN') expect(contentOf(error)).toMatch(HAN);
      if (m.speaks === 'en-US') expect(contentOf(error)).toContain(en.t('venice.error.unavailable'));
      else expect(contentOf(error)).not.toContain(en.t('venice.error.unavailable'));
    }
  }, 60_000);

  it('shows each member their place in the line in their language (in DMs, where the line is theirs alone to see)', async () => {
    const h = await slot.start({ env: { MAX_CONCURRENT_JOBS: '1', DM_COOLDOWN_SECONDS: '0' } });
    h.venice.setInferenceDelay(800);
    await h.discord.slashCommand('imagine', { prompt: 'first in line' }, { user: 'alice', channel: 'dm' });
    await wait(() => h.venice.generateRequests().length > 0);
    const waiting = [];
    for (const m of MEMBERS) waiting.push({ m, i: await h.discord.slashCommand('imagine', { prompt: `waiting ${m.user}` }, { user: m.user, locale: m.locale, channel: 'dm' }) });
    for (const { m, i } of waiting) {
      const queued = await i.originalEdit((r) => pattern(m.speaks, 'results.queue.position', { position: 1, eta: '' }).test(contentOf(r)), 30_000);
      expect(queued.status).toBe(200);
      // The estimate is said in the same language ("about 2 s", "约 2 秒", "unos 2 s").
      expect(contentOf(queued)).toMatch(pattern(m.speaks, 'common.about', { duration: '' }));
    }
    for (const { i } of waiting) await i.originalEdit((r) => r.files.length > 0, 30_000);
  }, 60_000);

  it('labels a public result in the server’s language (es-ES) while Info follows the presser’s own, and /settings language overrides the server', async () => {
    const h = await slot.start();
    h.discord.setGuildLocale('es-ES');
    const es = translator('es-ES');
    const made = await h.discord.slashCommand('imagine', { prompt: 'a red fox' }, { user: 'bob', locale: 'zh-CN' });
    const result = await posted(made);
    const labels = components(result).map((c) => c.label ?? c.placeholder);
    for (const key of ['results.buttons.reroll', 'results.buttons.vary', 'results.buttons.info', 'results.buttons.delete', 'results.retouch.placeholder'] as const) {
      expect(labels).toContain(es.t(key));
      // "Info" is Spanish too; the others must not be the English words.
      if (key !== 'results.buttons.info') expect(labels).not.toContain(en.t(key));
    }
    const infoId = components(result).find((c) => c.custom_id && decodeCustomId(c.custom_id)?.action === 'info')!.custom_id!;
    for (const m of MEMBERS) {
      const press = await h.discord.button(infoId, { id: String(result['id']) }, { user: m.user, locale: m.locale });
      const answer = await press.callback();
      expect(answer.status).toBe(204);
      const data = (answer.json as { data: { content: string; flags: number } }).data;
      expect(data.flags & EPHEMERAL).toBe(EPHEMERAL);
      expect(data.content).toMatch(pattern(m.speaks, 'results.info.model', { model: '' }));
    }

    // The admins choose Chinese for the server's public results: the next result is labelled in Chinese.
    const set = await h.discord.slashCommand('settings', { language: 'zh-CN' }, { user: 'admin', locale: 'es-419', subcommand: 'language' });
    // /settings answers in its deferred (ephemeral) reply, in the admin's own Spanish.
    const saved = await set.originalEdit(undefined, 15_000);
    expect(saved.status).toBe(200);
    expect(contentOf(saved)).toMatch(/chino/i);
    const again = await posted(await h.discord.slashCommand('imagine', { prompt: 'a blue fox' }, { user: 'alice', locale: 'en-US' }));
    const zhLabels = components(again).map((c) => c.label ?? c.placeholder);
    expect(zhLabels).toContain(translator('zh-CN').t('results.buttons.delete'));
    expect(zhLabels.join(' ')).toMatch(HAN);
  }, 60_000);
});
