import { ApplicationCommandOptionType, Client, Events, GatewayIntentBits, MessageFlags, Routes, type Interaction } from 'discord.js';
import { request } from 'undici';

/**
 * The floor: the least a discord.js bot can do for the same work as `/imagine`. It defers, makes
 * one request to Venice (all variants at once), decodes the base64, and edits the reply with the
 * files. No validation, no queue, no store, no logging. Whatever our bot costs above this is
 * what our code adds; whatever both cost is discord.js, undici and Node.
 */

export interface FloorConfig {
  discordToken: string;
  discordApiUrl: string;
  guildId: string;
  veniceApiUrl: string;
  veniceApiKey: string;
}

export interface FloorBot {
  ready: Promise<void>;
  stop(): Promise<void>;
}

/** Option names match our /imagine, so the bench sends both bots the same interaction. */
const imagineCommand = {
  name: 'imagine',
  description: 'Generate images (floor bot)',
  options: [
    { type: ApplicationCommandOptionType.String, name: 'prompt', description: 'prompt', required: true },
    { type: ApplicationCommandOptionType.String, name: 'model', description: 'model', autocomplete: true },
    { type: ApplicationCommandOptionType.String, name: 'style', description: 'style', autocomplete: true },
    { type: ApplicationCommandOptionType.Integer, name: 'variants', description: 'variants', min_value: 1, max_value: 4 },
    { type: ApplicationCommandOptionType.Integer, name: 'seed', description: 'seed' },
    { type: ApplicationCommandOptionType.String, name: 'format', description: 'format' },
  ],
};

const CHOICES_MAX = 25;

export async function startFloorBot(config: FloorConfig): Promise<FloorBot> {
  const auth = { authorization: `Bearer ${config.veniceApiKey}` };
  let models: string[] = [];
  let styles: string[] = [];

  // Autocomplete must answer from memory, as ours does: the lists are read once at start.
  async function getJson(path: string): Promise<unknown> {
    const res = await request(`${config.veniceApiUrl}${path}`, { headers: auth });
    return res.body.json();
  }
  const [modelList, styleList] = await Promise.all([getJson('/models?type=image'), getJson('/image/styles')]);
  // Deliberately unvalidated: the floor trusts the simulator, which is the point of a floor.
  models = (modelList as { data: Array<{ id: string }> }).data.map((m) => m.id);
  styles = (styleList as { data: string[] }).data;

  const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: config.discordApiUrl } });

  async function onInteraction(interaction: Interaction): Promise<void> {
    if (interaction.isAutocomplete()) {
      const focused = interaction.options.getFocused(true);
      const typed = String(focused.value).toLowerCase();
      const list = focused.name === 'model' ? models : styles;
      const hits = list.filter((name) => name.toLowerCase().includes(typed)).slice(0, CHOICES_MAX);
      await interaction.respond(hits.map((name) => ({ name, value: name })));
      return;
    }
    if (!interaction.isChatInputCommand()) return;
    await interaction.deferReply();
    const format = interaction.options.getString('format') ?? 'webp';
    const style = interaction.options.getString('style');
    const body = {
      model: interaction.options.getString('model') ?? 'default',
      prompt: interaction.options.getString('prompt', true),
      variants: interaction.options.getInteger('variants') ?? 1,
      seed: interaction.options.getInteger('seed') ?? 1,
      format,
      width: 1024,
      height: 1024,
      ...(style ? { style_preset: style } : {}),
    };
    const res = await request(`${config.veniceApiUrl}/image/generate`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.statusCode !== 200) {
      // No retry, as no pacing: the floor shows what Venice's limit does to a bot that has neither.
      await res.body.dump();
      throw new Error(`Venice answered ${res.statusCode}`);
    }
    const { images } = (await res.body.json()) as { images: string[] };
    const files = images.map((b64, i) => ({ attachment: Buffer.from(b64, 'base64'), name: `image-${i + 1}.${format}` }));
    await interaction.editReply({ files });
  }

  client.on(Events.InteractionCreate, (interaction) => {
    onInteraction(interaction).catch((err: unknown) => {
      // One line: under Venice's limit the floor fails most of a burst, and a stack per job drowns the progress.
      console.error(`floor bot: interaction failed: ${err instanceof Error ? err.message : String(err)}`);
      // Said once, privately: the bench then counts a failed job instead of waiting for images.
      if (interaction.isChatInputCommand() && interaction.deferred) {
        interaction.followUp({ content: 'failed', flags: MessageFlags.Ephemeral }).catch(() => undefined);
      }
    });
  });

  const ready = new Promise<void>((resolve, reject) => {
    client.once(Events.ClientReady, (c) => {
      c.rest.put(Routes.applicationGuildCommands(c.application.id, config.guildId), { body: [imagineCommand] }).then(() => resolve(), reject);
    });
  });
  await client.login(config.discordToken);

  return {
    ready,
    async stop() {
      await client.destroy();
    },
  };
}
