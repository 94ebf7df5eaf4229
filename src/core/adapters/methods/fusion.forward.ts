/**
 * AdapterFusion's fusion layer (methods/modeling.py BertFusion.forward) as the Fuse block of compose.ts calls it:
 * compose_fuse (methods/bottleneck.py) gives the last child's query and residual and every child's scaled up output
 * vᵢ; here, per token,
 *   value = key = [v₁ … v_N]  [B, T, N, H]; residual_before: value += residual (key too: the library adds in place
 *   into the one tensor it passes as both)
 *   scores = Q(query) · K(key)ᵀ; p = softmax(dropout(scores) / T)
 *   out = Σᵢ pᵢ · V(valueᵢ) (value_before_softmax) or V(Σᵢ pᵢ · valueᵢ); out += residual unless residual_before
 * and compose_fuse then closes the sub-block with the last child's post_forward.
 */
import * as tf from '@tensorflow/tfjs';
import { linear } from '../../ops.ts';
import type { FuseLayer } from '../compose.ts';
import type { ForwardContext } from './forward-context.ts';
import type { FusionConfig, FusionLayer } from './fusion.ts';

export interface FusionCall {
  /** The softmax temperature of this forward pass. */
  temperature(): number;
  /** Dropout on the attention scores while training. */
  dropoutRate: number;
  /** Receives each fusion layer's attention probabilities [batch, seq, adapters] (the caller keeps or disposes them). */
  record?(layer: FusionLayer, probs: tf.Tensor3D): void;
}

/** The BertFusion module `layer` (its parameters read through `ctx`) as the Fuse block's fusion layer. */
export function fuseLayerOf(ctx: ForwardContext, config: FusionConfig, layer: FusionLayer, call: FusionCall): FuseLayer {
  return {
    queryBeforeLn: config.query_before_ln,
    forward(query, ups, residual) {
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
      return config.residual_before ? out : out.add(residual);
    },
  };
}
