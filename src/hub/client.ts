import { type HubEndpoint, type RepoRef, checkRepoId, resolveUrl, trimSlash } from './endpoint.ts';

/** What kind of failure a Hub request met; the UI picks its advice from this. */
export type HubErrorCode =
  | 'RepoNotFound'
  | 'RevisionNotFound'
  | 'EntryNotFound'
  | 'GatedRepo'
  | 'Unauthorized'
  | 'RateLimited'
  | 'ServerError'
  | 'BadRequest'
  | 'NetworkError'
  | 'Aborted';

/** A failed Hub request. `url` never contains the token (tokens only travel in headers). */
export class HubError extends Error {
  constructor(
    message: string,
    readonly code: HubErrorCode,
    readonly url: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HubError';
  }
}

export interface RetryPolicy {
  /** Attempts after the first one, for 429, 5xx and network errors. */
  retries: number;
  /** First backoff in ms; doubles each retry unless the server sent Retry-After. */
  baseDelayMs: number;
  /** Longest wait honoured from a Retry-After header. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 4, baseDelayMs: 500, maxDelayMs: 30_000 };

export interface HubFetchOptions {
  signal?: AbortSignal;
  retry?: RetryPolicy;
  headers?: Record<string, string>;
  /** Told before each retry (for an event log): attempt number, wait, and why. */
  onRetry?: (attempt: number, waitMs: number, reason: string) => void;
}

/** Adds `Authorization` only for requests to the endpoint's own hosts, so a token never leaks to a CDN. */
export function authHeaders(ep: HubEndpoint, url: string): Record<string, string> {
  if (!ep.token) return {};
  const origin = new URL(url).origin;
  const ours = [ep.hubUrl, ep.viewerUrl].map((u) => new URL(trimSlash(u)).origin);
  return ours.includes(origin) ? { Authorization: `Bearer ${ep.token}` } : {};
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new HubError('Request cancelled', 'Aborted', ''));
    }, { once: true });
  });

function retryAfterMs(res: Response): number | undefined {
  const value = res.headers.get('Retry-After');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** Turns a non-ok response into a HubError with the Hub's own code and message. */
export async function errorFromResponse(res: Response, url: string): Promise<HubError> {
  let serverMessage = res.headers.get('X-Error-Message') ?? '';
  try {
    const body = await res.clone().json() as { error?: string; message?: string };
    serverMessage = body.error ?? body.message ?? serverMessage;
  } catch {
    // Not JSON: keep the header message.
  }
  const header = res.headers.get('X-Error-Code') as HubErrorCode | null;
  const code: HubErrorCode = header && ['RepoNotFound', 'RevisionNotFound', 'EntryNotFound', 'GatedRepo'].includes(header)
    ? header
    : res.status === 401 || res.status === 403 ? 'Unauthorized'
    : res.status === 404 ? 'EntryNotFound'
    : res.status === 429 ? 'RateLimited'
    : res.status >= 500 ? 'ServerError'
    : 'BadRequest';
  const advice: Partial<Record<HubErrorCode, string>> = {
    RepoNotFound: 'Check the repository id; a private or gated repository also needs an access token.',
    GatedRepo: 'This repository is gated: accept its conditions on the Hub and give an access token.',
    Unauthorized: 'Give a valid access token (Settings) for private or gated repositories.',
    RateLimited: 'The Hub is rate-limiting requests; wait a little and try again.',
    ServerError: 'The server had a problem; try again later.',
  };
  const detail = serverMessage ? ` (${serverMessage})` : '';
  const message = `HTTP ${res.status} for ${url}${detail}. ${advice[code] ?? ''}`.trim();
  return new HubError(message, code, url, res.status);
}

/**
 * `fetch` with the Hub's manners: auth header for our hosts only, retries with backoff on 429
 * (honouring Retry-After), 5xx and network errors, and errors that say what to do.
 */
export async function hubFetch(ep: HubEndpoint, url: string, options: HubFetchOptions = {}): Promise<Response> {
  const retry = options.retry ?? DEFAULT_RETRY;
  let attempt = 0;
  for (;;) {
    let failure: HubError;
    let waitMs: number | undefined;
    try {
      const res = await fetch(url, {
        headers: { ...authHeaders(ep, url), ...options.headers },
        signal: options.signal,
      });
      if (res.ok) return res;
      failure = await errorFromResponse(res, url);
      if (res.status !== 429 && res.status < 500) throw failure;
      waitMs = retryAfterMs(res);
    } catch (err) {
      if (err instanceof HubError) {
        if (err.code !== 'RateLimited' && err.code !== 'ServerError') throw err;
        failure = err;
      } else if (options.signal?.aborted) {
        throw new HubError('Request cancelled', 'Aborted', url, undefined, { cause: err });
      } else {
        failure = new HubError(`Could not reach ${url}: ${(err as Error).message}. Check the connection or the Hub endpoint in Settings.`, 'NetworkError', url, undefined, { cause: err });
      }
    }
    if (attempt >= retry.retries) throw failure;
    attempt += 1;
    const wait = Math.min(retry.maxDelayMs, waitMs ?? retry.baseDelayMs * 2 ** (attempt - 1));
    options.onRetry?.(attempt, wait, failure.message);
    await sleep(wait, options.signal);
  }
}

export async function hubJson<T>(ep: HubEndpoint, url: string, options?: HubFetchOptions): Promise<T> {
  const res = await hubFetch(ep, url, options);
  return await res.json() as T;
}

/**
 * Bytes `[start, end]` (inclusive) of a file; checks that the server honoured the range. When the connection drops
 * mid-body it asks again for the bytes still missing (at once after progress, with backoff when none was made),
 * up to `retry.retries` attempts in a row that bring nothing.
 */
export async function fetchRange(ep: HubEndpoint, url: string, start: number, end: number, options: HubFetchOptions = {}): Promise<Uint8Array> {
  const retry = options.retry ?? DEFAULT_RETRY;
  const out = new Uint8Array(end - start + 1);
  let got = 0;
  let fruitless = 0;
  let resumes = 0;
  while (got < out.length) {
    const res = await hubFetch(ep, url, { ...options, headers: { ...options.headers, Range: `bytes=${start + got}-${end}` } });
    // A server that ignores Range sends the whole file: skip to the part asked for.
    let skip = res.status === 206 ? 0 : start + got;
    const before = got;
    let failure: unknown;
    try {
      const reader = res.body!.getReader();
      while (got < out.length) {
        const { done, value } = await reader.read();
        if (done) break;
        const part = value.subarray(Math.min(skip, value.byteLength), Math.min(value.byteLength, skip + out.length - got));
        skip = Math.max(0, skip - value.byteLength);
        out.set(part, got);
        got += part.byteLength;
      }
      if (got === out.length) await reader.cancel();
    } catch (err) {
      if (options.signal?.aborted) throw new HubError('Request cancelled', 'Aborted', url, undefined, { cause: err });
      failure = err;
    }
    if (got === out.length) break;
    fruitless = got > before ? 0 : fruitless + 1;
    const reason = `connection dropped after byte ${start + got} of range ${start}-${end}${failure ? ` (${(failure as Error).message})` : ''}`;
    if (fruitless > retry.retries) {
      throw new HubError(`Download of ${url} kept breaking off: ${reason}. Check the connection and try again.`, 'NetworkError', url, undefined, { cause: failure });
    }
    const wait = fruitless === 0 ? 0 : Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (fruitless - 1));
    options.onRetry?.(++resumes, wait, reason);
    await sleep(wait, options.signal);
  }
  return out;
}

export interface DownloadProgress {
  loaded: number;
  /** Total bytes when the server said (Content-Length), else undefined. */
  total?: number;
}

/** Downloads a whole file, reporting bytes as they arrive. */
export async function fetchBytes(ep: HubEndpoint, url: string, onProgress?: (p: DownloadProgress) => void, options: HubFetchOptions = {}): Promise<Uint8Array> {
  const res = await hubFetch(ep, url, options);
  const length = res.headers.get('Content-Length');
  const total = length === null ? undefined : Number(length);
  if (!res.body) return new Uint8Array(await res.arrayBuffer());
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    onProgress?.({ loaded, total });
  }
  if (total !== undefined && loaded !== total) {
    throw new HubError(`Download of ${url} stopped after ${loaded} of ${total} bytes. Try again.`, 'NetworkError', url);
  }
  const out = new Uint8Array(loaded);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

export function fileUrl(ep: HubEndpoint, repo: RepoRef, path: string, revision?: string): string {
  return resolveUrl(ep, repo, path, revision);
}

/** One entry of `/api/models?search=` (the fields the studio reads). */
export interface ModelListing {
  id: string;
  pipeline_tag?: string;
  library_name?: string;
  tags?: string[];
  downloads?: number;
  likes?: number;
  gated?: false | 'auto' | 'manual';
  private?: boolean;
}

/** `/api/models/{id}` (the fields the studio reads). */
export interface ModelInfo extends ModelListing {
  sha?: string;
  config?: { architectures?: string[]; model_type?: string };
  siblings?: { rfilename: string; size?: number }[];
  safetensors?: { parameters: Record<string, number>; total: number };
}

export interface DatasetListing {
  id: string;
  tags?: string[];
  downloads?: number;
  gated?: false | 'auto' | 'manual';
  private?: boolean;
}

function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export function listModels(ep: HubEndpoint, params: { search?: string; filter?: string; limit?: number } = {}, options?: HubFetchOptions): Promise<ModelListing[]> {
  return hubJson(ep, `${trimSlash(ep.hubUrl)}/api/models${query({ ...params, limit: params.limit ?? 20 })}`, options);
}

export function listDatasets(ep: HubEndpoint, params: { search?: string; limit?: number } = {}, options?: HubFetchOptions): Promise<DatasetListing[]> {
  return hubJson(ep, `${trimSlash(ep.hubUrl)}/api/datasets${query({ ...params, limit: params.limit ?? 20 })}`, options);
}

export function modelInfo(ep: HubEndpoint, id: string, options?: HubFetchOptions): Promise<ModelInfo> {
  return hubJson(ep, `${trimSlash(ep.hubUrl)}/api/models/${checkRepoId(id)}${query({ blobs: true })}`, options);
}
