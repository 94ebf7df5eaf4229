/**
 * The knobs of a training run besides the model, the data and the adapter, as the studio's Train step and the CLI's
 * flags set them, with their defaults, and how they become the trainer's options and the export's record.
 * Plain data and no tfjs, so the page can show the defaults.
 */
import type { TrainingHyperparameters } from '../export/types.ts';
import type { MetricName } from './metrics.ts';
import type { ScheduleKind } from './schedule.ts';
import type { TrainOptions } from './trainer.ts';

export interface TrainingSettings {
  /** Peak learning rate. */
  learningRate: number;
  /** Passes over the training data; ignored when maxSteps is set. */
  epochs: number;
  /** Optimizer steps to run instead of epochs. */
  maxSteps?: number;
  /** Examples per micro-batch. */
  batchSize: number;
  /** Most tokens per example (longest_first truncation). */
  maxLength: number;
  /** Question answering: context tokens neighbouring windows of a long context share; undefined: defaultDocStride(maxLength). */
  docStride?: number;
  /** Share of the optimizer steps spent warming up linearly from 0, in [0, 1]. */
  warmupRatio: number;
  /** Rate after warmup: linear or cosine decay to 0, or constant. */
  schedule: ScheduleKind;
  /** Micro-batches whose gradients are averaged into one optimizer step. */
  gradientAccumulation: number;
  /** Global gradient norm clipped to this; 0 turns clipping off. */
  maxGradNorm: number;
  /** AdamW weight decay. */
  weightDecay: number;
  /** Seed of the initial adapter weights, the data order, the hold-out and dropout. */
  seed: number;
  /** Also evaluate every this many steps (besides each epoch's end). */
  evalEverySteps?: number;
  /** Metric that picks the kept weights; undefined: accuracy (classification) or mse (regression). */
  metricForBest?: MetricName;
  /** Stop after this many evaluations in a row without a new best; undefined: never. */
  earlyStoppingPatience?: number;
  /** Seconds of training between checkpoints besides those at epoch ends (0: epoch ends only); undefined: 60. Not part of the record: it changes nothing learnt. */
  checkpointEverySeconds?: number;
}

/** The defaults: the AdapterHub guides' 1e-4 and transformers' Trainer defaults, 3 epochs of batch 16. */
export const DEFAULT_TRAINING_SETTINGS: Readonly<TrainingSettings> = {
  learningRate: 1e-4,
  epochs: 3,
  batchSize: 16,
  maxLength: 128,
  warmupRatio: 0,
  schedule: 'linear',
  gradientAccumulation: 1,
  maxGradNorm: 1,
  weightDecay: 0.01,
  seed: 42,
};

/** The trainer's options for these settings (batch size and max length go to the batcher instead). */
export function trainOptionsOf(settings: TrainingSettings): TrainOptions {
  return {
    learningRate: settings.learningRate,
    ...(settings.maxSteps !== undefined ? { maxSteps: settings.maxSteps } : { epochs: settings.epochs }),
    schedule: settings.schedule,
    warmupRatio: settings.warmupRatio,
    gradientAccumulation: settings.gradientAccumulation,
    maxGradNorm: settings.maxGradNorm,
    adamW: { weightDecay: settings.weightDecay },
    seed: settings.seed,
    ...(settings.evalEverySteps !== undefined ? { evalEverySteps: settings.evalEverySteps } : {}),
    ...(settings.metricForBest !== undefined ? { metricForBest: settings.metricForBest } : {}),
    ...(settings.earlyStoppingPatience !== undefined ? { earlyStoppingPatience: settings.earlyStoppingPatience } : {}),
    ...(settings.checkpointEverySeconds !== undefined ? { checkpointEverySeconds: settings.checkpointEverySeconds } : {}),
  };
}

/** The settings as the export's training record writes them (model card, train.py). */
export function hyperparametersOf(settings: TrainingSettings): TrainingHyperparameters {
  return {
    learningRate: settings.learningRate,
    batchSize: settings.batchSize,
    maxLength: settings.maxLength,
    ...(settings.maxSteps !== undefined ? { maxSteps: settings.maxSteps } : { epochs: settings.epochs }),
    gradientAccumulation: settings.gradientAccumulation,
    warmupRatio: settings.warmupRatio,
    weightDecay: settings.weightDecay,
    schedule: settings.schedule,
    maxGradNorm: settings.maxGradNorm,
    seed: settings.seed,
    ...(settings.evalEverySteps !== undefined ? { evalEverySteps: settings.evalEverySteps } : {}),
    ...(settings.earlyStoppingPatience !== undefined ? { earlyStoppingPatience: settings.earlyStoppingPatience } : {}),
    ...(settings.metricForBest !== undefined ? { metricForBest: settings.metricForBest } : {}),
    ...(settings.docStride !== undefined ? { docStride: settings.docStride } : {}),
  };
}
