import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { DeviceLostInfo } from './backend-info.ts';
import { initBackend, loseDeviceForTesting } from './init-backend.ts';
import { nodeWebGpu } from './node-webgpu.ts';

// Real WebGPU in Node: Dawn (the `webgpu` package) on SwiftShader, with tfjs-backend-webgpu on top.
const node = await nodeWebGpu();
const gpu = 'gpu' in node ? node.gpu : undefined;

describe.skipIf(!gpu)(`initBackend on Dawn${gpu ? '' : ` (skipped: ${'unavailable' in node ? node.unavailable : ''})`}`, () => {
  const lost: DeviceLostInfo[] = [];

  it('creates a device with the adapter\'s buffer limits and flags SwiftShader as software', async () => {
    const adapter = (await gpu!.requestAdapter())!;
    const info = await initBackend('webgpu', { gpu, onDeviceLost: (l) => lost.push(l) });
    expect(tf.getBackend()).toBe('webgpu');
    expect(info.name).toBe('webgpu');
    expect(info.fallbackReason).toBeUndefined();
    expect(info.limits).toEqual({
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
    });
    expect(info.adapter?.architecture).toBe('swiftshader');
    expect(info.adapter?.isSoftware).toBe(true);
    const a = tf.tensor2d([[1, 2], [3, 4]]);
    expect(Array.from(await tf.matMul(a, a).data())).toEqual([7, 10, 15, 22]);
  });

  it('reports a lost device', async () => {
    loseDeviceForTesting();
    await expect.poll(() => lost.length).toBe(1);
    expect(lost[0].reason).toBe('destroyed');
  });

  it('restarts on a new device after a loss, without reporting the retired one', async () => {
    const info = await initBackend('webgpu', { gpu, onDeviceLost: (l) => lost.push(l) });
    expect(info.name).toBe('webgpu');
    const a = tf.tensor1d([1, 2, 3]);
    expect(Array.from(await tf.mul(a, a).data())).toEqual([1, 4, 9]);
    await initBackend('webgpu', { gpu });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(lost).toHaveLength(1);
  });
});
