/**
 * AdapterFusion's forward (methods/bottleneck.py compose_fuse, methods/modeling.py BertFusion) at a sub-block with
 * output h, input x and the pre-trained LayerNorm LN, over the adapters A₁…A_N (the last one, A_N, decides the
 * pre- and post-processing, as "config of _last_ fused adapter is significant"):
 *   hidden, query, residual = A_N.pre_forward(h, x, LN)   (sequential: as a single adapter, query = hidden unless
 *                                                          query_before_ln (then h); parallel: all three are x)
 *   vᵢ = Aᵢ's up output on hidden (scaling · up(act(down(hidden))))         value = key = [v₁ … v_N]  [B, T, N, H]
 *   residual_before: value += residual (key too: the library adds in place into the one tensor it passes twice)
 *   scores = Q(query) · K(key)ᵀ per token; p = softmax(dropout(scores) / T)
 *   out = Σᵢ pᵢ · V(valueᵢ) (value_before_softmax) or V(Σᵢ pᵢ · valueᵢ); out += residual unless residual_before
 *   result = A_N.post_forward(out): sequential original_ln_after ? LN(out + x) : out; parallel first adds h
 */
import * as tf from '@tensorflow/tfjs';
import type { EncoderHooks, LayerNormFn } from '../../model/encoder.ts';
import { linear } from '../../ops.ts';
import { AdapterConfigError } from '../errors.ts';
import type { BottleneckLocation } from '../locations.ts';
import type { BottleneckModule } from './bottleneck.ts';
import { bottleneckBody } from './bottleneck.forward.ts';
import type { ForwardContext } from './forward-context.ts';
import type { FusionConfig, FusionLayer, FusionPlan } from './fusion.ts';

/** A frozen adapter under the fusion: its parameters (through its context) and its bottleneck modules. */
export interface FusedAdapter {
  name: string;
  ctx: ForwardContext;
  modules: readonly BottleneckModule[];
}

export interface FusionCall {
  /** The softmax temperature of this forward pass. */
  temperature(): number;
  /** Dropout on the attention scores while training. */
  dropoutRate: number;
  /** Receives each fusion layer's attention probabilities [batch, seq, adapters] (the caller keeps or disposes them). */
  record?(layer: FusionLayer, probs: tf.Tensor3D): void;
}

const where = (layer: number, location: BottleneckLocation) => `${layer}:${location}`;

/**
 * The modules of each adapter at each fusion layer. Every adapter must have a module there, or none (the library
 * then runs the sub-block plain; with some missing it fails on the last adapter's lookup or fuses fewer).
 */
export function fusedModulesAt(plan: FusionPlan, adapters: readonly FusedAdapter[]): Map<string, BottleneckModule[] | undefined> {
  const out = new Map<string, BottleneckModule[] | undefined>();
  for (const layer of plan.layers) {
    const found = adapters.map((a) => a.modules.find((m) => m.layer === layer.layer && m.location === layer.location));
    const present = found.filter((m) => m !== undefined).length;
    if (present > 0 && present < adapters.length) {
      throw new AdapterConfigError(`Layer ${layer.layer} (${layer.location}) has modules of only some of the fused adapters (${adapters.filter((_, i) => found[i]).map((a) => a.name).join(', ')}): the studio fuses adapters whose leave_out lists are the same.`, 'leave_out');
    }
    out.set(where(layer.layer, layer.location), present ? found as BottleneckModule[] : undefined);
  }
  return out;
}

/** The encoder hooks of the fusion `plan` over `adapters`: attentionOutput / ffnOutput where the fusion layers sit. */
export function fusionHooks(ctx: ForwardContext, plan: FusionPlan, adapters: readonly FusedAdapter[], call: FusionCall): EncoderHooks {
  const modules = fusedModulesAt(plan, adapters);
  const layerAt = new Map(plan.layers.map((l) => [where(l.layer, l.location), l]));
  const closeWith = (location: BottleneckLocation) => (layer: number, h: tf.Tensor3D, x: tf.Tensor3D, ln: LayerNormFn) => {
    const fusion = layerAt.get(where(layer, location));
    const children = modules.get(where(layer, location));
    if (!fusion || !children) return ln(h.add(x));
    return fuse(ctx, plan.config, fusion, children.map((m, i) => ({ ctx: adapters[i].ctx, m })), h, x, ln, call);
  };
  const hooks: EncoderHooks = {};
  if (plan.layers.some((l) => l.location === 'mh_adapter')) hooks.attentionOutput = closeWith('mh_adapter');
  if (plan.layers.some((l) => l.location === 'output_adapter')) hooks.ffnOutput = closeWith('output_adapter');
  return hooks;
}

/** One fusion layer over its children's modules: the sub-block's output (what LN(h + x) is without adapters). */
function fuse(
  ctx: ForwardContext, config: FusionConfig, layer: FusionLayer, children: { ctx: ForwardContext; m: BottleneckModule }[],
  h: tf.Tensor3D, x: tf.Tensor3D, ln: LayerNormFn, call: FusionCall,
): tf.Tensor3D {
  const last = children[children.length - 1].m.config;
  // The last adapter's pre_forward with the fusion config.
  let hidden = x;
  let query = x;
  let residual = x;
  if (!last.is_parallel) {
    hidden = h;
    residual = h;
    if (last.original_ln_before) {
      hidden = h.add(x);
      if (last.residual_before_ln === 'post_add') residual = hidden;
      hidden = ln(hidden);
    }
    if (last.residual_before_ln === false) residual = hidden;
    query = config.query_before_ln ? h : hidden;
  }
  const B = hidden.shape[0];
  const ups = children.map(({ ctx: child, m }) => {
    const up = bottleneckBody(child, m, hidden);
    // Adapter.forward drops the whole sequence's up output (stochastic depth); ParallelAdapter has no DropPath.
    return m.config.is_parallel ? up : child.dropout(up, m.config.stochastic_depth, [B, 1, 1]);
  });
  let value = tf.stack(ups, 2) as tf.Tensor4D;
  if (config.residual_before) value = value.add(residual.expandDims(2));
  const key = value;
  const q = layer.query ? linear(query, ctx.linearOf(layer.query)) : query;
  const k = layer.key ? linear(key, ctx.linearOf(layer.key)) : key;
  const valueWeight = layer.value ? { weight: ctx.tensor(layer.value) as tf.Tensor2D } : undefined;
  const v = valueWeight && config.value_before_softmax ? linear(value, valueWeight) : value;
  // Per token q · kₙ for each of the N adapters; N is small, so products and sums beat B·T tiny matrix products.
  const scores = q.expandDims(2).mul(k).sum(-1) as tf.Tensor3D;
  const temperature = call.temperature();
  const dropped = ctx.dropout(scores, call.dropoutRate);
  const probs = tf.softmax(temperature === 1 ? dropped : dropped.div(temperature)) as tf.Tensor3D;
  call.record?.(layer, tf.keep(probs.clone()));
  let out = probs.expandDims(3).mul(v).sum(2) as tf.Tensor3D;
  if (valueWeight && !config.value_before_softmax) out = linear(out, valueWeight);
  if (!config.residual_before) out = out.add(residual);
  // The last adapter's post_forward.
  if (last.is_parallel) out = out.add(h);
  return last.original_ln_after ? ln(out.add(x)) : out;
}
