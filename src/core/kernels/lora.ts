/**
 * The fused LoRA update scaling · x · Aᵀ · Bᵀ (optionally added onto the frozen projection's output y in the same
 * pass) on WebGPU. It is the bottleneck computation without biases and with the identity activation, so it runs the
 * bottleneck programs (shaders/bottleneck-*.wgsl) with rank r as their width: forward in one dispatch, backward in
 * three, and x · Aᵀ never reaches global memory in the forward. Its composed twin is `loraDelta` in
 * src/core/adapters/hot-paths.ts, which routes here when `loraPath` says 'wgsl'.
 */
import * as tf from '@tensorflow/tfjs';
import type { Scaling } from '../adapters/hot-paths.ts';
import { bottleneckPath, fusedMaxWidth, fusedOnSequence } from './bottleneck.ts';
import type { KernelPath } from './linear.ts';

/** Which implementation `loraDelta` takes for rank r: 'wgsl' on webgpu when r fits the tiles (see fusedMaxWidth). */
export function loraPath(rank: number): KernelPath {
  return bottleneckPath(rank);
}

/**
 * scaling · x · Aᵀ · Bᵀ with the fused kernels, differentiable in x, A, B, a tensor scaling and y; with `y`, returns
 * y + that. Same contract as `loraDelta` in hot-paths.ts; call it only when `loraPath(a.shape[0])` is 'wgsl'.
 * @param x [batch, seq, in] the Linear's input
 * @param a [r, in] lora_A
 * @param b [out, r] lora_B
 * @param scaling number (alpha / r), or a tensor broadcasting onto [batch, seq, out] (e.g. a [batch, 1, 1] gate)
 * @param y [batch, seq, out] the frozen Linear's output, to add the update onto
 * @returns [batch, seq, out]
 */
export function fusedLoraDelta(x: tf.Tensor3D, a: tf.Tensor2D, b: tf.Tensor2D, scaling: Scaling, y?: tf.Tensor3D): tf.Tensor3D {
  const [batch, seq, k] = x.shape;
  const [rank, aIn] = a.shape;
  const [n, bRank] = b.shape;
  if (aIn !== k || bRank !== rank || (y && (y.shape[0] !== batch || y.shape[1] !== seq || y.shape[2] !== n))) {
    throw new RangeError(`fusedLoraDelta: x [${x.shape}], lora_A [${a.shape}], lora_B [${b.shape}]${y ? `, y [${y.shape}]` : ''} do not fit; `
      + 'expected lora_A [r, in], lora_B [out, r] and y [batch, seq, out].');
  }
  if (loraPath(rank) !== 'wgsl') {
    throw new Error(`fusedLoraDelta: rank ${rank} cannot run fused on the ${tf.getBackend()} backend `
      + `(fused ranks: 1…${fusedMaxWidth()}); use loraDelta, which picks the composed path.`);
  }
  return fusedOnSequence(x, { width: rank, activation: 'linear', hasBias: false }, { wDown: a, wUp: b }, scaling, y);
}
