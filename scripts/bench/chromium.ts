// Issue 15's browser figures: an adapter step in Debian's Chromium (playwright-core), on the studio's core bundled
// for the page (browser/step-page.ts), wasm (cross-origin isolated, so the threaded build loads) and WebGPU.
// Default: tiny-bert (the demo model's config) at batch 16 on both backends, and bert-base at batch 2 × 32 tokens on
// wasm and 2 × 16 on WebGPU (short: on SwiftShader WebGPU is a CPU). `--gpu`: the figures for a real GPU (roberta-base seq_bn, the seeds'
// batch 32 × 100 tokens, and bert-base), skipped with the reason when Chromium finds no adapter or only a software one.
//   node --import ./scripts/bench/register.mjs scripts/bench/chromium.ts [--gpu]
// Prints one JSON line (ChromiumFigure).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type Plugin, build } from 'esbuild';
import { launchChromium } from '../../e2e/browser.ts';
import { defaultFixturesDir, ensureFixtures } from '../../src/fixtures/index.ts';
import type { BatchTokens } from './batches.ts';
import type { BrowserStepCase, BrowserStepResult } from './browser/step-page.ts';
import { emit, median, progress } from './figure-io.ts';
import { DEMO_MODEL } from './offline-hub.ts';
import { realConfig } from './real-configs.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const WASM_DIR = join(HERE, '..', '..', 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
/** Flags for a real GPU in headless Chromium on Linux: Vulkan, and no blocklist (a server GPU is often on it). */
const REAL_GPU_FLAGS = ['--enable-features=Vulkan', '--ignore-gpu-blocklist'];
/** The seeds' roberta-base seq_bn run: 324.7 samples/s at batch 32, max length 100 (AdapterHub notebook, seed 002). */
const SEEDS_SAMPLES_PER_SECOND = 324.7;

export interface ChromiumCase {
  name: string;
  backend: 'wasm' | 'webgpu';
  batch: number;
  padLengths: number[];
  /** Median ms per step after the first. */
  stepMs: number;
  samplesPerSecond: number;
  firstStepMs: number;
  loadMs: number;
  timedSteps: number;
  /** What the backend said of itself: the adapter on WebGPU, SIMD and threads on wasm. */
  backendInfo: BrowserStepResult['backend'];
}

export interface ChromiumFigure {
  chromium: string;
  cases: ChromiumCase[];
  /** --gpu where no hardware adapter was found: why nothing was measured. */
  skipped?: string;
  /** --gpu: the seeds' samples/s that the roberta-base case is held against (goal: ≥ 50%). */
  seedsSamplesPerSecond?: number;
}

interface Spec {
  name: string;
  backend: 'wasm' | 'webgpu';
  config: Record<string, unknown>;
  repoId: string;
  tokens: BatchTokens;
  batch: number;
  padLengths: number[];
  steps: number;
}

const log = (line: string) => progress('chromium', line);
const { values } = parseArgs({ options: { gpu: { type: 'boolean' } } });
const BERT_TOKENS: BatchTokens = { cls: 101, sep: 102, firstWord: 1000, words: 29000 };
const ROBERTA_TOKENS: BatchTokens = { cls: 0, sep: 2, pad: 1, firstWord: 1000, words: 49000 };

function specs(): Spec[] {
  const bert = { config: realConfig('bert-base-uncased.json'), repoId: 'bert-base-uncased', tokens: BERT_TOKENS };
  if (values.gpu) {
    return [
      { name: 'roberta-base', backend: 'webgpu', config: realConfig('roberta-base.json'), repoId: 'FacebookAI/roberta-base', tokens: ROBERTA_TOKENS, batch: 32, padLengths: [100], steps: 12 },
      { name: 'bert-base', backend: 'webgpu', ...bert, batch: 8, padLengths: [17, 25, 33, 41], steps: 12 },
    ];
  }
  const tiny = { config: JSON.parse(readFileSync(join(defaultFixturesDir(), 'models', DEMO_MODEL, 'files', 'config.json'), 'utf8')) as Record<string, unknown>, repoId: DEMO_MODEL, tokens: { cls: 2, sep: 3, firstWord: 10, words: 400 } };
  return [
    { name: 'tiny-bert', backend: 'wasm', ...tiny, batch: 16, padLengths: [17, 25, 33, 41], steps: 13 },
    { name: 'tiny-bert', backend: 'webgpu', ...tiny, batch: 16, padLengths: [17, 25, 33, 41], steps: 5 },
    { name: 'bert-base', backend: 'wasm', ...bert, batch: 2, padLengths: [32], steps: 4 },
    // SwiftShader runs bert-base at ~2 min a step of 2 × 32 tokens: 2 × 16, one timed step.
    { name: 'bert-base', backend: 'webgpu', ...bert, batch: 2, padLengths: [16], steps: 2 },
  ];
}

/** Vite's `?raw` imports (the kernels' WGSL) as the file's text, as Vite bundles them. */
const rawImports: Plugin = {
  name: 'raw-imports',
  setup(b) {
    b.onResolve({ filter: /\?raw$/ }, (args) => ({ path: resolve(args.resolveDir, args.path.replace(/\?raw$/, '')), namespace: 'raw' }));
    b.onLoad({ filter: /.*/, namespace: 'raw' }, (args) => ({ contents: readFileSync(args.path, 'utf8'), loader: 'text' }));
  },
};

/** The page, its bundle and tfjs' wasm binaries on 127.0.0.1, cross-origin isolated (COOP + COEP) as the studio is served. */
async function servePage(): Promise<{ url: string; server: Server; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'adapter-studio-chromium-bench-'));
  await build({
    entryPoints: [join(HERE, 'browser', 'step-page.ts')], bundle: true, format: 'esm', platform: 'browser', outfile: join(dir, 'step-page.js'), logLevel: 'error',
    // Node-only paths of some packages (behind `typeof process` checks), as Vite leaves them out of the browser build.
    external: [...builtinModules, ...builtinModules.map((name) => `node:${name}`)],
    plugins: [rawImports],
  });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><title>step bench</title><script type="module" src="/step-page.js"></script>');
  const files: Record<string, [string, string]> = {
    '/': [join(dir, 'index.html'), 'text/html'],
    '/step-page.js': [join(dir, 'step-page.js'), 'text/javascript'],
  };
  for (const wasm of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) files[`/wasm/${wasm}`] = [join(WASM_DIR, wasm), 'application/wasm'];
  const server = createServer((request, response) => {
    const file = files[new URL(request.url ?? '/', 'http://x').pathname];
    if (!file) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': file[1], 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' });
    response.end(readFileSync(file[0]));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the bench page server has no port');
  return { url: `http://127.0.0.1:${address.port}/`, server, dir };
}

await ensureFixtures(defaultFixturesDir(), { log });
const page = await servePage();
const browser = await launchChromium({ webgpu: true, args: values.gpu ? REAL_GPU_FLAGS : [] });
try {
  const chromium = browser.context.browser()?.version() ?? 'unknown';
  const figure: ChromiumFigure = { chromium, cases: [] };
  if (values.gpu) {
    figure.seedsSamplesPerSecond = SEEDS_SAMPLES_PER_SECOND;
    await browser.page.goto(page.url);
    const adapter = await browser.page.evaluate(async () => {
      const found = await navigator.gpu?.requestAdapter({ powerPreference: 'high-performance' });
      return found ? { description: `${found.info.vendor} ${found.info.architecture} ${found.info.description}`.trim(), software: found.info.architecture === 'swiftshader' || (found.info as { isFallbackAdapter?: boolean }).isFallbackAdapter === true } : undefined;
    });
    if (!adapter || adapter.software) {
      figure.skipped = adapter ? `Chromium's only WebGPU adapter is a software one (${adapter.description}): no GPU to measure` : 'Chromium found no WebGPU adapter: no GPU to measure (or its driver is not Vulkan)';
      log(`skipped: ${figure.skipped}`);
      emit(figure);
      process.exit(0);
    }
    log(`GPU: ${adapter.description}`);
  }
  for (const spec of specs()) {
    // A fresh page a case, so no backend or kernel cache of the one before is left.
    await browser.page.goto(page.url);
    await browser.page.waitForFunction(() => 'benchStep' in globalThis);
    const request: BrowserStepCase = { backend: spec.backend, config: spec.config, repoId: spec.repoId, adapter: 'seq_bn[reduction_factor=16]', batch: spec.batch, padLengths: spec.padLengths, steps: spec.steps, tokens: spec.tokens };
    const result = await browser.page.evaluate((c) => (globalThis as unknown as { benchStep: (c: BrowserStepCase) => Promise<BrowserStepResult> }).benchStep(c), request);
    const stepMs = median(result.stepMs.slice(1));
    figure.cases.push({
      name: spec.name, backend: spec.backend, batch: spec.batch, padLengths: spec.padLengths, stepMs, samplesPerSecond: spec.batch / (stepMs / 1e3),
      firstStepMs: result.firstStepMs, loadMs: result.loadMs, timedSteps: result.stepMs.length - 1, backendInfo: result.backend,
    });
    log(`${spec.name} ${spec.backend} batch ${spec.batch} × ${spec.padLengths.join('/')}: ${stepMs.toFixed(1)} ms/step (${(spec.batch / (stepMs / 1e3)).toFixed(1)} samples/s), first step ${result.firstStepMs.toFixed(0)} ms, load ${result.loadMs.toFixed(0)} ms`);
  }
  if (browser.consoleErrors.length > 0) log(`page errors: ${browser.consoleErrors.slice(0, 3).join(' | ')}`);
  emit(figure);
} finally {
  await browser.close();
  page.server.close();
  rmSync(page.dir, { recursive: true, force: true });
}
