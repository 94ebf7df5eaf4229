/** The multi-label loss as torch's BCEWithLogitsLoss (the adapters library's MultiLabelClassificationHead). */
import * as tf from '@tensorflow/tfjs';

/**
 * [batch] loss of each example: the mean over its labels of max(x, 0) − x·y + log(1 + e^(−|x|)), the numerically
 * stable BCE with logits; their mean is BCEWithLogitsLoss's (every example has the same number of labels).
 */
export function bceExampleLosses(logits: tf.Tensor2D, labels: Int32Array | Float32Array): tf.Tensor1D {
  const [batch, width] = logits.shape;
  if (labels.length !== batch * width) throw new RangeError(`A multi-label batch of ${batch} with ${width} labels needs ${batch * width} 0/1 targets, got ${labels.length}.`);
  return tf.tidy(() => {
    const y = tf.tensor2d(Float32Array.from(labels), [batch, width]);
    return tf.relu(logits).sub(logits.mul(y)).add(tf.log1p(tf.exp(tf.abs(logits).neg()))).mean(1) as tf.Tensor1D;
  });
}
