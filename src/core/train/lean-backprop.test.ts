import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterEach, describe, expect, it } from 'vitest';
import { installLeanBackprop } from './lean-backprop.ts';

let uninstall: (() => void) | undefined;
afterEach(() => {
  uninstall?.();
  uninstall = undefined;
});

/** Gradients of a graph with the shapes backprop must get right: dy handed on unchanged by Add to two inputs, a residual (x used twice), broadcasting, a reshape, a customGrad and a variable fed in mid-graph. */
function gradientsOf(x: tf.Variable, w: tf.Variable, b: tf.Variable): { loss: number; grads: Record<string, number[]> } {
  const scaled = tf.customGrad((input) => ({ value: (input as tf.Tensor).mul(3), gradFunc: (dy) => (dy as tf.Tensor).mul(3) }));
  const { value, grads } = tf.variableGrads(() => {
    const h = tf.matMul(x, w);
    const both = h.add(h.tanh());
    const residual = both.add(x.matMul(w.transpose()).matMul(w)).add(b);
    const reshaped = scaled(residual.reshape([-1])) as tf.Tensor;
    return reshaped.square().sum().add(tf.sin(b).sum()) as tf.Scalar;
  }, [x, w, b]);
  const out = { loss: value.dataSync()[0], grads: Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, [...g.dataSync()]])) };
  tf.dispose([value, ...Object.values(grads)]);
  return out;
}

/** Tensor bytes held as the backward pass of a chain of 60 elementwise ops on a [256, 256] tensor computes its last gradient. */
function bytesHeldAtLastGradient(v: tf.Variable): Promise<number> {
  return tf.profile(() => {
    const { value, grads } = tf.variableGrads(() => {
      let h: tf.Tensor = v;
      for (let i = 0; i < 20; i++) h = h.mul(1.01).add(0.1).tanh();
      return h.sum() as tf.Scalar;
    }, [v]);
    tf.dispose([value, ...Object.values(grads)]);
  }).then((info) => info.kernels.at(-1)!.totalBytesSnapshot);
}

/**
 * Tensor bytes alive when the forward pass of 10 blocks of ops whose gradient needs only shapes (Add, Sub, Concat,
 * Slice, Reshape, PadV2; Mean and Sum at the end) ends, each block in its own tidy as encoderForward's layers are,
 * and the variable's gradient.
 */
function heldAfterShapeOnlyForward(v: tf.Variable): { held: number; gradient: number[] } {
  let held = 0;
  const { value, grads } = tf.variableGrads(() => {
    const before = tf.memory().numBytes;
    let h: tf.Tensor = v;
    for (let i = 0; i < 10; i++) {
      const next = tf.tidy(() => tf.concat([h.add(1), h.sub(2)], 0).slice([0, 0], [64, 64]).reshape([-1]).reshape([64, 64]).pad([[1, 1], [0, 0]]).slice([1, 0], [64, 64]));
      if (h !== v) h.dispose();
      h = next;
    }
    const loss = h.mean().add(h.sum()) as tf.Scalar;
    held = tf.memory().numBytes - before;
    return loss;
  }, [v]);
  const gradient = [...grads[v.name].dataSync()];
  tf.dispose([value, ...Object.values(grads)]);
  return { held, gradient };
}

describe.each(['cpu', 'wasm'])('lean backprop on %s', (backend) => {
  it('gives exactly tfjs\' own gradients and leaves no tensor behind', async () => {
    await tf.setBackend(backend);
    const x = tf.variable(tf.tensor2d([[0.5, -1, 2], [1.5, 0.25, -0.75]]), true, `x-${backend}`);
    const w = tf.variable(tf.tensor2d([[0.3, -0.2, 0.1], [0.05, 0.4, -0.6], [0.7, 0.1, 0.2]]), true, `w-${backend}`);
    const b = tf.variable(tf.tensor1d([0.1, -0.3, 0.2]), true, `b-${backend}`);
    const own = gradientsOf(x, w, b);
    uninstall = installLeanBackprop();
    const before = tf.memory().numTensors;
    const lean = gradientsOf(x, w, b);
    expect(tf.memory().numTensors).toBe(before);
    expect(lean).toEqual(own);
    tf.dispose([x, w, b]);
  });

  it('leaves a gradient the caller passed in (valueAndGrads with dy) to the caller', async () => {
    await tf.setBackend(backend);
    uninstall = installLeanBackprop();
    const x = tf.tensor2d([[1, 2], [3, 4]]);
    const dy = tf.tensor2d([[0.5, -1], [2, 0.25]]);
    const { grads } = tf.valueAndGrads((t: tf.Tensor) => t.square().mul(3).tanh())([x], dy as tf.Tensor2D);
    expect(dy.isDisposed).toBe(false);
    // d tanh(3x²)/dx · dy = (1 - tanh²(3x²)) · 6x · dy, in float64.
    const expected = [1, 2, 3, 4].map((v, i) => (1 - Math.tanh(3 * v * v) ** 2) * 6 * v * [0.5, -1, 2, 0.25][i]);
    [...grads[0].dataSync()].forEach((g, i) => expect(g).toBeCloseTo(expected[i], 5));
    tf.dispose([x, dy, ...grads]);
  });

  it('keeps only the shapes of what shape-only gradients save, with the same gradient', async () => {
    await tf.setBackend(backend);
    const v = tf.variable(tf.randomUniform([64, 64], -1, 1, 'float32', 5), true, `shapes-${backend}`);
    const own = heldAfterShapeOnlyForward(v);
    uninstall = installLeanBackprop();
    const lean = heldAfterShapeOnlyForward(v);
    const tensorBytes = 64 * 64 * 4;
    // tfjs' own tape keeps each block's inputs of Add, Sub, Concat, Slice, Reshape and PadV2 (about 8 tensors a block).
    expect(own.held).toBeGreaterThan(40 * tensorBytes);
    // Lean: the last block's output (and the loss's scalars) alone.
    expect(lean.held).toBeLessThan(2 * tensorBytes);
    expect(lean.gradient).toEqual(own.gradient);
    v.dispose();
  });

  it('holds a few gradients at a time, not one per op until the end', async () => {
    await tf.setBackend(backend);
    const v = tf.variable(tf.randomUniform([256, 256], -1, 1, 'float32', 3), true, `chain-${backend}`);
    const own = await bytesHeldAtLastGradient(v);
    uninstall = installLeanBackprop();
    const lean = await bytesHeldAtLastGradient(v);
    const tensorBytes = 256 * 256 * 4;
    // tfjs keeps the 40 gradients the mul and tanh ops make, and their 60 saved tensors, to the end; lean frees them as it goes.
    expect(own).toBeGreaterThan(80 * tensorBytes);
    expect(lean).toBeLessThan(12 * tensorBytes);
    v.dispose();
  });
});
