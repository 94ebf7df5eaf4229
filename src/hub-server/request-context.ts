import type { IncomingMessage, ServerResponse } from 'node:http';
import { HubHttpError, badRequest } from './http-error.ts';

/** Who is asking: nobody, a user with a valid `hf_` token (the offline Hub has no accounts), or a bad token. */
export type Caller = 'anonymous' | 'user' | 'invalid';

/** Headers a browser page may read from our answers (Range probes, Hub metadata, errors, pagination, back-off). */
const EXPOSED_HEADERS = [
  'Content-Range', 'Content-Length', 'ETag', 'X-Linked-Etag', 'X-Linked-Size', 'X-Repo-Commit',
  'X-Error-Code', 'X-Error-Message', 'X-Revision', 'Link', 'Retry-After',
];
const ALLOWED_HEADERS = ['Range', 'Authorization', 'Content-Type'];
const ALLOWED_METHODS = 'GET, HEAD, POST, PUT, OPTIONS';

/** Reads the Authorization header without ever keeping the token. */
export function callerOf(req: IncomingMessage): Caller {
  const header = req.headers.authorization;
  if (header === undefined) return 'anonymous';
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) return 'invalid';
  const token = match[1];
  return token.startsWith('hf_') && token !== 'hf_invalid' ? 'user' : 'invalid';
}

/** Header values must be Latin-1 without line breaks. */
function headerSafe(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/[^\x20-\x7e]/g, '?').slice(0, 500);
}

/** Percent-decoded path segments; refuses bad encodings and ".", ".." or backslashes anywhere. */
function decodeSegments(pathname: string): string[] {
  const raw = pathname.replace(/^\/+/, '').split('/');
  if (raw.length > 1 && raw[raw.length - 1] === '') raw.pop();
  let segments: string[];
  try {
    segments = raw.map((s) => decodeURIComponent(s));
  } catch (err) {
    throw new HubHttpError(400, `The path "${pathname}" is not valid percent-encoding.`, undefined, {}, { cause: err });
  }
  if (segments.some((s) => s === '..' || s === '.' || s.includes('\0') || s.includes('\\'))) {
    throw badRequest(`The path "${pathname}" contains ".", ".." or a backslash; use plain repository paths.`);
  }
  return segments;
}

function waitForDrain(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** One request being answered: its parsed path, caller, base URL and a body writer that honours the cut fault. */
export class RequestContext {
  /** Path without the query, as sent (still percent-encoded). */
  readonly pathname: string;
  /** Percent-decoded path segments, e.g. `['api', 'models', 'owner', 'name']`. */
  readonly segments: string[];
  readonly query: URLSearchParams;
  readonly caller: Caller;
  /** Body bytes written so far. */
  bodyBytes = 0;
  /** Told of every body chunk handed to the socket (for the traffic stats). */
  onBodyBytes?: (count: number) => void;
  /** Drop the connection after this many body bytes (fault injection). */
  cutAfterBytes?: number;
  /** Why the path cannot be served (bad encoding, traversal); answered before any routing. */
  readonly pathError?: HubHttpError;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    /** Path with query, relative to the Hub base. */
    readonly path: string,
    /** Absolute base URL of the Hub as the client sees it, no trailing slash. */
    readonly baseUrl: string,
  ) {
    const q = path.indexOf('?');
    this.pathname = q === -1 ? path : path.slice(0, q);
    this.query = new URLSearchParams(q === -1 ? '' : path.slice(q + 1));
    try {
      this.segments = decodeSegments(this.pathname);
    } catch (err) {
      this.segments = [];
      this.pathError = err as HubHttpError;
    }
    this.caller = callerOf(req);
  }

  get method(): string {
    return this.req.method ?? 'GET';
  }

  get isHead(): boolean {
    return this.method === 'HEAD';
  }

  /** Headers every answer carries: open CORS for browser pages, including pages isolated with COEP. */
  setCorsHeaders(): void {
    this.res.setHeader('Access-Control-Allow-Origin', '*');
    this.res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS.join(', '));
    this.res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
  }

  /** Answers a CORS preflight: any method we serve, our headers plus whatever the page asked for. */
  answerPreflight(): void {
    const requested = (this.req.headers['access-control-request-headers'] ?? '')
      .split(',').map((h) => h.trim()).filter(Boolean);
    const headers = [...new Set([...ALLOWED_HEADERS, ...requested])];
    this.res.writeHead(204, {
      'Access-Control-Allow-Methods': ALLOWED_METHODS,
      'Access-Control-Allow-Headers': headers.join(', '),
      'Access-Control-Max-Age': '86400',
    });
    this.res.end();
  }

  /** Writes one body chunk; false once the connection is gone (client left, or the cut fault dropped it). */
  async write(chunk: Uint8Array): Promise<boolean> {
    if (this.res.destroyed) return false;
    if (this.cutAfterBytes !== undefined && this.bodyBytes + chunk.byteLength > this.cutAfterBytes) {
      const part = chunk.subarray(0, this.cutAfterBytes - this.bodyBytes);
      this.bodyBytes += part.byteLength;
      this.onBodyBytes?.(part.byteLength);
      this.dropConnection(part);
      return false;
    }
    this.bodyBytes += chunk.byteLength;
    this.onBodyBytes?.(chunk.byteLength);
    if (!this.res.write(chunk)) await waitForDrain(this.res);
    return !this.res.destroyed;
  }

  /** Sends the last bytes allowed, then closes the socket although the headers announced more. */
  private dropConnection(lastBytes: Uint8Array): void {
    const socket = this.res.socket;
    if (lastBytes.byteLength > 0) this.res.write(lastBytes);
    else this.res.flushHeaders();
    socket?.end();
  }

  end(): void {
    if (!this.res.destroyed && !this.res.writableEnded && !this.res.socket?.writableEnded) this.res.end();
  }

  async sendBytes(status: number, body: Uint8Array, headers: Record<string, string | number>): Promise<void> {
    this.res.writeHead(status, { ...headers, 'Content-Length': body.byteLength });
    if (!this.isHead && body.byteLength > 0 && !(await this.write(body))) return;
    this.end();
  }

  sendJson(status: number, value: unknown, headers: Record<string, string> = {}): Promise<void> {
    const body = Buffer.from(JSON.stringify(value));
    return this.sendBytes(status, body, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
  }

  redirect(location: string): Promise<void> {
    return this.sendJson(302, { url: location }, { Location: location });
  }

  /** Answers with the error's status, `X-Error-Code`, `X-Error-Message` and `{"error": message}`. */
  async sendError(err: HubHttpError): Promise<void> {
    if (this.res.headersSent) {
      this.res.destroy(err);
      return;
    }
    const headers: Record<string, string> = { ...err.headers, 'X-Error-Message': headerSafe(err.message) };
    if (err.code) headers['X-Error-Code'] = err.code;
    await this.sendJson(err.status, { error: err.message }, headers);
  }

  /** The request body, refused past `limit` bytes. */
  async readBody(limit: number): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of this.req as AsyncIterable<Buffer>) {
      size += chunk.byteLength;
      if (size > limit) throw new HubHttpError(413, `Request body is larger than ${limit} bytes; upload smaller commits.`);
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  }

  async readJson(limit: number): Promise<unknown> {
    const body = await this.readBody(limit);
    try {
      return JSON.parse(body.toString('utf8'));
    } catch (err) {
      throw new HubHttpError(400, `The request body is not valid JSON: ${(err as Error).message}.`, undefined, {}, { cause: err });
    }
  }

  /** An absolute URL below the Hub base; `path` starts with `/`. */
  url(path: string): string {
    return this.baseUrl + path;
  }
}
