/**
 * Money promised to jobs that are queued or running but not yet billed, so a user cannot
 * overrun a budget by queueing many requests before the first one is counted.
 */
export class Reservations {
  readonly #byKey = new Map<string, number>();

  #add(key: string, usd: number): void {
    const next = (this.#byKey.get(key) ?? 0) + usd;
    if (next <= 1e-9) this.#byKey.delete(key);
    else this.#byKey.set(key, next);
  }

  reserve(guildId: string | null, userId: string, usd: number): () => void {
    const user = `u:${guildId ?? ''}:${userId}`;
    const guild = `g:${guildId ?? ''}`;
    this.#add(user, usd);
    this.#add(guild, usd);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#add(user, -usd);
      this.#add(guild, -usd);
    };
  }

  user(guildId: string | null, userId: string): number {
    return this.#byKey.get(`u:${guildId ?? ''}:${userId}`) ?? 0;
  }

  guild(guildId: string): number {
    return this.#byKey.get(`g:${guildId}`) ?? 0;
  }
}
