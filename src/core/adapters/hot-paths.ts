/**
 * The adapter computations that run on every token of every layer, each behind one small function so that
 * fused WGSL kernels (src/core/kernels/) can replace them without touching the methods. Each function routes to
 * its fused kernel when the kernel's path function says 'wgsl' (the webgpu backend, shapes the kernel takes) and
 * to its "composed twin" otherwise: the *Composed functions, plain tfjs ops, which are also the fused kernels'
 * test references.
 */
import * as tf from '@tensorflow/tfjs';
import type { Linear } from '../model/encoder.ts';
import { applyActivation, linear } from '../ops.ts';
import type { Activation } from './activation-names.ts';
import { bottleneckPath, fusedBottleneckDelta } from '../kernels/bottleneck.ts';
import { fusedIa3Scale, ia3Path } from '../kernels/ia3.ts';
import { fusedLoraDelta, loraPath } from '../kernels/lora.ts';

/** A constant factor, or a tensor that broadcasts over the last axis ([1] learned scalar, [hidden] per channel, [batch, 1, 1] gate). */
export type Scaling = number | tf.Tensor;

/**
 * Bottleneck adapter body: scaling · up(act(down(x))), plus `residual` when given (one pass on the fused path).
 * @param x [batch, seq, in] adapter input
 * @param down Linear in → bottleneck
 * @param up Linear bottleneck → hidden
 * @param residual [batch, seq, hidden] added onto the result
 * @returns [batch, seq, hidden]
 */
export function bottleneckDelta(x: tf.Tensor3D, down: Linear, up: Linear, act: Activation, scaling: Scaling, residual?: tf.Tensor3D): tf.Tensor3D {
  return bottleneckPath(down.weight.shape[0]) === 'wgsl'
    ? fusedBottleneckDelta(x, down, up, act, scaling, residual)
    : bottleneckDeltaComposed(x, down, up, act, scaling, residual);
}

/** `bottleneckDelta` with tfjs ops: the path on wasm and cpu, and the fused kernel's reference. */
export function bottleneckDeltaComposed(x: tf.Tensor3D, down: Linear, up: Linear, act: Activation, scaling: Scaling, residual?: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => {
    const y = linear(applyActivation(linear(x, down), act), up);
    const delta = (scaling === 1 ? y : y.mul(scaling)) as tf.Tensor3D;
    return residual ? residual.add(delta) : delta;
  });
}

/**
 * LoRA update of a Linear's output: scaling · x · Aᵀ · Bᵀ, plus `base` when given (one pass on the fused path).
 * @param x [batch, seq, in] the Linear's input
 * @param a [r, in] lora_A
 * @param b [out, r] lora_B
 * @param base [batch, seq, out] the frozen Linear's output, to add the update onto
 * @returns [batch, seq, out]
 */
export function loraDelta(x: tf.Tensor3D, a: tf.Tensor2D, b: tf.Tensor2D, scaling: Scaling, base?: tf.Tensor3D): tf.Tensor3D {
  return loraPath(a.shape[0]) === 'wgsl' ? fusedLoraDelta(x, a, b, scaling, base) : loraDeltaComposed(x, a, b, scaling, base);
}

/** `loraDelta` with tfjs ops: the path on wasm and cpu, and the fused kernel's reference. */
export function loraDeltaComposed(x: tf.Tensor3D, a: tf.Tensor2D, b: tf.Tensor2D, scaling: Scaling, base?: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => {
    const y = linear(linear(x, { weight: a }), { weight: b });
    const delta = (scaling === 1 ? y : y.mul(scaling)) as tf.Tensor3D;
    return base ? base.add(delta) : delta;
  });
}

/**
 * (IA)³: the Linear's output (bias included) scaled per output channel.
 * @param y [batch, seq, out]
 * @param vector [out] shared scale, or [batch, 1, out] per sequence (gated)
 */
export function ia3Scale(y: tf.Tensor3D, vector: tf.Tensor): tf.Tensor3D {
  return ia3Path(y, vector) === 'wgsl' ? fusedIa3Scale(y, vector) : ia3ScaleComposed(y, vector);
}

/** `ia3Scale` with tfjs ops: the path on wasm and cpu, and the fused kernel's reference. */
export function ia3ScaleComposed(y: tf.Tensor3D, vector: tf.Tensor): tf.Tensor3D {
  return y.mul(vector);
}
