/**
 * The non-linearities an adapter config may name (`non_linearity`, prefix tuning's MLP, head
 * `activation_function`), as the `adapters` library resolves them: `Activation_Function_Class` lower-cases the
 * name, maps "leakyrelu" to F.leaky_relu and everything else through transformers' `get_activation`.
 */
import * as tf from '@tensorflow/tfjs';

export const ACTIVATIONS = [
  'relu', 'relu6', 'gelu', 'gelu_python', 'gelu_new', 'gelu_fast', 'gelu_pytorch_tanh', 'quick_gelu',
  'silu', 'swish', 'tanh', 'sigmoid', 'leakyrelu', 'leaky_relu', 'mish', 'linear',
] as const;

/** A non-linearity name after lower-casing, as transformers' ACT2FN (plus the library's "leakyrelu"). */
export type Activation = (typeof ACTIVATIONS)[number];

/** Lower-cases `name` like the library and checks it is one we implement; undefined otherwise. */
export function activationNamed(name: string): Activation | undefined {
  const lower = name.toLowerCase();
  return (ACTIVATIONS as readonly string[]).includes(lower) ? lower as Activation : undefined;
}

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
