// Figures 2, 3 and 5 for one backend and one training kind, in a process of its own (so each measures from a clean
// tfjs engine): demo model tiny-bert on tiny-sentiment through the offline Hub, batch 16, max length 128.
//   node --import ./scripts/bench/register.mjs scripts/bench/training.ts --backend wasm|cpu|webgpu --kind adapter|full [--steps N] [--load]
// Prints one JSON line (TrainingFigure). With --load it also times the model load cold and from a MemoryWeightCache.
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { createAdapter } from '../../src/core/adapters/adapter.ts';
import { initBackend } from '../../src/core/backend/init-backend.ts';
import type { BackendName } from '../../src/core/backend/backend-info.ts';
import { nodeWebGpu } from '../../src/core/backend/node-webgpu.ts';
import { inspectDataset, openHubDataset } from '../../src/core/data/index.ts';
import { MemoryWeightCache, loadEncoder } from '../../src/core/model/index.ts';
import { adapterTrainable } from '../../src/core/train/adapter-trainable.ts';
import { datasetBatches, tokenizeWith } from '../../src/core/train/dataset-batches.ts';
import { headOptionsOf, partStream } from '../../src/core/train/dataset-run.ts';
import type { TrainableModel } from '../../src/core/train/trainable-model.ts';
import { train } from '../../src/core/train/trainer.ts';
import type { TokenBatch } from '../../src/core/train/adapter-trainable.ts';
import { emit, median, progress } from './figure-io.ts';
import { fullFineTune } from './full-fine-tune.ts';
import { DEMO_DATASET, DEMO_MODEL, startBenchHub } from './offline-hub.ts';

const BATCH_SIZE = 16;
const MAX_LENGTH = 128;

export interface TrainingFigure {
  backend: string;
  kind: 'adapter' | 'full';
  /** Full fine-tuning: whether the embedding tables train too (not on wasm, which lacks their gradient kernel). */
  embeddingsTrain?: boolean;
  /** Trainable scalars. */
  trainableParameters: number;
  /** Timed steps (the first, which compiles and fills the data pipeline, is not among them). */
  timedSteps: number;
  /** Median wall ms per optimizer step over the timed steps. */
  stepMs: number;
  /** BATCH_SIZE / stepMs: training examples per second. */
  samplesPerSecond: number;
  /** ms from `train` called until its first step completed (data opening excluded, first pool tokenised included). */
  firstStepMs: number;
  /** Peak tf.memory().numBytes during a separate 3-step run (tf.profile), everything resident included. */
  peakBytes: number;
  /** tf.memory().numBytes just before that run (weights, adapter, head). */
  residentBytes: number;
  /** With --load: ms to load the model with an empty cache, and again from the filled MemoryWeightCache. */
  load?: { coldMs: number; cachedMs: number; coldNetworkBytes: number; cachedNetworkBytes: number };
}

const { values } = parseArgs({ options: { backend: { type: 'string', default: 'wasm' }, kind: { type: 'string', default: 'adapter' }, steps: { type: 'string', default: '20' }, load: { type: 'boolean' } } });
const backend = values.backend as BackendName;
const kind = values.kind as TrainingFigure['kind'];
const steps = Number(values.steps);
if (!['wasm', 'cpu', 'webgpu'].includes(backend)) throw new Error(`--backend must be wasm, cpu or webgpu, got "${backend}".`);
if (kind !== 'adapter' && kind !== 'full') throw new Error(`--kind must be adapter or full, got "${kind}".`);
if (!Number.isInteger(steps) || steps < 3) throw new Error(`--steps must be a whole number of at least 3, got "${values.steps}".`);
const label = `training ${backend} ${kind}`;
const log = (line: string) => progress(label, line);

let gpu: GPU | undefined;
if (backend === 'webgpu') {
  const node = await nodeWebGpu();
  if ('unavailable' in node) throw new Error(`No WebGPU in Node: ${node.unavailable}`);
  gpu = node.gpu;
}
const info = await initBackend(backend, { gpu });
if (info.name !== backend) throw new Error(`Asked for the ${backend} backend but got ${info.name}: ${info.fallbackReason ?? 'no reason given'}.`);

const hub = await startBenchHub(log);
try {
  let load: TrainingFigure['load'];
  let encoder = await loadEncoder(hub.endpoint, DEMO_MODEL, { cache: new MemoryWeightCache() });
  if (values.load) {
    // The first load above warmed the backend and the HTTP path; cold = an empty cache, cached = that cache filled.
    encoder.dispose();
    const freshCache = new MemoryWeightCache();
    const coldStart = performance.now();
    const cold = await loadEncoder(hub.endpoint, DEMO_MODEL, { cache: freshCache });
    const coldMs = performance.now() - coldStart;
    cold.dispose();
    const cachedStart = performance.now();
    encoder = await loadEncoder(hub.endpoint, DEMO_MODEL, { cache: freshCache });
    load = { coldMs, cachedMs: performance.now() - cachedStart, coldNetworkBytes: cold.info.networkBytes, cachedNetworkBytes: encoder.info.networkBytes };
    log(`load cold ${coldMs.toFixed(0)} ms, cached ${load.cachedMs.toFixed(0)} ms`);
  }

  const handle = await openHubDataset(hub.endpoint, DEMO_DATASET);
  const report = await inspectDataset(handle);
  const head = headOptionsOf(report.mapping);
  const data = async () => datasetBatches({
    train: await partStream(handle, report, report.plan.train),
    tokenize: tokenizeWith(encoder.tokenizer),
    task: report.mapping.task,
    batchSize: BATCH_SIZE,
    maxLength: MAX_LENGTH,
    seed: 42,
  });

  let model: TrainableModel<TokenBatch>;
  let dispose: () => void;
  let embeddingsTrain: boolean | undefined;
  if (kind === 'adapter') {
    const adapter = createAdapter(encoder.config, 'seq_bn', { name: 'bench', seed: 42, head });
    model = adapterTrainable(adapter, encoder.weights);
    dispose = () => { adapter.dispose(); encoder.dispose(); };
  } else {
    const full = fullFineTune(encoder.weights, head);
    model = full.model;
    embeddingsTrain = full.embeddingsTrain;
    dispose = () => { full.dispose(); encoder.dispose(); };
  }
  const trainableParameters = model.parameters.reduce((n, p) => n + p.variable.size, 0);

  const stepEnds: number[] = [];
  const called = performance.now();
  await train(model, await data(), { maxSteps: steps, learningRate: 1e-4 }, {
    onEvent: (event) => { if (event.kind === 'progress') stepEnds.push(performance.now()); },
  });
  const stepTimes = stepEnds.slice(1).map((t, i) => t - stepEnds[i]);
  const stepMs = median(stepTimes);
  log(`${trainableParameters} trainable, step ${stepMs.toFixed(1)} ms (median of ${stepTimes.length}), first step after ${(stepEnds[0] - called).toFixed(0)} ms`);

  const memoryData = await data();
  const residentBytes = tf.memory().numBytes;
  const profile = await tf.profile(async () => {
    await train(model, memoryData, { maxSteps: 3, learningRate: 1e-4 });
    return [];
  });
  log(`peak ${(profile.peakBytes / 1e6).toFixed(2)} MB (resident ${(residentBytes / 1e6).toFixed(2)} MB)`);
  dispose();

  const figure: TrainingFigure = {
    backend, kind, trainableParameters, timedSteps: stepTimes.length, stepMs, samplesPerSecond: BATCH_SIZE / (stepMs / 1e3),
    firstStepMs: stepEnds[0] - called, ...(embeddingsTrain === undefined ? {} : { embeddingsTrain }), peakBytes: profile.peakBytes, residentBytes, ...(load ? { load } : {}),
  };
  emit(figure);
} finally {
  await hub.server.close();
}
