import { MessageFlags, type RepliableInteraction } from 'discord.js';

/**
 * What the bot knows about each live interaction beyond what discord.js keeps: when this
 * process received it (by its own clock, so a host clock minutes off cannot make a live token
 * look expired, as the snowflake's time would) and the id of the "thinking..." placeholder its
 * deferral left. Held by the context, keyed weakly, so nothing outlives its interaction.
 */
export class InteractionRegistry {
  readonly #receivedAt = new WeakMap<object, number>();
  readonly #placeholders = new WeakMap<object, string>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** Called by the router the moment an interaction arrives. */
  received(interaction: object): void {
    if (!this.#receivedAt.has(interaction)) this.#receivedAt.set(interaction, this.#now());
  }

  /** The local receipt time; an interaction the router never saw falls back to its snowflake time. */
  receivedAt(interaction: RepliableInteraction): number {
    return this.#receivedAt.get(interaction) ?? interaction.createdTimestamp;
  }

  placeholderOf(interaction: RepliableInteraction): string | undefined {
    return this.#placeholders.get(interaction);
  }

  /**
   * Defers the interaction and remembers the id of the "thinking..." message it leaves, so a
   * result posted after the token expired can reply to it.
   */
  async defer(interaction: RepliableInteraction, ephemeral: boolean): Promise<void> {
    const response = await interaction.deferReply({ withResponse: true, ...(ephemeral ? { flags: MessageFlags.Ephemeral } : {}) });
    const id = response.resource?.message?.id;
    if (id) this.#placeholders.set(interaction, id);
  }
}
