import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend } from './init-backend.ts';

describe('wasm kernel overrides', () => {
  it('Identity (what tfjs runs to keep a tensor for backward) shares the buffer instead of copying it', async () => {
    expect((await initBackend('wasm')).name).toBe('wasm');
    const before = tf.memory().numTensors;
    const x = tf.tensor2d([[1, 2], [3, 4]]);
    const y = tf.clone(x);
    expect(y.dataId).toBe(x.dataId);
    x.dispose();
    expect([...y.dataSync()]).toEqual([1, 2, 3, 4]);
    y.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gradients through saved tensors are unchanged', async () => {
    await initBackend('wasm');
    // d/dx sum(tanh(x) · x) = (1 - tanh²x) · x + tanh x, computed here in float64.
    const values = [-1.5, -0.2, 0.3, 2];
    const dx = tf.grad((x: tf.Tensor) => tf.tanh(x).mul(x).sum())(tf.tensor1d(values));
    const expected = values.map((v) => (1 - Math.tanh(v) ** 2) * v + Math.tanh(v));
    [...dx.dataSync()].forEach((g, i) => expect(g).toBeCloseTo(expected[i], 6));
  });
});
