import type { IncomingMessage, ServerResponse } from 'node:http';

/** Kinds of repository the offline Hub serves (spaces are not served). */
export type RepoType = 'model' | 'dataset';

/** Faults the offline Hub injects into its answers, so clients' retry and resume paths can be tested. */
export interface HubFaults {
  /** Milliseconds each matching request waits before it is answered. */
  latencyMs?: number;
  /** Every Nth matching request (N, 2N, ...) is answered with `failStatus`; 1 fails them all. */
  failEveryN?: number;
  /** Status of the injected failures (default 500); 429 always carries Retry-After. */
  failStatus?: 500 | 503 | 429;
  /** Seconds announced in Retry-After on injected 429 (default 1) and 503 (only when set) answers. */
  retryAfterSeconds?: number;
  /** Body bytes sent before the connection is dropped (headers still announce the full length). */
  cutAfterBytes?: number;
  /** Regular expression tested against the request path (with query); faults apply only to matches. */
  pathPattern?: string;
}

/** Request counters of one path. */
export interface PathStats {
  /** Requests answered for this path. */
  requests: number;
  /** Body bytes written for this path. */
  bytes: number;
}

/** What `GET /__stats` answers: traffic since start or the last `POST /__stats/reset`. */
export interface HubStats {
  /** Requests answered (control endpoints `/__faults` and `/__stats` excluded). */
  requests: number;
  /** Body bytes written to clients. */
  bytesServed: number;
  /** The same counters per request path (without the query string). */
  byPath: Record<string, PathStats>;
}

export interface HubHandlerOptions {
  /** Directory holding `models/<id>/` and `datasets/<id>/` (see README of src/hub-server). */
  root: string;
  /** Faults in force from the start. */
  faults?: HubFaults;
  /** Absolute URL of the Hub base as clients see it, e.g. `http://127.0.0.1:8080/hub`; used in the URLs answers contain. */
  publicBaseUrl?: string;
  /** Path prefix the handler is mounted at (e.g. `/hub`) when `publicBaseUrl` is not given; the base URL is then built from the Host header. */
  mountPath?: string;
  /** Receives one line per answered request (method, path, status, bytes, time); tokens are never logged. */
  log?: (line: string) => void;
  /** Origins of pages besides the server's own that may write (a studio served from elsewhere), e.g. `http://127.0.0.1:5173`. */
  writeOrigins?: readonly string[];
}

/** Answers one request whose path (with query) is relative to the Hub base, e.g. `/api/models?search=bert`. */
export interface HubHandler {
  (req: IncomingMessage, res: ServerResponse, path: string): Promise<void>;
  /** Faults in force; assigning replaces them (and restarts the every-Nth count). */
  faults: HubFaults;
}

export interface HubServerOptions {
  /** Directory holding `models/` and `datasets/`. */
  root: string;
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** Faults in force from the start. */
  faults?: HubFaults;
  /** Receives one line per answered request. */
  log?: (line: string) => void;
  /** Origins of pages besides the server's own that may write. */
  writeOrigins?: readonly string[];
}

export interface RunningHubServer {
  /** Base URL, e.g. `http://127.0.0.1:41234` (no trailing slash). */
  url: string;
  /** Port actually listened on. */
  port: number;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
  /** The request handler behind the server (its `faults` can be changed at run time). */
  handler: HubHandler;
}
