import { pino, stdSerializers, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/** Interaction and webhook tokens appear in discord.js error URLs; they grant 15 minutes of posting. */
const TOKEN_IN_URL = /\/(interactions|webhooks)\/(\d+)\/[A-Za-z0-9_.-]{20,}/g;

/** Returns a function that removes every secret and interaction token from a string. */
export function makeScrubber(secrets: readonly string[]): (text: string) => string {
  const needles = secrets.filter((s) => s.length >= 4);
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
    serializers: {
      err: (err: Error) => {
        const s = stdSerializers.err(err);
        return JSON.parse(scrub(JSON.stringify(s))) as typeof s;
      },
    },
    hooks: {
      // Messages may quote an URL or a header by accident; scrub the string arguments too.
      logMethod(this: Logger, args: Parameters<Logger['info']>, method: (...a: unknown[]) => void) {
        method.apply(
          this,
          args.map((a: unknown) => (typeof a === 'string' ? scrub(a) : a)),
        );
      },
    },
  };
  if (pretty) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true } } });
  }
  return options.destination ? pino(base, options.destination) : pino(base);
}
