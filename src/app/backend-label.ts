import type { BackendInfo, GpuAdapterSummary } from '../core/backend/backend-info.ts';

const BACKEND_NAMES: Record<string, string> = { webgpu: 'WebGPU', wasm: 'wasm', cpu: 'cpu' };

/** How a tfjs backend name is written for people: "webgpu" → "WebGPU". */
export function backendDisplayName(name: string): string {
  return BACKEND_NAMES[name] ?? name;
}

const KNOWN_ADAPTERS: Record<string, string> = { swiftshader: 'SwiftShader' };

/** A short human name for a GPU adapter, e.g. "SwiftShader", "nvidia ampere". */
export function adapterName(adapter: GpuAdapterSummary): string {
  const known = KNOWN_ADAPTERS[adapter.architecture.toLowerCase()];
  if (known) return known;
  return [adapter.vendor, adapter.architecture].filter(Boolean).join(' ') || adapter.description || 'unnamed GPU';
}

/**
 * The header badge: "WebGPU · SwiftShader (software)", "WebGPU · nvidia ampere", "wasm (WebGPU unavailable)".
 * The full fallback reason is shown next to it, in a notice.
 */
export function backendLabel(info: BackendInfo): string {
  if (info.name === 'webgpu') {
    const adapter = info.adapter ? ` · ${adapterName(info.adapter)}${info.adapter.isSoftware ? ' (software)' : ''}` : '';
    return `WebGPU${adapter}`;
  }
  const skipped = info.fallbackReason?.split('; ').map((reason) => reason.split(':')[0]).join(', ');
  return skipped ? `${info.name} (${skipped})` : info.name;
}

/**
 * The Settings line for wasm: "SIMD, 4 threads", or on the threaded build with fewer threads than cores, why:
 * tfjs-backend-wasm 4.22 sizes its pool at half the logical cores (at most 8), so a 2-core machine runs one.
 * Where the studio's own GEMM does the matrix products (most of a step's time), it says so: it runs on one thread
 * whatever tfjs' pool.
 */
export function wasmLine(wasm: NonNullable<BackendInfo['wasm']>): string {
  const line = `${wasm.simd ? 'SIMD' : 'no SIMD'}, ${wasm.threads} thread${wasm.threads === 1 ? '' : 's'}`;
  const gemm = wasm.matMul ? ` · matrix products: ${wasm.matMul === 'relaxed-simd' ? 'relaxed-SIMD' : 'SIMD'} GEMM, 1 thread` : '';
  if (!wasm.threadedBuild) return `${line}${gemm}`;
  const cores = wasm.logicalCores;
  const build = cores !== undefined && wasm.threads < cores ? ` (threaded build; tfjs uses half of the ${cores} logical cores, at most 8)` : ' (threaded build)';
  return `${line}${build}${gemm}`;
}
