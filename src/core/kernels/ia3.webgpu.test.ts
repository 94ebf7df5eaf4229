import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ia3Scale, ia3ScaleComposed } from '../adapters/hot-paths.ts';
import { initBackend } from '../backend/init-backend.ts';
import { nodeWebGpu } from '../backend/node-webgpu.ts';
import { fusedIa3Scale, ia3Path } from './ia3.ts';
import { arg, directionalDerivative, dot, onBackend, programsDispatched, relativeDiff, valueAndGradients } from './test-support.ts';

// The fused (IA)³ scaling (shaders/ia3-*.wgsl) on Dawn against its composed twin ia3ScaleComposed on tfjs's cpu
// backend, and against finite differences of itself.
const node = await nodeWebGpu();
const gpu = 'gpu' in node ? node.gpu : undefined;

function problem(y: number[], vector: number[]) {
  const tag = `ia3 ${y} ${vector}`;
  return { args: [arg(`${tag} y`, y, 3), arg(`${tag} v`, vector, 2)], dy: arg(`${tag} dy`, y) };
}

const fused = (y: tf.Tensor, v: tf.Tensor) => fusedIa3Scale(y as tf.Tensor3D, v);
const composed = (y: tf.Tensor, v: tf.Tensor) => ia3ScaleComposed(y as tf.Tensor3D, v);
const routed = (y: tf.Tensor, v: tf.Tensor) => ia3Scale(y as tf.Tensor3D, v);

describe.skipIf(!gpu)(`fused IA3 on Dawn${gpu ? '' : ` (skipped: ${'unavailable' in node ? node.unavailable : ''})`}`, () => {
  beforeAll(async () => {
    await initBackend('webgpu', { gpu });
  });

  // One row, odd widths, many rows (several row lanes per column), shared and per-sequence vectors.
  it.each([
    [[1, 1, 37], [37]], [[2, 33, 130], [130]], [[3, 5, 37], [3, 1, 37]], [[2, 70, 64], [1, 1, 64]], [[4, 9, 3072], [4, 1, 3072]],
  ])('y %j, vector %j matches the composed twin (forward ≤ 1e-4, gradients ≤ 1e-3 relative)', async (yShape, vShape) => {
    const { args, dy } = problem(yShape, vShape);
    const got = await valueAndGradients(fused, args, dy);
    const want = await onBackend('cpu', () => valueAndGradients(composed, args, dy));
    expect(relativeDiff(got[0], want[0])).toBeLessThanOrEqual(1e-4);
    expect(relativeDiff(got[1], want[1])).toBeLessThanOrEqual(1e-3);
    expect(relativeDiff(got[2], want[2])).toBeLessThanOrEqual(1e-3);
  });

  it('gradients match finite differences of the fused forward', async () => {
    const { args, dy } = problem([3, 4, 21], [3, 1, 21]);
    const [, ...grads] = await valueAndGradients(fused, args, dy);
    for (let i = 0; i < 2; i++) {
      const u = arg(`ia3 direction ${i}`, args[i].shape).values;
      const numeric = await directionalDerivative(fused, args, dy, i, u, 1e-2);
      expect(Math.abs(numeric - dot(grads[i], u))).toBeLessThanOrEqual(1e-3 * Math.max(1, Math.abs(numeric)));
    }
  });

  it('routes shared and per-sequence vectors to WGSL and other broadcasts to tfjs ops', async () => {
    const y = tf.zeros([2, 3, 5]) as tf.Tensor3D;
    expect(ia3Path(y, tf.zeros([5]))).toBe('wgsl');
    expect(ia3Path(y, tf.zeros([2, 1, 5]))).toBe('wgsl');
    expect(ia3Path(y, tf.zeros([1, 3, 5]))).toBe('composed');
    expect(() => fusedIa3Scale(y, tf.zeros([1, 3, 5]))).toThrow('fusedIa3Scale: vector [1,3,5] does not fit y [2,3,5]');
    const { args, dy } = problem([1, 3, 5], [1, 3, 5]);
    let got: Float32Array[] = [];
    const broadcastPrograms = await programsDispatched(async () => { got = await valueAndGradients(routed, args, dy); });
    expect(broadcastPrograms.filter((k) => k.startsWith('adapterStudio.'))).toEqual([]);
    const want = await onBackend('cpu', () => valueAndGradients(composed, args, dy));
    got.forEach((g, i) => expect(relativeDiff(g, want[i])).toBeLessThanOrEqual(1e-4));
    const shared = problem([1, 2, 7], [7]);
    const sharedPrograms = await programsDispatched(() => valueAndGradients(routed, shared.args, shared.dy));
    // forward y · v, then dy · v and the vector gradient
    expect(sharedPrograms.filter((k) => k.startsWith('adapterStudio.')).map((k) => k.split('_')[0]))
      .toEqual(['adapterStudio.ia3.scale.vec1', 'adapterStudio.ia3.scale.vec1', 'adapterStudio.ia3.vectorGrad']);
  });

  it('keeps tf.memory() steady over 100 forward + backward steps', async () => {
    const { args, dy } = problem([2, 16, 64], [2, 1, 64]);
    const [y, v] = args.map((a) => tf.tensor(a.values, a.shape));
    const dyTensor = tf.tensor(dy.values, dy.shape);
    const step = async () => {
      const outputs = tf.tidy(() => {
        const { value, grads } = tf.valueAndGrads((...t: tf.Tensor[]) => fused(t[0], t[1]))([y, v], dyTensor as tf.Tensor3D);
        return [value, ...grads];
      });
      await Promise.all(outputs.map((t) => t.data()));
      tf.dispose(outputs);
    };
    await step();
    const before = tf.memory();
    for (let i = 0; i < 100; i++) await step();
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
    tf.dispose([y, v, dyTensor]);
  });
});
