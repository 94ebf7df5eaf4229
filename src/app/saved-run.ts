/**
 * The run that can continue after a tab reload: its setup (token-free), the Hub it reads from and where its latest
 * checkpoint is. Kept in localStorage while a run has a checkpoint and has not ended; the checkpoint itself lives
 * in IndexedDB (the worker's).
 */
import type { TrainSetup } from '../core/vocabulary/run.ts';
import type { HubChoice } from './url-settings.ts';

export interface SavedRun {
  setup: TrainSetup;
  hub: HubChoice;
  /** Steps done at the latest checkpoint, and of the whole run. */
  step: number;
  totalSteps?: number;
  /** Epochs done at the latest checkpoint, fractional. */
  epoch: number;
  /** When the checkpoint was written (ms since the epoch). */
  savedAt: number;
}

const KEY = 'adapter-studio:saved-run';

/** The saved run, or undefined when there is none or it cannot be read. */
export function readSavedRun(storage: Storage = localStorage): SavedRun | undefined {
  try {
    const value = JSON.parse(storage.getItem(KEY) ?? 'null') as SavedRun | null;
    return value && typeof value.setup?.runId === 'string' && typeof value.step === 'number' ? value : undefined;
  } catch {
    return undefined;
  }
}

export function writeSavedRun(run: SavedRun | undefined, storage: Storage = localStorage): void {
  try {
    if (run) storage.setItem(KEY, JSON.stringify(run));
    else storage.removeItem(KEY);
  } catch {
    // Storage full or blocked: the run simply cannot be resumed after a reload.
  }
}

/** The epoch a resumed run continues in, 1-based: a checkpoint at 1.0 epochs continues in epoch 2. */
export function resumeEpoch(run: Pick<SavedRun, 'epoch'>): number {
  return Math.floor(run.epoch + 1e-9) + 1;
}
