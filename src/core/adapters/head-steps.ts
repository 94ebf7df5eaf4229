/** A head's nn.Sequential (Dropout, Linear, activation...) on rows of hidden states, shared by the sequence and token heads. */
import * as tf from '@tensorflow/tfjs';
import { applyActivation, linear } from '../ops.ts';
import type { HeadPlan } from './head.ts';
import type { ParamSpec } from './parameters.ts';

/** The head's nn.Sequential on rows of hidden states [rows, hidden] → [rows, outputs]. */
export function headSteps(plan: HeadPlan, rows: tf.Tensor2D, tensor: (spec: ParamSpec) => tf.Tensor, dropoutSeed?: () => number): tf.Tensor2D {
  return tf.tidy(() => {
    let x = rows;
    for (const step of plan.steps) {
      if (step.kind === 'dropout') {
        if (dropoutSeed && plan.dropout > 0) x = tf.dropout(x, plan.dropout, undefined, dropoutSeed()) as tf.Tensor2D;
      } else if (step.kind === 'activation') x = applyActivation(x, step.act);
      else {
        x = linear(x, { weight: tensor(step.weight) as tf.Tensor2D, bias: step.bias && tensor(step.bias) as tf.Tensor1D });
      }
    }
    return x;
  });
}
