import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { bottleneckDelta, bottleneckDeltaComposed, ia3Scale, ia3ScaleComposed, loraDelta, loraDeltaComposed } from '../adapters/hot-paths.ts';
import { initBackend } from '../backend/init-backend.ts';
import { bottleneckPath, fusedBottleneckDelta, fusedMaxWidth } from './bottleneck.ts';
import { bottleneckWorkgroupBytes } from './bottleneck-programs.ts';
import { fusedIa3Scale, ia3Path } from './ia3.ts';
import { fusedLoraDelta, loraPath } from './lora.ts';
import { uniformValues } from './parity.ts';

// Off WebGPU every hot path takes its composed twin, and the fused functions say why they cannot run.
beforeAll(async () => {
  await initBackend('cpu');
});

const t = (seed: string, shape: number[]) => tf.tensor(uniformValues(seed, shape.reduce((p, d) => p * d, 1)), shape);

describe('fused kernel paths on the cpu backend', () => {
  it('report the composed path for every kernel', () => {
    expect(fusedMaxWidth()).toBe(0);
    expect(bottleneckPath(4)).toBe('composed');
    expect(loraPath(8)).toBe('composed');
    expect(ia3Path({ shape: [2, 3, 5] }, { shape: [5] })).toBe('composed');
  });

  it('route the hot paths to the composed twins (same values)', async () => {
    const x = t('x', [2, 3, 5]) as tf.Tensor3D;
    const down = { weight: t('wd', [2, 5]) as tf.Tensor2D, bias: t('bd', [2]) as tf.Tensor1D };
    const up = { weight: t('wu', [5, 2]) as tf.Tensor2D, bias: t('bu', [5]) as tf.Tensor1D };
    expect(await bottleneckDelta(x, down, up, 'gelu', 2).data()).toEqual(await bottleneckDeltaComposed(x, down, up, 'gelu', 2).data());
    const a = t('a', [3, 5]) as tf.Tensor2D;
    const b = t('b', [4, 3]) as tf.Tensor2D;
    expect(await loraDelta(x, a, b, 0.5).data()).toEqual(await loraDeltaComposed(x, a, b, 0.5).data());
    const v = t('v', [5]);
    expect(await ia3Scale(x, v).data()).toEqual(await ia3ScaleComposed(x, v).data());
  });

  it('refuse to run the fused kernels and name the way out', () => {
    const x = tf.zeros([1, 2, 4]) as tf.Tensor3D;
    const linear = (out: number, inputs: number) => ({ weight: tf.zeros([out, inputs]) as tf.Tensor2D, bias: tf.zeros([out]) as tf.Tensor1D });
    expect(() => fusedBottleneckDelta(x, linear(2, 4), linear(4, 2), 'relu', 1))
      .toThrow('a bottleneck of width 2 cannot run fused on the cpu backend (fused widths: 1…0); use bottleneckDelta');
    expect(() => fusedLoraDelta(x, tf.zeros([2, 4]) as tf.Tensor2D, tf.zeros([4, 2]) as tf.Tensor2D, 1)).toThrow('use loraDelta');
    expect(() => fusedIa3Scale(x, tf.zeros([4]))).toThrow('fusedIa3Scale needs the webgpu backend (active: cpu); use ia3Scale.');
  });

  it('size the workgroup memory so that width 64 fits 32 KiB and width 32 fits WebGPU\'s default 16 KiB', () => {
    expect(bottleneckWorkgroupBytes(64)).toBeLessThanOrEqual(32 * 1024);
    expect(bottleneckWorkgroupBytes(32)).toBeLessThanOrEqual(16 * 1024);
    expect(bottleneckWorkgroupBytes(33)).toBeGreaterThan(16 * 1024);
  });
});
