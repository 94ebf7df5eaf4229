import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/init-backend.ts';
import { nodeWebGpu } from '../backend/node-webgpu.ts';
import { linear, linearComposed, linearPath } from './linear.ts';
import { linearGradientsByFiniteDifferences, linearReference } from './testing/linear.reference.ts';
import { maxAbsDiff, uniformValues } from './parity.ts';

// shaders/linear.wgsl through tfjs-backend-webgpu on Dawn (the `webgpu` package) on SwiftShader.
const node = await nodeWebGpu();
const gpu = 'gpu' in node ? node.gpu : undefined;

function problem(m: number, k: number, n: number) {
  const tag = `wgsl ${m}x${k}x${n}`;
  return {
    x: uniformValues(`${tag} x`, m * k),
    w: uniformValues(`${tag} w`, n * k),
    b: uniformValues(`${tag} b`, n),
    dy: uniformValues(`${tag} dy`, m * n),
  };
}

/** y and the gradients of Σ y ⊙ dy through `f` on the active backend. */
async function forwardAndGradients(f: typeof linearComposed, p: ReturnType<typeof problem>, m: number, k: number, n: number) {
  const { value, grads } = tf.valueAndGrads((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => f(x as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D))(
    [tf.tensor2d(p.x, [m, k]), tf.tensor2d(p.w, [n, k]), tf.tensor1d(p.b)], tf.tensor2d(p.dy, [m, n]));
  const [y, dx, dw, db] = await Promise.all([value, ...grads].map((t) => t.data()));
  return { y, dx, dw, db };
}

describe.skipIf(!gpu)(`linear WGSL kernel on Dawn${gpu ? '' : ` (skipped: ${'unavailable' in node ? node.unavailable : ''})`}`, () => {
  beforeAll(async () => {
    await initBackend('webgpu', { gpu });
  });

  // Partial tiles on every side (7, 37, 19), several workgroups per axis (70, 130), an exact tile (64, 16, 64).
  it.each([[1, 1, 1], [7, 37, 19], [64, 16, 64], [70, 33, 130]])('forward %i×%i×%i matches x · Wᵀ + b in float64', async (m, k, n) => {
    expect(linearPath()).toBe('wgsl');
    const p = problem(m, k, n);
    const { y } = await forwardAndGradients(linear, p, m, k, n);
    expect(maxAbsDiff(y, linearReference(p.x, p.w, p.b, m, k, n))).toBeLessThan(1e-5);
  });

  it('ran our program, not a tfjs kernel', () => {
    // tfjs-backend-webgpu caches one pipeline per shader key; ours starts with LinearProgram's shaderKey.
    const cache = (tf.backend() as unknown as { pipelineCache: Record<string, unknown> }).pipelineCache;
    expect(Object.keys(cache).some((key) => key.startsWith('adapterStudio.linear'))).toBe(true);
  });

  it('gradients 7×37×19 match finite differences', async () => {
    const [m, k, n] = [7, 37, 19];
    const p = problem(m, k, n);
    const got = await forwardAndGradients(linear, p, m, k, n);
    const fd = linearGradientsByFiniteDifferences(p.x, p.w, p.b, p.dy, m, k, n);
    expect(maxAbsDiff(got.dx, fd.dx)).toBeLessThan(1e-4);
    expect(maxAbsDiff(got.dw, fd.dw)).toBeLessThan(1e-4);
    expect(maxAbsDiff(got.db, fd.db)).toBeLessThan(1e-4);
  });

  it('forward and gradients 70×33×130 match the composed twin on the cpu backend', async () => {
    const [m, k, n] = [70, 33, 130];
    const p = problem(m, k, n);
    const got = await forwardAndGradients(linear, p, m, k, n);
    await tf.setBackend('cpu');
    const want = await forwardAndGradients(linearComposed, p, m, k, n);
    await tf.setBackend('webgpu');
    expect(maxAbsDiff(got.y, want.y)).toBeLessThan(1e-4);
    expect(maxAbsDiff(got.dx, want.dx)).toBeLessThan(1e-3);
    expect(maxAbsDiff(got.dw, want.dw)).toBeLessThan(1e-3);
    expect(maxAbsDiff(got.db, want.db)).toBeLessThan(1e-3);
  });

  it('maps the last axis of a [batch, seq, K] input', async () => {
    const p = problem(2 * 9, 21, 11);
    const y = linear(tf.tensor3d(p.x, [2, 9, 21]), tf.tensor2d(p.w, [11, 21]), tf.tensor1d(p.b));
    expect(y.shape).toEqual([2, 9, 11]);
    expect(maxAbsDiff(await y.data(), linearReference(p.x, p.w, p.b, 18, 21, 11))).toBeLessThan(1e-5);
  });
});
