import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyActivation } from './ops.ts';

/** erf in float64 by its Maclaurin series (converges fast for |x| ≤ 4). */
function erf64(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; n < 80; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('exact GELU with its own gradient', () => {
  const xs = [-3.5, -2, -0.7, -0.1, 0, 0.05, 0.8, 1.9, 3.2];

  it('gives x/2 · (1 + erf(x/√2)) and its derivative Φ(x) + x·φ(x) (float64 references)', () => {
    const x = tf.tensor1d(xs);
    const value = applyActivation(x, 'gelu').dataSync();
    const grad = tf.grad((t: tf.Tensor) => applyActivation(t, 'gelu').mul(tf.tensor1d(xs.map((_, i) => i + 1))).sum())(x).dataSync();
    xs.forEach((v, i) => {
      const cdf = 0.5 * (1 + erf64(v / Math.SQRT2));
      const pdf = Math.exp(-v * v / 2) / Math.sqrt(2 * Math.PI);
      expect(value[i]).toBeCloseTo(v * cdf, 6);
      expect(grad[i]).toBeCloseTo((i + 1) * (cdf + v * pdf), 5);
    });
  });
});
