/** Typed failures of exporting, importing and pushing adapters; each message says what to do. */

/** An adapter cannot be written in the asked format (unsupported model type or method, tensors the library would ignore). */
export class AdapterExportError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AdapterExportError';
  }
}

/** Why an import failed; the UI picks its advice from this. */
export type AdapterImportProblem =
  /** No adapter_config.json, or one that is neither the `adapters` library's nor PEFT's. */
  | 'NotAnAdapter'
  /** A file is not valid JSON, safetensors or a torch checkpoint. */
  | 'CorruptFile'
  /** Trained on another base model (model type or name). */
  | 'OtherBaseModel'
  /** Trained on a model of another hidden size. */
  | 'HiddenSize'
  /** A method, config field or PEFT feature the studio cannot run. */
  | 'UnknownMethod'
  /** Tensors the config needs are absent. */
  | 'MissingTensors'
  /** Tensors the config does not know (wrong adapter name, other method). */
  | 'UnexpectedTensors'
  /** Tensors of the wrong shape, or a head config whose sizes its weights contradict. */
  | 'WrongShape'
  /** Two keys torch saves from one parameter (the prefix pool's per-layer copies) hold different values. */
  | 'UnequalCopies'
  /** A size in the config (labels, layers, width, rank, length) out of proportion to the model; refused before allocating. */
  | 'TooLarge'
  /** Reading it needs the base model's config (PEFT files do not record the model's shape). */
  | 'NeedsBaseModel'
  /** The Hub request failed. */
  | 'Hub';

/** An adapter could not be imported. */
export class AdapterImportError extends Error {
  constructor(
    message: string,
    readonly problem: AdapterImportProblem,
    /** State-dict keys at fault, when the problem is about tensors. */
    readonly keys: string[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AdapterImportError';
  }
}

/** Creating the repository or uploading the files failed. The message never contains the token. */
export class HubPushError extends Error {
  constructor(
    message: string,
    /** HTTP status of the failed request, when there was one. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HubPushError';
  }
}
