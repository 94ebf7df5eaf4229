import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// CI installs clang-19 and lld-19 (.ci/run); elsewhere, without them, the check cannot run and says so.
const clang = spawnSync(process.env.CLANG ?? 'clang-19', ['--version']).status === 0;

describe('gemm-binaries.ts', () => {
  it.runIf(clang || process.env.CI)('is what gemm.c compiles to (scripts/build-gemm.mjs --check)', () => {
    const check = spawnSync(process.execPath, ['scripts/build-gemm.mjs', '--check'], { encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });
});
