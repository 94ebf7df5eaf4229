/**
 * What a method family's forward (methods/<family>.forward.ts, the tfjs half of the family: the family's own
 * file stays tensor-free for the app) reads from the live adapter that createAdapter (adapter.ts) builds.
 */
import type * as tf from '@tensorflow/tfjs';
import type { EncoderConfig } from '../../model/config.ts';
import type { EncoderHooks, Linear } from '../../model/encoder.ts';
import type { AdapterUnits } from '../composition-units.ts';
import type { LinearParams, NormParams } from '../param-list.ts';
import type { ParamSpec } from '../parameters.ts';

export interface ForwardContext {
  /** The live variable of a declared parameter. */
  tensor(spec: ParamSpec): tf.Tensor;
  /** The encoder the adapter was built for. */
  encoder: EncoderConfig;
  /** Whether layer `layer`'s adapter modules run in this call (AdapterDrop's skip_layers leaves them out). */
  active(layer: number): boolean;
  /** Whether this call trains (adapter dropout, stochastic depth). */
  training(): boolean;
  /** Dropout while training, seeded from the adapter's stream; x itself in inference or at rate 0. */
  dropout<T extends tf.Tensor>(x: T, rate: number, noiseShape?: number[]): T;
  /** The Linear of declared weight and bias. */
  linearOf(p: LinearParams): Linear;
  /** A gate: mean over the sequence of sigmoid(Linear(x)), per sequence: [batch, 1, outputs]. */
  gateOf(p: LinearParams, x: tf.Tensor3D): tf.Tensor3D;
  /** A new LayerNorm of the adapter (nn.LayerNorm's default epsilon). */
  norm(x: tf.Tensor3D, p: NormParams): tf.Tensor3D;
}

/** The encoder hook points one family fills for the adapter, and what it must forget between forward passes. */
export interface FamilyHooks {
  hooks: EncoderHooks;
  /** Called at the start and the end of every forward pass (e.g. the prefix pool's per-pass output). */
  reset?(): void;
  /** The family's modules as a composition block calls them (compose.ts). */
  units: AdapterUnits;
}
