import type { Generated, Kysely, Transaction } from 'kysely';

/**
 * The tables as Kysely sees them, one interface over SQLite and PostgreSQL. Times are
 * milliseconds since the epoch (BIGINT in PostgreSQL, read back as numbers), money is a
 * double, flags are 0 or 1, `Generated` marks a column with a default, and JSON lives in TEXT columns: the same values on both.
 */
export interface Tables {
  generations: {
    id: string;
    kind: string;
    source_json: string | null;
    charged_usd: Generated<number>;
    guild_id: string | null;
    channel_id: string;
    user_id: string;
    created_at: number;
    mode: string;
    model: string;
    options_json: string;
    request_json: string;
    seeds_json: string;
    price_usd: number | null;
    request_ids: Generated<string>;
    message_id: string | null;
    outcome: string;
    deleted_at: number | null;
    age_restricted: number;
  };
  usage: { day: string; guild_id: string; user_id: string; usd: number; images: number };
  guild_settings: { guild_id: string; settings_json: string; updated_at: number };
  channel_settings: { channel_id: string; guild_id: string; settings_json: string; updated_at: number };
  jobs: {
    id: string;
    kind: string;
    application_id: string;
    interaction_token: string;
    interaction_at: number;
    placeholder_id: string | null;
    channel_id: string;
    guild_id: string | null;
    user_id: string;
    state: string;
    reserved_usd: number;
    reserved_images: number;
    locale: string;
    public_locale: string;
    created_at: number;
    owner: string | null;
    spec_json: string | null;
  };
  reviews: {
    id: string;
    guild_id: string;
    channel_id: string;
    user_id: string;
    application_id: string;
    interaction_token: string;
    interaction_at: number;
    placeholder_id: string | null;
    locale: string;
    public_locale: string;
    review_channel_id: string;
    review_message_id: string | null;
    result_content: string;
    images_json: string;
    state: string;
    created_at: number;
    expires_at: number;
    decided_by: string | null;
    decided_at: number | null;
    reason: string | null;
    result_message_id: string | null;
  };
  gallery_posts: {
    generation_id: string;
    guild_id: string;
    user_id: string;
    source_channel_id: string;
    source_message_id: string;
    gallery_channel_id: string;
    gallery_message_id: string | null;
    gallery_thread_id: string | null;
    state: string;
    created_at: number;
    removed_at: number | null;
  };
  gallery_votes: { generation_id: string; user_id: string; created_at: number };
}

/** The database, or a transaction on it: every repository runs on either. */
export type Executor = Kysely<Tables> | Transaction<Tables>;
