import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHubHandler, type HubFaults } from '../hub-server/index.ts';
import { serveStatic } from './static-files.ts';

/** Cross-origin isolation lets the wasm backend use threads (SharedArrayBuffer). Same values as vite.config.ts. */
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** Where the offline Hub is mounted on the studio's origin. */
export const HUB_MOUNT = '/hub';

export interface StudioServerOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  /** The built app (vite build output). */
  distDir: string;
  /** Root of the offline Hub's repositories (the fixtures). */
  hubRoot: string;
  faults?: HubFaults;
  log?: (line: string) => void;
}

export interface StudioServer {
  /** e.g. http://127.0.0.1:5173 */
  url: string;
  /** The offline Hub's base URL, `url + /hub`. */
  hubUrl: string;
  close(): Promise<void>;
}

/**
 * One origin serving the studio and, under /hub, the offline Hub-compatible server with the demo
 * models and datasets. `GET /offline-hub.json` tells the page that the demo Hub is there.
 */
export async function startStudioServer(options: StudioServerOptions): Promise<StudioServer> {
  const host = options.host ?? '127.0.0.1';
  let publicUrl = '';
  const hub = createHubHandler({
    root: options.hubRoot,
    faults: options.faults,
    log: options.log,
    get publicBaseUrl() {
      return publicUrl + HUB_MOUNT;
    },
  });
  const server = createServer(async (req, res) => {
    const path = req.url ?? '/';
    try {
      if (path === HUB_MOUNT || path.startsWith(`${HUB_MOUNT}/`) || path.startsWith(`${HUB_MOUNT}?`)) {
        await hub(req, res, path.slice(HUB_MOUNT.length) || '/');
        return;
      }
      if (path === '/offline-hub.json') {
        res.writeHead(200, { ...ISOLATION_HEADERS, 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
        res.end(JSON.stringify({ hubUrl: publicUrl + HUB_MOUNT }));
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { Allow: 'GET, HEAD' }).end();
        return;
      }
      if (!(await serveStatic(options.distDir, path, res, ISOLATION_HEADERS))) {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`Not found: ${path}`);
      }
    } catch (err) {
      options.log?.(`error serving ${req.method} ${path}: ${(err as Error).message}`);
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end('Internal error');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  publicUrl = `http://${host}:${port}`;
  return {
    url: publicUrl,
    hubUrl: publicUrl + HUB_MOUNT,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
