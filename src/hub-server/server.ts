import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHubHandler } from './handler.ts';
import type { HubServerOptions, RunningHubServer } from './types.ts';

/** Starts the offline Hub on its own port (the Hub base is the server root). */
export async function startHubServer(options: HubServerOptions): Promise<RunningHubServer> {
  const handler = createHubHandler({ root: options.root, faults: options.faults, log: options.log, writeOrigins: options.writeOrigins });
  const server = createServer((req, res) => {
    void handler(req, res, req.url ?? '/');
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`The offline Hub could not listen on ${host}:${options.port ?? 0}: ${err.message}`, { cause: err })));
    server.listen(options.port ?? 0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url,
    port,
    handler,
    close: () => new Promise<void>((resolve, reject) => {
      server.close((err) => (err ? reject(err) : resolve()));
      server.closeAllConnections();
    }),
  };
}
