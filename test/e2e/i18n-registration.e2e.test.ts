import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { catalogues } from '../../src/i18n/catalogues.js';
import { createLogger } from '../../src/logger.js';
import { startBot } from '../../src/main.js';
import { startFakeDiscord, type FakeDiscord } from '../support/discord/fake-discord.js';
import { startVeniceSimulator, type VeniceSimulator } from '../support/venice/simulator.js';
import { fakeEnv } from './harness.js';
import { assertNoInvalidRequests } from './helpers.js';

type Registered = { name: string; name_localizations?: Record<string, string>; description_localizations?: Record<string, string>; options?: Registered[]; choices?: Array<{ name_localizations?: Record<string, string> }> };

let discord: FakeDiscord | undefined;
let venice: VeniceSimulator | undefined;
afterEach(async () => {
  await discord?.close();
  await venice?.close();
  discord = venice = undefined;
});

/** One start and stop of the bot's real wiring against the same fake Discord, as a restart would be. */
async function runOnce(env: Record<string, string>): Promise<void> {
  const config = loadConfig(env);
  const log = createLogger({ level: 'warn', secrets: [], destination: new PassThrough().resume(), pretty: false });
  const bot = await startBot(config, log);
  await bot.ready;
  await bot.stop();
}

describe('localized slash commands', () => {
  it('are registered with every translation, pass Discord’s spec, and a changed translation registers once', async () => {
    discord = await startFakeDiscord();
    venice = await startVeniceSimulator();
    const env = fakeEnv(discord, venice);

    await runOnce(env);
    const writes = () => discord!.commandWrites().filter((r) => r.method !== 'GET');
    expect(writes()).toHaveLength(1);
    expect(writes()[0]!.status).toBe(200);
    const registered = discord.commands({ guildId: discord.ids.guild }) as Registered[];
    const imagine = registered.find((c) => c.name === 'imagine')!;
    for (const locale of ['zh-CN', 'es-ES', 'es-419']) {
      expect(imagine.description_localizations?.[locale], locale).toBeTruthy();
      expect(imagine.name_localizations?.[locale], locale).toBeTruthy();
      for (const option of imagine.options ?? []) expect(option.name_localizations?.[locale], `${option.name} ${locale}`).toMatch(/^[-_\p{L}\p{N}]{1,32}$/u);
    }
    expect(imagine.description_localizations?.['zh-CN']).toMatch(/\p{Script=Han}/u);
    expect(imagine.description_localizations?.['es-419']).toBe(imagine.description_localizations?.['es-ES']);

    // The same catalogues again: nothing to register.
    await runOnce(env);
    expect(writes()).toHaveLength(1);

    // One translation edited (as a translator would edit the JSON file): registered once, then quiet.
    const zhImagine = catalogues['zh-CN'].imagine.command as { description: string };
    const before = zhImagine.description;
    try {
      zhImagine.description = `${before}（新）`;
      await runOnce(env);
      expect(writes()).toHaveLength(2);
      expect(writes()[1]!.status).toBe(200);
      const sent = (writes()[1]!.json as Registered[]).find((c) => c.name === 'imagine')!;
      expect(sent.description_localizations?.['zh-CN']).toBe(`${before}（新）`);
      await runOnce(env);
      expect(writes()).toHaveLength(2);
    } finally {
      zhImagine.description = before;
    }
    assertNoInvalidRequests(discord);
  }, 60_000);
});
