/**
 * LoRA's and (IA)³'s forward (methods/lora.py) on the Linear they wrap, through hot-paths.ts:
 *   LoRA: W x + b + (alpha / r) · B A dropout(x) (gated: the gate replaces alpha / r)
 *   IA3:  (W x + b) ⊙ alpha · lora_B (gated: the gate replaces alpha)
 */
import type * as tf from '@tensorflow/tfjs';
import type { Linear, ProjectionName } from '../../model/encoder.ts';
import { linear } from '../../ops.ts';
import { ia3Scale, loraDelta } from '../hot-paths.ts';
import type { LoraTarget } from '../locations.ts';
import type { FamilyHooks, ForwardContext } from './forward-context.ts';
import type { LoraModule } from './lora.ts';

/** The encoder's projection names as LoRA targets (attention.output.dense is never wrapped). */
const PROJECTION_TARGET: Partial<Record<ProjectionName, LoraTarget>> = { q: 'q', k: 'k', v: 'v', ffnIn: 'intermediate', ffnOut: 'output' };

/** The projection hook wrapping the Linears that `modules` sit on (none when there are no modules). */
export function loraHooks(ctx: ForwardContext, modules: LoraModule[]): FamilyHooks {
  if (!modules.length) return { hooks: {} };
  const at = new Map(modules.map((m) => [`${m.layer}:${m.target}`, m]));
  return {
    hooks: {
      projection(layer, projection, x, weights) {
        const target = PROJECTION_TARGET[projection];
        const m = target && at.get(`${layer}:${target}`);
        return m && ctx.active(layer) ? loraForward(ctx, m, x, weights) : linear(x, weights);
      },
    },
  };
}

/** The wrapped Linear's output for input x with the module `m` applied. */
export function loraForward(ctx: ForwardContext, m: LoraModule, x: tf.Tensor3D, weights: Linear): tf.Tensor3D {
  const c = m.config;
  const y = linear(x, weights);
  if (c.composition_mode === 'scale') {
    const vector = ctx.tensor(m.b).reshape([m.outFeatures]);
    return ia3Scale(y, m.gate ? vector.reshape([1, 1, m.outFeatures]).mul(ctx.gateOf(m.gate, x)) : vector.mul(c.alpha));
  }
  const scaling = m.gate ? ctx.gateOf(m.gate, x) : c.alpha / c.r;
  // y goes in as the base: the fused kernel adds it in the same pass instead of a separate full-size add.
  return loraDelta(ctx.dropout(x, c.dropout), ctx.tensor(m.a!) as tf.Tensor2D, ctx.tensor(m.b) as tf.Tensor2D, scaling, y);
}
