import type { REST } from 'discord.js';
import { Routes, type RESTPostAPIApplicationCommandsJSONBody } from 'discord.js';
import type { Logger } from '../logger.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Fields Discord fills in with defaults; compared with those defaults applied on both sides. */
function normalizeOption(option: Record<string, unknown>): Json {
  const out: Record<string, Json> = {
    type: option['type'] as number,
    name: option['name'] as string,
    description: option['description'] as string,
    required: option['required'] === true,
    autocomplete: option['autocomplete'] === true,
    choices: ((option['choices'] as Array<{ name: string; value: string | number }> | undefined) ?? []).map((c) => ({ name: c.name, value: c.value })),
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
    description: command['description'] as string,
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
 * Registers the commands only when they differ from what Discord already has, so restarts
 * do not spend Discord's daily command-create budget (200 a day per guild).
 */
export async function registerCommands(options: {
  rest: REST;
  applicationId: string;
  guildId: string | undefined;
  commands: readonly RESTPostAPIApplicationCommandsJSONBody[];
  log: Logger;
}): Promise<'unchanged' | 'registered'> {
  const route = options.guildId ? Routes.applicationGuildCommands(options.applicationId, options.guildId) : Routes.applicationCommands(options.applicationId);
  const current = (await options.rest.get(route)) as object[];
  const scope = options.guildId ? { guildId: options.guildId } : { scope: 'global' };
  if (sameCommands(current, options.commands)) {
    options.log.info({ ...scope, count: current.length }, 'slash commands already up to date');
    return 'unchanged';
  }
  await options.rest.put(route, { body: options.commands });
  options.log.info({ ...scope, count: options.commands.length }, 'slash commands registered');
  return 'registered';
}
