import { describe, expect, it } from 'vitest';
import type { Interaction } from 'discord.js';
import type { Command, CommandContext } from '../../../src/discord/command.js';
import { encodeCustomId } from '../../../src/discord/custom-id.js';
import { createRouter } from '../../../src/discord/router.js';
import type { Logger } from '../../../src/logger.js';

const silent = { child: () => silent, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined } as unknown as Logger;
const ctx = { log: silent, interactions: { received: () => undefined } } as unknown as CommandContext;

/** Just enough of an interaction for the router's answers that need no command. */
function interaction(kind: 'command' | 'button', locale: string) {
  const replies: string[] = [];
  const fake = {
    id: '1',
    guildId: null,
    user: { id: '2' },
    locale,
    deferred: false,
    replied: false,
    commandName: 'removed',
    customId: encodeCustomId('imagine', 'gone'),
    isAutocomplete: () => false,
    isChatInputCommand: () => kind === 'command',
    isMessageComponent: () => kind === 'button',
    isModalSubmit: () => false,
    reply: (payload: { content: string }) => {
      replies.push(payload.content);
      return Promise.resolve();
    },
  };
  return { fake: fake as unknown as Interaction, replies };
}

describe('the router’s own answers', () => {
  const route = createRouter([{ data: { name: 'imagine' }, components: {} } as unknown as Command], ctx);

  it('tells the member, in their language, that a command is unknown', async () => {
    const zh = interaction('command', 'zh-CN');
    await route(zh.fake);
    expect(zh.replies).toEqual(['当前版本的机器人不认识这个命令。它可能已被移除；请过一分钟再试。']);
    const other = interaction('command', 'fr');
    await route(other.fake);
    expect(other.replies).toEqual(['This command is not known to this version of the bot. It may have been removed; try again in a minute.']);
  });

  it('tells the member, in their language, that a button is from an older version', async () => {
    const es = interaction('button', 'es-419');
    await route(es.fake);
    expect(es.replies).toEqual(['Este botón pertenece a una versión anterior del bot y ya no funciona. Vuelve a ejecutar el comando.']);
  });
});
