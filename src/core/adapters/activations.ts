/** The adapter non-linearities on tensors; their names and the library's name resolution are in activation-names.ts. */
import * as tf from '@tensorflow/tfjs';
import type { Activation } from './activation-names.ts';

export { ACTIVATIONS, type Activation, activationNamed } from './activation-names.ts';

/** Applies the activation elementwise; the formulas are transformers' (activations.py). */
export function applyActivation<T extends tf.Tensor>(x: T, act: Activation): T {
  switch (act) {
    case 'relu': return tf.relu(x);
    case 'relu6': return tf.relu6(x);
    // Exact GELU: x/2 · (1 + erf(x/√2)).
    case 'gelu': case 'gelu_python': return x.mul(tf.erf(x.mul(Math.SQRT1_2)).add(1)).mul(0.5);
    // Tanh approximation: x/2 · (1 + tanh(√(2/π) · (x + 0.044715 x³))).
    case 'gelu_new': case 'gelu_fast': case 'gelu_pytorch_tanh':
      return x.mul(tf.tanh(x.add(x.pow(3).mul(0.044715)).mul(Math.sqrt(2 / Math.PI))).add(1)).mul(0.5);
    case 'quick_gelu': return x.mul(tf.sigmoid(x.mul(1.702)));
    case 'silu': case 'swish': return x.mul(tf.sigmoid(x));
    case 'tanh': return tf.tanh(x);
    case 'sigmoid': return tf.sigmoid(x);
    // torch's default negative slope.
    case 'leakyrelu': case 'leaky_relu': return tf.leakyRelu(x, 0.01);
    case 'mish': return x.mul(tf.tanh(tf.softplus(x)));
    case 'linear': return x;
  }
}
