import { sql, type RawBuilder, type SqlBool } from 'kysely';

/**
 * Rows of one server, or of none (a DM) when `guildId` is null: `= NULL` matches nothing in
 * SQL, and SQLite's `IS ?` is not PostgreSQL's, so the two cases are written apart.
 */
export const sameGuild = (guildId: string | null): RawBuilder<SqlBool> => (guildId === null ? sql<SqlBool>`guild_id IS NULL` : sql<SqlBool>`guild_id = ${guildId}`);
