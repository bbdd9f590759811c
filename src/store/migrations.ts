/**
 * Schema versions, applied in order at start: SQLite records the version in `user_version`,
 * PostgreSQL in `schema_version`. Each version is written once per dialect, side by side, and
 * a test reads both schemas back and checks they have the same tables, columns, nullability
 * and keys. A released migration is never edited: a change is a new entry at the end.
 *
 * The two differ only in types: PostgreSQL holds times as BIGINT (milliseconds overflow its
 * INTEGER) and money as DOUBLE PRECISION (its REAL is single precision).
 */
export interface Migration {
  sqlite: string;
  postgres: string;
}

export const MIGRATIONS: readonly Migration[] = [
  // 1: what was generated, and what it cost.
  {
    // i18n-exempt: SQL
    sqlite: `
  CREATE TABLE generations (
    id            TEXT PRIMARY KEY,
    guild_id      TEXT,
    channel_id    TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    mode          TEXT NOT NULL,
    model         TEXT NOT NULL,
    options_json  TEXT NOT NULL,
    request_json  TEXT NOT NULL,
    seeds_json    TEXT NOT NULL,
    price_usd     REAL,
    request_ids   TEXT NOT NULL DEFAULT '[]',
    message_id    TEXT,
    outcome       TEXT NOT NULL
  );
  CREATE INDEX generations_by_user ON generations (guild_id, user_id, created_at);
  CREATE TABLE usage (
    day       TEXT NOT NULL,
    guild_id  TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    usd       REAL NOT NULL DEFAULT 0,
    images    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, guild_id, user_id)
  );
  `,
    // i18n-exempt: SQL
    postgres: `
  CREATE TABLE generations (
    id            TEXT PRIMARY KEY,
    guild_id      TEXT,
    channel_id    TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    mode          TEXT NOT NULL,
    model         TEXT NOT NULL,
    options_json  TEXT NOT NULL,
    request_json  TEXT NOT NULL,
    seeds_json    TEXT NOT NULL,
    price_usd     DOUBLE PRECISION,
    request_ids   TEXT NOT NULL DEFAULT '[]',
    message_id    TEXT,
    outcome       TEXT NOT NULL
  );
  CREATE INDEX generations_by_user ON generations (guild_id, user_id, created_at);
  CREATE TABLE usage (
    day       TEXT NOT NULL,
    guild_id  TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    usd       DOUBLE PRECISION NOT NULL DEFAULT 0,
    images    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, guild_id, user_id)
  );
  `,
  },

  // 2: what admins decided, per server and per channel.
  {
    // i18n-exempt: SQL
    sqlite: `
  CREATE TABLE guild_settings (
    guild_id       TEXT PRIMARY KEY,
    settings_json  TEXT NOT NULL,
    updated_at     INTEGER NOT NULL
  );
  CREATE TABLE channel_settings (
    channel_id     TEXT PRIMARY KEY,
    guild_id       TEXT NOT NULL,
    settings_json  TEXT NOT NULL,
    updated_at     INTEGER NOT NULL
  );
  ALTER TABLE generations ADD COLUMN deleted_at INTEGER;
  `,
    // i18n-exempt: SQL
    postgres: `
  CREATE TABLE guild_settings (
    guild_id       TEXT PRIMARY KEY,
    settings_json  TEXT NOT NULL,
    updated_at     BIGINT NOT NULL
  );
  CREATE TABLE channel_settings (
    channel_id     TEXT PRIMARY KEY,
    guild_id       TEXT NOT NULL,
    settings_json  TEXT NOT NULL,
    updated_at     BIGINT NOT NULL
  );
  ALTER TABLE generations ADD COLUMN deleted_at BIGINT;
  `,
  },

  // 3: jobs queued or running, so a restart can tell each requester what became of theirs.
  // The interaction token lets the bot edit the "thinking..." reply for 15 minutes; the row
  // is deleted as soon as the job ends.
  {
    // i18n-exempt: SQL
    sqlite: `
  CREATE TABLE jobs (
    id                  TEXT PRIMARY KEY REFERENCES generations (id),
    application_id      TEXT NOT NULL,
    interaction_token   TEXT NOT NULL,
    interaction_at      INTEGER NOT NULL,
    placeholder_id      TEXT,
    channel_id          TEXT NOT NULL,
    user_id             TEXT NOT NULL,
    state               TEXT NOT NULL,
    created_at          INTEGER NOT NULL
  );
  `,
    // i18n-exempt: SQL
    postgres: `
  CREATE TABLE jobs (
    id                  TEXT PRIMARY KEY REFERENCES generations (id),
    application_id      TEXT NOT NULL,
    interaction_token   TEXT NOT NULL,
    interaction_at      BIGINT NOT NULL,
    placeholder_id      TEXT,
    channel_id          TEXT NOT NULL,
    user_id             TEXT NOT NULL,
    state               TEXT NOT NULL,
    created_at          BIGINT NOT NULL
  );
  `,
  },

  // 4: one lifecycle for every kind of job. A job's reservation lives in its row, so the
  // check of a budget and the reservation against it are one transaction, and a crash
  // cannot leave money promised in memory only. What Venice charged is recorded per job as
  // its answers arrive, before delivery, so a failed upload cannot lose a charge.
  // `interaction_at` now holds the local receipt time (a skewed host clock cannot make
  // a live token look expired).
  {
    // i18n-exempt: SQL
    sqlite: `
  ALTER TABLE jobs ADD COLUMN kind TEXT NOT NULL DEFAULT 'generate';
  ALTER TABLE jobs ADD COLUMN guild_id TEXT;
  ALTER TABLE jobs ADD COLUMN reserved_usd REAL NOT NULL DEFAULT 0;
  ALTER TABLE generations ADD COLUMN kind TEXT NOT NULL DEFAULT 'generate';
  ALTER TABLE generations ADD COLUMN source_json TEXT;
  ALTER TABLE generations ADD COLUMN charged_usd REAL NOT NULL DEFAULT 0;
  CREATE INDEX generations_by_day ON generations (created_at);
  CREATE INDEX usage_by_user ON usage (day, user_id);
  `,
    // i18n-exempt: SQL
    postgres: `
  ALTER TABLE jobs ADD COLUMN kind TEXT NOT NULL DEFAULT 'generate';
  ALTER TABLE jobs ADD COLUMN guild_id TEXT;
  ALTER TABLE jobs ADD COLUMN reserved_usd DOUBLE PRECISION NOT NULL DEFAULT 0;
  ALTER TABLE generations ADD COLUMN kind TEXT NOT NULL DEFAULT 'generate';
  ALTER TABLE generations ADD COLUMN source_json TEXT;
  ALTER TABLE generations ADD COLUMN charged_usd DOUBLE PRECISION NOT NULL DEFAULT 0;
  CREATE INDEX generations_by_day ON generations (created_at);
  CREATE INDEX usage_by_user ON usage (day, user_id);
  `,
  },

  // 5: daily image counts per member (role rules), held like money for unfinished jobs.
  {
    // i18n-exempt: SQL
    sqlite: `
  ALTER TABLE jobs ADD COLUMN reserved_images INTEGER NOT NULL DEFAULT 0;
  `,
    // i18n-exempt: SQL
    postgres: `
  ALTER TABLE jobs ADD COLUMN reserved_images INTEGER NOT NULL DEFAULT 0;
  `,
  },

  // 6: the languages a job speaks after a restart: the requester's (private messages) and the
  // one its public messages use. Jobs of older versions spoke English.
  {
    // i18n-exempt: SQL
    sqlite: `
  ALTER TABLE jobs ADD COLUMN locale TEXT NOT NULL DEFAULT 'en-US';
  ALTER TABLE jobs ADD COLUMN public_locale TEXT NOT NULL DEFAULT 'en-US';
  `,
    // i18n-exempt: SQL
    postgres: `
  ALTER TABLE jobs ADD COLUMN locale TEXT NOT NULL DEFAULT 'en-US';
  ALTER TABLE jobs ADD COLUMN public_locale TEXT NOT NULL DEFAULT 'en-US';
  `,
  },

  // 7: review mode and the gallery. A result waiting for a moderator is a row in `reviews`
  // from the moment Venice answered (its job already settled and charged) until it is
  // decided; its images live on the review channel's message, so a restart loses nothing.
  // `gallery_posts` holds one row per image ever cross-posted (a removed one is not posted
  // again), `gallery_votes` one ⭐ per member per result.
  {
    // i18n-exempt: SQL
    sqlite: `
  CREATE TABLE reviews (
    id                 TEXT PRIMARY KEY REFERENCES generations (id),
    guild_id           TEXT NOT NULL,
    channel_id         TEXT NOT NULL,
    user_id            TEXT NOT NULL,
    application_id     TEXT NOT NULL,
    interaction_token  TEXT NOT NULL,
    interaction_at     INTEGER NOT NULL,
    placeholder_id     TEXT,
    locale             TEXT NOT NULL,
    public_locale      TEXT NOT NULL,
    review_channel_id  TEXT NOT NULL,
    review_message_id  TEXT,
    result_content     TEXT NOT NULL,
    images_json        TEXT NOT NULL,
    state              TEXT NOT NULL,
    created_at         INTEGER NOT NULL,
    expires_at         INTEGER NOT NULL,
    decided_by         TEXT,
    decided_at         INTEGER,
    reason             TEXT,
    result_message_id  TEXT
  );
  CREATE INDEX reviews_pending ON reviews (state, expires_at);
  CREATE TABLE gallery_posts (
    generation_id       TEXT PRIMARY KEY REFERENCES generations (id),
    guild_id            TEXT NOT NULL,
    user_id             TEXT NOT NULL,
    source_channel_id   TEXT NOT NULL,
    source_message_id   TEXT NOT NULL,
    gallery_channel_id  TEXT NOT NULL,
    gallery_message_id  TEXT,
    gallery_thread_id   TEXT,
    state               TEXT NOT NULL,
    created_at          INTEGER NOT NULL,
    removed_at          INTEGER
  );
  CREATE TABLE gallery_votes (
    generation_id  TEXT NOT NULL REFERENCES generations (id),
    user_id        TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (generation_id, user_id)
  );
  `,
    // i18n-exempt: SQL
    postgres: `
  CREATE TABLE reviews (
    id                 TEXT PRIMARY KEY REFERENCES generations (id),
    guild_id           TEXT NOT NULL,
    channel_id         TEXT NOT NULL,
    user_id            TEXT NOT NULL,
    application_id     TEXT NOT NULL,
    interaction_token  TEXT NOT NULL,
    interaction_at     BIGINT NOT NULL,
    placeholder_id     TEXT,
    locale             TEXT NOT NULL,
    public_locale      TEXT NOT NULL,
    review_channel_id  TEXT NOT NULL,
    review_message_id  TEXT,
    result_content     TEXT NOT NULL,
    images_json        TEXT NOT NULL,
    state              TEXT NOT NULL,
    created_at         BIGINT NOT NULL,
    expires_at         BIGINT NOT NULL,
    decided_by         TEXT,
    decided_at         BIGINT,
    reason             TEXT,
    result_message_id  TEXT
  );
  CREATE INDEX reviews_pending ON reviews (state, expires_at);
  CREATE TABLE gallery_posts (
    generation_id       TEXT PRIMARY KEY REFERENCES generations (id),
    guild_id            TEXT NOT NULL,
    user_id             TEXT NOT NULL,
    source_channel_id   TEXT NOT NULL,
    source_message_id   TEXT NOT NULL,
    gallery_channel_id  TEXT NOT NULL,
    gallery_message_id  TEXT,
    gallery_thread_id   TEXT,
    state               TEXT NOT NULL,
    created_at          BIGINT NOT NULL,
    removed_at          BIGINT
  );
  CREATE TABLE gallery_votes (
    generation_id  TEXT NOT NULL REFERENCES generations (id),
    user_id        TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (generation_id, user_id)
  );
  `,
  },

  // 8: whether a result was made in an age-restricted channel, so the gallery (which may be an
  // ordinary channel) never receives what such a channel allowed.
  {
    // i18n-exempt: SQL
    sqlite: `
  ALTER TABLE generations ADD COLUMN age_restricted INTEGER NOT NULL DEFAULT 0;
  `,
    // i18n-exempt: SQL
    postgres: `
  ALTER TABLE generations ADD COLUMN age_restricted INTEGER NOT NULL DEFAULT 0;
  `,
  },

  // 9: which process runs a job, in the scale-out mode (null for one process alone): a job
  // whose process is gone is reported to its requester by one that lives, and a restarting
  // process leaves the others' jobs alone.
  {
    // i18n-exempt: SQL
    sqlite: `
  ALTER TABLE jobs ADD COLUMN owner TEXT;
  CREATE INDEX jobs_by_owner ON jobs (owner);
  `,
    // i18n-exempt: SQL
    postgres: `
  ALTER TABLE jobs ADD COLUMN owner TEXT;
  CREATE INDEX jobs_by_owner ON jobs (owner);
  `,
  },

  // 10: what another process needs to run a job it takes over (a rolling restart hands the
  // waiting ones on): where it may post, the rules it was admitted under, how its result is
  // described. JSON; null for jobs that only their own process can run.
  {
    // i18n-exempt: SQL
    sqlite: `
  ALTER TABLE jobs ADD COLUMN spec_json TEXT;
  `,
    // i18n-exempt: SQL
    postgres: `
  ALTER TABLE jobs ADD COLUMN spec_json TEXT;
  `,
  },
];

export const LATEST_VERSION = MIGRATIONS.length;
