import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const httpUrl = z
  .url({ error: 'expected an http(s) URL such as https://example.com' })
  .refine((v) => /^https?:\/\//.test(v), { error: 'expected an http(s) URL such as https://example.com' })
  .transform((v) => v.replace(/\/+$/, ''));

const snowflake = z.string().regex(/^\d{17,20}$/, { error: 'expected a Discord id (17 to 20 digits)' });

const positiveInt = z.coerce
  .number({ error: 'expected a whole number' })
  .int({ error: 'expected a whole number' })
  .positive({ error: 'expected a number above 0' });

const usd = z.coerce.number({ error: 'expected an amount in USD such as 2.50' }).min(0, { error: 'expected an amount of 0 or more' });

const nonNegativeInt = z.coerce.number({ error: 'expected a whole number' }).int({ error: 'expected a whole number' }).min(0, { error: 'expected 0 or more' });

const flag = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'expected true or false' }))
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const PORT_PROBLEM = 'expected a port number from 0 to 65535 (0 picks a free one)'; // i18n-exempt: operator-facing
const port = z.coerce.number({ error: PORT_PROBLEM }).int({ error: PORT_PROBLEM }).min(0, { error: PORT_PROBLEM }).max(65_535, { error: PORT_PROBLEM });

/** `0-3`, `4,5` or `0,2-3`: shard ids, each once, in order. */
const shardIds = z
  .string()
  .trim()
  .regex(/^\d+(-\d+)?(,\d+(-\d+)?)*$/, { error: 'expected shard ids such as 0-3 or 4,5' }) // i18n-exempt: operator-facing
  .transform((text, ctx) => {
    const ids = new Set<number>();
    for (const part of text.split(',')) {
      const [from, to = from] = part.split('-').map(Number) as [number, number?];
      if (to < from) ctx.addIssue({ code: 'custom', message: `${part} runs backwards` }); // i18n-exempt: operator-facing
      for (let id = from; id <= to; id++) ids.add(id);
    }
    return [...ids].sort((a, b) => a - b);
  });

/** `auto` (Discord's recommendation, read at login) or a fixed number of shards. */
const shardCount = z.union([z.literal('auto'), positiveInt], { error: 'expected "auto" or a whole number above 0' }); // i18n-exempt: operator-facing

export const configSchema = z.object({
  DISCORD_TOKEN: z
    .string({ error: 'required: the bot token from the Discord developer portal' })
    .trim()
    // discord.js puts "Bot " in front itself: a token pasted with it would go out as "Bot Bot …" and be refused.
    .transform((token) => token.replace(/^Bot(\s+|$)/i, ''))
    .pipe(z.string().min(1, { error: 'required: the bot token from the Discord developer portal' })),
  VENICE_API_KEY: z.string({ error: 'required: an API key from venice.ai/settings/api' }).min(1, { error: 'required: an API key from venice.ai/settings/api' }),
  VENICE_API_URL: httpUrl.default('https://api.venice.ai/api/v1'),
  VENICE_API_MODE: z.enum(['native', 'openai'], { error: 'expected "native" or "openai"' }).default('native'),
  VENICE_TIMEOUT_MS: positiveInt.default(120_000),
  DISCORD_API_URL: httpUrl.optional(),
  DISCORD_GUILD_ID: snowflake.optional(),
  DATABASE_PATH: z.string().default('./data/venice-imagine.sqlite'),
  /** The scale-out mode's store: PostgreSQL, shared by every process. Set, it wins over DATABASE_PATH. */
  DATABASE_URL: z
    .string()
    .trim()
    .regex(/^postgres(ql)?:\/\/\S+$/i, { error: 'expected a postgres:// URL' }) // i18n-exempt: operator-facing
    .optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  CATALOG_REFRESH_SECONDS: positiveInt.default(600),
  /** A ceiling only: Venice's rate-limit headers pace the jobs. */
  MAX_CONCURRENT_JOBS: positiveInt.default(16),
  MAX_JOBS_PER_USER: positiveInt.default(2),
  MAX_JOBS_PER_GUILD: positiveInt.default(8),
  /** Below Docker's 10 s SIGKILL so running jobs can finish and the rest be reported. */
  SHUTDOWN_GRACE_SECONDS: positiveInt.default(8),
  // The operator's own limits hold everywhere, including DMs, where no server's rules apply.
  /** All spend across every server and DM, per UTC day; unset means no cap. */
  DAILY_BUDGET_USD: usd.optional(),
  DM_DAILY_BUDGET_USD: usd.default(1),
  DM_COOLDOWN_SECONDS: nonNegativeInt.default(10),
  ALLOW_DMS: flag.default(true),
  /** Serves /metrics, /healthz and /readyz when set; unset means no HTTP server at all. */
  HTTP_PORT: port.optional(),
  /** Loopback by default, so `npm start` exposes nothing; the Docker image sets 0.0.0.0. */
  HTTP_HOST: z.string().trim().min(1).default('127.0.0.1'),
  /** discord.js's own (internal) sharding: every shard in this one process, or SHARD_IDS of them. */
  SHARD_COUNT: z.preprocess((v) => (typeof v === 'string' ? v.trim().toLowerCase() : v), shardCount).default('auto'),
  /** The shards this process runs, of SHARD_COUNT (`0-3`, `4,5`): several processes split the gateway. */
  SHARD_IDS: shardIds.optional(),
  /** The scale-out mode's shared line, caps and cooldowns: several processes on one Redis. */
  REDIS_URL: z
    .string()
    .trim()
    .regex(/^rediss?:\/\/\S+$/i, { error: 'expected a redis:// or rediss:// URL' }) // i18n-exempt: operator-facing
    .optional(),
  /** Prefix of every key in Redis, so two bots (or test runs) can share one server. */
  REDIS_PREFIX: z.string().trim().min(1).default('vi:'),
  /**
   * The scale-out mode's split: `gateway` (shards and interactions; /imagine's jobs go to the
   * workers), `worker` (no gateway: runs the jobs gateways hand on), or `all` (both, the default).
   */
  ROLE: z.enum(['all', 'gateway', 'worker'], { error: 'expected "all", "gateway" or "worker"' }).default('all'), // i18n-exempt: operator-facing
}).superRefine((c, ctx) => {
  if (c.ROLE !== 'all' && (c.DATABASE_URL === undefined || c.REDIS_URL === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['ROLE'], message: `${c.ROLE} shares its jobs with other processes, through DATABASE_URL and REDIS_URL` }); // i18n-exempt: operator-facing
  }
  // Run even when a field failed its own check: then that field holds the raw text.
  if (!Array.isArray(c.SHARD_IDS)) return;
  if (c.SHARD_COUNT === 'auto') {
    ctx.addIssue({ code: 'custom', path: ['SHARD_IDS'], message: 'needs SHARD_COUNT set to a number: every process must agree on the count' }); // i18n-exempt: operator-facing
    return;
  }
  const outside = c.SHARD_IDS.filter((id) => id >= Number(c.SHARD_COUNT));
  if (outside.length > 0) ctx.addIssue({ code: 'custom', path: ['SHARD_IDS'], message: `shard ${outside.join(', ')} is not below SHARD_COUNT (${c.SHARD_COUNT})` }); // i18n-exempt: operator-facing
  if (c.DATABASE_URL === undefined || c.REDIS_URL === undefined) {
    ctx.addIssue({ code: 'custom', path: ['SHARD_IDS'], message: 'splits the gateway over processes, which must share DATABASE_URL and REDIS_URL' }); // i18n-exempt: operator-facing
  }
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses the environment once at start. Every problem is reported at once, one line per
 * variable, so an operator fixes `.env` in one pass.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  // An empty variable (`KEY=` copied from .env.example) means "not set", not "set to nothing".
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const result = configSchema.safeParse(present);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.') || '(environment)';
    return `${name}: ${issue.message}`;
  });
  // One variable can fail two checks with the same text (a URL that is neither valid nor http).
  throw new ConfigError([...new Set(problems)]);
}

/** Names every secret the logger must never print. */
export function secretsOf(config: Config): string[] {
  return [config.DISCORD_TOKEN, config.VENICE_API_KEY, ...[config.DATABASE_URL, config.REDIS_URL].flatMap(passwordOf)];
}

/** The password inside a connection URL (PostgreSQL, Redis), which no log line may carry. */
function passwordOf(url: string | undefined): string[] {
  if (url === undefined) return [];
  try {
    const password = decodeURIComponent(new URL(url).password);
    return password === '' ? [] : [password];
  } catch {
    return [];
  }
}
