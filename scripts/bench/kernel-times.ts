// Where a step's time goes: the self time of each tfjs kernel, by name. Wraps every kernel registered for the
// backend (wasm and cpu kernels run synchronously, so the time inside kernelFunc is the kernel's); a kernel that
// calls others (our BatchMatMul handing an odd case to tfjs', a fused op) is charged only for its own part.
import * as tf from '@tensorflow/tfjs';

export interface KernelTimes {
  /** Zeroes the counts (e.g. after a warm-up step). */
  reset(): void;
  /** Milliseconds and calls per kernel name since the last reset. */
  read(): Map<string, { ms: number; calls: number }>;
}

/** Starts timing every kernel registered for `backend` (call after the backend's own overrides are in). */
export function timeKernels(backend: string): KernelTimes {
  let times = new Map<string, { ms: number; calls: number }>();
  /** Time spent in kernels called from the kernel running now, to subtract from its own. */
  const nested: number[] = [];
  for (const config of tf.getKernelsForBackend(backend)) {
    const { kernelName, kernelFunc } = config;
    tf.unregisterKernel(kernelName, backend);
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        nested.push(0);
        const started = performance.now();
        try {
          return kernelFunc(args);
        } finally {
          const total = performance.now() - started;
          const own = total - nested.pop()!;
          if (nested.length > 0) nested[nested.length - 1] += total;
          const entry = times.get(kernelName) ?? { ms: 0, calls: 0 };
          entry.ms += own;
          entry.calls += 1;
          times.set(kernelName, entry);
        }
      },
    });
  }
  return {
    reset: () => { times = new Map(); },
    read: () => times,
  };
}
