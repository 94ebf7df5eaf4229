/** The task losses, as the `adapters` heads compute them: CrossEntropyLoss over classes (or an example's choices), MSELoss for one target. */
import * as tf from '@tensorflow/tfjs';
import { bceExampleLosses } from '../tasks/multi-label/bce-loss.ts';
import { qaExampleLosses, qaLoss } from '../tasks/question-answering/qa-head.ts';
import { taggingExampleLosses, taggingLoss } from '../tasks/token-classification/tag-head.ts';
import type { Task } from './trainable-model.ts';

/**
 * [batch] loss of each example: −log softmax(logits)[label] (classification) or (prediction − target)²
 * (regression, logits [batch, 1]).
 */
export function exampleLosses(logits: tf.Tensor2D, labels: Int32Array | Float32Array, task: Task): tf.Tensor1D {
  if (task === 'questionAnswering') return qaExampleLosses(logits, labels);
  if (task === 'multiLabel') return bceExampleLosses(logits, labels);
  if (task === 'tokenClassification') return taggingExampleLosses(logits, labels);
  return tf.tidy(() => {
    const [batch, width] = logits.shape;
    if (labels.length !== batch) throw new RangeError(`The batch has ${batch} logit rows but ${labels.length} labels.`);
    if (task === 'regression') {
      if (width !== 1) throw new RangeError(`A regression model must output one value per example, got ${width}.`);
      return tf.squaredDifference(logits.reshape([batch]), tf.tensor1d(labels, 'float32')) as tf.Tensor1D;
    }
    const oneHot = tf.oneHot(tf.tensor1d(labels, 'int32'), width);
    return tf.logSoftmax(logits).mul(oneHot).sum(1).neg() as tf.Tensor1D;
  });
}

/** Mean loss over the batch (the reduction torch's CrossEntropyLoss and MSELoss default to). */
export function meanLoss(logits: tf.Tensor2D, labels: Int32Array | Float32Array, task: Task): tf.Scalar {
  if (task === 'questionAnswering') return qaLoss(logits, labels);
  if (task === 'tokenClassification') return taggingLoss(logits, labels);
  return tf.tidy(() => exampleLosses(logits, labels, task).mean() as tf.Scalar);
}
