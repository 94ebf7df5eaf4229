/**
 * LoRA's and (IA)³'s forward (methods/lora.py) on the Linear they wrap, through hot-paths.ts:
 *   LoRA: W x + b + (alpha / r) · B A dropout(x) (gated: the gate replaces alpha / r)
 *   IA3:  (W x + b) ⊙ alpha · lora_B (gated: the gate replaces alpha)
 * On a fused q/k/v Linear (LoRAMergedLinear, DeBERTa's in_proj) the same per enabled third of the output, with
 * lora_A's and lora_B's blocks a third each (a grouped conv1d in the library); see mergedQkvForward.
 */
import * as tf from '@tensorflow/tfjs';
import type { Linear, ProjectionName } from '../../model/encoder.ts';
import { linear } from '../../ops.ts';
import { ia3Scale, loraDelta } from '../hot-paths.ts';
import type { LoraTarget } from '../locations.ts';
import type { FamilyHooks, ForwardContext } from './forward-context.ts';
import type { LoraModule } from './lora.ts';

/** The encoder's projection names as LoRA targets (attention.output.dense is never wrapped). */
const PROJECTION_TARGET: Partial<Record<ProjectionName, LoraTarget | 'qkv'>> = { q: 'q', k: 'k', v: 'v', qkv: 'qkv', ffnIn: 'intermediate', ffnOut: 'output' };

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
  if (m.parts) return mergedQkvForward(ctx, m, x, weights);
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

/**
 * LoRAMergedLinear.forward: y = W x (+ b), then per third t of the out_features (q, k, v in that order, as its
 * lora_ind lays them out) that attn_matrices enables, as the g-th enabled one:
 *   LoRA  y_t += scaling_g · B_g A_g dropout(x), A_g = lora_A rows g·r.., B_g = lora_B rows g·out/3..
 *   IA3   y_t *= lora_B_g · scaling_g, and every other third is multiplied by the scaling's fill: alpha, or 1 when gated
 * scaling_g: alpha / r (LoRA) or alpha (IA3), or gate output g.
 */
function mergedQkvForward(ctx: ForwardContext, m: LoraModule, x: tf.Tensor3D, weights: Linear): tf.Tensor3D {
  const c = m.config;
  const parts = m.parts!;
  const third = m.outFeatures / 3;
  const [batch, seq] = x.shape;
  const y = linear(x, weights);
  const gate = m.gate ? ctx.gateOf(m.gate, x) : undefined;
  const scalingOf = (g: number): tf.Tensor | number => (gate ? gate.slice([0, 0, g], [batch, 1, 1]) : c.composition_mode === 'scale' ? c.alpha : c.alpha / c.r);
  const b = ctx.tensor(m.b) as tf.Tensor2D;
  const thirds = (['q', 'k', 'v'] as const).map((part) => parts.indexOf(part));
  if (c.composition_mode === 'scale') {
    const vector = b.reshape([parts.length, third]);
    const factors = thirds.map((g) => (g < 0
      ? tf.fill([1, 1, third], gate ? 1 : c.alpha)
      : vector.slice([g, 0], [1, third]).reshape([1, 1, third]).mul(scalingOf(g))));
    return y.mul(tf.concat(factors, 2)) as tf.Tensor3D;
  }
  const low = linear(ctx.dropout(x, c.dropout), { weight: ctx.tensor(m.a!) as tf.Tensor2D });
  const deltas = thirds.map((g) => (g < 0
    ? tf.zeros([batch, seq, third])
    : linear(low.slice([0, 0, g * c.r], [batch, seq, c.r]), { weight: b.slice([g * third, 0], [third, c.r]) }).mul(scalingOf(g))));
  return y.add(tf.concat(deltas, 2)) as tf.Tensor3D;
}
