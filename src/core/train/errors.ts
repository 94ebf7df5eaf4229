/** Why training failed. */
export type TrainingErrorCode =
  /** The loss or gradient was NaN or infinite for too many steps in a row. */
  | 'NonFinite'
  /** The training split gave no batches. */
  | 'NoData'
  /** A checkpoint belongs to a run with other settings or parameters. */
  | 'CheckpointMismatch'
  /** The model's forward or backward pass threw. */
  | 'Model'
  /** A step would not fit the backend's memory, not even one sequence at a time (memory-fit.ts). */
  | 'Memory';

export class TrainingError extends Error {
  constructor(message: string, readonly code: TrainingErrorCode, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TrainingError';
  }
}
