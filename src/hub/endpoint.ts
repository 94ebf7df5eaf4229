/** Where the studio talks to: the real Hugging Face Hub, or a Hub-compatible server such as the offline demo Hub. */
export interface HubEndpoint {
  /** Base URL of the Hub (resolve URLs and `/api/...`), no trailing slash, e.g. `https://huggingface.co`. */
  hubUrl: string;
  /** Base URL of the dataset viewer API (`/is-valid`, `/splits`, `/rows`...), no trailing slash. */
  viewerUrl: string;
  /** A user access token with the Hub it was given for; sent (as an Authorization header) only to that Hub. */
  token?: HubToken;
}

/**
 * An access token bound to the origin of the Hub it was given for. The Authorization header is added only for
 * requests to that Hub's own hosts, so a token given for huggingface.co never reaches a server a link named.
 */
export interface HubToken {
  /** The secret ("hf_..."); never logged, never in a URL. */
  value: string;
  /** Origin of the Hub's base URL when the token was given, e.g. `https://huggingface.co`. */
  origin: string;
}

/** The origin (scheme, host, port) of an absolute URL. */
export function originOf(url: string): string {
  return new URL(url).origin;
}

/** `ep` with `value` as the token for its own Hub (no token when `value` is empty). */
export function withToken(ep: HubEndpoint, value: string | undefined): HubEndpoint {
  const { token: _dropped, ...rest } = ep;
  return value ? { ...rest, token: { value, origin: originOf(ep.hubUrl) } } : rest;
}

/**
 * The token to send with a request to `url`: only when it was given for this endpoint's Hub and `url` is on one of
 * the endpoint's hosts (the Hub or its dataset viewer). Anything else (a CDN, a redirect target, an endpoint whose
 * Hub was swapped under the token) gets none.
 */
export function tokenFor(ep: HubEndpoint, url: string): string | undefined {
  if (!ep.token || ep.token.origin !== originOf(ep.hubUrl)) return undefined;
  const target = originOf(url);
  return [ep.hubUrl, ep.viewerUrl].some((base) => originOf(base) === target) ? ep.token.value : undefined;
}

export const REAL_HUB: HubEndpoint = {
  hubUrl: 'https://huggingface.co',
  viewerUrl: 'https://datasets-server.huggingface.co',
};

/** The offline Hub serves both the Hub and the dataset viewer API from one base URL. */
export function offlineHub(baseUrl: string): HubEndpoint {
  const base = trimSlash(baseUrl);
  return { hubUrl: base, viewerUrl: base };
}

export function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/** A repository on the Hub: a model (`owner/name` or legacy `name`) or a dataset. */
export interface RepoRef {
  type: 'model' | 'dataset';
  id: string;
}

const REPO_ID = /^(?:[\w][\w.-]{0,95}\/)?[\w][\w.-]{0,95}$/;

/** Throws when `id` cannot be a Hub repo id (so it never becomes a path traversal in a URL). */
export function checkRepoId(id: string): string {
  if (!REPO_ID.test(id) || id.includes('..') || id.includes('--')) {
    throw new TypeError(`"${id}" is not a Hub repository id; ids look like "owner/name" (letters, digits, - _ .).`);
  }
  return id;
}

/** `{hub}/{repo}/resolve/{rev}/{path}`, or `{hub}/datasets/{repo}/resolve/...` for datasets. */
export function resolveUrl(ep: HubEndpoint, repo: RepoRef, path: string, revision = 'main'): string {
  const prefix = repo.type === 'dataset' ? 'datasets/' : '';
  const file = path.split('/').map(encodeURIComponent).join('/');
  return `${trimSlash(ep.hubUrl)}/${prefix}${checkRepoId(repo.id)}/resolve/${encodeURIComponent(revision)}/${file}`;
}
