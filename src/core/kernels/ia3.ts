/**
 * The fused (IA)³ rescaling y ⊙ v of a Linear's output on WebGPU, differentiable: forward and input gradient run
 * shaders/ia3-scale.wgsl (y · v, dy · v), the vector gradient shaders/ia3-vector-grad.wgsl (Σ over rows of
 * dy ⊙ y, one dispatch without an intermediate [rows, out] product). Its composed twin is `ia3Scale` in
 * src/core/adapters/hot-paths.ts, which routes here when `ia3Path` says 'wgsl'.
 */
import * as tf from '@tensorflow/tfjs';
import scaleWgsl from '../../../shaders/ia3-scale.wgsl?raw';
import vectorGradWgsl from '../../../shaders/ia3-vector-grad.wgsl?raw';
import type { KernelPath } from './linear.ts';
import { onWebGpu, runProgram } from './program.ts';

/** Threads per flat workgroup of ia3-scale, and per side of ia3-vector-grad's (its TPS). */
const FLAT_WORKGROUP = 64;
const TPS = 8;
const UNIFORMS = 'N : i32, rowsPerGroup : i32,';

/** Anything with a shape: a tensor, or just its shape. */
type Shaped = { readonly shape: readonly number[] };

/**
 * How many vectors `vector` holds for y [batch, seq, out]: 1 when it is one [out] vector (any shape of out elements
 * whose last axis is out), batch when it is [batch, 1, out] (one per sequence); undefined for other shapes.
 */
function vectorGroups(y: Shaped, vector: Shaped): number | undefined {
  const [batch, , out] = y.shape;
  const v = vector.shape;
  const size = v.reduce((p, d) => p * d, 1);
  if (v[v.length - 1] !== out) return undefined;
  if (size === out) return 1;
  return v.length === 3 && v[0] === batch && v[1] === 1 ? batch : undefined;
}

/**
 * Which implementation `ia3Scale` takes for y [batch, seq, out] and `vector` (tensors or their shapes): 'wgsl' on
 * the webgpu backend for a vector of [out] elements or [batch, 1, out], 'composed' tfjs ops otherwise.
 */
export function ia3Path(y: Shaped, vector: Shaped): KernelPath {
  return onWebGpu() && vectorGroups(y, vector) !== undefined ? 'wgsl' : 'composed';
}

/**
 * out [M, N] = rows [M, N] ⊙ vectors [G, N] broadcast over groups of M / G rows; four columns per invocation (vec4
 * buffers) when N is a multiple of 4.
 */
function runScale(rows: tf.Tensor2D, vectors: tf.Tensor2D): tf.Tensor2D {
  const [m, n] = rows.shape;
  const groups = vectors.shape[0];
  const components = n % 4 === 0 ? 4 : 1;
  return runProgram({
    key: `adapterStudio.ia3.scale.vec${components}`, variableNames: ['y', 'vector'], outputShape: [m, n], workgroupSize: [FLAT_WORKGROUP, 1, 1],
    dispatch: [Math.ceil((m * n) / components / FLAT_WORKGROUP), 1, 1], entry: 'flat', uniforms: UNIFORMS, components, code: scaleWgsl,
  }, [rows, vectors], [{ type: 'int32', data: [n / components] }, { type: 'int32', data: [m / groups] }]) as tf.Tensor2D;
}

/** dv [G, N] = Σ over each group's rows of dy ⊙ y. */
function runVectorGrad(dy: tf.Tensor2D, rows: tf.Tensor2D, groups: number): tf.Tensor2D {
  const [m, n] = rows.shape;
  return runProgram({
    key: 'adapterStudio.ia3.vectorGrad', variableNames: ['dy', 'y'], outputShape: [groups, n], workgroupSize: [TPS, TPS, 1],
    dispatch: [Math.ceil(n / (4 * TPS)), groups, 1], entry: 'tiled', uniforms: UNIFORMS, code: vectorGradWgsl,
  }, [dy, rows], [{ type: 'int32', data: [n] }, { type: 'int32', data: [m / groups] }]) as tf.Tensor2D;
}

const scaleWithGrad = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [rows, vectors, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([rows, vectors]);
  return {
    value: runScale(rows, vectors),
    gradFunc: (dy: tf.Tensor, [savedRows, savedVectors]: tf.Tensor[]) => [
      runScale(dy as tf.Tensor2D, savedVectors as tf.Tensor2D),
      runVectorGrad(dy as tf.Tensor2D, savedRows as tf.Tensor2D, savedVectors.shape[0]),
    ],
  };
});

/**
 * (IA)³: y ⊙ vector over the last axis with the fused kernels, differentiable in y and vector. Same contract as
 * `ia3Scale` in hot-paths.ts; call it only when `ia3Path(y, vector)` is 'wgsl'.
 * @param y [batch, seq, out] the Linear's output (bias included)
 * @param vector [out] shared scale, or [batch, 1, out] per sequence (gated)
 * @returns [batch, seq, out]
 */
export function fusedIa3Scale(y: tf.Tensor3D, vector: tf.Tensor): tf.Tensor3D {
  const groups = vectorGroups(y, vector);
  if (groups === undefined) {
    throw new RangeError(`fusedIa3Scale: vector [${vector.shape}] does not fit y [${y.shape}]; expected [${y.shape[2]}] `
      + `or [${y.shape[0]}, 1, ${y.shape[2]}]. Use ia3Scale, which broadcasts any shape with tfjs ops.`);
  }
  if (!onWebGpu()) throw new Error(`fusedIa3Scale needs the webgpu backend (active: ${tf.getBackend()}); use ia3Scale.`);
  const [batch, seq, out] = y.shape;
  return tf.tidy(() => {
    const rows = tf.reshape(y, [batch * seq, out]) as tf.Tensor2D;
    const vectors = tf.reshape(vector, [groups, out]) as tf.Tensor2D;
    return tf.reshape(scaleWithGrad(rows, vectors), [batch, seq, out]) as tf.Tensor3D;
  });
}
