/**
 * The `adapters` library's TaggingHead (heads/base.py, add_tagging_head): the head's nn.Sequential (Dropout,
 * Linear(H, num_labels) for the default 1 layer) on every token's last hidden state; the loss is CrossEntropyLoss
 * over all tokens whose label is not −100 (ignore_index; padding counts as ignored, as the head's attention-mask
 * rule makes it), one mean over the whole batch's labelled tokens.
 */
import * as tf from '@tensorflow/tfjs';
import type { HeadPlan } from '../../adapters/head.ts';
import { headSteps } from '../../adapters/head-steps.ts';
import type { ParamSpec } from '../../adapters/parameters.ts';
import type { EncoderOutput } from '../../model/encoder.ts';
import { IGNORE } from './align.ts';

/** [batch, seq · num_labels] logits: each row's tokens one after another, num_labels logits each. */
export function taggingLogits(plan: HeadPlan, encoded: EncoderOutput, tensor: (spec: ParamSpec) => tf.Tensor, dropoutSeed?: () => number): tf.Tensor2D {
  if (plan.kind !== 'tagging') throw new TypeError(`Head "${plan.name}" is a ${plan.kind} head, not a tagging one.`);
  return tf.tidy(() => {
    const [batch, seq, hidden] = encoded.lastHiddenState.shape;
    const perToken = headSteps(plan, encoded.lastHiddenState.reshape([batch * seq, hidden]), tensor, dropoutSeed);
    return perToken.reshape([batch, seq * plan.id2label.length]) as tf.Tensor2D;
  });
}

/** Each token's cross-entropy [batch, seq] (0 where ignored) and its 0/1 weight (1 = counted). */
function tokenLosses(logits: tf.Tensor2D, labels: ArrayLike<number>): { losses: tf.Tensor2D; counted: tf.Tensor2D } {
  const [batch, width] = logits.shape;
  const seq = labels.length / batch;
  if (!Number.isInteger(seq) || seq < 1 || width % seq !== 0) throw new RangeError(`A tagging batch of ${batch} rows with ${width} logits a row needs a label per token (a multiple of ${batch} labels), got ${labels.length}.`);
  const numLabels = width / seq;
  const counted = new Float32Array(labels.length);
  const index = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (label === IGNORE) continue;
    if (!Number.isInteger(label) || label < 0 || label >= numLabels) throw new RangeError(`Token label ${label} (row ${Math.floor(i / seq)}, position ${i % seq}) is neither −100 nor a tag id 0..${numLabels - 1}.`);
    counted[i] = 1;
    index[i] = label;
  }
  const logProbs = tf.logSoftmax(logits.reshape([batch, seq, numLabels]));
  const picked = tf.mul(logProbs, tf.oneHot(tf.tensor2d(index, [batch, seq], 'int32'), numLabels)).sum(2).neg() as tf.Tensor2D;
  const weights = tf.tensor2d(counted, [batch, seq]);
  return { losses: picked.mul(weights) as tf.Tensor2D, counted: weights };
}

/** The library's loss: the mean cross-entropy over the batch's labelled tokens (NaN when there are none, as torch). */
export function taggingLoss(logits: tf.Tensor2D, labels: ArrayLike<number>): tf.Scalar {
  return tf.tidy(() => {
    const { losses, counted } = tokenLosses(logits, labels);
    return losses.sum().div(counted.sum()) as tf.Scalar;
  });
}

/** Each example's summed token cross-entropy and its labelled tokens: [batch, 2] (sum, count), for a token mean over many batches. */
export function taggingLossSums(logits: tf.Tensor2D, labels: ArrayLike<number>): tf.Tensor2D {
  return tf.tidy(() => {
    const { losses, counted } = tokenLosses(logits, labels);
    return tf.stack([losses.sum(1), counted.sum(1)], 1) as tf.Tensor2D;
  });
}

/** Each example's mean token cross-entropy (0 for an example without labelled tokens). */
export function taggingExampleLosses(logits: tf.Tensor2D, labels: ArrayLike<number>): tf.Tensor1D {
  return tf.tidy(() => {
    const { losses, counted } = tokenLosses(logits, labels);
    return losses.sum(1).div(tf.maximum(counted.sum(1), 1)) as tf.Tensor1D;
  });
}
