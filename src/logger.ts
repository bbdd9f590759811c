import { pino, stdSerializers, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/** Interaction and webhook tokens appear in discord.js error URLs; they grant 15 minutes of posting. */
const TOKEN_IN_URL = /\/(interactions|webhooks)\/(\d+)\/[A-Za-z0-9_.-]{20,}/g;

/** Returns a function that removes every secret and interaction token from a string. */
export function makeScrubber(secrets: readonly string[]): (text: string) => string {
  // Real tokens and keys are dozens of characters; a very short value would match innocent text.
  const needles = secrets.filter((s) => s.length >= 8);
  return (text) => {
    let out = text.replace(TOKEN_IN_URL, '/$1/$2/[redacted]');
    for (const s of needles) out = out.split(s).join('[redacted]');
    return out;
  };
}

export interface LoggerOptions {
  level: string;
  secrets: readonly string[];
  /** Defaults to stdout; tests pass a stream to read what was logged. */
  destination?: DestinationStream;
  pretty?: boolean;
}

/**
 * One pino logger for the process: object first, secrets redacted by path and by value,
 * pretty output only when a person is watching a terminal.
 */
export function createLogger(options: LoggerOptions): Logger {
  const scrub = makeScrubber(options.secrets);
  const pretty = options.pretty ?? (options.destination === undefined && process.stdout.isTTY === true);
  const base = {
    level: options.level,
    redact: {
      paths: [
        'authorization',
        '*.authorization',
        'headers.authorization',
        '*.headers.authorization',
        'req.headers.authorization',
        'token',
        '*.token',
        'apiKey',
        '*.apiKey',
        'config.DISCORD_TOKEN',
        'config.VENICE_API_KEY',
        'DISCORD_TOKEN',
        'VENICE_API_KEY',
      ],
      censor: '[redacted]',
    },
    serializers: { err: stdSerializers.err },
    hooks: {
      // Scrub the finished line, not the objects: a secret or an interaction URL is caught in any
      // field, binding or error property, and pino has already turned cycles and bigints into text.
      streamWrite: scrub,
    },
  };
  if (pretty) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true } } });
  }
  return options.destination ? pino(base, options.destination) : pino(base);
}
