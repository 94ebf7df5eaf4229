import { HubError } from '../../hub/client.ts';

/** What went wrong with a dataset; the UI picks its advice and the field to highlight from this. */
export type DataErrorCode =
  | 'DatasetNotFound'
  | 'TokenRequired'
  | 'TokenRejected'
  | 'NotViewable'
  | 'UnknownConfig'
  | 'UnknownSplit'
  | 'UnknownColumn'
  | 'NoTextColumn'
  | 'NoLabelColumn'
  | 'UnsupportedModality'
  | 'EmptySplit'
  | 'UnsupportedFile'
  | 'UnreadableFile'
  | 'Unreachable'
  | 'Cancelled';

/** A dataset problem with a message that names the dataset, split or file and says what to do. */
export class DataError extends Error {
  /** Row of the split to continue from after a failed read (rows before it were delivered and are kept). */
  readonly resumeFromRow?: number;

  constructor(message: string, readonly code: DataErrorCode, options: { cause?: unknown; resumeFromRow?: number } = {}) {
    super(message, { cause: options.cause });
    this.name = 'DataError';
    this.resumeFromRow = options.resumeFromRow;
  }
}

/** Names a dataset (and config/split when known) the way messages quote it. */
export function describeTarget(dataset: string, config?: string, split?: string): string {
  const parts = [`Dataset "${dataset}"`];
  if (config) parts.push(`config "${config}"`);
  if (split) parts.push(`split "${split}"`);
  return parts.join(' ');
}

/**
 * Turns a failed Hub request about `dataset` into a DataError that says what to do; `hasToken` tells apart
 * "give a token" from "your token is not accepted". Errors that are already DataErrors pass through.
 */
export function dataErrorFromHub(err: unknown, target: string, hasToken: boolean, resumeFromRow?: number): DataError {
  if (err instanceof DataError) return err;
  if (!(err instanceof HubError)) {
    const message = err instanceof Error ? err.message : String(err);
    return new DataError(`${target} could not be read: ${message}.`, 'UnreadableFile', { cause: err, resumeFromRow });
  }
  const kept = resumeFromRow === undefined || resumeFromRow === 0
    ? ''
    : ` The rows before row ${resumeFromRow} were read and are kept; try again to continue from there.`;
  const notFound = () => hasToken
    ? new DataError(`${target} was not found, or the access token cannot see it. Check the dataset id (it looks like "owner/name").`, 'DatasetNotFound', { cause: err })
    : new DataError(`${target} was not found. Check the dataset id (it looks like "owner/name"); if it is private or gated, give an access token.`, 'DatasetNotFound', { cause: err });
  switch (err.code) {
    case 'GatedRepo':
    case 'Unauthorized':
      return hasToken
        ? new DataError(`${target} is gated or private and the access token was not accepted for it. Accept the dataset's conditions on the Hub with the token's account, or give another access token.`, 'TokenRejected', { cause: err })
        : new DataError(`${target} is gated or private: it needs an access token. Accept its conditions on the Hub, then give an access token.`, 'TokenRequired', { cause: err });
    case 'EntryNotFound':
      // The dataset viewer's cache has no such response: the dataset may well exist, the viewer has not processed it.
      if (err.serverCode === 'ResponseNotFound') {
        return new DataError(`The Hub's dataset viewer has no rows of ${target} (ResponseNotFound${err.serverMessage ? `: ${err.serverMessage}` : ''}): it has not processed this config and split, or cannot. Pick another config or split, or download the dataset's own data files from its Files tab on the Hub and open them as local files.`, 'NotViewable', { cause: err });
      }
      return notFound();
    case 'RepoNotFound':
    case 'RevisionNotFound':
      return notFound();
    case 'NotImplemented':
      return new DataError(`${target} cannot be read through the Hub's dataset viewer, and that is permanent (HTTP 501${err.serverMessage ? `: ${err.serverMessage}` : ''}); retrying will not help. Pick another dataset, or download the dataset's own data files (parquet, CSV, JSONL) from its Files tab on the Hub and open them as local files.`, 'NotViewable', { cause: err });
    case 'Aborted':
      return new DataError(`Reading ${target} was cancelled.${kept}`, 'Cancelled', { cause: err, resumeFromRow });
    default:
      return new DataError(`${target} could not be loaded from ${new URL(err.url || 'http://unknown').host}: ${err.message}${kept}`, 'Unreachable', { cause: err, resumeFromRow });
  }
}
