/**
 * LoRA's and (IA)³'s forward (methods/lora.py) on the Linear they wrap, through hot-paths.ts:
 *   LoRA: W x + b + (alpha / r) · B A dropout(x) (gated: the gate replaces alpha / r)
 *   IA3:  (W x + b) ⊙ alpha · lora_B (gated: the gate replaces alpha)
 */
import type * as tf from '@tensorflow/tfjs';
import type { Linear } from '../../model/encoder.ts';
import { linear } from '../../ops.ts';
import { ia3Scale, loraDelta } from '../hot-paths.ts';
import type { ForwardContext } from './forward-context.ts';
import type { LoraModule } from './lora.ts';

/** The wrapped Linear's output for input x with the module `m` applied. */
export function loraForward(ctx: ForwardContext, m: LoraModule, x: tf.Tensor3D, weights: Linear): tf.Tensor3D {
  const c = m.config;
  const y = linear(x, weights);
  if (c.composition_mode === 'scale') {
    const vector = ctx.tensor(m.b).reshape([m.outFeatures]);
    return ia3Scale(y, m.gate ? vector.reshape([1, 1, m.outFeatures]).mul(ctx.gateOf(m.gate, x)) : vector.mul(c.alpha));
  }
  const scaling = m.gate ? ctx.gateOf(m.gate, x) : c.alpha / c.r;
  return y.add(loraDelta(ctx.dropout(x, c.dropout), ctx.tensor(m.a!) as tf.Tensor2D, ctx.tensor(m.b) as tf.Tensor2D, scaling));
}
