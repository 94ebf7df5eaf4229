/**
 * LoRA's and (IA)³'s forward (methods/lora.py) on the Linear they wrap, through hot-paths.ts:
 *   LoRA: W x + b + (alpha / r) · B A dropout(x) (gated: the gate replaces alpha / r)
 *   IA3:  (W x + b) ⊙ alpha · lora_B (gated: the gate replaces alpha)
 */
import * as tf from '@tensorflow/tfjs';
import type { Linear, ProjectionName } from '../../model/encoder.ts';
import { linear } from '../../ops.ts';
import { ia3Scale, loraDelta } from '../hot-paths.ts';
import type { LoraTarget } from '../locations.ts';
import type { LoraUnit } from '../composition-units.ts';
import type { FamilyHooks, ForwardContext } from './forward-context.ts';
import type { LoraModule } from './lora.ts';

/** The encoder's projection names as LoRA targets (attention.output.dense is never wrapped). */
const PROJECTION_TARGET: Partial<Record<ProjectionName, LoraTarget>> = { q: 'q', k: 'k', v: 'v', ffnIn: 'intermediate', ffnOut: 'output' };

/** The projection hook wrapping the Linears that `modules` sit on (none when there are no modules). */
export function loraHooks(ctx: ForwardContext, modules: LoraModule[]): FamilyHooks {
  if (!modules.length) return { hooks: {}, units: {} };
  const at = new Map(modules.map((m) => [`${m.layer}:${m.target}`, m]));
  const moduleAt = (layer: number, projection: ProjectionName) => {
    const target = PROJECTION_TARGET[projection];
    const m = target && at.get(`${layer}:${target}`);
    return m && ctx.active(layer) ? m : undefined;
  };
  return {
    hooks: {
      projection(layer, projection, x, weights) {
        const m = moduleAt(layer, projection);
        return m ? loraForward(ctx, m, x, weights) : linear(x, weights);
      },
    },
    units: {
      lora(layer, projection) {
        const m = moduleAt(layer, projection);
        return m && loraUnit(ctx, m);
      },
    },
  };
}

/** The module `m` as LoRA.forward / IA3.forward and their `com` with scaling 1 (the composed path; the single adapter's is loraForward). */
export function loraUnit(ctx: ForwardContext, m: LoraModule): LoraUnit {
  const c = m.config;
  if (c.composition_mode === 'scale') {
    return {
      mode: 'scale',
      forward(hidden, x) {
        // scaling_vector = lora_B.view(1, 1, -1).repeat(batch, 1, 1)
        const vector = tf.tile(ctx.tensor(m.b).reshape([1, 1, m.outFeatures]), [x.shape[0], 1, 1]) as tf.Tensor3D;
        const scaled = hidden ? hidden.mul(vector) as tf.Tensor3D : vector;
        return (m.gate ? scaled.mul(ctx.gateOf(m.gate, x)) : scaled.mul(c.alpha)) as tf.Tensor3D;
      },
      combine: (y, hidden) => y.mul(hidden),
    };
  }
  return {
    mode: 'add',
    forward: (hidden, x) => loraDelta(ctx.dropout(hidden ?? x, c.dropout), ctx.tensor(m.a!) as tf.Tensor2D, ctx.tensor(m.b) as tf.Tensor2D, m.gate ? ctx.gateOf(m.gate, x) : c.alpha / c.r),
    combine: (y, hidden) => y.add(hidden),
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
