// The runner behind the side-by-side step figures (bert-base.ts, deberta-v3-base.ts): a base-size encoder of a real
// config with random weights built at run time, seq_bn rf 16 or LoRA r 8 (--method) trained on tfjs wasm in Node,
// then a PyTorch twin running the same batches, threads pinned equal (tfjs-backend-wasm runs one thread in Node, so torch gets one).
// Batches: 8 sequences each, padded to 17, 25, 33 and 41 tokens in turn (what our pipeline made of real text in
// issue 15's measurement), real lengths drawn below each pad length.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { createAdapter } from '../../src/core/adapters/adapter.ts';
import { initBackend } from '../../src/core/backend/init-backend.ts';
import { parseEncoderConfig } from '../../src/core/model/config.ts';
import { uploadEncoderWeights } from '../../src/core/model/encoder.ts';
import { randomWeights } from '../../src/core/model/test-support.ts';
import type { HostTensor } from '../../src/core/model/weights.ts';
import { type TokenBatch, adapterTrainable } from '../../src/core/train/adapter-trainable.ts';
import { train } from '../../src/core/train/trainer.ts';
import { BATCH, type BatchTokens, PAD_LENGTHS, benchBatches } from './batches.ts';
import { median, progress } from './figure-io.ts';
import { fullFineTune } from './full-fine-tune.ts';
import { timeKernels } from './kernel-times.ts';

const THREADS = 1;
/** Largest |logit difference| between our forward and the twin's on the first batch (eval mode, same weights). */
const PARITY_TOLERANCE = 1e-3;
/** The adapter configs a figure runs (--method), as the studio's config strings; lora is r 8, alpha 8 on the query and value projections, the adapters library's defaults. */
const METHODS = { seq_bn: 'seq_bn[reduction_factor=16]', lora: 'lora' } as const;
/** An adapter method, or full fine-tuning (full-fine-tune.ts: every encoder weight but the embedding tables trains; no twin). */
export type StepMethod = keyof typeof METHODS | 'full';

export interface StepFigureSpec {
  /** Progress prefix. */
  name: string;
  /** The model's config.json (the fields that shape it). */
  config: Record<string, unknown>;
  repoId: string;
  tokens: BatchTokens;
  /** The PyTorch twin, a script in this folder; its last stdout line is JSON. */
  torchScript: string;
  /**
   * The twin's checkpoint names for ours (encoder, adapter and head weights), when it runs on our weights: they go
   * to it as a safetensors file and its logits on the first batch must equal ours before anything is timed.
   * Without it the twin builds its own random weights.
   */
  checkpointName?: (name: string) => string;
}

interface TorchStep {
  stepSeconds: number;
  /** Median CPU seconds per step after the first, where the twin reports them. */
  stepCpuSeconds?: number;
  samplesPerSecond: number;
  peakRssBytes: number;
  threads: number;
  version: string;
  /** The micro-batch it ran, where it takes one. */
  microBatch?: number;
  /** The method it ran, where it takes one (seq_bn where it says none). */
  method?: StepMethod;
  /** Its eval-mode logits on the first batch, when it ran on our weights. */
  logits?: number[][];
}

export interface StepFigure {
  /** seq_bn (rf 16) or lora (r 8). */
  method: StepMethod;
  /** Padded lengths of the batches, cycled. */
  padLengths: number[];
  batch: number;
  /** Sequences per forward and backward; a step accumulates batch / microBatch of them. */
  microBatch: number;
  timedSteps: number;
  /** Host weights built → encoder uploaded, adapter and head created, trainable model ready. */
  loadSeconds: number;
  /** Median s per step after the first (warm-up) step. */
  stepSeconds: number;
  /** Median CPU seconds (user + system) per step after the first: less sensitive than wall time to other processes. */
  stepCpuSeconds: number;
  samplesPerSecond: number;
  firstStepSeconds: number;
  /** Peak resident set size of this process (wasm heap included), bytes. */
  peakRssBytes: number;
  /** The machine's 1-minute load average at the start and at the end of the wasm steps. */
  loadAverage: [number, number];
  torch?: Omit<TorchStep, 'logits' | 'microBatch' | 'method'>;
  /** stepSeconds / torch.stepSeconds. */
  ratioToTorch?: number;
  /** stepCpuSeconds / torch.stepCpuSeconds. */
  cpuRatioToTorch?: number;
  /** Largest |logit difference| against the twin on the first batch before training, when it ran on our weights. */
  logitsMaxAbsDiff?: number;
  /** Self seconds per timed step of each tfjs kernel (kernel-times.ts), largest first; the rest of a step is JavaScript between kernels. */
  kernelSeconds: Record<string, number>;
  /** Mean s per timed step (kernelSeconds' denominator). */
  meanStepSeconds: number;
}

/** Sequences [from, to) of a batch, as a micro-batch of its own. */
function sliceBatch(b: TokenBatch, from: number, to: number): TokenBatch {
  const rows = <T extends Int32Array>(a: T) => a.subarray(from * b.seq, to * b.seq) as T;
  const attentionMask = rows(b.attentionMask);
  return {
    inputIds: rows(b.inputIds), attentionMask, tokenTypeIds: rows(b.tokenTypeIds), batch: to - from, seq: b.seq,
    labels: (b.labels as Int32Array).subarray(from, to), realTokens: attentionMask.reduce((n, m) => n + m, 0),
  };
}

/** A safetensors file (F32, the format's layout) written tensor by tensor, so no second copy of the weights is held. */
function writeWeightsFile(path: string, tensors: Array<[string, HostTensor]>): void {
  let offset = 0;
  const header: Record<string, unknown> = {};
  for (const [name, { shape, data }] of tensors) {
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  const text = JSON.stringify(header);
  const json = Buffer.from(text.padEnd(Math.ceil(text.length / 8) * 8, ' '));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, length);
    writeSync(fd, json);
    for (const [, { data }] of tensors) writeSync(fd, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  } finally {
    closeSync(fd);
  }
}

/** Runs the PyTorch twin on the same batches (and on our weights when `weightsFile` is given). */
function torchStep(spec: StepFigureSpec, dir: string, steps: number, method: StepMethod, microBatch: number, batches: TokenBatch[], weightsFile?: string): TorchStep {
  const file = join(dir, 'batches.json');
  writeFileSync(file, JSON.stringify({
    config: spec.config, method, steps, threads: THREADS, weightsFile, microBatch,
    batches: batches.map((b) => ({ seq: b.seq, inputIds: [...b.inputIds], attentionMask: [...b.attentionMask], labels: [...b.labels] })),
  }));
  const script = join(dirname(fileURLToPath(import.meta.url)), spec.torchScript);
  // OpenBLAS (Debian's libopenblas0-pthread; reference BLAS is ~30× slower) spawns its own threads unless told.
  const threads = String(THREADS);
  const run = spawnSync('/usr/bin/python3', [script, file], { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, OPENBLAS_NUM_THREADS: threads, OMP_NUM_THREADS: threads } });
  if (run.status !== 0) throw new Error(`PyTorch twin ${spec.torchScript} failed (exit ${run.status}): ${run.stderr.slice(-800)}`);
  const result: TorchStep = JSON.parse(run.stdout.trim().split('\n').pop()!);
  if (microBatch !== BATCH && result.microBatch !== microBatch) throw new Error(`${spec.torchScript} ran micro-batches of ${result.microBatch ?? BATCH}, not the ${microBatch} asked for: it would not time the same step.`);
  if ((result.method ?? 'seq_bn') !== method) throw new Error(`${spec.torchScript} ran ${result.method ?? 'seq_bn'}, not the ${method} asked for: it would not time the same step.`);
  return result;
}

/**
 * Builds, trains and times the figure; `argv` takes --steps N (default 4, at least 2), --method seq_bn|lora|full
 * (default seq_bn; the twin must say it ran the same; full has none), --micro-batch N (each step
 * accumulates the gradients of batch / N micro-batches, on both sides; default: the whole batch) and --no-torch.
 */
export async function stepFigure(spec: StepFigureSpec, argv = process.argv.slice(2)): Promise<StepFigure> {
  const { values } = parseArgs({ args: argv, options: { steps: { type: 'string', default: '4' }, method: { type: 'string', default: 'seq_bn' }, 'micro-batch': { type: 'string', default: String(BATCH) }, 'no-torch': { type: 'boolean' } } });
  const steps = Number(values.steps);
  if (!Number.isInteger(steps) || steps < 2) throw new Error(`--steps must be a whole number of at least 2, got "${values.steps}".`);
  const method = values.method as StepMethod;
  if (method !== 'full' && !Object.hasOwn(METHODS, method)) throw new Error(`--method must be ${Object.keys(METHODS).join(', ')} or full, got "${values.method}".`);
  const microBatch = Number(values['micro-batch']);
  if (!Number.isInteger(microBatch) || microBatch < 1 || BATCH % microBatch !== 0) throw new Error(`--micro-batch must divide the batch of ${BATCH}, got "${values['micro-batch']}".`);
  const log = (line: string) => progress(spec.name, line);
  const withTorch = !values['no-torch'];
  if (method === 'full' && withTorch) throw new Error('--method full has no PyTorch twin: add --no-torch.');
  const info = await initBackend('wasm');
  if (info.name !== 'wasm') throw new Error(`Asked for the wasm backend but got ${info.name}: ${info.fallbackReason ?? 'no reason given'}.`);
  const config = parseEncoderConfig(spec.config, spec.repoId);
  const batches = benchBatches(spec.tokens, BATCH, PAD_LENGTHS);
  const dir = mkdtempSync(join(tmpdir(), `${spec.name}-bench-`));
  try {
    let host: Map<string, HostTensor> | undefined = randomWeights(config, 15);
    const loadStarted = performance.now();
    const weights = uploadEncoderWeights(config, host);
    const head = { numLabels: 2, id2label: ['neg', 'pos'] };
    const adapter = method === 'full' ? undefined : createAdapter(config, METHODS[method], { name: 'bench', seed: 42, head });
    const full = method === 'full' ? fullFineTune(weights, head) : undefined;
    const model = adapter ? adapterTrainable(adapter, weights) : full!.model;
    const loadSeconds = (performance.now() - loadStarted) / 1e3;
    log(`model ready in ${loadSeconds.toFixed(2)} s, tf.memory ${(tf.memory().numBytes / 1e9).toFixed(2)} GB, RSS ${(process.memoryUsage().rss / 1e9).toFixed(2)} GB`);

    let weightsFile: string | undefined;
    let ours: Float32Array | undefined;
    if (spec.checkpointName && withTorch && adapter) {
      weightsFile = join(dir, 'weights.safetensors');
      const named = (tensors: Map<string, HostTensor>, rename: (n: string) => string) => [...tensors].map(([n, t]): [string, HostTensor] => [rename(n), t]);
      writeWeightsFile(weightsFile, [...named(host, spec.checkpointName), ...named(adapter.adapterStateDict(), (n) => n), ...named(adapter.headStateDict(), (n) => n)]);
      const logits = adapter.forward(weights, batches[0], { training: false });
      ours = logits.dataSync() as Float32Array;
      logits.dispose();
    }
    host = undefined;
    // The host copy is garbage now, as after the studio's own load; collect it (run.mjs passes --expose-gc) so
    // that the peak RSS is the step's, not V8's leisure in freeing 0.44 GB it no longer references.
    (globalThis as { gc?: () => void }).gc?.();

    const kernels = timeKernels('wasm');
    const stepEnds: number[] = [];
    const stepCpu: number[] = [];
    const loadBefore = loadavg()[0];
    let cpuMark = process.cpuUsage();
    const called = performance.now();
    const micro = batches.flatMap((b) => Array.from({ length: BATCH / microBatch }, (_, i) => sliceBatch(b, i * microBatch, (i + 1) * microBatch)));
    const settings = { maxSteps: steps, learningRate: 1e-4, gradientAccumulation: BATCH / microBatch };
    await train(model, { batchesPerEpoch: micro.length, async *trainBatches() { yield* micro; } }, settings, {
      onEvent: (event) => {
        if (event.kind !== 'progress') return;
        stepEnds.push(performance.now());
        if (stepEnds.length === 1) kernels.reset();
        const cpu = process.cpuUsage(cpuMark);
        stepCpu.push((cpu.user + cpu.system) / 1e6);
        cpuMark = process.cpuUsage();
        log(`step ${stepEnds.length}: ${((stepEnds.at(-1)! - (stepEnds.at(-2) ?? called)) / 1e3).toFixed(2)} s, loss ${event.loss.toFixed(4)}`);
      },
    });
    const loadAverage: [number, number] = [loadBefore, loadavg()[0]];
    const stepTimes = stepEnds.slice(1).map((t, i) => (t - stepEnds[i]) / 1e3);
    const stepSeconds = median(stepTimes);
    const stepCpuSeconds = median(stepCpu.slice(1));
    const peakRssBytes = process.resourceUsage().maxRSS * 1024;
    const kernelSeconds = Object.fromEntries([...kernels.read()].sort((a, b) => b[1].ms - a[1].ms).map(([name, { ms }]) => [name, ms / 1e3 / stepTimes.length]));
    adapter?.dispose();
    full?.dispose();
    weights.dispose();
    const meanStep = stepTimes.reduce((a, b) => a + b, 0) / stepTimes.length;
    log(`kernels' self time of a step: ${Object.entries(kernelSeconds).slice(0, 8).map(([name, sec]) => `${name} ${((100 * sec) / meanStep).toFixed(1)}%`).join(', ')}`);
    log(`wasm ${stepSeconds.toFixed(2)} s/step (${stepCpuSeconds.toFixed(2)} CPU s), peak RSS ${(peakRssBytes / 1e9).toFixed(2)} GB, load average ${loadAverage.map((l) => l.toFixed(1)).join(' → ')}`);

    const figure: StepFigure = {
      method, padLengths: PAD_LENGTHS, batch: BATCH, microBatch, timedSteps: stepTimes.length, loadSeconds, stepSeconds, stepCpuSeconds, samplesPerSecond: BATCH / stepSeconds,
      firstStepSeconds: (stepEnds[0] - called) / 1e3, peakRssBytes, loadAverage, kernelSeconds, meanStepSeconds: meanStep,
    };
    if (!withTorch) return figure;
    const { logits, microBatch: _, ...torch } = torchStep(spec, dir, steps, method, microBatch, batches, weightsFile);
    log(`torch ${torch.version} ${torch.stepSeconds.toFixed(2)} s/step${torch.stepCpuSeconds === undefined ? '' : ` (${torch.stepCpuSeconds.toFixed(2)} CPU s)`}, peak RSS ${(torch.peakRssBytes / 1e9).toFixed(2)} GB`);
    if (ours) {
      if (!logits || logits.flat().length !== ours.length) throw new Error(`${spec.torchScript} ran on our weights but gave no logits of shape [${BATCH}, 2] for the first batch.`);
      const diff = Math.max(...logits.flat().map((v, i) => Math.abs(v - ours[i])));
      log(`logits on the first batch, ours vs torch: max |diff| ${diff.toExponential(2)}`);
      if (!(diff <= PARITY_TOLERANCE)) throw new Error(`${spec.torchScript} is not the same model: its logits on the first batch differ from ours by up to ${diff} (tolerance ${PARITY_TOLERANCE}).`);
      figure.logitsMaxAbsDiff = diff;
    }
    return {
      ...figure, torch, ratioToTorch: stepSeconds / torch.stepSeconds,
      ...(torch.stepCpuSeconds === undefined ? {} : { cpuRatioToTorch: stepCpuSeconds / torch.stepCpuSeconds }),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
