/** What the trainer needs of a model: its trainable parameters and logits for a batch. */
import type * as tf from '@tensorflow/tfjs';
import type { TrainableParameter } from './adamw.ts';

/** Prediction task: cross-entropy over classes, squared error of one target, an answer span's start and end, cross-entropy over each example's choices, a tag per token, or a sigmoid per label (multi-label). */
export type Task = 'classification' | 'regression' | 'questionAnswering' | 'multipleChoice' | 'tokenClassification' | 'multiLabel';

/** The part of a batch the trainer reads; models read the rest (token ids, features...). */
export interface BatchLike {
  /** Examples in the batch. */
  batch: number;
  /** [batch] class ids (classification) or targets (regression); [2 · batch] start, end positions (question answering); multiple choice: [batch / choices] right choices; [batch · seq] tag ids or −100 (token classification); [batch · labels] 0/1 (multi-label). */
  labels: Int32Array | Float32Array;
  /** Tokens that are not padding, for tokens per second (absent for models without tokens). */
  realTokens?: number;
}

export interface ForwardOptions {
  /** Training mode: dropout and AdapterDrop apply. */
  training: boolean;
  /** Seed of this forward's random draws (dropout masks), so a resumed run draws the same ones. */
  seed: number;
}

export interface TrainableModel<B extends BatchLike> {
  task: Task;
  /** The parameters training updates (adapter and head), under their torch state-dict names. */
  parameters: TrainableParameter[];
  /**
   * [batch, classes] logits (regression: [batch, 1] predicted targets). Called inside tf.variableGrads while
   * training, so it must compute from the parameters' variables; the caller disposes the result.
   */
  logits(batch: B, options: ForwardOptions): tf.Tensor2D;
  /**
   * A penalty on the parameters whose gradient joins every update after the first, outside the reported loss (the
   * `adapters` library's AdapterTrainerCallback backpropagates the fusion regularization after each optimizer step,
   * into the next update's gradient). Computed from the parameters' variables.
   */
  regularization?(): tf.Scalar;
}
