#!/usr/bin/env node
// `npm test`: the typecheck, the lint (Biome: code rules and the dependency rules between folders, biome.jsonc), the
// Node unit tests, then the Chromium end-to-end specs, each through vitest; ends with one "N passed, N failed" line
// over both, the line CI reads.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const suites = [
  { name: 'unit', args: [] },
  { name: 'e2e', args: ['-c', 'vitest.e2e.config.ts'] },
];
const only = process.argv[2];
const outDir = mkdtempSync(join(tmpdir(), 'adapter-studio-tests-'));
let passed = 0;
let failed = 0;
let skipped = 0;
let broken = false;

if (!only) {
  console.log('=== typecheck (tsc --noEmit) ===');
  const tsc = spawnSync('npx', ['tsc', '--noEmit', '-p', 'tsconfig.json'], { stdio: 'inherit' });
  if (tsc.status !== 0) {
    console.error('Type errors: see above.');
    broken = true;
  }
  console.log('\n=== lint (biome lint) ===');
  const lint = spawnSync('npm', ['run', '--silent', 'lint'], { stdio: 'inherit' });
  if (lint.status !== 0) {
    console.error('Lint errors (code or dependency rules, biome.jsonc): see above.');
    broken = true;
  }
}

for (const suite of suites.filter((s) => !only || s.name === only)) {
  const outputFile = join(outDir, `${suite.name}.json`);
  console.log(`\n=== ${suite.name} tests ===`);
  const run = spawnSync('npx', ['vitest', 'run', ...suite.args, '--reporter=default', '--reporter=json', `--outputFile=${outputFile}`], {
    stdio: 'inherit',
  });
  let results;
  try {
    results = JSON.parse(readFileSync(outputFile, 'utf8'));
  } catch {
    console.error(`The ${suite.name} suite produced no results (exit code ${run.status}).`);
    broken = true;
    continue;
  }
  passed += results.numPassedTests;
  failed += results.numFailedTests;
  skipped += results.numPendingTests + (results.numTodoTests ?? 0);
  // A suite that failed outside any test (a crashed setup, a file that did not load) counts as broken.
  if (run.status !== 0 && results.numFailedTests === 0) broken = true;
}

console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || broken || passed === 0 ? 1 : 0);
