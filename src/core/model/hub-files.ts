/** Reading a model repo's small files (config, tokenizer) and turning Hub failures into model-load errors. */
import type { HubEndpoint } from '../../hub/endpoint.ts';
import { HubError, fileUrl, hubJson } from '../../hub/client.ts';
import { type EncoderConfig, parseEncoderConfig } from './config.ts';
import { ModelLoadError } from './errors.ts';

/**
 * Turns a failed Hub request made while loading `repoId` into a ModelLoadError whose message names the
 * model and the Hub and says what to do. Errors that are not HubErrors pass through unchanged.
 */
export function modelLoadErrorFromHub(err: unknown, ep: HubEndpoint, repoId: string, what: string): unknown {
  if (!(err instanceof HubError)) return err;
  const hub = ep.hubUrl;
  const tokenHint = ep.token
    ? 'The access token was sent but not accepted for it: check that the token has read access and, for a gated model, that you accepted its conditions on the Hub.'
    : 'If it is private or gated, give an access token.';
  switch (err.code) {
    case 'RepoNotFound':
      return new ModelLoadError(`Model "${repoId}" was not found on ${hub}. Check the spelling of the id. ${tokenHint}`, 'RepoNotFound', repoId, { cause: err });
    case 'GatedRepo':
    case 'Unauthorized':
      return new ModelLoadError(
        ep.token
          ? `Model "${repoId}" on ${hub} refused access while loading ${what}. ${tokenHint}`
          : `Model "${repoId}" on ${hub} is gated or private, so ${what} needs an access token: accept the model's conditions on its Hub page, then give an access token.`,
        'NeedsToken', repoId, { cause: err },
      );
    case 'RevisionNotFound': {
      const revision = /\/(?:resolve|revision)\/([^/?]+)/.exec(err.url)?.[1];
      const named = revision ? ` "${decodeURIComponent(revision)}"` : '';
      return new ModelLoadError(`Model "${repoId}" on ${hub} has no revision${named} (needed for ${what}). Give an existing branch, tag, commit id or pull request (refs/pr/N), or leave the revision empty for main.`, 'RevisionNotFound', repoId, { cause: err });
    }
    case 'Aborted':
      return err;
    default:
      return new ModelLoadError(`Could not load ${what} of model "${repoId}" from ${hub}: ${err.message}`, 'Network', repoId, { cause: err });
  }
}

/** A JSON file of the repo; `undefined` when the repo has no such file. */
export async function fetchRepoJson(ep: HubEndpoint, repoId: string, file: string, options: { signal?: AbortSignal; revision?: string } = {}): Promise<unknown> {
  try {
    return await hubJson(ep, fileUrl(ep, { type: 'model', id: repoId }, file, options.revision), { signal: options.signal });
  } catch (err) {
    if (err instanceof HubError && err.code === 'EntryNotFound') return undefined;
    if (err instanceof SyntaxError) {
      throw new ModelLoadError(`${file} of model "${repoId}" is not valid JSON (${err.message}). Fix or re-upload the file.`, 'BadConfig', repoId, { cause: err });
    }
    throw modelLoadErrorFromHub(err, ep, repoId, file);
  }
}

/** Fetches and parses the repo's config.json. */
export async function fetchEncoderConfig(ep: HubEndpoint, repoId: string, options: { signal?: AbortSignal; revision?: string } = {}): Promise<EncoderConfig> {
  const json = await fetchRepoJson(ep, repoId, 'config.json', options);
  if (json === undefined) {
    throw new ModelLoadError(`Model "${repoId}" has no config.json, so its architecture is unknown. Choose a transformers model repository.`, 'BadConfig', repoId);
  }
  return parseEncoderConfig(json, repoId);
}
