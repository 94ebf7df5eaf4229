import { type HubEndpoint, type RepoRef, checkRepoId, resolveUrl, tokenFor, trimSlash } from './endpoint.ts';

/** What kind of failure a Hub request met; the UI picks its advice from this. */
export type HubErrorCode =
  | 'RepoNotFound'
  | 'RevisionNotFound'
  | 'EntryNotFound'
  | 'GatedRepo'
  | 'Unauthorized'
  | 'RateLimited'
  | 'ServerError'
  | 'NotImplemented'
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
    options?: { cause?: unknown; serverMessage?: string; serverCode?: string },
  ) {
    super(message, options);
    this.name = 'HubError';
    this.serverMessage = options?.serverMessage;
    this.serverCode = options?.serverCode;
  }

  /** The server's own words (the body's `error` or `message`, else X-Error-Message), when it gave any. */
  readonly serverMessage?: string;
  /** The server's X-Error-Code as sent, also one `code` has no name for (the dataset viewer's "ResponseNotFound"). */
  readonly serverCode?: string;
}

export interface RetryPolicy {
  /** Attempts after the first one, for 429, 5xx (but 501, which is permanent) and network errors. */
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

/**
 * Adds `Authorization` only for requests to the Hub the token was given for (see `tokenFor`), so it never leaks to a
 * CDN or another server. Redirects are followed by `fetch`, which drops Authorization when a redirect leaves the
 * origin (Fetch standard, HTTP-redirect fetch; Node's undici and Chromium both do: auth.test.ts, e2e/trust.spec.ts).
 */
export function authHeaders(ep: HubEndpoint, url: string): Record<string, string> {
  const token = tokenFor(ep, url);
  return token ? { Authorization: `Bearer ${token}` } : {};
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
  const header = res.headers.get('X-Error-Code');
  const code: HubErrorCode = header && ['RepoNotFound', 'RevisionNotFound', 'EntryNotFound', 'GatedRepo'].includes(header)
    ? header as HubErrorCode
    : res.status === 401 || res.status === 403 ? 'Unauthorized'
    : res.status === 404 ? 'EntryNotFound'
    : res.status === 429 ? 'RateLimited'
    // 501: the server will not do this for this repository (the dataset viewer for blocked datasets or too many configs).
    : res.status === 501 ? 'NotImplemented'
    : res.status >= 500 ? 'ServerError'
    : 'BadRequest';
  const advice: Partial<Record<HubErrorCode, string>> = {
    RepoNotFound: 'Check the repository id; a private or gated repository also needs an access token.',
    GatedRepo: 'This repository is gated: accept its conditions on the Hub and give an access token.',
    Unauthorized: 'Give a valid access token for private or gated repositories.',
    RateLimited: 'The Hub is rate-limiting requests; wait a little and try again.',
    ServerError: 'The server had a problem; try again later.',
    NotImplemented: 'The server does not offer this for this repository; asking again will not change that.',
  };
  const detail = serverMessage ? ` (${serverMessage})` : '';
  const message = `HTTP ${res.status} for ${url}${detail}. ${advice[code] ?? ''}`.trim();
  return new HubError(message, code, url, res.status, {
    ...(serverMessage ? { serverMessage } : {}),
    ...(header ? { serverCode: header } : {}),
  });
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
      if (failure.code !== 'RateLimited' && failure.code !== 'ServerError') throw failure;
      waitMs = retryAfterMs(res);
    } catch (err) {
      if (err instanceof HubError) {
        if (err.code !== 'RateLimited' && err.code !== 'ServerError') throw err;
        failure = err;
      } else if (options.signal?.aborted) {
        throw new HubError('Request cancelled', 'Aborted', url, undefined, { cause: err });
      } else {
        failure = new HubError(`Could not reach ${url}: ${(err as Error).message}. Check the connection and the Hub address.`, 'NetworkError', url, undefined, { cause: err });
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

/** Aborts with a typed error when the caller cancelled; returns otherwise. */
function throwIfCancelled(options: HubFetchOptions, url: string, err: unknown): void {
  if (options.signal?.aborted) throw new HubError('Request cancelled', 'Aborted', url, undefined, { cause: err });
}

/**
 * The wait between attempts at a body whose connection dropped: none after an attempt that brought new bytes,
 * backoff after one that brought none, and a NetworkError once `retry.retries` attempts in a row brought none.
 */
class DropBudget {
  private fruitless = 0;
  private resumes = 0;

  constructor(private readonly url: string, private readonly options: HubFetchOptions) {}

  async next(progressed: boolean, reason: string, failure: unknown): Promise<void> {
    const retry = this.options.retry ?? DEFAULT_RETRY;
    this.fruitless = progressed ? 0 : this.fruitless + 1;
    if (this.fruitless > retry.retries) {
      throw new HubError(`Download of ${this.url} kept breaking off: ${reason}. Check the connection and try again.`, 'NetworkError', this.url, undefined, { cause: failure });
    }
    const wait = this.fruitless === 0 ? 0 : Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (this.fruitless - 1));
    this.options.onRetry?.(++this.resumes, wait, reason);
    await sleep(wait, this.options.signal);
  }
}

const dropReason = (at: string, failure: unknown) => `connection dropped after ${at}${failure ? ` (${(failure as Error).message})` : ''}`;

/**
 * Bytes `[start, end]` (inclusive) of a file; checks that the server honoured the range. When the connection drops
 * mid-body it asks again for the bytes still missing (at once after progress, with backoff when none was made),
 * up to `retry.retries` attempts in a row that bring nothing.
 */
export async function fetchRange(ep: HubEndpoint, url: string, start: number, end: number, options: HubFetchOptions = {}): Promise<Uint8Array> {
  const out = new Uint8Array(end - start + 1);
  const budget = new DropBudget(url, options);
  let got = 0;
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
      throwIfCancelled(options, url, err);
      failure = err;
    }
    if (got === out.length) break;
    await budget.next(got > before, dropReason(`byte ${start + got} of range ${start}-${end}`, failure), failure);
  }
  return out;
}

export interface DownloadProgress {
  loaded: number;
  /** Total bytes when the server said (Content-Length), else undefined. */
  total?: number;
}

/** What a response says of the file it carries: its size and a strong ETag, when it tells them. */
interface FileIdentity {
  total?: number;
  etag?: string;
  /** Content-encoded (gzip...): the bytes read are decoded ones, so no byte range can continue them. */
  encoded?: boolean;
}

/** A strong ETag: a weak one (`W/"..."`) does not promise that byte ranges of two answers belong together. */
function strongEtag(res: Response): string | undefined {
  const etag = res.headers.get('ETag');
  return etag && !etag.startsWith('W/') ? etag : undefined;
}

/** `Content-Range: bytes START-END/TOTAL` of a 206 answer (TOTAL may be `*`), or undefined when absent or unreadable. */
function contentRangeOf(res: Response): { start: number; total?: number } | undefined {
  const match = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(res.headers.get('Content-Range') ?? '');
  return match ? { start: Number(match[1]), total: match[2] === '*' ? undefined : Number(match[2]) } : undefined;
}

/**
 * Whether a 206 answer to `Range: bytes=<held>-` continues the file whose first `held` bytes we hold: it starts
 * there, and its total size and ETag (where both answers tell them) are the first answer's. Without a readable
 * Content-Range (a CDN that does not expose it), its length must be exactly the bytes still missing.
 */
function continuesFile(res: Response, held: number, file: FileIdentity): boolean {
  if (res.status !== 206) return false;
  const etag = strongEtag(res);
  if (file.etag && etag && etag !== file.etag) return false;
  const range = contentRangeOf(res);
  if (range) return range.start === held && (file.total === undefined || range.total === undefined || range.total === file.total);
  const length = res.headers.get('Content-Length');
  return file.total !== undefined && length !== null && Number(length) === file.total - held;
}

/** The size of a whole-file (200) answer: its Content-Length, unless the body is content-encoded (then it counts other bytes). */
function identityOf(res: Response): FileIdentity {
  const encoding = res.headers.get('Content-Encoding');
  const length = res.headers.get('Content-Length');
  const encoded = encoding !== null && encoding !== 'identity';
  return { total: length === null || encoded ? undefined : Number(length), etag: strongEtag(res), encoded };
}

function concat(chunks: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/**
 * Downloads a whole file, reporting bytes as they arrive. When the connection drops mid-body it asks for the rest
 * from the bytes it holds (`Range: bytes=<held>-`, as huggingface_hub's http_get does) and keeps them when the
 * answer is a 206 of the same file (same start, total size and ETag); a 200 (the server ignored the range) or a
 * 206 of a changed file starts over from zero. Attempts that bring new bytes retry at once; it gives up after
 * `retry.retries` attempts in a row that bring none.
 */
export async function fetchBytes(ep: HubEndpoint, url: string, onProgress?: (p: DownloadProgress) => void, options: HubFetchOptions = {}): Promise<Uint8Array> {
  const budget = new DropBudget(url, options);
  let chunks: Uint8Array[] = [];
  let loaded = 0;
  let file: FileIdentity = {};
  /** The most bytes any attempt held: an attempt only counts as progress when it gets past it. */
  let furthest = 0;
  for (;;) {
    const resuming = loaded > 0;
    const res = await hubFetch(ep, url, resuming ? { ...options, headers: { ...options.headers, Range: `bytes=${loaded}-` } } : options);
    if (resuming && !continuesFile(res, loaded, file)) {
      chunks = [];
      loaded = 0;
      onProgress?.({ loaded, total: file.total });
      if (res.status === 206) {
        // Part of a file that changed since the first answer: ask for the new one whole.
        await res.body?.cancel();
        file = {};
        await budget.next(false, `the file changed while it downloaded (another size or ETag); starting over`, undefined);
        continue;
      }
    }
    if (loaded === 0) file = identityOf(res);
    else file = { total: file.total ?? contentRangeOf(res)?.total, etag: file.etag ?? strongEtag(res) };
    let failure: unknown;
    try {
      if (!res.body) {
        const whole = new Uint8Array(await res.arrayBuffer());
        chunks.push(whole);
        loaded += whole.byteLength;
      } else {
        const reader = res.body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          chunks.push(value);
          loaded += value.byteLength;
          onProgress?.({ loaded, total: file.total });
        }
      }
    } catch (err) {
      throwIfCancelled(options, url, err);
      failure = err;
    }
    if (file.total !== undefined && loaded > file.total) {
      throw new HubError(`Download of ${url} brought ${loaded} bytes where the server announced ${file.total}. Try again.`, 'NetworkError', url);
    }
    if (!failure && (file.total === undefined || loaded === file.total)) return concat(chunks, loaded);
    const progressed = loaded > furthest;
    furthest = Math.max(furthest, loaded);
    const at = `${loaded}${file.total === undefined ? '' : ` of ${file.total}`} bytes`;
    if (file.encoded) {
      chunks = [];
      loaded = 0;
    }
    await budget.next(progressed, dropReason(at, failure), failure);
  }
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

/** `/api/models/{id}`, or `/api/models/{id}/revision/{rev}` (rev URL-encoded: `refs%2Fpr%2F1`) for another branch, tag, PR or commit. */
export function modelInfo(ep: HubEndpoint, id: string, options?: HubFetchOptions & { revision?: string }): Promise<ModelInfo> {
  const revision = options?.revision === undefined ? '' : `/revision/${encodeURIComponent(options.revision)}`;
  return hubJson(ep, `${trimSlash(ep.hubUrl)}/api/models/${checkRepoId(id)}${revision}${query({ blobs: true })}`, options);
}
