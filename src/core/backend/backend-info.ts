/**
 * What the compute backend is, as the page sees it. Plain data with no tfjs import, so the UI thread, the worker
 * protocol and the CLI can all use these types.
 */

/** The tfjs backends the studio can compute on, fastest first on a real GPU. */
export type BackendName = 'webgpu' | 'wasm' | 'cpu';

export const BACKEND_NAMES: readonly BackendName[] = ['webgpu', 'wasm', 'cpu'];

/** The WebGPU adapter the device was created from. */
export interface GpuAdapterSummary {
  /** Adapter vendor as the browser reports it, e.g. "google", "nvidia" (may be empty for privacy). */
  vendor: string;
  /** GPU family, e.g. "swiftshader", "ampere" (may be empty). */
  architecture: string;
  /** Driver or device description, e.g. "SwiftShader driver 5.0.0" (may be empty). */
  description: string;
  /** True for CPU implementations of WebGPU (SwiftShader, fallback adapters): real but slow. */
  isSoftware: boolean;
}

/** Buffer limits of the device we created, in bytes: the largest tensor a kernel can bind. */
export interface GpuDeviceLimits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
}

/** The largest tensor a kernel can bind under these limits. */
export function largestBindingBytes(limits: GpuDeviceLimits): number {
  return Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
}

export interface BackendInfo {
  name: BackendName;
  /** Present on webgpu. */
  adapter?: GpuAdapterSummary;
  /** Present on webgpu: the limits granted to our device (the adapter's maxima). */
  limits?: GpuDeviceLimits;
  /**
   * Present on wasm: whether SIMD is used, how many threads XNNPACK runs (1 without cross-origin isolation), whether
   * the threaded build runs, and the logical cores the runtime reports (tfjs-backend-wasm 4.22's pool takes half of
   * them, at most 8: one thread on a 2-core machine even when threaded), and which build of the studio's own
   * matrix product runs (wasm-gemm.ts; absent where it cannot, and tfjs' kernel runs): with fused multiply-add
   * (relaxed SIMD) or plain SIMD128. It runs on one thread.
   */
  wasm?: { simd: boolean; threads: number; threadedBuild?: boolean; logicalCores?: number; matMul?: 'relaxed-simd' | 'simd' };
  /** Why a faster backend was skipped, e.g. "WebGPU unavailable: no adapter (...)"; absent when none was. */
  fallbackReason?: string;
}

/** A GPU device stopped working after it was created (driver reset, tab in background too long, destroy()). */
export interface DeviceLostInfo {
  /** GPUDeviceLostReason: "destroyed" or "unknown". */
  reason: string;
  /** The browser's explanation. */
  message: string;
}
