import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { GEMM_BINARIES, type GemmBuild } from './gemm-binaries.ts';
import { initBackend } from './init-backend.ts';
import { gemmBytes, instantiateGemm } from './wasm-gemm.ts';

/** Deterministic values in [-1, 1). */
const values = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 1000 + i * 0.731) % 1);

/** C = op(A) · op(B) in float64 from row-major arrays: A is [m, k] or, transposed, [k, m]; B is [k, n] or [n, k]. */
function reference(a: Float32Array, b: Float32Array, m: number, n: number, k: number, ta: boolean, tb: boolean): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[ta ? p * m + i : i * k + p] * b[tb ? j * k + p : p * n + j];
      c[i * n + j] = s;
    }
  }
  return c;
}

function maxError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  return worst;
}

// Sizes around the tile (5 × 8) and panel depth (256): remainders of each, one row, one column, a deep k.
const SHAPES: [m: number, n: number, k: number][] = [[1, 1, 1], [5, 8, 256], [6, 9, 257], [13, 3, 600], [4, 17, 2], [41, 41, 64], [2, 8, 0]];
const LAYOUTS: [ta: boolean, tb: boolean][] = [[false, false], [false, true], [true, false], [true, true]];

describe('gemm.c, each build on its own memory', () => {
  const builds = (Object.keys(GEMM_BINARIES) as GemmBuild[]).filter((build) => WebAssembly.validate(gemmBytes(build)));

  it('every build validates here (Node 20 with relaxed SIMD turned on, as the CLI does)', () => {
    expect(builds.sort()).toEqual(['plain-shared', 'plain-unshared', 'relaxed-shared', 'relaxed-unshared']);
  });

  it.each(builds)('%s: every layout and batch equals a float64 product', async (build) => {
    const shared = build.endsWith('-shared');
    const memory = new WebAssembly.Memory({ initial: 64, maximum: 65536, ...(shared ? { shared: true } : {}) });
    const gemm = await instantiateGemm(build, memory);
    const heap = new Float32Array(memory.buffer);
    for (const [m, n, k] of SHAPES) {
      for (const [ta, tb] of LAYOUTS) {
        const batch = 3;
        const a = values(batch * m * k, m + 1);
        const b = values(n * k, n + 2);
        // Floats from 64: a batch of A against one B (batch stride 0), C after them; 16-aligned panel at the end.
        const aAt = 64, bAt = aAt + a.length, cAt = bAt + b.length, panelAt = (cAt + batch * m * n + 8) & ~3;
        heap.set(a, aAt);
        heap.set(b, bAt);
        heap.fill(Number.NaN, cAt, cAt + batch * m * n);
        const [sam, sak] = ta ? [1, m] : [k, 1];
        const [sbk, sbn] = tb ? [1, k] : [n, 1];
        gemm(aAt * 4, bAt * 4, cAt * 4, batch, m, n, k, sam, sak, sbk, sbn, m * k, 0, panelAt * 4);
        for (let p = 0; p < batch; p++) {
          const expected = reference(a.subarray(p * m * k, (p + 1) * m * k), b, m, n, k, ta, tb);
          const actual = heap.subarray(cAt + p * m * n, cAt + (p + 1) * m * n);
          expect(maxError(actual, expected), `${build} ${m}×${n}×${k} ta ${ta} tb ${tb} batch ${p}`).toBeLessThan(1e-5 * Math.max(1, k));
        }
        // Nothing past C is written but the panel.
        expect(heap[cAt + batch * m * n]).not.toBeNaN();
      }
    }
  });
});

describe('BatchMatMul on the wasm backend', () => {
  it('runs the studio GEMM and equals a float64 product in every layout, batched and broadcast', async () => {
    const info = await initBackend('wasm');
    expect(info.wasm?.matMul).toBe('relaxed-simd');
    const before = tf.memory().numBytes;
    for (const [ta, tb] of LAYOUTS) {
      const [m, n, k] = [19, 11, 300];
      const a = values(2 * 3 * m * k, 5);
      const b = values(3 * n * k, 6);
      // a [2, 3, …] against b [3, …]: b broadcasts over the leading 2.
      const out = tf.tidy(() => tf.matMul(tf.tensor(a, [2, 3, ...(ta ? [k, m] : [m, k])]), tf.tensor(b, [3, ...(tb ? [n, k] : [k, n])]), ta, tb));
      expect(out.shape).toEqual([2, 3, m, n]);
      const got = out.dataSync();
      for (let p = 0; p < 6; p++) {
        const expected = reference(a.subarray(p * m * k, (p + 1) * m * k), b.subarray((p % 3) * n * k, (p % 3 + 1) * n * k), m, n, k, ta, tb);
        expect(maxError(got.subarray(p * m * n, (p + 1) * m * n), expected)).toBeLessThan(1e-4);
      }
      out.dispose();
    }
    expect(tf.memory().numBytes).toBe(before);
  });

  // tfjs-backend-wasm 4.22's own kernel gets this one wrong (it indexes b by the output's batch modulo b's).
  it('broadcasts [2, 1] against [1, 3] leading dimensions matrix by matrix', async () => {
    await initBackend('wasm');
    const a = values(2 * 4 * 5, 7);
    const b = values(3 * 5 * 6, 8);
    const out = tf.matMul(tf.tensor(a, [2, 1, 4, 5]), tf.tensor(b, [1, 3, 5, 6]));
    expect(out.shape).toEqual([2, 3, 4, 6]);
    const got = out.dataSync();
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 3; j++) {
        const expected = reference(a.subarray(i * 20, (i + 1) * 20), b.subarray(j * 30, (j + 1) * 30), 4, 6, 5, false, false);
        expect(maxError(got.subarray((i * 3 + j) * 24, (i * 3 + j + 1) * 24), expected)).toBeLessThan(1e-5);
      }
    }
  });

  it('gives the gradients of sum(W ⊙ (A · Bᵀ)): dA = W · B, dB = Wᵀ · A (float64)', async () => {
    await initBackend('wasm');
    const [m, n, k] = [10, 14, 9];
    const a = values(m * k, 9);
    const b = values(n * k, 10);
    const w = values(m * n, 11);
    const wt = tf.tensor2d(w, [m, n]);
    const [da, db] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y, false, true).mul(wt).sum())([tf.tensor2d(a, [m, k]), tf.tensor2d(b, [n, k])]);
    const wRows = Float32Array.from(w);
    expect(maxError(da.dataSync(), reference(wRows, b, m, k, n, false, false))).toBeLessThan(1e-5);
    expect(maxError(db.dataSync(), reference(wRows, a, n, k, m, true, false))).toBeLessThan(1e-5);
  });
});
