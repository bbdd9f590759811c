import type { REST } from 'discord.js';
import { Routes, type RESTPostAPIApplicationCommandsJSONBody } from 'discord.js';
import type { Logger } from '../logger.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A localization map as Discord compares it: null, absent and empty all mean "none". */
function localizations(value: unknown): Json {
  if (typeof value !== 'object' || value === null) return {};
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

/** Fields Discord fills in with defaults; compared with those defaults applied on both sides. */
function normalizeOption(option: Record<string, unknown>): Json {
  const out: Record<string, Json> = {
    type: option['type'] as number,
    name: option['name'] as string,
    name_localizations: localizations(option['name_localizations']),
    description: option['description'] as string,
    description_localizations: localizations(option['description_localizations']),
    required: option['required'] === true,
    autocomplete: option['autocomplete'] === true,
    choices: ((option['choices'] as Array<{ name: string; value: string | number; name_localizations?: unknown }> | undefined) ?? []).map((c) => ({
      name: c.name,
      name_localizations: localizations(c.name_localizations),
      value: c.value,
    })),
    options: ((option['options'] as Array<Record<string, unknown>> | undefined) ?? []).map(normalizeOption),
    min_value: (option['min_value'] as number | undefined) ?? null,
    max_value: (option['max_value'] as number | undefined) ?? null,
    min_length: (option['min_length'] as number | undefined) ?? null,
    max_length: (option['max_length'] as number | undefined) ?? null,
    channel_types: (option['channel_types'] as number[] | undefined) ?? [],
  };
  return out;
}

export function normalizeCommand(command: Record<string, unknown>): Json {
  return {
    type: (command['type'] as number | undefined) ?? 1,
    name: command['name'] as string,
    name_localizations: localizations(command['name_localizations']),
    description: command['description'] as string,
    description_localizations: localizations(command['description_localizations']),
    options: ((command['options'] as Array<Record<string, unknown>> | undefined) ?? []).map(normalizeOption),
    default_member_permissions: (command['default_member_permissions'] as string | null | undefined) ?? null,
    nsfw: command['nsfw'] === true,
    contexts: [...((command['contexts'] as number[] | null | undefined) ?? [])].sort(),
    integration_types: [...((command['integration_types'] as number[] | undefined) ?? [0])].sort(),
  };
}

/** Whether two command sets would register the same commands, whatever their order. */
export function sameCommands(a: readonly object[], b: readonly object[]): boolean {
  const key = (list: readonly object[]) =>
    JSON.stringify(
      list
        .map((c) => normalizeCommand(c as Record<string, unknown>))
        .sort((x, y) => String((x as { name: string }).name).localeCompare(String((y as { name: string }).name))),
    );
  return key(a) === key(b);
}

/**
 * Registers the commands only when they differ from what Discord already has, translations
 * included, so restarts do not spend Discord's daily command-create budget (200 a day per
 * guild) and a changed translation is registered once.
 */
export async function registerCommands(options: {
  rest: REST;
  applicationId: string;
  guildId: string | undefined;
  commands: readonly RESTPostAPIApplicationCommandsJSONBody[];
  log: Logger;
}): Promise<'unchanged' | 'registered'> {
  const route = options.guildId ? Routes.applicationGuildCommands(options.applicationId, options.guildId) : Routes.applicationCommands(options.applicationId);
  // Without `with_localizations` Discord leaves the dictionaries out, and every start would
  // look like a change of every translated command.
  const current = (await options.rest.get(route, { query: new URLSearchParams({ with_localizations: 'true' }) })) as object[];
  const scope = options.guildId ? { guildId: options.guildId } : { scope: 'global' };
  if (sameCommands(current, options.commands)) {
    options.log.info({ ...scope, count: current.length }, 'slash commands already up to date');
    return 'unchanged';
  }
  await options.rest.put(route, { body: options.commands });
  options.log.info({ ...scope, count: options.commands.length }, 'slash commands registered');
  return 'registered';
}
