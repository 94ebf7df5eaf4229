/**
 * The pieces of one live adapter that a composition block (compose.ts) calls at each hook point, as the `adapters`
 * library's composable layers split them (methods/adapter_layer_base.py ComposableAdapterLayerBase): a bottleneck's
 * pre_forward / forward / post_forward (methods/modeling.py Adapter, ParallelAdapter), a LoRA or (IA)³ module's
 * forward and `com` (methods/lora.py LoRA, IA3), a prefix's keys and values (methods/prefix_tuning.py). Each family's
 * forward (methods/<family>.forward.ts) builds its own; createAdapter (adapter.ts) gathers them.
 */
import type * as tf from '@tensorflow/tfjs';
import type { LayerNormFn, ProjectionName } from '../model/encoder.ts';
import type { BnConfig } from './config.ts';
import type { BottleneckLocation } from './locations.ts';

/** One bottleneck module (at one layer and location). */
export interface BottleneckUnit {
  config: BnConfig;
  /** pre_forward: the adapter's input and the residual its output adds, from the sub-block output h and input x. */
  pre(h: tf.Tensor3D, x: tf.Tensor3D, ln: LayerNormFn): { hidden: tf.Tensor3D; residual: tf.Tensor3D };
  /** pre_forward's fusion query: h (query_before_ln) or the adapter's input (ParallelAdapter: x). */
  query(h: tf.Tensor3D, x: tf.Tensor3D, ln: LayerNormFn, beforeLn: boolean): tf.Tensor3D;
  /** forward: the output (the residual added for sequential adapters) and the scaled up-projection (Fuse's values). */
  forward(hidden: tf.Tensor3D, residual: tf.Tensor3D): { output: tf.Tensor3D; up: tf.Tensor3D };
  /** post_forward: closes the sub-block from the adapters' output, the sub-block output h and its input x. */
  post(hidden: tf.Tensor3D, h: tf.Tensor3D, x: tf.Tensor3D, ln: LayerNormFn): tf.Tensor3D;
}

/** One LoRA or (IA)³ module on one Linear. */
export interface LoraUnit {
  /** "add" (LoRA) or "scale" (IA3): how `combine` joins the Linear's output and the modules' state. */
  mode: 'add' | 'scale';
  /** LoRA.forward / IA3.forward: the state after this module from the previous module's (undefined: none yet) and the Linear's input x. */
  forward(hidden: tf.Tensor3D | undefined, x: tf.Tensor3D): tf.Tensor3D;
  /** `com(y, hidden, scaling=1.0)`: y + hidden (LoRA) or y · hidden (IA3). */
  combine(y: tf.Tensor3D, hidden: tf.Tensor3D): tf.Tensor3D;
}

/** A prefix's keys and values at one layer: [P, hidden] (shared) or [batch, P, hidden] (gated). */
export interface PrefixStates {
  key: tf.Tensor2D | tf.Tensor3D;
  value: tf.Tensor2D | tf.Tensor3D;
}

/** What a live adapter offers a composition; a family the adapter does not use leaves its part out. */
export interface AdapterUnits {
  bottleneck?(layer: number, location: BottleneckLocation): BottleneckUnit | undefined;
  lora?(layer: number, projection: ProjectionName): LoraUnit | undefined;
  /** Layer `layer`'s prefix for the layer input x (rows of this adapter's slice), or undefined. */
  prefix?(layer: number, x: tf.Tensor3D): PrefixStates | undefined;
  /** Prompt tuning joins no composition block in the library. */
  prompt?: true;
}
