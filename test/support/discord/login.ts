import { Client, Events, GatewayIntentBits } from 'discord.js';
import type { FakeDiscord } from './fake-discord.js';

/** A real discord.js client logged in to the fake, resolved once its gateway session is READY. */
export async function loginTo(fake: FakeDiscord): Promise<Client<true>> {
  const c = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: fake.apiUrl } });
  const ready = new Promise<Client<true>>((resolve) => c.once(Events.ClientReady, resolve));
  await c.login(fake.token);
  return ready;
}
