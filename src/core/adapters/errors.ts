/** An adapter or head configuration the `adapters` library would reject (or that the studio cannot run). */
export class AdapterConfigError extends Error {
  constructor(
    message: string,
    /** The offending config field, e.g. "reduction_factor" or "configs[1].r"; undefined when the whole spec is wrong. */
    readonly field?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AdapterConfigError';
  }
}

/** A size in a config (labels, layers, width, rank, length) out of proportion to the model: refused before any allocation. */
export class AdapterSizeError extends AdapterConfigError {
  constructor(message: string, field?: string) {
    super(message, field);
    this.name = 'AdapterSizeError';
  }
}

/** Adapter weights given to `loadAdapterStateDict` do not fit the adapter (missing, unexpected or mis-shaped keys). */
export class AdapterStateError extends Error {
  constructor(
    message: string,
    /** The state-dict keys at fault. */
    readonly keys: string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AdapterStateError';
  }
}
