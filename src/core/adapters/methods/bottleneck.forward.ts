/**
 * Bottleneck adapters' forward (modeling.py Adapter / ParallelAdapter), at a sub-block with output h and input x
 * and the pre-trained LayerNorm LN:
 *   sequential: residual = h (residual_before_ln) | h + x ("post_add") | the adapter input (false)
 *               input = original_ln_before ? LN(h + x) : h
 *               out = dropout(scaling · up(act(down(input)))) [· gate] + residual   (ln_after: around adapter_norm_after)
 *               result = original_ln_after ? LN(out + x) : out
 *   parallel:   out = dropout(scaling · up(act(down(x)))) [· gate] + h; result = LN(out + x)
 * Compacter's PHM projections become plain Linears (Σᵢ kron(ruleᵢ, Wᵢ)); the body runs on hot-paths.ts.
 */
import * as tf from '@tensorflow/tfjs';
import type { EncoderHooks, LayerNormFn, Linear } from '../../model/encoder.ts';
import { bottleneckDelta } from '../hot-paths.ts';
import type { BottleneckUnit } from '../composition-units.ts';
import type { BottleneckLocation } from '../locations.ts';
import type { BottleneckModule, FactoredParam, PhmParams, ProjectionParams } from './bottleneck.ts';
import type { FamilyHooks, ForwardContext } from './forward-context.ts';

const factor = (ctx: ForwardContext, f: FactoredParam) => ('full' in f ? ctx.tensor(f.full) as tf.Tensor3D : tf.matMul(ctx.tensor(f.left) as tf.Tensor3D, ctx.tensor(f.right) as tf.Tensor3D));

/** The PHM layer as a Linear: weight = (Σᵢ kron(ruleᵢ, Wᵢ))ᵀ. */
function phmLinear(ctx: ForwardContext, p: PhmParams): Linear {
  const rule = factor(ctx, p.rule);
  const w = factor(ctx, p.w);
  const [n, a, b] = w.shape;
  const h = rule.reshape([n, n, 1, n, 1]).mul(w.reshape([n, 1, a, 1, b])).sum(0).reshape([n * a, n * b]);
  return { weight: h.transpose() as tf.Tensor2D, bias: p.bias ? ctx.tensor(p.bias) as tf.Tensor1D : tf.zeros([p.outFeatures]) as tf.Tensor1D };
}

const projectionOf = (ctx: ForwardContext, p: ProjectionParams): Linear => (p.kind === 'linear' ? ctx.linearOf(p.linear) : phmLinear(ctx, p.phm));

/** The hooks of the bottlenecks `modules`: attentionOutput (mh_adapter) and ffnOutput (output_adapter), where they sit. */
export function bottleneckHooks(ctx: ForwardContext, modules: BottleneckModule[]): FamilyHooks {
  const at = new Map(modules.map((m) => [`${m.layer}:${m.location}`, m]));
  const closeWith = (location: BottleneckLocation) => (layer: number, h: tf.Tensor3D, x: tf.Tensor3D, ln: LayerNormFn) => {
    const m = at.get(`${layer}:${location}`);
    return m && ctx.active(layer) ? bottleneckForward(ctx, m, h, x, ln) : ln(h.add(x));
  };
  const hooks: EncoderHooks = {};
  if (modules.some((m) => m.location === 'mh_adapter')) hooks.attentionOutput = closeWith('mh_adapter');
  if (modules.some((m) => m.location === 'output_adapter')) hooks.ffnOutput = closeWith('output_adapter');
  const bottleneck = (layer: number, location: BottleneckLocation) => {
    const m = at.get(`${layer}:${location}`);
    return m && ctx.active(layer) ? bottleneckUnit(ctx, m) : undefined;
  };
  return { hooks, units: { bottleneck } };
}

/** The sub-block's output with the adapter `m` applied (what LN(h + x) is without it): the library's Stack of one adapter. */
export function bottleneckForward(ctx: ForwardContext, m: BottleneckModule, h: tf.Tensor3D, x: tf.Tensor3D, ln: LayerNormFn): tf.Tensor3D {
  const unit = bottleneckUnit(ctx, m);
  const { hidden, residual } = unit.pre(h, x, ln);
  return unit.post(unit.forward(hidden, residual).output, h, x, ln);
}

/** The module `m` as Adapter / ParallelAdapter's pre_forward, forward and post_forward (modeling.py). */
export function bottleneckUnit(ctx: ForwardContext, m: BottleneckModule): BottleneckUnit {
  const c = m.config;
  const scaling = typeof m.scaling === 'number' ? m.scaling : ctx.tensor(m.scaling);
  const body = (input: tf.Tensor3D) => bottleneckDelta(m.normBefore ? ctx.norm(input, m.normBefore) : input, projectionOf(ctx, m.down), projectionOf(ctx, m.up), m.act, scaling);
  if (c.is_parallel) {
    return {
      config: c,
      pre: (_h, x) => ({ hidden: x, residual: x }),
      query: (_h, x) => x,
      forward(hidden) {
        const up = body(hidden);
        let out = ctx.dropout(up, c.dropout);
        if (m.gate) out = out.mul(ctx.gateOf(m.gate, hidden));
        if (m.normAfter) out = ctx.norm(out, m.normAfter);
        return { output: out, up };
      },
      post: (hidden, h, x, ln) => {
        const out = hidden.add(h) as tf.Tensor3D;
        return c.original_ln_after ? ln(out.add(x)) : out;
      },
    };
  }
  const pre = (h: tf.Tensor3D, x: tf.Tensor3D, ln: LayerNormFn) => {
    let hidden = h;
    let residual = h;
    if (c.original_ln_before) {
      hidden = h.add(x);
      if (c.residual_before_ln === 'post_add') residual = hidden;
      hidden = ln(hidden);
    }
    if (c.residual_before_ln === false) residual = hidden;
    return { hidden, residual };
  };
  return {
    config: c,
    pre,
    query: (h, x, ln, beforeLn) => (beforeLn ? h : pre(h, x, ln).hidden),
    forward(hidden, residual) {
      // Stochastic depth (torchvision, mode "row"): the whole sequence's output dropped, survivors scaled by 1/(1 - p).
      const up = ctx.dropout(body(hidden), c.stochastic_depth, [hidden.shape[0], 1, 1]);
      let out = ctx.dropout(up, c.dropout);
      if (m.gate) out = out.mul(ctx.gateOf(m.gate, hidden));
      if (c.adapter_residual_before_ln) out = out.add(residual);
      if (m.normAfter) out = ctx.norm(out, m.normAfter);
      if (!c.adapter_residual_before_ln) out = out.add(residual);
      return { output: out, up };
    },
    post: (hidden, _h, x, ln) => (c.original_ln_after ? ln(hidden.add(x)) : hidden),
  };
}
