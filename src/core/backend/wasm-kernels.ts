/**
 * Kernel overrides for tfjs-backend-wasm 4.22, registered when the wasm backend starts (init-backend.ts).
 *
 * Identity: tfjs-core saves every tensor a gradient needs through `engine.clone`, which runs the Identity kernel;
 * the wasm kernel copies the data (the cpu and WebGPU backends share it), so on wasm each activation kept for
 * backward existed twice and was copied once per op. Tensors are immutable, so sharing the buffer (as Reshape
 * does) is what the other backends do: the copy goes, and with it about half of a training step's tensor memory.
 */
import * as tf from '@tensorflow/tfjs';

interface RefCountingBackend {
  incRef(dataId: tf.DataId): void;
}

const sharedIdentity: tf.KernelConfig = {
  kernelName: tf.Identity,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend }) => {
    const x = inputs.x as tf.TensorInfo;
    (backend as unknown as RefCountingBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  },
};

/** Replaces the wasm backend's copying Identity kernel with one that shares the input's buffer. */
export function registerWasmKernelOverrides(): void {
  if (tf.getKernel(tf.Identity, 'wasm')?.kernelFunc === sharedIdentity.kernelFunc) return;
  tf.unregisterKernel(tf.Identity, 'wasm');
  tf.registerKernel(sharedIdentity);
}
