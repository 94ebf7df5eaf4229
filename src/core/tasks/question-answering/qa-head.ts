/**
 * The `adapters` library's QuestionAnsweringHead (heads/base.py): the head's nn.Sequential (Dropout, Linear(H, 2)
 * for the default 1 layer) on every token's last hidden state, split into start and end logits; the loss is
 * (CrossEntropy(start) + CrossEntropy(end)) / 2 with the positions clamped to [0, seq] and seq ignored
 * (ignore_index), each a mean over the examples it does not ignore.
 */
import * as tf from '@tensorflow/tfjs';
import type { HeadPlan } from '../../adapters/head.ts';
import { headSteps } from '../../adapters/head-steps.ts';
import type { ParamSpec } from '../../adapters/parameters.ts';
import type { EncoderOutput } from '../../model/encoder.ts';

/** [batch, 2·seq] logits: each row's seq start logits, then its seq end logits. */
export function qaLogits(plan: HeadPlan, encoded: EncoderOutput, tensor: (spec: ParamSpec) => tf.Tensor, dropoutSeed?: () => number): tf.Tensor2D {
  if (plan.kind !== 'questionAnswering') throw new TypeError(`Head "${plan.name}" is a ${plan.kind} head, not a question-answering one.`);
  return tf.tidy(() => {
    const [batch, seq, hidden] = encoded.lastHiddenState.shape;
    const perToken = headSteps(plan, encoded.lastHiddenState.reshape([batch * seq, hidden]), tensor, dropoutSeed);
    // [batch·seq, 2] → [batch, 2, seq]: starts first, then ends.
    return perToken.reshape([batch, seq, 2]).transpose([0, 2, 1]).reshape([batch, 2 * seq]) as tf.Tensor2D;
  });
}

/** Start and end logits of row `row` from qaLogits' values. */
export function splitLogits(values: Float32Array, row: number, seq: number): { start: Float32Array; end: Float32Array } {
  const base = row * 2 * seq;
  return { start: values.subarray(base, base + seq), end: values.subarray(base + seq, base + 2 * seq) };
}

/** Each example's start and end cross-entropy [batch, 2] (0 where ignored) and the 0/1 weight of each (1 = counted). */
function positionLosses(logits: tf.Tensor2D, positions: ArrayLike<number>): { losses: tf.Tensor2D; counted: tf.Tensor2D } {
  const [batch, width] = logits.shape;
  const seq = width / 2;
  if (positions.length !== 2 * batch) throw new RangeError(`A question-answering batch of ${batch} needs ${2 * batch} positions (start, end per example), got ${positions.length}.`);
  const clamped = Int32Array.from(positions, (p) => Math.min(Math.max(p, 0), seq));
  const counted = Float32Array.from(clamped, (p) => (p === seq ? 0 : 1));
  const index = Int32Array.from(clamped, (p) => (p === seq ? 0 : p));
  const logProbs = tf.logSoftmax(logits.reshape([batch, 2, seq]));
  const picked = tf.mul(logProbs, tf.oneHot(tf.tensor2d(index, [batch, 2], 'int32'), seq)).sum(2).neg() as tf.Tensor2D;
  const weights = tf.tensor2d(counted, [batch, 2]);
  return { losses: picked.mul(weights) as tf.Tensor2D, counted: weights };
}

/** The library's loss: (mean start CE + mean end CE) / 2 over the positions not ignored. `positions`: start, end per example. */
export function qaLoss(logits: tf.Tensor2D, positions: ArrayLike<number>): tf.Scalar {
  return tf.tidy(() => {
    const { losses, counted } = positionLosses(logits, positions);
    return losses.sum(0).div(counted.sum(0)).mean() as tf.Scalar;
  });
}

/** Each example's (start CE + end CE) / 2, ignored terms counting 0: the evaluation's loss per example. */
export function qaExampleLosses(logits: tf.Tensor2D, positions: ArrayLike<number>): tf.Tensor1D {
  return tf.tidy(() => positionLosses(logits, positions).losses.mean(1) as tf.Tensor1D);
}
