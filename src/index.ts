import { existsSync } from 'node:fs';
import { ConfigError, loadConfig, secretsOf } from './config.js';
import { createLogger } from './logger.js';
import { startBot } from './main.js';
import { StoreError } from './store/db.js';

/*
 * The process entry point (`npm start`, the Docker image, and the e2e test that spawns the
 * bot). Everything testable lives in main.ts; this file only reads the environment, handles
 * signals and chooses the exit code.
 */

// `.env` is optional: containers pass real environment variables, which win over the file.
if (existsSync('.env')) process.loadEnvFile('.env');

let config;
try {
  config = loadConfig(process.env);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error('venice-imagine cannot start: fix these environment variables (see .env.example):');
    for (const line of err.problems) console.error(`  ${line}`);
    process.exit(1);
  }
  throw err;
}

const log = createLogger({ level: config.LOG_LEVEL, secrets: secretsOf(config) });

process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));

try {
  const bot = await startBot(config, log);
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    // The drain keeps to the grace period; this is the backstop should anything hang past it,
    // so the process is always gone before a container's SIGKILL.
    setTimeout(() => {
      log.error({ graceSeconds: config.SHUTDOWN_GRACE_SECONDS }, 'shutdown overran its grace period; exiting');
      process.exit(1);
    }, config.SHUTDOWN_GRACE_SECONDS * 1000 + 1_500).unref();
    bot.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  await bot.ready;
  log.info('ready');
} catch (err) {
  if (err instanceof StoreError) console.error(`venice-imagine cannot start: ${err.message}`);
  log.fatal({ err }, 'could not start');
  // Let pino flush before exiting.
  setTimeout(() => process.exit(1), 100);
}
