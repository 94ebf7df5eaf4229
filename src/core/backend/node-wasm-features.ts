/**
 * Node only (the CLI, the bench, the unit tests): Node 20's V8 11.3 has wasm relaxed SIMD behind a flag (on by
 * default from V8 11.4, Node 22). gemm.c's fused multiply-add needs it; without it the plain SIMD build runs.
 * V8 reads the flag when it validates a module, so this must run before the wasm backend starts.
 */
import { setFlagsFromString } from 'node:v8';
import { gemmBytes } from './wasm-gemm.ts';

if (!WebAssembly.validate(gemmBytes('relaxed-unshared'))) setFlagsFromString('--experimental-wasm-relaxed-simd');
