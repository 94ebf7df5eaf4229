/**
 * Prefix tuning's forward (methods/prefix_tuning.py): per layer P keys and values from the adapter's pool (MLP
 * wte → Linear → act → Linear, or trained flat), prepended to the projected keys and values and always attended
 * (gated: keys · g[0], values · g[-1]).
 */
import * as tf from '@tensorflow/tfjs';
import { layerModules } from '../../model/families/index.ts';
import { applyActivation, linear } from '../../ops.ts';
import type { FamilyHooks, ForwardContext } from './forward-context.ts';
import type { PrefixModule } from './prefix-tuning.ts';

/** One layer's prefix keys and values, [P, hidden] or [batch, P, hidden] (gated, or dropout in training). */
export interface LayerPrefix {
  key: tf.Tensor2D | tf.Tensor3D;
  value: tf.Tensor2D | tf.Tensor3D;
}

export interface PrefixForward {
  /** Layer `layer`'s prefix for the layer input x, or undefined when the layer has none. */
  at(layer: number, x: tf.Tensor3D): LayerPrefix | undefined;
  /** Forgets the pool's output of the last forward pass (call at the start and end of each pass). */
  reset(): void;
}

/** The attentionPrefix hook of the prefix `p` (reset: the pool's output is computed once per forward pass). */
export function prefixHooks(ctx: ForwardContext, p: PrefixModule): FamilyHooks {
  const prefix = prefixForward(ctx, p, ctx.encoder.hiddenSize);
  const at = (layer: number, x: tf.Tensor3D) => (ctx.active(layer) ? prefix.at(layer, x) : undefined);
  return { hooks: { attentionPrefix: at }, reset: prefix.reset, units: { prefix: at } };
}

/** The prefix of `p`, computing the pool's output [P, layers·2·hidden] ([batch, P, ...] with dropout) once per forward pass. */
export function prefixForward(ctx: ForwardContext, p: PrefixModule, hidden: number): PrefixForward {
  // The layer modules in the order the forward runs them (ALBERT repeats its shared modules).
  const runs = layerModules(ctx.encoder).runs;
  let cache: { states: tf.Tensor; nextRun: number } | undefined;
  return {
    reset: () => { cache = undefined; },
    at(layer, x) {
      const index = p.layers.indexOf(layer);
      if (index < 0) return undefined;
      // Layers run in schedule order: a layer the rest of the schedule does not run means a new forward pass.
      const run = cache ? runs.indexOf(layer, cache.nextRun) : -1;
      if (!cache || cache.states.isDisposed || run < 0) {
        const P = p.config.prefix_length;
        const width = p.layers.length * 2 * hidden;
        let states: tf.Tensor = p.flat
          ? ctx.tensor(p.flat).reshape([P, width])
          : linear(applyActivation(linear(ctx.tensor(p.mlp!.wte).expandDims(0) as tf.Tensor3D, ctx.linearOf(p.mlp!.first)), p.mlp!.act), ctx.linearOf(p.mlp!.second)).reshape([P, width]);
        // The library expands the prefix over the batch before its dropout, so each sequence gets its own mask.
        if (ctx.training() && p.config.dropout > 0) states = ctx.dropout(tf.tile(states.expandDims(0), [x.shape[0], 1, 1]), p.config.dropout);
        cache = { states, nextRun: runs.indexOf(layer) + 1 };
      } else cache.nextRun = run + 1;
      const { states } = cache;
      const block = (which: number) => (states.rank === 2
        ? states.slice([0, which * hidden], [-1, hidden]) as tf.Tensor2D
        : states.slice([0, 0, which * hidden], [-1, -1, hidden]) as tf.Tensor3D);
      let key = block(2 * index);
      let value = block(2 * index + 1);
      const gate = p.gates.get(layer);
      if (gate) {
        const g = ctx.gateOf(gate, x);
        const outputs = g.shape[2];
        key = key.mul(g.slice([0, 0, 0], [-1, -1, 1])) as tf.Tensor3D;
        value = value.mul(g.slice([0, 0, outputs - 1], [-1, -1, 1])) as tf.Tensor3D;
      }
      return { key, value };
    },
  };
}
