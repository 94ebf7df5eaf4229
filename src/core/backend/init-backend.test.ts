import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend, loseDeviceForTesting } from './init-backend.ts';

// Node without WebGPU: the real fallback path. WebGPU through Dawn is in init-backend.webgpu.test.ts.
describe('initBackend in Node', () => {
  it('skips WebGPU with the reason and computes on wasm', async () => {
    const info = await initBackend();
    expect(info.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.fallbackReason).toMatch(/^WebGPU unavailable: navigator\.gpu is undefined/);
    expect(info.wasm?.threads).toBeGreaterThanOrEqual(1);
    // [[1,2],[3,4]]² = [[7,10],[15,22]]
    const a = tf.tensor2d([[1, 2], [3, 4]]);
    expect(Array.from(await tf.matMul(a, a).data())).toEqual([7, 10, 15, 22]);
  });

  it('starts the backend asked for without a fallback reason', async () => {
    const info = await initBackend('cpu');
    expect(info).toEqual({ name: 'cpu' });
    expect(tf.getBackend()).toBe('cpu');
  });

  it('says so when the browser returns no adapter', async () => {
    const gpu = { requestAdapter: async () => null } as unknown as GPU;
    const info = await initBackend('webgpu', { gpu });
    expect(info.name).toBe('wasm');
    expect(info.fallbackReason).toMatch(/^WebGPU unavailable: no GPU adapter \(navigator\.gpu\.requestAdapter\(\) returned null/);
  });

  it('says so when the adapter refuses a device', async () => {
    const adapter = {
      limits: { maxStorageBufferBindingSize: 1 << 30, maxBufferSize: 1 << 30 },
      requestDevice: async () => { throw new Error('limit maxBufferSize exceeds the adapter'); },
    };
    const gpu = { requestAdapter: async () => adapter } as unknown as GPU;
    const info = await initBackend('webgpu', { gpu });
    expect(info.fallbackReason).toBe('WebGPU unavailable: the GPU adapter refused a device (limit maxBufferSize exceeds the adapter)');
  });

  it('rejects unknown backend names', async () => {
    await expect(initBackend('webgl' as never)).rejects.toThrow(/Unknown backend "webgl"; choose one of webgpu, wasm, cpu/);
  });

  it('has no device to lose off WebGPU', async () => {
    await initBackend('wasm');
    expect(() => loseDeviceForTesting()).toThrow(/no WebGPU device to lose: the active backend is wasm/);
  });
});
