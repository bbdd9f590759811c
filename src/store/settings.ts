import { z } from 'zod';
import { prepared } from './prepared.js';
import type { Executor } from './schema.js';
import { StoreError } from './db.js';

/**
 * What an admin may decide. Every field is optional: a channel's settings override its
 * server's field by field, and anything unset falls back to the defaults below.
 */
const snowflake = z.string().regex(/^\d{17,20}$/);

/** Limits for the members holding one role; anything unset is unlimited for them. */
export const roleRuleSchema = z.object({
  roleId: snowflake,
  /** null: no limit for this role, whatever the server's own limit is. */
  dailyImages: z.number().int().min(0).nullable().optional(),
  dailyBudgetUsd: z.number().min(0).nullable().optional(),
  maxVariants: z.number().int().min(1).max(4).optional(),
  /** Empty or unset: every model. */
  allowedModels: z.array(z.string().min(1)).optional(),
  cooldownSeconds: z.number().int().min(0).max(86_400).optional(),
});
export type RoleRule = z.infer<typeof roleRuleSchema>;

export const settingsSchema = z.object({
  defaultModel: z.string().min(1).optional(),
  /** Empty or unset: every model Venice offers. */
  allowedModels: z.array(z.string().min(1)).optional(),
  maxVariants: z.number().int().min(1).max(4).optional(),
  /** Whether safe mode may be turned off; honoured only in age-restricted channels. */
  allowUnsafe: z.boolean().optional(),
  /** Words, or `/regex/flags`, refused in prompts and negative prompts. */
  bannedPatterns: z.array(z.string().min(1).max(200)).optional(),
  /** Appended to every request's negative prompt. */
  negativePrompt: z.string().max(1000).optional(),
  allowHideWatermark: z.boolean().optional(),
  cooldownSeconds: z.number().int().min(0).max(86_400).optional(),
  userDailyBudgetUsd: z.number().min(0).optional(),
  guildDailyBudgetUsd: z.number().min(0).optional(),
  modLogChannelId: z.string().regex(/^\d{17,20}$/).optional(),
  /** Images per member per UTC day for members no role rule covers. */
  userDailyImages: z.number().int().min(0).optional(),
  /** Per-role limits; a member gets the most generous rule among their roles. */
  roleRules: z.array(roleRuleSchema).max(50).optional(),
  blockedRoleIds: z.array(snowflake).max(100).optional(),
  blockedUserIds: z.array(snowflake).max(1000).optional(),
  /** Whether members may use their own (user-installed) copy of the app in this server. */
  allowUserInstall: z.boolean().optional(),
  /** The language of this server's public results; unset: the server's own (guild_locale). */
  language: z.enum(['en-US', 'zh-CN', 'es-ES', 'es-419']).optional(),
  /** Results wait for a moderator before they are posted (per server, or per channel). */
  reviewEnabled: z.boolean().optional(),
  /** The text channel where moderators approve or reject results. */
  reviewChannelId: snowflake.optional(),
  /** How long a result may wait for review before it is rejected. */
  reviewTimeoutHours: z.number().int().min(1).max(720).optional(),
  /** A text or forum channel where approved and starred results are cross-posted. */
  galleryChannelId: snowflake.optional(),
  /** ⭐ presses from distinct members that cross-post a result to the gallery. */
  galleryStars: z.number().int().min(1).max(100).optional(),
});
export type Settings = z.infer<typeof settingsSchema>;

export interface EffectiveSettings {
  defaultModel: string | undefined;
  allowedModels: string[];
  maxVariants: number;
  allowUnsafe: boolean;
  bannedPatterns: string[];
  negativePrompt: string | undefined;
  allowHideWatermark: boolean;
  cooldownSeconds: number;
  userDailyBudgetUsd: number | undefined;
  guildDailyBudgetUsd: number | undefined;
  modLogChannelId: string | undefined;
  userDailyImages: number | undefined;
  roleRules: RoleRule[];
  blockedRoleIds: string[];
  blockedUserIds: string[];
  allowUserInstall: boolean;
  language: Settings['language'];
  reviewEnabled: boolean;
  reviewChannelId: string | undefined;
  reviewTimeoutHours: number;
  galleryChannelId: string | undefined;
  galleryStars: number;
}

export const DEFAULT_SETTINGS: EffectiveSettings = {
  defaultModel: undefined,
  allowedModels: [],
  maxVariants: 4,
  // Adult output needs an admin's explicit yes, even in age-restricted channels.
  allowUnsafe: false,
  bannedPatterns: [],
  negativePrompt: undefined,
  allowHideWatermark: true,
  cooldownSeconds: 0,
  userDailyBudgetUsd: undefined,
  guildDailyBudgetUsd: undefined,
  modLogChannelId: undefined,
  userDailyImages: undefined,
  roleRules: [],
  blockedRoleIds: [],
  blockedUserIds: [],
  allowUserInstall: true,
  language: undefined,
  reviewEnabled: false,
  reviewChannelId: undefined,
  reviewTimeoutHours: 24,
  galleryChannelId: undefined,
  galleryStars: 3,
};

/** Merges defaults, then the server's settings, then each channel's (a thread's parent first), field by field. */
export function mergeSettings(guild: Settings, ...channels: Settings[]): EffectiveSettings {
  const out: EffectiveSettings = { ...DEFAULT_SETTINGS };
  for (const layer of [guild, ...channels]) {
    for (const [key, value] of Object.entries(layer)) {
      if (value !== undefined) (out as unknown as Record<string, unknown>)[key] = value;
    }
  }
  return out;
}

/** Removes keys set to undefined so "clear this setting" deletes it instead of storing null. */
function compact(settings: Settings): Settings {
  return Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as Settings;
}

export type SettingsPatch = Partial<Record<keyof Settings, unknown>>;

export interface SettingsStore {
  guild(guildId: string): Promise<Settings>;
  channel(channelId: string): Promise<Settings>;
  /** `channelIds` from the outermost (a thread's parent) to the innermost channel. */
  effective(guildId: string | null, channelIds: readonly string[]): Promise<EffectiveSettings>;
  /**
   * Applies a patch (undefined clears a field) to a server's or, with channelId, a channel's
   * settings; a function builds the patch from the settings as they are. Run it in a
   * transaction holding the `settings` lock, so two admins at once cannot lose each other's change.
   */
  update(scope: { guildId: string; channelId?: string | undefined }, patch: SettingsPatch | ((current: Settings) => SettingsPatch)): Promise<Settings>;
}

// Every interaction reads both (see `prepared`).
const guildSettings = prepared((db, v: { guildId: string }) => db.selectFrom('guild_settings').select('settings_json').where('guild_id', '=', v.guildId));
const channelSettings = prepared((db, v: { channelId: string }) => db.selectFrom('channel_settings').select('settings_json').where('channel_id', '=', v.channelId));

export function createSettingsStore(db: Executor): SettingsStore {
  const parse = (row: { settings_json: string } | undefined, where: string): Settings => {
    if (!row) return {};
    let value: unknown;
    try {
      value = JSON.parse(row.settings_json);
    } catch (cause) {
      throw new StoreError(`settings of ${where} are not valid JSON`, { cause });
    }
    const parsed = settingsSchema.safeParse(value);
    if (!parsed.success) throw new StoreError(`settings of ${where} do not match the schema: ${parsed.error.issues[0]?.message ?? ''}`);
    return parsed.data;
  };

  const store: SettingsStore = {
    guild: async (guildId) => parse((await guildSettings(db, { guildId })).rows[0], `guild ${guildId}`),
    channel: async (channelId) => parse((await channelSettings(db, { channelId })).rows[0], `channel ${channelId}`),
    effective: async (guildId, channelIds) => {
      if (!guildId) return { ...DEFAULT_SETTINGS };
      const [guild, ...channels] = await Promise.all([store.guild(guildId), ...channelIds.map((id) => store.channel(id))]);
      return mergeSettings(guild ?? {}, ...channels);
    },
    async update(scope, patch) {
      const current = scope.channelId ? await store.channel(scope.channelId) : await store.guild(scope.guildId);
      const changes = typeof patch === 'function' ? patch(current) : patch;
      const next = settingsSchema.parse(compact({ ...current, ...changes } as Settings));
      const json = JSON.stringify(next);
      const now = Date.now();
      if (scope.channelId) {
        await db
          .insertInto('channel_settings')
          .values({ channel_id: scope.channelId, guild_id: scope.guildId, settings_json: json, updated_at: now })
          .onConflict((oc) => oc.column('channel_id').doUpdateSet((eb) => ({ settings_json: eb.ref('excluded.settings_json'), updated_at: eb.ref('excluded.updated_at') })))
          .execute();
      } else {
        await db
          .insertInto('guild_settings')
          .values({ guild_id: scope.guildId, settings_json: json, updated_at: now })
          .onConflict((oc) => oc.column('guild_id').doUpdateSet((eb) => ({ settings_json: eb.ref('excluded.settings_json'), updated_at: eb.ref('excluded.updated_at') })))
          .execute();
      }
      return next;
    },
  };
  return store;
}
