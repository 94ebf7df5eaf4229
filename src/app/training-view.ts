/**
 * What the Train step shows of a run, folded from the trainer's events: the loss and learning-rate curves, the
 * evaluations, the latest pace, the checkpoint and a log. Pure data in, data out, so it is tested without a page.
 */
import type { CheckpointEvent, EvalEvent, EvalProgressEvent, TrainEvent, TrainProgressEvent, TrainResult } from '../core/train/events.ts';
import type { Task } from '../core/train/trainable-model.ts';
import { formatMetrics } from './format.ts';

/** One optimizer step on the curves. */
export interface StepPoint {
  step: number;
  /** Training loss (absent when the step was skipped for a non-finite loss). */
  loss?: number;
  lr: number;
}

/** A line of the run's event log. */
export interface LogLine {
  level: 'info' | 'warn' | 'error';
  message: string;
}

export interface TrainingView {
  /** Steps of the whole run, once known. */
  totalSteps?: number;
  /** Curve points, at most MAX_POINTS (older ones thinned). */
  points: StepPoint[];
  /** Every evaluation, in order. */
  evals: EvalEvent[];
  /** The latest step's figures (pace, ETA, epoch). */
  latest?: TrainProgressEvent;
  /** The latest checkpoint and the epoch it was written at. */
  checkpoint?: CheckpointEvent & { epoch: number };
  /** The evaluation under way: its own progress and estimate. */
  evaluating?: EvalProgressEvent;
  /** Paused by the trainer (after checkpointing). */
  paused: boolean;
  /** Why the run paused itself (e.g. the Hub could not be reached during evaluation). */
  pauseReason?: string;
  /** Steps skipped for a non-finite loss or gradient. */
  skipped: number;
  log: LogLine[];
  result?: TrainResult;
}

/** Curve points kept: beyond this, every other old point is dropped, so long runs stay light to draw. */
export const MAX_POINTS = 1000;
const MAX_LOG = 300;

export const EMPTY_VIEW: TrainingView = { points: [], evals: [], paused: false, skipped: 0, log: [] };

const CHECKPOINT_REASONS: Record<CheckpointEvent['reason'], string> = { epoch: 'end of an epoch', time: 'timed', pause: 'paused', stop: 'stopped' };

/** Evaluation metrics as a log phrase, written as every step writes them (see formatMetrics). */
/** The task an evaluation's metrics belong to (the charts' kind). */
export function taskOfMetrics(metrics: EvalEvent['metrics'] | undefined): Task {
  if (metrics?.entityF1 !== undefined) return 'tokenClassification';
  if (metrics?.microF1 !== undefined) return 'multiLabel';
  // Multiple choice reports accuracy without macro-F1 (a choice's position is no class).
  return metrics?.f1 !== undefined ? 'questionAnswering' : metrics?.mse !== undefined ? 'regression' : metrics?.accuracy !== undefined && metrics.macroF1 === undefined ? 'multipleChoice' : 'classification';
}

export function metricsPhrase(metrics: EvalEvent['metrics']): string {
  if (metrics.examples === 0) return 'no validation examples (the split or hold-out is empty)';
  return formatMetrics(metrics);
}

function thin(points: StepPoint[]): StepPoint[] {
  if (points.length <= MAX_POINTS) return points;
  const half = Math.floor(points.length / 2);
  return [...points.slice(0, half).filter((_, i) => i % 2 === 0), ...points.slice(half)];
}

/** The view after `events`, in order. */
export function foldTraining(view: TrainingView, events: TrainEvent[]): TrainingView {
  let next = view;
  let points = view.points;
  const log = [...view.log];
  for (const event of events) {
    switch (event.kind) {
      case 'progress':
        points = [...points, { step: event.step, ...(event.skipped ? {} : { loss: event.loss }), lr: event.lr }];
        next = { ...next, totalSteps: event.totalSteps, latest: event, skipped: next.skipped + (event.skipped ? 1 : 0), evaluating: undefined };
        break;
      case 'evalProgress':
        next = { ...next, evaluating: event };
        break;
      case 'eval':
        next = { ...next, evals: [...next.evals, event], evaluating: undefined };
        log.push({ level: 'info', message: `Evaluation at step ${event.step} (epoch ${event.epoch.toFixed(2)}): ${metricsPhrase(event.metrics)}${event.best ? ' — best so far' : ''}` });
        break;
      case 'checkpoint':
        next = { ...next, checkpoint: { ...event, epoch: next.latest?.epoch ?? 0 } };
        log.push({ level: 'info', message: `Checkpoint at step ${event.step} (${CHECKPOINT_REASONS[event.reason]})` });
        break;
      case 'state':
        next = { ...next, paused: event.state === 'paused', pauseReason: event.state === 'paused' ? event.reason : undefined };
        log.push(event.reason ? { level: 'warn', message: `Paused: ${event.reason}` } : { level: 'info', message: event.state === 'paused' ? 'Paused.' : 'Resumed.' });
        break;
      case 'log':
        log.push({ level: event.level, message: event.message });
        break;
      case 'done':
        next = { ...next, result: event, paused: false, evaluating: undefined };
        log.push({ level: 'info', message: `Done: ${event.stopReason === 'completed' ? 'completed' : event.stopReason === 'earlyStopped' ? 'stopped early' : 'cancelled'} after ${event.steps} steps in ${event.seconds.toFixed(1)} s.` });
        break;
      case 'error':
        next = { ...next, evaluating: undefined };
        log.push({ level: 'error', message: event.message });
        break;
    }
  }
  return { ...next, points: thin(points), log: log.slice(-MAX_LOG) };
}
