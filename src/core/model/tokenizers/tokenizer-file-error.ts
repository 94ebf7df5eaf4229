/** A tokenizer file that cannot be read; the loader turns it into a ModelLoadError naming the repo. */
export class TokenizerFileError extends Error {
  /** `detail` completes "<file> of model "x" ..." (e.g. "is not valid JSON"). */
  constructor(readonly detail: string, readonly file: string, options?: { cause?: unknown }) {
    super(`${file}: ${detail}`, options);
    this.name = 'TokenizerFileError';
  }
}

/** The highest id of a vocabulary plus one (no spread: vocabularies reach 250k entries). */
export function idSpan(ids: Iterable<number>): number {
  let max = -1;
  for (const id of ids) if (id > max) max = id;
  return max + 1;
}
