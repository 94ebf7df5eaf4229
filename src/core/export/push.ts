/**
 * Pushes exported files to a Hub model repo with @huggingface/hub: createRepo (an existing repo is fine), then
 * one commit with every file. The token travels only in the library's Authorization header: it is never
 * logged, never put in a URL, and scrubbed from any error message.
 */
import { HubApiError, createRepo, uploadFilesWithProgress } from '@huggingface/hub';
import { type HubEndpoint, checkRepoId, tokenFor } from '../../hub/endpoint.ts';
import { HubPushError } from './errors.ts';
import type { AdapterFiles } from './types.ts';

export type PushProgress =
  | { phase: 'creating' | 'preuploading' | 'uploadingLargeFiles' | 'committing' | 'done' }
  /** Hashing or uploading one file, progress in [0, 1]. */
  | { phase: 'file'; path: string; progress: number };

export interface PushOptions {
  endpoint: HubEndpoint;
  /** A token with write access ("hf_..."); default the endpoint's token, when it was given for this Hub. */
  token?: string;
  /** "owner/name" of the model repo; created when missing. */
  repo: string;
  files: AdapterFiles;
  /** Create the repo private (an existing repo keeps its visibility). */
  private?: boolean;
  /** Default "Upload adapter from Adapter Studio". */
  commitTitle?: string;
  onProgress?: (progress: PushProgress) => void;
  signal?: AbortSignal;
}

export interface PushResult {
  /** The repo's page. */
  repoUrl: string;
  /** Whether this push created the repo. */
  created: boolean;
  /** Id of the commit holding the files. */
  commitOid?: string;
}

/** A push failure without the token in it, keeping the HTTP status. */
function pushFailure(err: unknown, what: string, token: string): HubPushError {
  const message = (err as Error).message.split(token).join('hf_***');
  const status = err instanceof HubApiError ? err.statusCode : undefined;
  const advice = status === 401 || status === 403 ? ' Check that the token has write access to this namespace.' : '';
  return new HubPushError(`Could not ${what}: ${message}${advice}`, status, { cause: err });
}

export async function pushAdapterToHub(options: PushOptions): Promise<PushResult> {
  const { endpoint, repo, files, onProgress } = options;
  const token = options.token ?? tokenFor(endpoint, endpoint.hubUrl);
  if (!token) throw new HubPushError(`Pushing to "${repo}" needs an access token with write access for ${endpoint.hubUrl}.`);
  try {
    checkRepoId(repo);
  } catch (err) {
    throw new HubPushError((err as Error).message, undefined, { cause: err });
  }
  if (!repo.includes('/')) throw new HubPushError(`"${repo}" has no namespace; name the repo "owner/name" (your user or organisation name first).`);
  if (files.size === 0) throw new HubPushError(`There are no files to push to "${repo}".`);
  const hubUrl = endpoint.hubUrl;

  onProgress?.({ phase: 'creating' });
  let created = true;
  let repoUrl = `${hubUrl}/${repo}`;
  try {
    repoUrl = (await createRepo({ repo: { type: 'model', name: repo }, accessToken: token, hubUrl, ...(options.private ? { visibility: 'private' as const } : {}) })).repoUrl;
  } catch (err) {
    if (!(err instanceof HubApiError && err.statusCode === 409)) throw pushFailure(err, `create the repo "${repo}" on ${hubUrl}`, token);
    created = false;
  }

  let commitOid: string | undefined;
  try {
    const upload = uploadFilesWithProgress({
      repo: { type: 'model', name: repo },
      accessToken: token,
      hubUrl,
      files: [...files].map(([path, bytes]) => ({ path, content: new Blob([bytes.slice()]) })),
      commitTitle: options.commitTitle ?? 'Upload adapter from Adapter Studio',
      abortSignal: options.signal,
    });
    for (;;) {
      const step = await upload.next();
      if (step.done) {
        commitOid = step.value?.commit.oid;
        break;
      }
      const event = step.value;
      onProgress?.(event.event === 'phase' ? { phase: event.phase } : { phase: 'file', path: event.path, progress: event.progress });
    }
  } catch (err) {
    throw pushFailure(err, `upload ${files.size} files to "${repo}" on ${hubUrl}`, token);
  }
  onProgress?.({ phase: 'done' });
  return { repoUrl, created, commitOid };
}
