/**
 * The fused bottleneck adapter body, scaling · up(act(down(x))) (+ residual), on WebGPU: one WGSL dispatch forward
 * (shaders/bottleneck-forward.wgsl) and three backward (rows → [a | g_z], dX, all parameter gradients), tied together
 * with tf.customGrad so tensors never leave the GPU. Its composed twin is `bottleneckDelta` in
 * src/core/adapters/hot-paths.ts, which routes here when `bottleneckPath` says 'wgsl'.
 */
import * as tf from '@tensorflow/tfjs';
import type { Activation } from '../adapters/activation-names.ts';
import type { Scaling } from '../adapters/hot-paths.ts';
import type { Linear } from '../model/encoder.ts';
import {
  type BottleneckOperands, type BottleneckSizes, type BottleneckVariant, bottleneckWorkgroupBytes, MAX_TILE_WIDTH, runBottleneckBackwardInput,
  runBottleneckBackwardRows, runBottleneckForward, runBottleneckWeightGrads, type ScaleMode,
} from './bottleneck-programs.ts';
import type { KernelPath } from './linear.ts';
import { onWebGpu, webGpuLimits } from './program.ts';

/**
 * The widest bottleneck (or highest LoRA rank) the fused kernels take on the active WebGPU device: its tiles must
 * hold it (at most MAX_TILE_WIDTH = 64) and fit maxComputeWorkgroupStorageSize (64 at 32 KiB, 32 at WebGPU's default
 * 16 KiB). 0 off WebGPU.
 */
export function fusedMaxWidth(): number {
  if (!onWebGpu()) return 0;
  const limit = webGpuLimits().maxComputeWorkgroupStorageSize;
  let width = 0;
  while (width < MAX_TILE_WIDTH && bottleneckWorkgroupBytes(width + 1) <= limit) width++;
  return width;
}

/**
 * Which implementation `bottleneckDelta` (and `loraDelta`, with width = rank) takes for a bottleneck of `width`
 * columns: 'wgsl' on the webgpu backend when the width fits the device (see fusedMaxWidth), 'composed' tfjs ops
 * otherwise (wasm, cpu, or wider bottlenecks such as rf 2 on bert-base).
 */
export function bottleneckPath(width: number): KernelPath {
  if (!onWebGpu() || width < 1 || width > MAX_TILE_WIDTH) return 'composed';
  return bottleneckWorkgroupBytes(width) <= webGpuLimits().maxComputeWorkgroupStorageSize ? 'wgsl' : 'composed';
}

/**
 * How `scaling` enters the kernels for an output of n columns: numbers as a uniform, one-element tensors (learned
 * scalar) and n-element tensors broadcasting over the last axis (per channel) inside the kernels; anything else
 * (e.g. a [batch, 1, 1] gate) is 'outer': multiplied onto the fused result with tfjs ops.
 */
function scaleModeOf(scaling: Scaling, n: number): ScaleMode | 'outer' {
  if (typeof scaling === 'number') return 'constant';
  if (scaling.size === 1) return 'scalar';
  const leadingOnes = scaling.shape.slice(0, -1).every((s) => s === 1);
  return leadingOnes && scaling.shape[scaling.rank - 1] === n ? 'channel' : 'outer';
}

/** The tensors of a customGrad call in the order the variant passes them. */
function unpack(v: BottleneckVariant, tensors: tf.Tensor[]): { operands: BottleneckOperands; residual?: tf.Tensor2D } {
  const queue = [...tensors];
  const next = <T extends tf.Tensor>(present: boolean) => (present ? queue.shift() as T : undefined);
  const x = next<tf.Tensor2D>(true)!;
  const wDown = next<tf.Tensor2D>(true)!;
  const bDown = next<tf.Tensor1D>(v.hasBias);
  const wUp = next<tf.Tensor2D>(true)!;
  const bUp = next<tf.Tensor1D>(v.hasBias);
  const scale = next(v.scale !== 'constant');
  const residual = next<tf.Tensor2D>(v.residual);
  return { operands: { x, wDown, bDown, wUp, bUp, scale }, residual };
}

/**
 * out [M, N] = s ⊙ (act(x · W_downᵀ + b_down) · W_upᵀ + b_up) (+ residual) with the fused kernels, differentiable in
 * every tensor it is given (x, weights, biases, scale, residual). Shapes are checked by the callers.
 */
export function fusedTwoLayer(v: BottleneckVariant, scaleValue: number, o: BottleneckOperands, residual?: tf.Tensor2D): tf.Tensor2D {
  const [m, k] = o.x.shape;
  const sizes: BottleneckSizes = { m, k, n: o.wUp.shape[0], scaleValue };
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const tensors = args as tf.Tensor[];
    const forward = unpack(v, tensors);
    save(tensors);
    return {
      value: runBottleneckForward(v, sizes, forward.operands, forward.residual),
      // In a tidy: tfjs runs a custom gradient outside any, so `rows` would otherwise live to the end of backward.
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => {
        const { operands } = unpack(v, saved);
        const dy2 = dy as tf.Tensor2D;
        const rows = runBottleneckBackwardRows(v, sizes, operands, dy2);
        const dx = runBottleneckBackwardInput(v, sizes, rows, operands.wDown);
        const g = runBottleneckWeightGrads(v, sizes, operands, rows, dy2);
        const scale = operands.scale;
        const dScale = scale && g.scaleColumns
          && tf.reshape(v.scale === 'scalar' ? tf.sum(g.scaleColumns) : g.scaleColumns, scale.shape);
        return [dx, g.wDown, g.bDown, g.wUp, g.bUp, dScale, v.residual ? dy : undefined].filter((t): t is tf.Tensor => t !== undefined);
      }),
    };
  });
  const inputs = [o.x, o.wDown, o.bDown, o.wUp, o.bUp, v.scale === 'constant' ? undefined : o.scale, residual];
  return op(...inputs.filter((t): t is tf.Tensor => t !== undefined)) as tf.Tensor2D;
}

/**
 * Runs `fusedTwoLayer` on [batch, seq, K] input, folding a scaling it cannot take inside the kernels (a gate) and
 * the residual add in with tfjs ops in that case only.
 */
export function fusedOnSequence(
  x: tf.Tensor3D, v: Omit<BottleneckVariant, 'scale' | 'residual'>, o: Omit<BottleneckOperands, 'x' | 'scale'>,
  scaling: Scaling, residual?: tf.Tensor3D,
): tf.Tensor3D {
  const [batch, seq, k] = x.shape;
  const n = o.wUp.shape[0];
  return tf.tidy(() => {
    const rows = tf.reshape(x, [batch * seq, k]) as tf.Tensor2D;
    const mode = scaleModeOf(scaling, n);
    if (mode === 'outer') {
      const unscaled = fusedTwoLayer({ ...v, scale: 'constant', residual: false }, 1, { ...o, x: rows });
      const delta = tf.mul(tf.reshape(unscaled, [batch, seq, n]), scaling) as tf.Tensor3D;
      return residual ? tf.add(residual, delta) : delta;
    }
    const scale = typeof scaling === 'number' ? undefined : scaling;
    const rowsResidual = residual && tf.reshape(residual, [batch * seq, n]) as tf.Tensor2D;
    const out = fusedTwoLayer({ ...v, scale: mode, residual: residual !== undefined }, typeof scaling === 'number' ? scaling : 1,
      { ...o, x: rows, scale }, rowsResidual);
    return tf.reshape(out, [batch, seq, n]) as tf.Tensor3D;
  });
}

/**
 * The bottleneck adapter body scaling · up(act(down(x))), fused into WGSL kernels; with `residual`, returns
 * residual + that in the same pass. Same contract as `bottleneckDelta` in hot-paths.ts (its composed twin); call
 * it only when `bottleneckPath(down.weight.shape[0])` is 'wgsl'.
 * @param x [batch, seq, in] adapter input
 * @param down Linear in → d (weight [d, in], bias [d])
 * @param up Linear d → hidden (weight [hidden, d], bias [hidden])
 * @param scaling number, learned [1], per-channel [hidden], or any tensor broadcasting onto [batch, seq, hidden]
 * @param residual [batch, seq, hidden] added to the result (the adapter's residual connection)
 * @returns [batch, seq, hidden]
 */
export function fusedBottleneckDelta(
  x: tf.Tensor3D, down: Linear, up: Linear, act: Activation, scaling: Scaling, residual?: tf.Tensor3D,
): tf.Tensor3D {
  const [batch, seq, k] = x.shape;
  const [d, downIn] = down.weight.shape;
  const [n, upIn] = up.weight.shape;
  if (downIn !== k || down.bias.shape[0] !== d || upIn !== d || up.bias.shape[0] !== n
    || (residual && (residual.shape[0] !== batch || residual.shape[1] !== seq || residual.shape[2] !== n))) {
    throw new RangeError(`fusedBottleneckDelta: x [${x.shape}], down [${down.weight.shape}] + [${down.bias.shape}], `
      + `up [${up.weight.shape}] + [${up.bias.shape}]${residual ? `, residual [${residual.shape}]` : ''} do not fit; `
      + 'expected down [d, in], up [hidden, d] in torch layout and residual [batch, seq, hidden].');
  }
  if (bottleneckPath(d) !== 'wgsl') {
    throw new Error(`fusedBottleneckDelta: a bottleneck of width ${d} cannot run fused on the ${tf.getBackend()} backend `
      + `(fused widths: 1…${fusedMaxWidth()}); use bottleneckDelta, which picks the composed path.`);
  }
  return fusedOnSequence(x, { width: d, activation: act, hasBias: true }, { wDown: down.weight, bDown: down.bias, wUp: up.weight, bUp: up.bias },
    scaling, residual);
}
