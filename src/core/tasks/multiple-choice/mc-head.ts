/**
 * The `adapters` library's MultipleChoiceHead (heads/base.py): the classification head's nn.Sequential (Dropout,
 * Linear(H, H), tanh, Dropout, Linear(H, 1) for the default 2 layers) on the first token (or the pooler output) of
 * every (context, choice) pair, the scores viewed as [-1, num_choices]; the loss is CrossEntropyLoss over the choices.
 */
import type * as tf from '@tensorflow/tfjs';

/** [examples · choices, 1] pair scores → [examples, choices] logits, as `logits.view(-1, num_choices)`. */
export function choiceRows(pairScores: tf.Tensor2D, choices: number): tf.Tensor2D {
  const [pairs, width] = pairScores.shape;
  if (width !== 1) throw new RangeError(`A multiple-choice head scores each pair with 1 output, got ${width}.`);
  if (pairs % choices !== 0) throw new RangeError(`A multiple-choice batch of ${pairs} pairs does not split into examples of ${choices} choices.`);
  return pairScores.reshape([pairs / choices, choices]);
}
