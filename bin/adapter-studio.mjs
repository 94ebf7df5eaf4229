#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so the core needs no separate build for Node.
import { register as registerHooks } from 'node:module';
import { register } from 'tsx/esm/api';

register();
// The kernels import their WGSL as `?raw` (Vite's syntax), which Node and tsx do not know.
registerHooks('./raw-import-hooks.mjs', import.meta.url);
// Relaxed SIMD for the wasm GEMM on Node 20, before any wasm compiles.
await import('../src/core/backend/node-wasm-features.ts');
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
