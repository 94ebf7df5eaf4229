/**
 * LoRA's and (IA)³'s forward (methods/lora.py) on the Linear they wrap, through hot-paths.ts:
 *   LoRA: W x + b + (alpha / r) · B A dropout(x) (gated: the gate replaces alpha / r)
 *   IA3:  (W x + b) ⊙ alpha · lora_B (gated: the gate replaces alpha)
 * On a fused q/k/v Linear (LoRAMergedLinear, DeBERTa's in_proj, which the encoder runs split into query / key /
 * value: model/fused-qkv.ts) the same per enabled third of the fused output; see mergedQkvUpdate.
 */
import * as tf from '@tensorflow/tfjs';
import type { Linear, ProjectionName } from '../../model/encoder.ts';
import { fusedColumn } from '../../model/fused-qkv.ts';
import { linear } from '../../ops.ts';
import { ia3Scale, loraDelta } from '../hot-paths.ts';
import { AdapterConfigError } from '../errors.ts';
import { type LoraTarget, modelLayout } from '../locations.ts';
import type { LoraUnit } from '../composition-units.ts';
import type { FamilyHooks, ForwardContext } from './forward-context.ts';
import type { LoraModule } from './lora.ts';

/** The encoder's projection names as LoRA targets (attention.output.dense is never wrapped). */
const PROJECTION_TARGET: Partial<Record<ProjectionName, LoraTarget>> = { q: 'q', k: 'k', v: 'v', ffnIn: 'intermediate', ffnOut: 'output' };

/** The projection hook wrapping the Linears that `modules` sit on (none when there are no modules). */
export function loraHooks(ctx: ForwardContext, modules: LoraModule[]): FamilyHooks {
  if (!modules.length) return { hooks: {}, units: {} };
  const at = new Map(modules.map((m) => [`${m.layer}:${m.target}`, m]));
  const fusedAt = (layer: number, projection: ProjectionName) => {
    const m = (projection === 'q' || projection === 'k' || projection === 'v') && at.get(`${layer}:qkv`);
    return m && ctx.active(layer) ? m : undefined;
  };
  const moduleAt = (layer: number, projection: ProjectionName) => {
    const target = PROJECTION_TARGET[projection];
    const m = target && at.get(`${layer}:${target}`);
    return m && ctx.active(layer) ? m : undefined;
  };
  // A fused module's update is computed once per layer and pass (one dropout mask for q, k and v, as in the library).
  const fusedUpdates = new Map<number, { x: tf.Tensor3D; update: FusedUpdate }>();
  return {
    hooks: {
      projection(layer, projection, x, weights) {
        const fused = fusedAt(layer, projection);
        if (fused) {
          let cached = fusedUpdates.get(layer);
          if (cached?.x !== x) fusedUpdates.set(layer, (cached = { x, update: mergedQkvUpdate(ctx, fused, x) }));
          return fusedPartForward(cached.update, 'qkv'.indexOf(projection), x, weights, ctx.encoder.hiddenSize / ctx.encoder.numHeads);
        }
        const m = moduleAt(layer, projection);
        return m ? loraForward(ctx, m, x, weights) : linear(x, weights);
      },
    },
    units: {
      lora(layer, projection) {
        if (fusedAt(layer, projection)) {
          // LoRAMergedLinear.forward: "Invalid adapter setup. Cannot use {adapter_setup} with LoRA." for any block of 2+.
          const layout = modelLayout(ctx.encoder);
          throw new AdapterConfigError(`An adapter in this composition has LoRA on the fused q/k/v Linear ${layout.layer(layer)}.${layout.fusedQkv}, which the adapters library's LoRAMergedLinear runs only alone: it refuses every composition block ("Invalid adapter setup. Cannot use … with LoRA."). Run it alone, or compose adapters without LoRA on the attention matrices (selfattn_lora false).`);
        }
        const m = moduleAt(layer, projection);
        return m && loraUnit(ctx, m);
      },
    },
    reset: () => fusedUpdates.clear(),
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


/** A fused module's change to the fused output [.., 3 · hidden]: added (LoRA) or multiplied in before the bias (IA3). */
type FusedUpdate = { kind: 'add'; delta: tf.Tensor3D } | { kind: 'scale'; factor: tf.Tensor3D };

/**
 * LoRAMergedLinear.forward's update of the fused output, per third t (q, k, v in that order, as its lora_ind lays
 * out the out_features whatever the Linear's row order) that attn_matrices enables, as the g-th enabled one:
 *   LoRA  delta_t = scaling_g · B_g A_g dropout(x), A_g = lora_A rows g·r.., B_g = lora_B rows g·out/3..
 *   IA3   factor_t = lora_B_g · scaling_g; every other third gets the scaling's fill: alpha, or 1 when gated
 * scaling_g: alpha / r (LoRA) or alpha (IA3), or gate output g.
 */
function mergedQkvUpdate(ctx: ForwardContext, m: LoraModule, x: tf.Tensor3D): FusedUpdate {
  const c = m.config;
  const parts = m.parts!;
  const third = m.outFeatures / 3;
  const [batch, seq] = x.shape;
  const gate = m.gate ? ctx.gateOf(m.gate, x) : undefined;
  const scalingOf = (g: number): tf.Tensor | number => (gate ? gate.slice([0, 0, g], [batch, 1, 1]) : c.composition_mode === 'scale' ? c.alpha : c.alpha / c.r);
  const b = ctx.tensor(m.b) as tf.Tensor2D;
  const thirds = (['q', 'k', 'v'] as const).map((part) => parts.indexOf(part));
  if (c.composition_mode === 'scale') {
    const vector = b.reshape([parts.length, third]);
    const factors = thirds.map((g) => (g < 0 ? tf.fill([gate ? batch : 1, 1, third], gate ? 1 : c.alpha) : vector.slice([g, 0], [1, third]).reshape([1, 1, third]).mul(scalingOf(g))));
    return { kind: 'scale', factor: tf.concat(factors, 2) as tf.Tensor3D };
  }
  const low = linear(ctx.dropout(x, c.dropout), { weight: ctx.tensor(m.a!) as tf.Tensor2D });
  const deltas = thirds.map((g) => (g < 0
    ? tf.zeros([batch, seq, third])
    : linear(low.slice([0, 0, g * c.r], [batch, seq, c.r]), { weight: b.slice([g * third, 0], [third, c.r]) }).mul(scalingOf(g))));
  return { kind: 'add', delta: tf.concat(deltas, 2) as tf.Tensor3D };
}

/** Query, key or value (`part` 0, 1, 2) with the fused update's columns of that part applied; the Linear's bias is q_bias / 0 / v_bias. */
function fusedPartForward(update: FusedUpdate, part: number, x: tf.Tensor3D, weights: Linear, headDim: number): tf.Tensor3D {
  const hidden = weights.weight.shape[0];
  const columns = tf.tensor1d(Int32Array.from({ length: hidden }, (_, column) => fusedColumn(part, column, headDim)), 'int32');
  if (update.kind === 'add') return linear(x, weights).add(tf.gather(update.delta, columns, 2)) as tf.Tensor3D;
  // The library scales in_proj's bias-free output; q_bias / v_bias are added after.
  const product = linear(x, { weight: weights.weight, frozen: weights.frozen });
  return product.mul(tf.gather(update.factor, columns, 2)).add(weights.bias) as tf.Tensor3D;
}
