import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import linearWgsl from '../../../shaders/linear.wgsl?raw';
import { linear as linearOp } from '../ops.ts';

/** Which implementation of a kernel ran: our WGSL shader, or the same formula composed from tfjs ops. */
export type KernelPath = 'wgsl' | 'composed';

/** Side of the output tile one workgroup computes; must match TILE in shaders/linear.wgsl. */
const TILE = 64;

/** shaders/linear.wgsl as a tfjs-backend-webgpu program for y [M, N] = x [M, K] · W [N, K]ᵀ + b [N]. */
class LinearProgram implements WebGPUProgram {
  readonly variableNames = ['x', 'w', 'b'];
  readonly outputShape: number[];
  readonly shaderKey = 'adapterStudio.linear.tile64x64x16';
  readonly dispatchLayout = { x: [1], y: [0] };
  readonly dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number] = [16, 16, 1];
  readonly uniforms = 'M : i32, K : i32, N : i32,';

  constructor(m: number, n: number) {
    this.outputShape = [m, n];
    this.dispatch = [Math.ceil(n / TILE), Math.ceil(m / TILE), 1];
  }

  getUserCode(): string {
    return linearWgsl;
  }
}

/** The path `linear` takes on the active backend: the WGSL kernel on webgpu, composed tfjs ops elsewhere. */
export function linearPath(): KernelPath {
  return tf.getBackend() === 'webgpu' ? 'wgsl' : 'composed';
}

/**
 * The composed twin of the WGSL kernel and its reference: the core's one y = x · Wᵀ + b (ops.ts) with tfjs ops.
 * @param x [M, K] input rows
 * @param w [N, K] weight in torch layout (out_features × in_features)
 * @param b [N] bias
 * @returns [M, N]
 */
export function linearComposed(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  return linearOp(x, { weight: w, bias: b });
}

function runLinearProgram(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  const [m, k] = x.shape;
  const n = w.shape[0];
  const backend = tf.backend() as WebGPUBackend;
  const uniforms = [{ type: 'int32', data: [m] }, { type: 'int32', data: [k] }, { type: 'int32', data: [n] }];
  const info = backend.runWebGPUProgram(new LinearProgram(m, n), [x, w, b], 'float32', uniforms);
  return tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor2D;
}

/**
 * The WGSL forward with its gradients. The backward uses tfjs ops for now (dx = dy · W, dW = dyᵀ · x,
 * db = Σ_rows dy); fused backward kernels come later.
 */
const linearWgslWithGrad = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, w, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
  save([x, w]);
  return {
    value: runLinearProgram(x, w, b),
    gradFunc: (dy: tf.Tensor2D, [savedX, savedW]: tf.Tensor[]) => [
      tf.matMul(dy, savedW as tf.Tensor2D),
      tf.matMul(dy, savedX as tf.Tensor2D, true, false),
      tf.sum(dy, 0),
    ],
  };
});

/**
 * y = x · Wᵀ + b over the last axis of x (torch.nn.Linear), differentiable. Runs shaders/linear.wgsl on the
 * webgpu backend and `linearComposed` on wasm and cpu.
 * @param x [..., K] input, e.g. [batch, seq, hidden]
 * @param w [N, K] weight (out_features × in_features)
 * @param b [N] bias
 * @returns [..., N]
 */
export function linear<T extends tf.Tensor>(x: T, w: tf.Tensor2D, b: tf.Tensor1D): T {
  const k = x.shape[x.rank - 1];
  const [n, wk] = w.shape;
  if (wk !== k || b.shape[0] !== n) {
    throw new RangeError(`linear: x [${x.shape}] · W [${w.shape}]ᵀ + b [${b.shape}] do not fit; `
      + 'W must be [out_features, in_features] with in_features = the last axis of x, and b [out_features].');
  }
  return tf.tidy(() => {
    const rows = tf.reshape(x, [-1, k]) as tf.Tensor2D;
    const y = linearPath() === 'wgsl'
      ? linearWgslWithGrad(tf.cast(rows, 'float32'), tf.cast(w, 'float32'), tf.cast(b, 'float32')) as tf.Tensor2D
      : linearComposed(rows, w, b);
    return tf.reshape(y, [...x.shape.slice(0, -1), n]) as T;
  });
}
