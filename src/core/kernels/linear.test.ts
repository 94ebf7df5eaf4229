import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/init-backend.ts';
import { linear, linearComposed, linearPath } from './linear.ts';
import { linearGradientsByFiniteDifferences, linearReference } from './testing/linear.reference.ts';
import { maxAbsDiff, uniformValues } from './parity.ts';

// The composed twin on tfjs's cpu backend against plain float64 loops. The WGSL kernel is in linear.webgpu.test.ts.
beforeAll(async () => {
  await initBackend('cpu');
});

function problem(m: number, k: number, n: number) {
  const tag = `${m}x${k}x${n}`;
  return {
    m, k, n,
    x: uniformValues(`${tag} x`, m * k),
    w: uniformValues(`${tag} w`, n * k),
    b: uniformValues(`${tag} b`, n),
    dy: uniformValues(`${tag} dy`, m * n),
  };
}

describe('linearComposed', () => {
  it.each([[1, 1, 1], [3, 5, 4], [7, 37, 19]])('forward %i×%i×%i matches x · Wᵀ + b in float64', async (m, k, n) => {
    const p = problem(m, k, n);
    const y = linearComposed(tf.tensor2d(p.x, [m, k]), tf.tensor2d(p.w, [n, k]), tf.tensor1d(p.b));
    expect(y.shape).toEqual([m, n]);
    expect(maxAbsDiff(await y.data(), linearReference(p.x, p.w, p.b, m, k, n))).toBeLessThan(1e-5);
  });

  it.each([[3, 5, 4], [7, 37, 19]])('gradients %i×%i×%i match finite differences', async (m, k, n) => {
    const p = problem(m, k, n);
    const [dx, dw, db] = tf.grads((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => linearComposed(x as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D))(
      [tf.tensor2d(p.x, [m, k]), tf.tensor2d(p.w, [n, k]), tf.tensor1d(p.b)], tf.tensor2d(p.dy, [m, n]));
    const fd = linearGradientsByFiniteDifferences(p.x, p.w, p.b, p.dy, m, k, n);
    expect(maxAbsDiff(await dx.data(), fd.dx)).toBeLessThan(1e-4);
    expect(maxAbsDiff(await dw.data(), fd.dw)).toBeLessThan(1e-4);
    expect(maxAbsDiff(await db.data(), fd.db)).toBeLessThan(1e-4);
  });
});

describe('linear off WebGPU', () => {
  it('takes the composed path and maps the last axis of a [batch, seq, K] input', async () => {
    expect(linearPath()).toBe('composed');
    const p = problem(6, 5, 3);
    const y = linear(tf.tensor3d(p.x, [2, 3, 5]), tf.tensor2d(p.w, [3, 5]), tf.tensor1d(p.b));
    expect(y.shape).toEqual([2, 3, 3]);
    expect(maxAbsDiff(await y.data(), linearReference(p.x, p.w, p.b, 6, 5, 3))).toBeLessThan(1e-5);
  });

  it('names the shapes when they do not fit', () => {
    expect(() => linear(tf.zeros([2, 4]), tf.zeros([3, 5]) as tf.Tensor2D, tf.zeros([3]) as tf.Tensor1D))
      .toThrow('linear: x [2,4] · W [3,5]ᵀ + b [3] do not fit');
  });
});
