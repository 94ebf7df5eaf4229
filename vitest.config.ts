import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Node unit tests for the core, the Hub server, fixtures and the CLI. Browser specs live in e2e/.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'scripts/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // Vitest's default leaves one core free; the tests are single-threaded wasm and tfjs, so on a 2-core machine
    // that default ran one file at a time with a core idle. One file per core halves the suite's time.
    maxWorkers: availableParallelism(),
    globalSetup: ['src/fixtures/global-setup.ts'],
    // Relaxed SIMD for the wasm GEMM on Node 20, as the CLI turns it on (wasm-gemm.test.ts also runs the plain build).
    setupFiles: ['src/core/backend/node-wasm-features.ts'],
  },
});
