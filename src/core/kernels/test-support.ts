/** Helpers for the fused-kernel tests: run a differentiable function on a backend, compare, take finite differences. */
import * as tf from '@tensorflow/tfjs';
import { maxAbsDiff, uniformValues } from './parity.ts';

/** A tensor argument as plain data, so the same values can be built on any backend. */
export interface ArgSpec {
  shape: number[];
  values: Float32Array;
}

/** An argument of `shape` filled with seeded uniform values in [-scale, scale). */
export function arg(seed: string, shape: number[], scale = 1): ArgSpec {
  const values = uniformValues(seed, shape.reduce((p, d) => p * d, 1)).map((v) => v * scale);
  return { shape, values };
}

/** max |got − want| relative to max |want| (absolute when want is all zeros). */
export function relativeDiff(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  return maxAbsDiff(got, want) / (scale || 1);
}

/** Runs `compute` with backend `name` active (switching there and back), outside any tidy of the caller. */
export async function onBackend<T>(name: string, compute: () => Promise<T>): Promise<T> {
  const previous = tf.getBackend();
  if (name !== previous) await tf.setBackend(name);
  try {
    return await compute();
  } finally {
    if (name !== previous) await tf.setBackend(previous);
  }
}

/** f(args) and the gradients of Σ f(args) ⊙ dy with respect to every argument, on the active backend. */
export async function valueAndGradients(f: (...args: tf.Tensor[]) => tf.Tensor, args: ArgSpec[], dy: ArgSpec): Promise<Float32Array[]> {
  const outputs = tf.tidy(() => {
    const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) => f(...xs))(
      args.map((a) => tf.tensor(a.values, a.shape)), tf.tensor(dy.values, dy.shape));
    return [value, ...grads];
  });
  const values = await Promise.all(outputs.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose(outputs);
  return values;
}

/**
 * Central finite difference of L(args) = Σ f(args) ⊙ dy along `direction` in argument `index`, evaluating f itself
 * (float32, on the active backend): ≈ ⟨∂L/∂args[index], direction⟩.
 */
export async function directionalDerivative(
  f: (...args: tf.Tensor[]) => tf.Tensor, args: ArgSpec[], dy: ArgSpec, index: number, direction: Float32Array, h: number,
): Promise<number> {
  const loss = async (step: number) => {
    const l = tf.tidy(() => {
      const xs = args.map((a, i) => tf.tensor(i === index ? a.values.map((v, e) => v + step * direction[e]) : a.values, a.shape));
      return tf.sum(tf.mul(f(...xs), tf.tensor(dy.values, dy.shape)));
    });
    const [value] = await l.data();
    l.dispose();
    return value;
  };
  return (await loss(h) - await loss(-h)) / (2 * h);
}

/** Σ a ⊙ b */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

/** The shader keys of the WebGPU programs dispatched while `compute` runs (the webgpu backend must be active). */
export async function programsDispatched(compute: () => Promise<unknown>): Promise<string[]> {
  const backend = tf.backend() as unknown as { runWebGPUProgram: (program: { shaderKey: string }, ...rest: unknown[]) => unknown };
  const original = backend.runWebGPUProgram;
  const keys: string[] = [];
  backend.runWebGPUProgram = function (program, ...rest) {
    keys.push(program.shaderKey);
    return original.call(this, program, ...rest);
  };
  try {
    await compute();
  } finally {
    backend.runWebGPUProgram = original;
  }
  return keys;
}
