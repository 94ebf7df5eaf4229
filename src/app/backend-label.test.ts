import { describe, expect, it } from 'vitest';
import { backendDisplayName, backendLabel, wasmLine } from './backend-label.ts';

describe('backend badge', () => {
  it('names the adapter and flags software ones', () => {
    expect(backendLabel({ name: 'webgpu', adapter: { vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader driver 5.0.0', isSoftware: true } }))
      .toBe('WebGPU · SwiftShader (software)');
    expect(backendLabel({ name: 'webgpu', adapter: { vendor: 'nvidia', architecture: 'ampere', description: '', isSoftware: false } }))
      .toBe('WebGPU · nvidia ampere');
  });

  it('says which faster backends were skipped', () => {
    expect(backendLabel({ name: 'wasm', fallbackReason: 'WebGPU unavailable: no GPU adapter (x)' })).toBe('wasm (WebGPU unavailable)');
    expect(backendLabel({ name: 'cpu', fallbackReason: 'WebGPU unavailable: a; wasm unavailable: b' })).toBe('cpu (WebGPU unavailable, wasm unavailable)');
    expect(backendLabel({ name: 'wasm', wasm: { simd: true, threads: 2 } })).toBe('wasm');
  });

  it('writes tfjs backend names for people', () => {
    expect(['webgpu', 'wasm', 'cpu'].map(backendDisplayName)).toEqual(['WebGPU', 'wasm', 'cpu']);
  });
});

describe('the Settings wasm line', () => {
  it('says the thread count, and on the threaded build why it may be under the cores', () => {
    expect(wasmLine({ simd: true, threads: 1, threadedBuild: false, logicalCores: 8 })).toBe('SIMD, 1 thread');
    expect(wasmLine({ simd: true, threads: 1, threadedBuild: true, logicalCores: 2 })).toBe('SIMD, 1 thread (threaded build; tfjs uses half of the 2 logical cores, at most 8)');
    expect(wasmLine({ simd: true, threads: 8, threadedBuild: true, logicalCores: 8 })).toBe('SIMD, 8 threads (threaded build)');
    expect(wasmLine({ simd: false, threads: 1 })).toBe('no SIMD, 1 thread');
  });

  it('says when the studio\'s own GEMM does the matrix products, on one thread', () => {
    expect(wasmLine({ simd: true, threads: 1, threadedBuild: false, matMul: 'relaxed-simd' })).toBe('SIMD, 1 thread · matrix products: relaxed-SIMD GEMM, 1 thread');
    expect(wasmLine({ simd: true, threads: 4, threadedBuild: true, logicalCores: 8, matMul: 'simd' }))
      .toBe('SIMD, 4 threads (threaded build; tfjs uses half of the 8 logical cores, at most 8) · matrix products: SIMD GEMM, 1 thread');
  });
});
