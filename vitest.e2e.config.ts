import { defineConfig } from 'vitest/config';

// Playwright specs driving Debian's Chromium (WebGPU on SwiftShader) against the built app and the offline Hub.
export default defineConfig({
  test: {
    include: ['e2e/**/*.spec.ts'],
    environment: 'node',
    testTimeout: 300_000,
    hookTimeout: 600_000,
    fileParallelism: false,
    globalSetup: ['e2e/global-setup.ts'],
  },
});
