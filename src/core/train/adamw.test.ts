import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { AdamW, takesWeightDecay } from './adamw.ts';
import { clipCoefficient, globalNorm } from './gradients.ts';

/** torch.optim.AdamW's update of one parameter tensor, in float64 (the reference). */
function torchAdamW(theta: number[], grads: number[][], lrs: number[], { beta1 = 0.9, beta2 = 0.999, eps = 1e-8, wd = 0.01 } = {}): number[] {
  const p = theta.slice();
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  grads.forEach((g, k) => {
    const step = k + 1;
    const lr = lrs[k];
    for (let i = 0; i < p.length; i++) {
      p[i] *= 1 - lr * wd;
      m[i] = beta1 * m[i] + (1 - beta1) * g[i];
      v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
      const denom = Math.sqrt(v[i]) / Math.sqrt(1 - beta2 ** step) + eps;
      p[i] -= (lr / (1 - beta1 ** step)) * (m[i] / denom);
    }
  });
  return p;
}

const close = (actual: ArrayLike<number>, expected: number[], tolerance = 1e-6) => {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i] - expected[i])).toBeLessThan(tolerance * Math.max(1, Math.abs(expected[i])));
};

afterEach(() => tf.disposeVariables());

describe('AdamW', () => {
  it('decays weights but not biases or LayerNorm weights, by name', () => {
    expect(takesWeightDecay('bert.encoder.layer.0.output.adapters.a.adapter_down.0.weight')).toBe(true);
    expect(takesWeightDecay('heads.a.4.weight')).toBe(true);
    for (const name of ['heads.a.4.bias', 'bert.encoder.layer.0.output.LayerNorm.weight', 'x.layer_norm.weight', 'x.adapter_norm_before.weight', 'prefix_ln.weight']) {
      expect(takesWeightDecay(name)).toBe(false);
    }
  });

  it('first step by hand: θ(1 − lr·λ) − lr · g/(|g| + ε), and no decay on the bias', () => {
    const weight = tf.variable(tf.tensor1d([1, -2]), true);
    const bias = tf.variable(tf.tensor1d([0.5]), true);
    const adam = new AdamW([{ name: 'l.weight', variable: weight }, { name: 'l.bias', variable: bias }], { weightDecay: 0.1 });
    const lr = 0.01;
    adam.step(new Map([['l.weight', tf.tensor1d([0.3, -4])], ['l.bias', tf.tensor1d([2])]]), lr);
    // m̂ = g and v̂ = g² after one step, so the update is lr · g/(|g| + ε) ≈ lr · sign(g).
    close(weight.dataSync(), [1 * (1 - lr * 0.1) - lr * 0.3 / (0.3 + 1e-8), -2 * (1 - lr * 0.1) + lr * 4 / (4 + 1e-8)]);
    close(bias.dataSync(), [0.5 - lr * 2 / (2 + 1e-8)]);
    adam.dispose();
  });

  it('matches torch.optim.AdamW over several steps with a changing learning rate and a gradient scale', () => {
    const theta = [0.4, -1.3, 2.2, 0.01];
    const grads = [[0.5, -0.2, 1e-3, 3], [0.1, 0.4, -2e-3, -1], [-0.7, 0.05, 5e-4, 0.2], [0.2, -0.9, 0, 0.6]];
    const lrs = [1e-3, 2e-3, 3e-3, 1e-3];
    const scale = 0.5;
    const variable = tf.variable(tf.tensor1d(theta), true);
    const adam = new AdamW([{ name: 'w.weight', variable }], { betas: [0.8, 0.99], eps: 1e-6, weightDecay: 0.05 });
    for (const [k, g] of grads.entries()) {
      const gradient = tf.tensor1d(g);
      adam.step(new Map([['w.weight', gradient]]), lrs[k], scale);
      gradient.dispose();
    }
    close(variable.dataSync(), torchAdamW(theta, grads.map((g) => g.map((x) => x * scale)), lrs, { beta1: 0.8, beta2: 0.99, eps: 1e-6, wd: 0.05 }));
    adam.dispose();
  });

  it('skips parameters without a gradient, and its state round-trips', async () => {
    const a = tf.variable(tf.tensor1d([1, 2]), true);
    const b = tf.variable(tf.tensor1d([3]), true);
    const adam = new AdamW([{ name: 'a.weight', variable: a }, { name: 'b.weight', variable: b }]);
    adam.step(new Map([['a.weight', tf.tensor1d([1, 1])]]), 0.1);
    expect(b.dataSync()[0]).toBe(3);
    const state = await adam.state();
    expect(state.map((s) => [s.name, s.step])).toEqual([['a.weight', 1], ['b.weight', 0]]);
    close(state[0].m, [0.1, 0.1]);
    close(state[0].v, [0.001, 0.001]);

    const other = new AdamW([{ name: 'a.weight', variable: tf.variable(tf.tensor1d([1, 2]), true) }, { name: 'b.weight', variable: tf.variable(tf.tensor1d([3]), true) }]);
    other.loadState(state);
    expect((await other.state()).map((s) => [s.name, s.step, [...s.m]])).toEqual(state.map((s) => [s.name, s.step, [...s.m]]));
    expect(() => other.loadState(state.slice(1))).toThrow(/no moments for parameter "a.weight"/);
    adam.dispose();
    other.dispose();
  });
});

describe('gradient clipping', () => {
  it('global norm over all gradients and the clip_grad_norm_ factor', async () => {
    const grads = [tf.tensor1d([3, 4]), tf.tensor2d([[12]])];
    expect(await globalNorm(grads)).toBeCloseTo(13, 6);
    expect(clipCoefficient(13, 1)).toBeCloseTo(1 / (13 + 1e-6), 15);
    expect(clipCoefficient(0.5, 1)).toBe(1);
    expect(clipCoefficient(13, 0)).toBe(1);
    expect(await globalNorm([tf.tensor1d([1, NaN])])).toBeNaN();
    expect(await globalNorm([tf.tensor1d([1, Infinity])])).toBe(Infinity);
    tf.dispose(grads);
  });
});
