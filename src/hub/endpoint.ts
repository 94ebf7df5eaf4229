/** Where the studio talks to: the real Hugging Face Hub, or a Hub-compatible server such as the offline demo Hub. */
export interface HubEndpoint {
  /** Base URL of the Hub (resolve URLs and `/api/...`), no trailing slash, e.g. `https://huggingface.co`. */
  hubUrl: string;
  /** Base URL of the dataset viewer API (`/is-valid`, `/splits`, `/rows`...), no trailing slash. */
  viewerUrl: string;
  /** A user access token; only ever sent as an Authorization header to `hubUrl` / `viewerUrl`. */
  token?: string;
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
