#!/usr/bin/env node
// `npm run bench`: runs each figure in a process of its own, writes bench/results.json and bench/results.md, and
// prints the Markdown table. Every ratio compares two measurements taken in the same run on this machine. Figures
// run with --expose-gc so that a figure can drop its host copy of the weights before it measures (adapter-step.ts).
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { markdownReport } from './markdown.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const OUT = join(ROOT, 'bench');

/** The figures in run order: name, script, arguments. */
const FIGURES = [
  ['exportSize', 'export-size.ts', []],
  ['data', 'data.ts', []],
  ['wasmAdapter', 'training.ts', ['--backend', 'wasm', '--kind', 'adapter', '--steps', '20', '--load']],
  ['wasmFull', 'training.ts', ['--backend', 'wasm', '--kind', 'full', '--steps', '20']],
  ['cpuAdapter', 'training.ts', ['--backend', 'cpu', '--kind', 'adapter', '--steps', '12']],
  ['cpuFull', 'training.ts', ['--backend', 'cpu', '--kind', 'full', '--steps', '5']],
  ['webgpuAdapter', 'training.ts', ['--backend', 'webgpu', '--kind', 'adapter', '--steps', '8']],
  ['kernels', 'kernels.ts', ['--demo-samples', '3', '--bert-samples', '1']],
  ['bertBase', 'bert-base.ts', ['--steps', '4']],
  ['bertBaseLora', 'bert-base.ts', ['--steps', '4', '--method', 'lora']],
  ['bertBaseFull', 'bert-base.ts', ['--steps', '4', '--method', 'full', '--no-torch']],
  ['robertaBase', 'roberta-base.ts', ['--steps', '4']],
  ['debertaV3Base', 'deberta-v3-base.ts', ['--steps', '4', '--micro-batch', '4']],
  ['chromium', 'chromium.ts', []],
];
/** `--gpu`: only the Chromium WebGPU figures for a real GPU (chromium.ts --gpu), which skip where there is none. */
const GPU_FIGURES = [['chromiumGpu', 'chromium.ts', ['--gpu']]];
/** `--only NAME[,NAME]` runs just those figures (names as above, or bert-base for bertBase). */
const gpu = process.argv.includes('--gpu');
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt > 0 ? new Set(String(process.argv[onlyAt + 1] ?? '').split(',').map((n) => n.replace(/-(\w)/g, (_, c) => c.toUpperCase()))) : undefined;
if (only) {
  const unknown = [...only].filter((name) => !FIGURES.some(([figure]) => figure === name));
  if (unknown.length > 0) throw new Error(`--only: no figure named ${unknown.join(', ')}; figures: ${FIGURES.map(([n]) => n).join(', ')}.`);
}

/** Runs one figure; resolves with its JSON result (the last stdout line) or its error. */
function runFigure(script, args) {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', join(HERE, 'register.mjs'), join(HERE, script), ...args], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      // Progress lines of the figure; Dawn's XDG_RUNTIME_DIR complaint is noise.
      for (const line of String(chunk).split('\n')) if (line.startsWith('[')) process.stderr.write(`${line}\n`);
    });
    child.on('close', (code) => {
      const last = stdout.trim().split('\n').pop();
      if (code === 0 && last) done({ ok: true, result: JSON.parse(last) });
      else done({ ok: false, error: `exited with ${code}: ${stderr.split('\n').filter((l) => /Error|error:/.test(l) && !l.includes('XDG_RUNTIME_DIR')).slice(0, 3).join(' | ') || stderr.slice(-500)}` });
    });
  });
}

const os = await import('node:os');
const loadBefore = os.loadavg()[0];
const started = performance.now();
const results = {};
const seconds = {};
const failures = {};
for (const [name, script, args] of (gpu ? GPU_FIGURES : FIGURES).filter(([figure]) => gpu || !only || only.has(figure))) {
  const t0 = performance.now();
  process.stderr.write(`— ${name}: ${script} ${args.join(' ')}\n`);
  const outcome = await runFigure(script, args);
  seconds[name] = (performance.now() - t0) / 1e3;
  if (outcome.ok) results[name] = outcome.result;
  else {
    failures[name] = outcome.error;
    process.stderr.write(`✗ ${name} failed: ${outcome.error}\n`);
  }
}
const totalSeconds = (performance.now() - started) / 1e3;
// The 1-minute load average before and after: on a shared machine it says how much the other processes took.
const meta = { date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, load: [loadBefore, os.loadavg()[0]], totalSeconds, secondsPerFigure: seconds };
const report = { meta, results, failures };
mkdirSync(OUT, { recursive: true });
// A partial run (--only) does not replace the full run's committed results.
const stem = gpu ? 'results-gpu' : only ? `results-${[...only].join('-')}` : 'results';
writeFileSync(join(OUT, `${stem}.json`), `${JSON.stringify(report, null, 2)}\n`);
const markdown = markdownReport(report);
writeFileSync(join(OUT, `${stem}.md`), markdown);
process.stdout.write(`${markdown}\n`);
process.stdout.write(`Wrote bench/${stem}.json and bench/${stem}.md; ${Object.keys(failures).length} figure(s) failed; total ${totalSeconds.toFixed(0)} s.\n`);
process.exitCode = Object.keys(failures).length === 0 ? 0 : 1;
