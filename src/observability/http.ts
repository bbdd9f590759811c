import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger.js';

/*
 * The operator's window into a running bot: GET /metrics (Prometheus text format), /healthz
 * (the process answers) and /readyz (200 only when it can serve members). Everything here is
 * read by machines and operators, never by a Discord member, so none of it is translated.
 */

/** Each condition readiness needs, true when it holds. */
export type ReadinessChecks = Record<string, boolean>;

export interface HealthServerOptions {
  host: string;
  /** 0 picks a free port (tests); the bound one is in `url`. */
  port: number;
  registry: Registry;
  readiness(): ReadinessChecks | Promise<ReadinessChecks>;
  log: Logger;
}

export interface HealthServer {
  /** Where it listens, e.g. http://127.0.0.1:8080. */
  url: string;
  close(): Promise<void>;
}

const TEXT = 'text/plain; charset=utf-8'; // i18n-exempt: operator-facing

/** Starts the HTTP server; resolves once it listens, rejects if the port cannot be bound. */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const log = options.log.child({ service: 'http' });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': TEXT, allow: 'GET, HEAD' }).end('method not allowed\n'); // i18n-exempt: operator-facing
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': TEXT, 'cache-control': 'no-store' }).end('ok\n');
      return;
    }
    if (path === '/readyz') {
      const checks = await options.readiness();
      const ready = Object.values(checks).every(Boolean);
      // One line per check, so `curl` shows at a glance what is missing.
      const body = Object.entries(checks)
        .map(([name, ok]) => `${name}: ${ok ? 'ok' : 'not ready'}`) // i18n-exempt: operator-facing
        .join('\n');
      res.writeHead(ready ? 200 : 503, { 'content-type': TEXT, 'cache-control': 'no-store' }).end(`${body}\n`);
      return;
    }
    if (path === '/metrics') {
      const text = await options.registry.metrics();
      res.writeHead(200, { 'content-type': options.registry.contentType, 'cache-control': 'no-store' }).end(text);
      return;
    }
    res.writeHead(404, { 'content-type': TEXT }).end('not found\n'); // i18n-exempt: operator-facing
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error({ err, path: req.url }, 'health endpoint failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': TEXT });
      res.end('internal error\n'); // i18n-exempt: operator-facing
    });
  });
  // A scraper holding a keep-alive socket must not keep the process up after a stop.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log.error({ err }, 'health server error'));
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  log.info({ url }, 'serving /metrics, /healthz and /readyz');

  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
