import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeDiscord, type FakeDiscord } from '../support/discord/fake-discord.js';
import { startVeniceSimulator, type VeniceSimulator } from '../support/venice/simulator.js';
import { fakeEnv } from './harness.js';
import { imageInfo } from './helpers.js';
import { spawnBot } from './process.js';

const root = resolve(import.meta.dirname, '../..');

let cleanup: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

describe('the bot process', () => {
  it('names every missing variable and exits non-zero without a stack trace', async () => {
    const bot = spawnBot({});
    expect(await bot.exit).toBe(1);
    const out = bot.output();
    expect(out).toMatch(/DISCORD_TOKEN: required/);
    expect(out).toMatch(/VENICE_API_KEY: required/);
    expect(out).not.toMatch(/at .*\.ts:\d+/);
  });

  it('names a malformed variable', async () => {
    const bot = spawnBot({ DISCORD_TOKEN: 't', VENICE_API_KEY: 'k', VENICE_API_URL: 'not a url', LOG_LEVEL: 'loud' });
    expect(await bot.exit).toBe(1);
    expect(bot.output()).toMatch(/VENICE_API_URL: expected an http\(s\) URL/);
    expect(bot.output()).toMatch(/LOG_LEVEL: expected one of/);
  });

  it('starts, registers its commands, answers /imagine with the image, never logs a secret, and stops on SIGTERM', async () => {
    const discord: FakeDiscord = await startFakeDiscord();
    const venice: VeniceSimulator = await startVeniceSimulator();
    cleanup.push(() => discord.close(), () => venice.close());
    const bot = spawnBot(fakeEnv(discord, venice, { LOG_LEVEL: 'debug' }));
    cleanup.push(() => void bot.child.kill('SIGKILL'));

    await discord.ready(20_000);
    await discord.waitFor(() => discord.commands({ guildId: discord.ids.guild }).length === 6, 20_000);
    const names = (discord.commands({ guildId: discord.ids.guild }) as Array<{ name: string }>).map((c) => c.name).sort();
    expect(names).toEqual(['describe', 'edit', 'imagine', 'settings', 'styles', 'usage']);

    const i = await discord.slashCommand('imagine', { prompt: 'a red fox' });
    expect((await i.callback()).json).toMatchObject({ type: 5 });
    const edit = await i.originalEdit(undefined, 15_000);
    expect(edit.files.map((f) => f.filename)).toEqual(['image-1.webp']);
    expect(await imageInfo(edit.files[0]!.data)).toEqual({ format: 'webp', width: 1024, height: 1024 });
    expect(venice.generateRequests()[0]?.body).toMatchObject({ model: 'z-image-turbo', prompt: 'a red fox' });

    bot.child.kill('SIGTERM');
    expect(await bot.exit).toBe(0);
    const out = bot.output();
    expect(out).toContain('"msg":"ready"');
    expect(out).not.toContain(discord.token);
    expect(out).not.toContain(venice.apiKey);
    expect(out).not.toContain(i.token);
  });

  it('does not register the commands again when they are unchanged', async () => {
    const discord = await startFakeDiscord();
    const venice = await startVeniceSimulator();
    cleanup.push(() => discord.close(), () => venice.close());
    for (let run = 0; run < 2; run++) {
      const bot = spawnBot(fakeEnv(discord, venice));
      cleanup.push(() => void bot.child.kill('SIGKILL'));
      await discord.waitFor(() => bot.output().includes('"msg":"ready"'), 20_000);
      bot.child.kill('SIGTERM');
      expect(await bot.exit).toBe(0);
    }
    const writes = discord.commandWrites().filter((r) => r.method !== 'GET');
    expect(writes).toHaveLength(1);
  });
});

describe('the Docker image', () => {
  it('runs the same entry point as npm start, compiled, as a non-root user with the database on a volume', () => {
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    const cmd = /^CMD (\[.*\])$/m.exec(runtime)?.[1];
    expect(cmd).toBeDefined();
    expect((JSON.parse(cmd!) as string[]).join(' ')).toBe(pkg.scripts['start']);
    // tsconfig.build.json compiles src/index.ts (rootDir ".") to dist/src/index.js.
    const build = JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8')) as { extends: string };
    const base = JSON.parse(readFileSync(join(root, build.extends), 'utf8')) as { compilerOptions: { rootDir: string; outDir: string } };
    expect(`${base.compilerOptions.outDir}/src/index.js`).toBe('dist/src/index.js');
    expect(base.compilerOptions.rootDir).toBe('.');
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^VOLUME \["\/data"\]$/m);
    expect(runtime).toMatch(/DATABASE_PATH=\/data\//);
    expect(runtime).not.toMatch(/npm (ci|install)(?!.*--omit=dev)/);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
  });
});
