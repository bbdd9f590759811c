import type { RESTPostAPIApplicationCommandsJSONBody } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { commands } from '../../../commands/index.js';
import { normalizeCommand, sameCommands } from '../../../src/discord/register-commands.js';
import { localizeCommand } from '../../../src/i18n/commands.js';

const ours: RESTPostAPIApplicationCommandsJSONBody[] = commands.map((c) => localizeCommand(c.data));

type Json = Record<string, unknown>;

/** A command the way `GET /applications/{id}/commands` returns it: ids, versions and every default spelled out. */
function asDiscordReturnsIt(command: RESTPostAPIApplicationCommandsJSONBody, i: number): Json {
  const c = command as unknown as Json;
  const options = (c['options'] as Json[] | undefined) ?? [];
  return {
    id: `13000000000000000${i}`,
    application_id: '1200000000000000000',
    version: `13000000000000001${i}`,
    default_member_permissions: c['default_member_permissions'] ?? null,
    type: 1,
    name: c['name'],
    name_localizations: c['name_localizations'] ?? null,
    description: c['description'],
    description_localizations: c['description_localizations'] ?? null,
    dm_permission: true,
    contexts: c['contexts'] ?? null,
    integration_types: c['integration_types'] ?? [0],
    nsfw: false,
    options: options.map((o) => ({
      required: false,
      ...o,
      name_localizations: o['name_localizations'] ?? null,
      description_localizations: o['description_localizations'] ?? null,
      ...(o['choices'] ? { choices: (o['choices'] as Json[]).map((ch) => ({ name_localizations: null, ...ch })) } : {}),
    })),
  };
}

const registered = ours.map(asDiscordReturnsIt);

describe('deciding whether to register the slash commands', () => {
  it('sees no change when Discord holds exactly our commands', () => {
    expect(sameCommands(registered, ours)).toBe(true);
    expect(sameCommands(ours, ours)).toBe(true);
  });

  it('sees no change when Discord lists the commands in another order', () => {
    expect(sameCommands([...registered].reverse(), ours)).toBe(true);
  });

  it('normalises what Discord adds to the same shape as ours', () => {
    for (const [i, command] of ours.entries()) {
      expect(normalizeCommand(registered[i] as Json)).toEqual(normalizeCommand(command as unknown as Json));
    }
  });

  it('sees a change when one translation changes, and none when Discord returns the maps in another order', () => {
    const imagine = registered.find((c) => c['name'] === 'imagine') as Json;
    const zh = (imagine['description_localizations'] as Record<string, string> | null)?.['zh-CN'];
    expect(zh, 'the /imagine description has a Chinese translation').toBeTruthy();
    const changed = registered.map((c) => (c === imagine ? { ...c, description_localizations: { ...(c['description_localizations'] as object), 'zh-CN': `${zh}！` } } : c));
    expect(sameCommands(changed, ours)).toBe(false);
    const reordered = registered.map((c) =>
      c === imagine ? { ...c, description_localizations: Object.fromEntries(Object.entries(c['description_localizations'] as object).reverse()) } : c,
    );
    expect(sameCommands(reordered, ours)).toBe(true);
  });

  it('sees a change when a command description changes', () => {
    const edited = registered.map((c) => (c['name'] === 'imagine' ? { ...c, description: 'Draw something' } : c));
    expect(sameCommands(edited, ours)).toBe(false);
  });

  it('sees a change when an option changes', () => {
    const withOption = (change: (o: Json) => Json) =>
      registered.map((c) => (c['name'] === 'imagine' ? { ...c, options: (c['options'] as Json[]).map((o) => (o['name'] === 'variants' ? change(o) : o)) } : c));
    expect(sameCommands(withOption((o) => ({ ...o, max_value: 8 })), ours)).toBe(false);
    expect(sameCommands(withOption((o) => ({ ...o, description: 'How many' })), ours)).toBe(false);
    expect(sameCommands(withOption((o) => ({ ...o, required: true })), ours)).toBe(false);
  });

  it('sees a change when an option is added, removed or moved', () => {
    const imagine = registered.find((c) => c['name'] === 'imagine') as Json;
    const options = imagine['options'] as Json[];
    const others = registered.filter((c) => c !== imagine);
    expect(sameCommands([...others, { ...imagine, options: options.slice(0, -1) }], ours)).toBe(false);
    expect(sameCommands([...others, { ...imagine, options: [...options, { type: 5, name: 'extra', description: 'x' }] }], ours)).toBe(false);
    const swapped = [options[0], options[2], options[1], ...options.slice(3)];
    expect(sameCommands([...others, { ...imagine, options: swapped }], ours)).toBe(false);
  });

  it('sees a change when a choice or a command is added or removed', () => {
    const format = registered.map((c) =>
      c['name'] === 'imagine'
        ? { ...c, options: (c['options'] as Json[]).map((o) => (o['name'] === 'format' ? { ...o, choices: (o['choices'] as Json[]).slice(1) } : o)) }
        : c,
    );
    expect(sameCommands(format, ours)).toBe(false);
    expect(sameCommands(registered.slice(1), ours)).toBe(false);
    expect(sameCommands([], ours)).toBe(false);
  });

  it('sees a change in where a command may be used', () => {
    const guildOnly = registered.map((c) => ({ ...c, contexts: [0] }));
    expect(sameCommands(guildOnly, ours)).toBe(false);
    expect(sameCommands(registered.map((c) => ({ ...c, nsfw: true })), ours)).toBe(false);
  });
});
