import { checkRepoId } from '../hub/endpoint.ts';
import { HubHttpError, badRequest } from './http-error.ts';
import type { Repo, RepoStore, Revision } from './repo-store.ts';
import type { RequestContext } from './request-context.ts';
import type { RepoType } from './types.ts';

export const INVALID_CREDENTIALS = 'Invalid credentials in Authorization header';

/** Refuses ids that are not Hub repo ids (they never reach the file system). */
export function parseRepoId(id: string): string {
  try {
    return checkRepoId(id);
  } catch (err) {
    throw new HubHttpError(400, (err as Error).message, undefined, {}, { cause: err });
  }
}

/** Like the Hub: anonymous callers get 401, callers with a token 404, so private repos cannot be told apart from missing ones. */
export function repoNotFound(ctx: RequestContext, type: RepoType, id: string): HubHttpError {
  const hint = ctx.caller === 'user' ? '' : ' If it is private, send an access token (Authorization: Bearer hf_...).';
  return new HubHttpError(ctx.caller === 'user' ? 404 : 401, `Repository not found: ${type} "${id}" does not exist on this Hub.${hint}`, 'RepoNotFound');
}

/** A repository the caller may see (its metadata): it exists, and private ones need a token. */
export async function visibleRepo(store: RepoStore, ctx: RequestContext, type: RepoType, id: string): Promise<Repo> {
  const repo = await store.find(type, parseRepoId(id));
  if (!repo || (repo.meta.private && ctx.caller !== 'user')) throw repoNotFound(ctx, type, id);
  return repo;
}

/** A repository whose files the caller may read: visible, and gated ones need a token too. */
export async function readableRepo(store: RepoStore, ctx: RequestContext, type: RepoType, id: string): Promise<Repo> {
  const repo = await visibleRepo(store, ctx, type, id);
  if (repo.meta.gated && ctx.caller !== 'user') {
    throw new HubHttpError(401, `Access to ${type} ${id} is restricted (gated). You must be authenticated to access it: send an access token (Authorization: Bearer hf_...).`, 'GatedRepo');
  }
  return repo;
}

/** The named revision, or 404 RevisionNotFound. */
export async function revisionOf(store: RepoStore, repo: Repo, rev: string): Promise<Revision> {
  const revision = await store.revision(repo, rev);
  if (!revision) {
    const refs = (await store.otherRevisions(repo)).map((r) => `"${r.name}"`);
    const known = ['"main"', ...refs, ...(repo.type === 'dataset' ? ['"refs/convert/parquet"'] : [])].join(', ') + ' or a commit id';
    throw new HubHttpError(404, `Invalid rev id: ${rev} (${repo.type} ${repo.id} has ${known}).`, 'RevisionNotFound');
  }
  return revision;
}

/** Writes need a valid token. */
export function requireUser(ctx: RequestContext): void {
  if (ctx.caller !== 'user') {
    throw new HubHttpError(401, 'You must be authenticated to write: send an access token (Authorization: Bearer hf_...).');
  }
}

/** Splits `[owner, name, ...rest]` or `[name, ...rest]` into a repo id and the rest, knowing which words follow an id. */
export function splitRepoId(segments: string[], keywords: string[]): { id: string; rest: string[] } {
  if (segments.length === 0) throw badRequest('A repository id is missing from the path.');
  const twoPart = segments.length >= 2 && !keywords.includes(segments[1]);
  return twoPart
    ? { id: `${segments[0]}/${segments[1]}`, rest: segments.slice(2) }
    : { id: segments[0], rest: segments.slice(1) };
}

/** Takes a revision from the front of `segments`; an unencoded `refs/convert/parquet` spans three segments. */
export function takeRevision(segments: string[]): { rev: string; rest: string[] } {
  if (segments.length === 0) throw badRequest('A revision is missing from the path.');
  if (segments[0] === 'refs' && segments.length >= 3) {
    return { rev: segments.slice(0, 3).join('/'), rest: segments.slice(3) };
  }
  return { rev: segments[0], rest: segments.slice(1) };
}
