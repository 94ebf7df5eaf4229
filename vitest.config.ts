import { defineConfig } from 'vitest/config';

// Node unit tests for the core, the Hub server, fixtures and the CLI. Browser specs live in e2e/.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'scripts/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    globalSetup: ['src/fixtures/global-setup.ts'],
  },
});
