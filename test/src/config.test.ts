import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, secretsOf } from '../../src/config.js';

const required = { DISCORD_TOKEN: 'discord-token-value', VENICE_API_KEY: 'venice-key-value' };

/** The lines an operator would read when the bot refuses to start. */
function problemsWith(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected the configuration to be refused');
}

describe('reading the configuration from the environment', () => {
  it('fills in a default for everything but the two secrets', () => {
    expect(loadConfig(required)).toEqual({
      ...required,
      VENICE_API_URL: 'https://api.venice.ai/api/v1',
      VENICE_API_MODE: 'native',
      VENICE_TIMEOUT_MS: 120_000,
      DATABASE_PATH: './data/venice-imagine.sqlite',
      LOG_LEVEL: 'info',
      CATALOG_REFRESH_SECONDS: 600,
      MAX_CONCURRENT_JOBS: 16,
      MAX_JOBS_PER_USER: 2,
      MAX_JOBS_PER_GUILD: 8,
      SHUTDOWN_GRACE_SECONDS: 8,
      DM_DAILY_BUDGET_USD: 1,
      DM_COOLDOWN_SECONDS: 10,
      ALLOW_DMS: true,
      HTTP_HOST: '127.0.0.1',
      SHARD_COUNT: 'auto',
      REDIS_PREFIX: 'vi:',
      ROLE: 'all',
    });
  });

  it('takes the scale-out mode’s DATABASE_URL, REDIS_URL and SHARD_IDS, and names what does not fit together', () => {
    const scale = { ...required, DATABASE_URL: 'postgres://bot:pw-of-the-db@db:5432/bot', REDIS_URL: 'redis://:pw-of-redis@cache:6379', SHARD_COUNT: '8' };
    expect(loadConfig({ ...scale, SHARD_IDS: '0-2,5' }).SHARD_IDS).toEqual([0, 1, 2, 5]);
    expect(loadConfig({ ...scale, SHARD_IDS: ' 7 ' }).SHARD_IDS).toEqual([7]);
    expect(problemsWith({ ...scale, SHARD_IDS: '6-9' })).toEqual(['SHARD_IDS: shard 8, 9 is not below SHARD_COUNT (8)']);
    expect(problemsWith({ ...scale, SHARD_IDS: '3-1' })).toEqual(['SHARD_IDS: 3-1 runs backwards']);
    expect(problemsWith({ ...scale, SHARD_IDS: 'all' })).toEqual(['SHARD_IDS: expected shard ids such as 0-3 or 4,5']);
    expect(problemsWith({ ...scale, SHARD_COUNT: 'auto', SHARD_IDS: '0' })).toEqual(['SHARD_IDS: needs SHARD_COUNT set to a number: every process must agree on the count']);
    expect(problemsWith({ ...required, SHARD_COUNT: '2', SHARD_IDS: '0' })).toEqual(['SHARD_IDS: splits the gateway over processes, which must share DATABASE_URL and REDIS_URL']);
    expect(problemsWith({ ...required, DATABASE_URL: 'mysql://db/bot' })).toEqual(['DATABASE_URL: expected a postgres:// URL']);
    expect(problemsWith({ ...required, REDIS_URL: 'localhost:6379' })).toEqual(['REDIS_URL: expected a redis:// or rediss:// URL']);
    expect(loadConfig({ ...scale, ROLE: 'worker' }).ROLE).toBe('worker');
    expect(loadConfig(required).ROLE).toBe('all');
    expect(problemsWith({ ...required, ROLE: 'gateway' })).toEqual(['ROLE: gateway shares its jobs with other processes, through DATABASE_URL and REDIS_URL']);
    expect(problemsWith({ ...scale, ROLE: 'both' })).toEqual(['ROLE: expected "all", "gateway" or "worker"']);
    // Their passwords are secrets like the token and the key: no log line carries them.
    expect(secretsOf(loadConfig(scale))).toEqual(['discord-token-value', 'venice-key-value', 'pw-of-the-db', 'pw-of-redis']);
  });

  it('serves HTTP only when HTTP_PORT is set, on loopback unless HTTP_HOST says otherwise', () => {
    expect(loadConfig(required).HTTP_PORT).toBeUndefined();
    expect(loadConfig({ ...required, HTTP_PORT: '8080', HTTP_HOST: '0.0.0.0' })).toMatchObject({ HTTP_PORT: 8080, HTTP_HOST: '0.0.0.0' });
    // 0 asks the system for a free port (the tests use it).
    expect(loadConfig({ ...required, HTTP_PORT: '0' }).HTTP_PORT).toBe(0);
    expect(problemsWith({ ...required, HTTP_PORT: '70000' })).toEqual(['HTTP_PORT: expected a port number from 0 to 65535 (0 picks a free one)']);
    expect(problemsWith({ ...required, HTTP_PORT: 'http' })).toEqual(['HTTP_PORT: expected a port number from 0 to 65535 (0 picks a free one)']);
    expect(problemsWith({ ...required, HTTP_PORT: '80.5' })).toEqual(['HTTP_PORT: expected a port number from 0 to 65535 (0 picks a free one)']);
  });

  it('reads SHARD_COUNT as auto (whatever its case) or a positive whole number, and names anything else', () => {
    expect(loadConfig({ ...required, SHARD_COUNT: 'AUTO' }).SHARD_COUNT).toBe('auto');
    expect(loadConfig({ ...required, SHARD_COUNT: ' 4 ' }).SHARD_COUNT).toBe(4);
    expect(problemsWith({ ...required, SHARD_COUNT: 'many' })).toEqual(['SHARD_COUNT: expected "auto" or a whole number above 0']);
    expect(problemsWith({ ...required, SHARD_COUNT: '0' })).toEqual(['SHARD_COUNT: expected a number above 0']);
  });

  it('reads the operator’s limits, and names a bad one', () => {
    const config = loadConfig({ ...required, DAILY_BUDGET_USD: '25', DM_DAILY_BUDGET_USD: '0.5', DM_COOLDOWN_SECONDS: '0', ALLOW_DMS: 'false' });
    expect(config).toMatchObject({ DAILY_BUDGET_USD: 25, DM_DAILY_BUDGET_USD: 0.5, DM_COOLDOWN_SECONDS: 0, ALLOW_DMS: false });
    expect(() => loadConfig({ ...required, ALLOW_DMS: 'maybe', DAILY_BUDGET_USD: '-1' })).toThrow(/ALLOW_DMS: expected true or false[\s\S]*DAILY_BUDGET_USD: expected an amount of 0 or more|DAILY_BUDGET_USD: expected an amount of 0 or more[\s\S]*ALLOW_DMS: expected true or false/);
  });

  it('reads every variable it knows, numbers as numbers and URLs without a trailing slash', () => {
    const config = loadConfig({
      ...required,
      VENICE_API_URL: 'http://127.0.0.1:8787/api/v1/',
      VENICE_API_MODE: 'openai',
      VENICE_TIMEOUT_MS: '5000',
      DISCORD_API_URL: 'http://127.0.0.1:9999/api',
      DISCORD_GUILD_ID: '123456789012345678',
      DATABASE_PATH: ':memory:',
      LOG_LEVEL: 'debug',
      CATALOG_REFRESH_SECONDS: '60',
      UNRELATED: 'ignored',
    });
    expect(config).toMatchObject({
      VENICE_API_URL: 'http://127.0.0.1:8787/api/v1',
      VENICE_API_MODE: 'openai',
      VENICE_TIMEOUT_MS: 5000,
      DISCORD_API_URL: 'http://127.0.0.1:9999/api',
      DISCORD_GUILD_ID: '123456789012345678',
      DATABASE_PATH: ':memory:',
      LOG_LEVEL: 'debug',
      CATALOG_REFRESH_SECONDS: 60,
    });
    expect(secretsOf(config)).toEqual(['discord-token-value', 'venice-key-value']);
  });

  it('names each missing secret, all at once', () => {
    const problems = problemsWith({});
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^DISCORD_TOKEN: required/);
    expect(problems[1]).toMatch(/^VENICE_API_KEY: required: an API key from venice\.ai\/settings\/api/);
    expect(problemsWith({ DISCORD_TOKEN: 'x' })).toEqual([expect.stringMatching(/^VENICE_API_KEY: required/)]);
  });

  it('takes a Discord token pasted with its "Bot " prefix as the token itself', () => {
    expect(loadConfig({ ...required, DISCORD_TOKEN: 'Bot discord-token-value' }).DISCORD_TOKEN).toBe('discord-token-value');
    expect(loadConfig({ ...required, DISCORD_TOKEN: ' bot  discord-token-value ' }).DISCORD_TOKEN).toBe('discord-token-value');
    expect(problemsWith({ ...required, DISCORD_TOKEN: 'Bot ' })).toEqual([expect.stringMatching(/^DISCORD_TOKEN: required/)]);
  });

  it('treats empty and blank variables as unset', () => {
    expect(problemsWith({ DISCORD_TOKEN: '', VENICE_API_KEY: '   ' })).toEqual([
      expect.stringMatching(/^DISCORD_TOKEN: required/),
      expect.stringMatching(/^VENICE_API_KEY: required/),
    ]);
    const config = loadConfig({ ...required, VENICE_API_URL: '', LOG_LEVEL: ' ', DISCORD_GUILD_ID: '' });
    expect(config).toMatchObject({ VENICE_API_URL: 'https://api.venice.ai/api/v1', LOG_LEVEL: 'info' });
    expect(config.DISCORD_GUILD_ID).toBeUndefined();
  });

  it('names a malformed URL once', () => {
    expect(problemsWith({ ...required, VENICE_API_URL: 'api.venice.ai' })).toEqual(['VENICE_API_URL: expected an http(s) URL such as https://example.com']);
    expect(problemsWith({ ...required, DISCORD_API_URL: 'ftp://example.com' })).toEqual(['DISCORD_API_URL: expected an http(s) URL such as https://example.com']);
  });

  it('names a malformed guild id', () => {
    expect(problemsWith({ ...required, DISCORD_GUILD_ID: 'my-server' })).toEqual(['DISCORD_GUILD_ID: expected a Discord id (17 to 20 digits)']);
    expect(problemsWith({ ...required, DISCORD_GUILD_ID: '1234' })).toEqual(['DISCORD_GUILD_ID: expected a Discord id (17 to 20 digits)']);
  });

  it('names an unknown log level, listing the levels', () => {
    expect(problemsWith({ ...required, LOG_LEVEL: 'verbose' })).toEqual(['LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent']);
  });

  it('names numbers that are not positive whole numbers and an unknown API mode', () => {
    const problems = problemsWith({ ...required, VENICE_TIMEOUT_MS: 'soon', CATALOG_REFRESH_SECONDS: '-5', VENICE_API_MODE: 'grpc' });
    expect(problems).toContain('VENICE_TIMEOUT_MS: expected a whole number');
    expect(problems).toContain('CATALOG_REFRESH_SECONDS: expected a number above 0');
    expect(problems).toContain('VENICE_API_MODE: expected "native" or "openai"');
  });

  it('never puts a secret value in the error it throws', () => {
    let message = '';
    try {
      loadConfig({ DISCORD_TOKEN: 'discord-token-value', VENICE_API_KEY: 'venice-key-value', LOG_LEVEL: 'loud' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/LOG_LEVEL/);
    expect(message).not.toContain('discord-token-value');
    expect(message).not.toContain('venice-key-value');
  });
});
