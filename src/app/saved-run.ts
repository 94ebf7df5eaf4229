/**
 * The run that can continue after a tab reload: its setup (token-free), the Hub it reads from and where its latest
 * checkpoint is. Kept in localStorage while a run has a checkpoint and has not ended; the checkpoint itself lives
 * in IndexedDB (the worker's).
 */
import type { RunState } from '../core/train/checkpoint.ts';
import type { TrainSetup } from '../core/vocabulary/run.ts';
import type { EvalEvent } from '../core/train/events.ts';
import type { StepPoint, TrainingView } from './training-view.ts';
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
  /** The curves and evaluations drawn up to the checkpoint, so a resumed run's charts show its start too. */
  history?: RunHistory;
}

/** What the charts had drawn of a run: its step points (at most HISTORY_POINTS) and evaluations. */
export interface RunHistory {
  points: StepPoint[];
  evals: EvalEvent[];
}

/** Points kept for a reload: enough for a smooth curve, small enough for localStorage (about 40 bytes each). */
export const HISTORY_POINTS = 400;

/** The history to save with a checkpoint: every evaluation, and the points thinned evenly to HISTORY_POINTS. */
export function runHistory(view: Pick<TrainingView, 'points' | 'evals'>): RunHistory {
  const { points } = view;
  const every = Math.ceil(points.length / HISTORY_POINTS);
  const kept = every <= 1 ? points : points.filter((_, i) => i % every === 0 || i === points.length - 1);
  return { points: kept, evals: view.evals };
}

/** The saved history up to the checkpoint's step (a reload can come after later steps were drawn, which are redone). */
export function historyUpTo(run: SavedRun): RunHistory | undefined {
  if (!run.history) return undefined;
  return { points: run.history.points.filter((p) => p.step <= run.step), evals: run.history.evals.filter((e) => e.step <= run.step) };
}

/**
 * The saved run moved to a newer checkpoint found in IndexedDB (the reload cut off the page's record of it): its
 * position, and its curve and evaluations from the checkpoint itself, so the resumed charts miss no step.
 */
export function atCheckpoint(run: SavedRun, state: RunState): SavedRun {
  const saved = run.history?.evals ?? [];
  const newer = state.history.filter((record) => record.step > (saved.at(-1)?.step ?? -1))
    .map((record) => ({ kind: 'eval' as const, ...record, best: record.step === state.best?.step }));
  return {
    ...run,
    step: state.step,
    totalSteps: state.settings.totalSteps,
    epoch: state.epoch + state.batchInEpoch / state.settings.batchesPerEpoch,
    history: { points: state.curve ?? run.history?.points ?? [], evals: [...saved, ...newer] },
  };
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
