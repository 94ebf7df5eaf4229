// Loader for the bench's TypeScript figures: tsx for the .ts sources, plus the `?raw` WGSL imports the kernels use
// (the same two hooks bin/adapter-studio.mjs registers).
import { register as registerHooks } from 'node:module';
import { register } from 'tsx/esm/api';

register();
registerHooks('../../bin/raw-import-hooks.mjs', import.meta.url);
// Relaxed SIMD for the wasm GEMM on Node 20 (node-wasm-features.ts).
await import('../../src/core/backend/node-wasm-features.ts');
