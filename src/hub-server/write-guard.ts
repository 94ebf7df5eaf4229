import type { IncomingMessage } from 'node:http';
import { HubHttpError } from './http-error.ts';

/** Methods that only read; every other method (POST, PUT, DELETE...) writes repos or changes the test controls. */
const READ_METHODS = ['GET', 'HEAD', 'OPTIONS'];

/** The origins a page served by this very socket has: its address and, for loopback, the `localhost` spelling. */
function ownOrigins(req: IncomingMessage, publicBaseUrl?: string): string[] {
  const { localAddress, localPort } = req.socket;
  const origins: string[] = [];
  if (publicBaseUrl) origins.push(new URL(publicBaseUrl).origin);
  if (localAddress && localPort) {
    const host = localAddress.startsWith('::ffff:') ? localAddress.slice(7) : localAddress;
    origins.push(`http://${host.includes(':') ? `[${host}]` : host}:${localPort}`);
    if (host === '127.0.0.1' || host === '::1') origins.push(`http://localhost:${localPort}`, `http://127.0.0.1:${localPort}`, `http://[::1]:${localPort}`);
  }
  return origins;
}

/**
 * Refuses writes (uploads, fault injection, stats reset) asked for by a web page of another origin. Browsers send
 * `Origin` with every request whose method is not GET/HEAD, so a request without one comes from a program (the CLI,
 * a test, `@huggingface/hub` in Node), and one with the studio's own origin from the studio. Reads stay open to any
 * page, like the real Hub. The allowed origins come from the listening socket, not the Host header, so a page on a
 * rebound DNS name is refused too. `writeOrigins` adds the origins of a studio served from elsewhere (`hub --allow-origin`).
 */
export function checkWriteOrigin(req: IncomingMessage, publicBaseUrl?: string, writeOrigins: readonly string[] = []): void {
  if (READ_METHODS.includes(req.method ?? 'GET')) return;
  const origin = req.headers.origin;
  if (origin === undefined) return;
  if (ownOrigins(req, publicBaseUrl).includes(origin) || writeOrigins.includes(origin)) return;
  throw new HubHttpError(403, `The offline Hub takes ${req.method} requests only from the studio it serves (or from programs), not from a page of ${origin}; nothing was changed.`);
}
