/**
 * What a training run reports, as plain structured-cloneable data so the worker can post each event to the page
 * unchanged.
 */
import type { EvalRecord } from './checkpoint.ts';
import type { EvalMetrics } from './metrics.ts';

export interface TrainProgressEvent {
  kind: 'progress';
  /** Optimizer steps taken, this one included. */
  step: number;
  /** Steps of the whole run. */
  totalSteps: number;
  /** Epochs done, fractional (1.5 = half-way through the second epoch). */
  epoch: number;
  /** Mean training loss of this step's micro-batches (NaN/∞ when the step was skipped for it). */
  loss: number;
  /** Learning rate of this step's update. */
  lr: number;
  /** Global 2-norm of the averaged gradient, before clipping. */
  gradNorm: number;
  /** Whether the step was skipped (no update) for a non-finite loss or gradient. */
  skipped: boolean;
  /** Training examples per second over the recent steps. */
  samplesPerSecond: number;
  /** Non-padding tokens per second over the recent steps. */
  tokensPerSecond: number;
  /** Seconds until the last step at the recent pace. */
  etaSeconds: number;
}

/** How far an evaluation got: it has its own pace and estimate (the training's ETA stops at its last step). */
export interface EvalProgressEvent {
  kind: 'evalProgress';
  /** Optimizer steps taken when it started. */
  step: number;
  /** Validation batches done. */
  batches: number;
  /** Validation batches in all: exact after the run's first evaluation, else an estimate (absent when unknown). */
  totalBatches?: number;
  /** Validation examples done. */
  examples: number;
  /** Seconds until the evaluation ends at its pace so far (NaN when the total is unknown). */
  etaSeconds: number;
}

export interface EvalEvent extends EvalRecord {
  kind: 'eval';
  /** Whether this evaluation is the best so far (its weights are kept). */
  best: boolean;
}

export interface LogEvent {
  kind: 'log';
  level: 'info' | 'warn';
  message: string;
}

export interface CheckpointEvent {
  kind: 'checkpoint';
  /** Steps taken when it was written. */
  step: number;
  /** Why: an epoch ended, the checkpoint interval passed, the run was paused, or it stopped on non-finite values. */
  reason: 'epoch' | 'time' | 'pause' | 'stop';
}

/** The run paused (after checkpointing) or continued. */
export interface StateEvent {
  kind: 'state';
  state: 'paused' | 'running';
  /** Why the run paused itself (e.g. the Hub could not be reached during evaluation); absent when the user paused it. */
  reason?: string;
}

/** Why a run ended without an error. */
export type StopReason = 'completed' | 'earlyStopped' | 'cancelled';

export interface TrainResult {
  stopReason: StopReason;
  /** Optimizer steps taken. */
  steps: number;
  /** Epochs done, fractional. */
  epochs: number;
  /** Metrics of the best evaluation (by the chosen metric), undefined when nothing was evaluated. */
  best?: EvalMetrics;
  /** Step of the best evaluation. */
  bestStep?: number;
  /** Every evaluation, in order. */
  history: EvalRecord[];
  /** Seconds spent training (pauses excluded). */
  seconds: number;
  /** Whether the parameters now hold the best evaluation's values (else the last step's). */
  restoredBest: boolean;
}

export interface DoneEvent extends TrainResult {
  kind: 'done';
}

export interface TrainErrorEvent {
  kind: 'error';
  /** Error class name, e.g. "TrainingError". */
  name: string;
  /** TrainingError code when there is one. */
  code?: string;
  message: string;
  /** The underlying error's message. */
  cause?: string;
}

export type TrainEvent = TrainProgressEvent | EvalProgressEvent | EvalEvent | LogEvent | CheckpointEvent | StateEvent | DoneEvent | TrainErrorEvent;
