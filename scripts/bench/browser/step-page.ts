// The page side of scripts/bench/chromium.ts: an adapter step in the browser, on the studio's own core (the same
// modules the worker runs), with random weights for a given config.json. chromium.ts bundles this file with esbuild
// and calls `benchStep` once per fresh page.
import { createAdapter } from '../../../src/core/adapters/adapter.ts';
import type { BackendInfo } from '../../../src/core/backend/backend-info.ts';
import { initBackend } from '../../../src/core/backend/init-backend.ts';
import { parseEncoderConfig } from '../../../src/core/model/config.ts';
import { uploadEncoderWeights } from '../../../src/core/model/encoder.ts';
import { randomWeights } from '../../../src/core/model/test-support.ts';
import { adapterTrainable } from '../../../src/core/train/adapter-trainable.ts';
import { train } from '../../../src/core/train/trainer.ts';
import { type BatchTokens, benchBatches } from '../batches.ts';

export interface BrowserStepCase {
  backend: 'wasm' | 'webgpu';
  config: Record<string, unknown>;
  repoId: string;
  /** The studio's adapter config string. */
  adapter: string;
  batch: number;
  padLengths: number[];
  steps: number;
  tokens: BatchTokens;
}

export interface BrowserStepResult {
  backend: BackendInfo;
  /** Random weights built → uploaded, adapter and head created. */
  loadMs: number;
  /** train() called → first step done (WebGPU compiles its shaders here). */
  firstStepMs: number;
  /** Every step's ms, the first included. */
  stepMs: number[];
}

async function benchStep(c: BrowserStepCase): Promise<BrowserStepResult> {
  const backend = await initBackend(c.backend, { wasmPaths: { 'tfjs-backend-wasm.wasm': '/wasm/tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm': '/wasm/tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm': '/wasm/tfjs-backend-wasm-threaded-simd.wasm' } });
  if (backend.name !== c.backend) throw new Error(`Asked for ${c.backend}, got ${backend.name}: ${backend.fallbackReason ?? 'no reason given'}`);
  const config = parseEncoderConfig(c.config, c.repoId);
  const loadStarted = performance.now();
  const weights = uploadEncoderWeights(config, randomWeights(config, 15));
  const adapter = createAdapter(config, c.adapter, { name: 'bench', seed: 42, head: { numLabels: 2, id2label: ['neg', 'pos'] } });
  const model = adapterTrainable(adapter, weights);
  const loadMs = performance.now() - loadStarted;
  const batches = benchBatches(c.tokens, c.batch, c.padLengths);
  const ends: number[] = [];
  const called = performance.now();
  await train(model, { batchesPerEpoch: batches.length, async *trainBatches() { yield* batches; } }, { maxSteps: c.steps, learningRate: 1e-4 }, {
    onEvent: (event) => { if (event.kind === 'progress') ends.push(performance.now()); },
  });
  adapter.dispose();
  weights.dispose();
  return { backend, loadMs, firstStepMs: ends[0] - called, stepMs: ends.map((t, i) => t - (i === 0 ? called : ends[i - 1])) };
}

(globalThis as { benchStep?: typeof benchStep }).benchStep = benchStep;
