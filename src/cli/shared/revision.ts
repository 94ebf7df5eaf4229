/** `--revision`: the model's branch, tag, commit id or pull request, for every command that loads an encoder. */
import { UsageError } from '../cli-io.ts';

export const revisionOption = { revision: { type: 'string' } } as const;
export const revisionUsage = '  --revision REV           the model\'s branch, tag, commit id or pull request (refs/pr/N); default main';

/** The revision asked for, if any. */
export function revisionFrom(values: Record<string, unknown>): string | undefined {
  const revision = values.revision as string | undefined;
  if (revision !== undefined && revision.trim() === '') throw new UsageError('--revision needs a branch, tag, commit id or refs/pr/N.');
  return revision;
}
