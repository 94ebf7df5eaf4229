/**
 * Training checkpoints: the trainable parameters, the optimizer's moments and the run's position, enough to
 * continue exactly where the run stopped. A `CheckpointStore` keeps two slots per run: `latest` (written each
 * epoch, every minute or so of training, on pause and when a run stops on non-finite values) and `best` (the
 * parameters at the best evaluation).
 */
import type { ParameterMoments } from './adamw.ts';
import type { EvalMetrics } from './metrics.ts';
import type { CurvePoint } from './loss-curve.ts';

/** A tensor's values on the host. */
export interface HostParameter {
  /** The parameter's torch state-dict name. */
  name: string;
  /** Dimensions, row-major (torch layout). */
  shape: number[];
  /** Values, row-major. */
  data: Float32Array;
}

/** One evaluation of the run. */
export interface EvalRecord {
  /** Optimizer steps taken when it ran. */
  step: number;
  /** Epochs completed, fractional mid-epoch. */
  epoch: number;
  metrics: EvalMetrics;
}

/** Settings that must be equal for a checkpoint to continue a run exactly. */
export interface RunSettings {
  learningRate: number;
  schedule: string;
  warmupSteps: number;
  totalSteps: number;
  epochs: number;
  gradientAccumulation: number;
  batchesPerEpoch: number;
  maxGradNorm: number;
  seed: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  /** "name[shape]" of every trainable parameter, in order. */
  parameters: string[];
}

/** Where the run is; JSON-safe. */
export interface RunState {
  settings: RunSettings;
  /** Optimizer steps attempted (skipped non-finite steps included). */
  step: number;
  /** Optimizer updates applied; the learning-rate schedule's position. */
  updates: number;
  /** Epoch being trained (0-based). */
  epoch: number;
  /** Micro-batches of `epoch` already trained. */
  batchInEpoch: number;
  /** Steps skipped in a row for a non-finite loss or gradient. */
  nonFiniteStreak: number;
  /** The best evaluation so far. */
  best?: EvalRecord;
  /** Evaluations since the best one (early stopping's patience counter). */
  evalsSinceBest: number;
  /** Step of the last evaluation (-1 before the first), so an evaluation is not repeated after a resume. */
  lastEvalStep: number;
  /** Every evaluation, in order. */
  history: EvalRecord[];
  /** Seconds spent training (pauses excluded). */
  seconds: number;
  /** The loss curve up to `step`, thinned to CURVE_POINTS (absent in checkpoints written before it was kept). */
  curve?: CurvePoint[];
}

export interface Checkpoint {
  state: RunState;
  /** Values of the trainable parameters. */
  parameters: HostParameter[];
  /** Optimizer moments per parameter; empty in the `best` slot, which holds weights only. */
  moments: ParameterMoments[];
}

export type CheckpointSlot = 'latest' | 'best';

/** Where a run's checkpoints live: IndexedDB in the browser, a directory for the CLI, memory in tests. */
export interface CheckpointStore {
  save(slot: CheckpointSlot, checkpoint: Checkpoint): Promise<void>;
  /** The slot's checkpoint, or undefined when none was saved. */
  load(slot: CheckpointSlot): Promise<Checkpoint | undefined>;
  /** Deletes both slots. */
  clear(): Promise<void>;
}

/** Keeps copies of the checkpoints in memory. */
export class MemoryCheckpointStore implements CheckpointStore {
  private readonly slots = new Map<CheckpointSlot, Checkpoint>();

  async save(slot: CheckpointSlot, checkpoint: Checkpoint): Promise<void> {
    this.slots.set(slot, structuredClone(checkpoint));
  }

  async load(slot: CheckpointSlot): Promise<Checkpoint | undefined> {
    const saved = this.slots.get(slot);
    return saved && structuredClone(saved);
  }

  async clear(): Promise<void> {
    this.slots.clear();
  }
}

const DB_NAME = 'adapter-studio-checkpoints';
const OBJECT_STORE = 'checkpoints';

/** The result of an IndexedDB request, as a promise. */
export function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** Thrown when a checkpoint cannot be written or read; the message names the run and the slot. */
export class CheckpointError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CheckpointError';
  }
}

/** Checkpoints in IndexedDB under [runId, slot]: they survive a page reload, so a paused run can continue later. */
export class IndexedDbCheckpointStore implements CheckpointStore {
  private constructor(private readonly db: IDBDatabase, readonly runId: string) {}

  /** Opens (creating if needed) the checkpoint database for the run `runId`. */
  static async open(runId: string, factory: IDBFactory = indexedDB): Promise<IndexedDbCheckpointStore> {
    try {
      const open = factory.open(DB_NAME, 1);
      open.onupgradeneeded = () => open.result.createObjectStore(OBJECT_STORE);
      return new IndexedDbCheckpointStore(await request(open), runId);
    } catch (err) {
      throw new CheckpointError(`IndexedDB could not be opened for the checkpoints of run "${runId}" (${(err as Error)?.message ?? err}). Allow site storage, or train without checkpoints.`, { cause: err });
    }
  }

  private async run<T>(mode: IDBTransactionMode, what: string, call: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
    try {
      return await request(call(this.db.transaction(OBJECT_STORE, mode).objectStore(OBJECT_STORE)));
    } catch (err) {
      throw new CheckpointError(`${what} for run "${this.runId}" failed in IndexedDB (${(err as Error)?.message ?? err}). Free some storage and try again.`, { cause: err });
    }
  }

  async save(slot: CheckpointSlot, checkpoint: Checkpoint): Promise<void> {
    await this.run('readwrite', `Saving the ${slot} checkpoint`, (s) => s.put(checkpoint, [this.runId, slot]));
  }

  async load(slot: CheckpointSlot): Promise<Checkpoint | undefined> {
    return this.run('readonly', `Reading the ${slot} checkpoint`, (s) => s.get([this.runId, slot]) as IDBRequest<Checkpoint | undefined>);
  }

  async clear(): Promise<void> {
    await this.run('readwrite', 'Deleting the checkpoints', (s) => s.delete(IDBKeyRange.bound([this.runId, ''], [this.runId, '\uffff'])));
  }

  close(): void {
    this.db.close();
  }
}
