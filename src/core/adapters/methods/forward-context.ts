/**
 * What a method family's forward (methods/<family>.forward.ts, the tfjs half of the family: the family's own
 * file stays tensor-free for the app) reads from the live adapter that createAdapter (adapter.ts) builds.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Linear } from '../../model/encoder.ts';
import type { LinearParams, NormParams } from '../param-list.ts';
import type { ParamSpec } from '../parameters.ts';

export interface ForwardContext {
  /** The live variable of a declared parameter. */
  tensor(spec: ParamSpec): tf.Tensor;
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
