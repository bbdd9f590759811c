import { createServer } from 'node:net';

/** A port nothing listens on right now, on 127.0.0.1, for a bot process's HTTP_PORT. */
export const freePort = (): Promise<number> =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
