/** Why loading an encoder failed; the UI picks its advice from this. */
export type ModelLoadReason =
  | 'RepoNotFound'
  | 'RevisionNotFound'
  | 'NeedsToken'
  | 'UnsupportedModel'
  | 'NoWeights'
  | 'CorruptWeights'
  | 'UnsafePickle'
  | 'IncompatibleWeights'
  | 'BadConfig'
  | 'NoTokenizer'
  | 'Backend'
  | 'Network';

/** Loading a model from the Hub failed; `message` says what failed, for which repo, and what to do. */
export class ModelLoadError extends Error {
  constructor(
    message: string,
    readonly reason: ModelLoadReason,
    readonly repoId?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ModelLoadError';
  }
}

/** The repo's config.json names a model_type (or setting) that the studio's encoder cannot run. */
export class UnsupportedModelError extends ModelLoadError {
  constructor(message: string, repoId?: string, options?: { cause?: unknown }) {
    super(message, 'UnsupportedModel', repoId, options);
    this.name = 'UnsupportedModelError';
  }
}

/** The repo has none of model.safetensors, model.safetensors.index.json, pytorch_model.bin. */
export class NoWeightsError extends ModelLoadError {
  constructor(message: string, repoId?: string, options?: { cause?: unknown }) {
    super(message, 'NoWeights', repoId, options);
    this.name = 'NoWeightsError';
  }
}

/** A weights file is malformed (bad header, offsets, sizes, dtypes, zip or pickle structure). */
export class CorruptWeightsError extends ModelLoadError {
  constructor(message: string, repoId?: string, options?: { cause?: unknown }) {
    super(message, 'CorruptWeights', repoId, options);
    this.name = 'CorruptWeightsError';
  }
}

/** A pickle asked for something outside what torch.save writes for a state dict; it was not evaluated. */
export class UnsafePickleError extends ModelLoadError {
  constructor(message: string, repoId?: string, options?: { cause?: unknown }) {
    super(message, 'UnsafePickle', repoId, options);
    this.name = 'UnsafePickleError';
  }
}

/** The weights are well-formed but a tensor the encoder needs is missing or has the wrong shape. */
export class IncompatibleWeightsError extends ModelLoadError {
  constructor(message: string, repoId?: string, options?: { cause?: unknown }) {
    super(message, 'IncompatibleWeights', repoId, options);
    this.name = 'IncompatibleWeightsError';
  }
}
