// Issue 15's side-by-side figure: one seq_bn rf 16 adapter step on a bert-base-uncased-shaped encoder (the exact
// config, random weights built at run time), on tfjs wasm in Node, next to PyTorch's time for the same step
// (scripts/bench/bert-base-torch.py: frozen encoder, backward to the lowest adapter, AdamW on adapter + head),
// threads pinned equal (tfjs-backend-wasm runs one thread in Node, so torch gets one).
//   node --import ./scripts/bench/register.mjs scripts/bench/bert-base.ts [--steps N] [--method seq_bn|lora] [--no-torch]
// (lora: r 8, alpha 8 on the query and value projections, the adapters library's defaults).
// Batches: 8 sequences each, padded to 17, 25, 33 and 41 tokens in turn (what our pipeline made of real text in
// issue 15's measurement), real lengths drawn below each pad length. Prints one JSON line (BertBaseFigure).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { createAdapter } from '../../src/core/adapters/adapter.ts';
import { initBackend } from '../../src/core/backend/init-backend.ts';
import { parseEncoderConfig } from '../../src/core/model/config.ts';
import { uploadEncoderWeights } from '../../src/core/model/encoder.ts';
import { randomWeights } from '../../src/core/model/test-support.ts';
import { seededRandom } from '../../src/core/random.ts';
import { type TokenBatch, adapterTrainable } from '../../src/core/train/adapter-trainable.ts';
import { train } from '../../src/core/train/trainer.ts';
import { emit, median, progress } from './figure-io.ts';

/** bert-base-uncased's config.json (huggingface.co/bert-base-uncased, the fields that shape the model). */
export const BERT_BASE_UNCASED = {
  architectures: ['BertForMaskedLM'], model_type: 'bert', attention_probs_dropout_prob: 0.1, hidden_act: 'gelu',
  hidden_dropout_prob: 0.1, hidden_size: 768, initializer_range: 0.02, intermediate_size: 3072, layer_norm_eps: 1e-12,
  max_position_embeddings: 512, num_attention_heads: 12, num_hidden_layers: 12, pad_token_id: 0,
  type_vocab_size: 2, vocab_size: 30522,
};
const BATCH = 8;
const PAD_LENGTHS = [17, 25, 33, 41];
const THREADS = 1;

/** The adapter configs the figure runs, as the studio's config strings. */
const METHODS = { seq_bn: 'seq_bn[reduction_factor=16]', lora: 'lora' } as const;

export interface BertBaseFigure {
  /** seq_bn (rf 16) or lora (r 8). */
  method: keyof typeof METHODS;
  /** Padded lengths of the batches, cycled. */
  padLengths: number[];
  batch: number;
  timedSteps: number;
  /** Median s per step after the first (warm-up) step. */
  stepSeconds: number;
  /** Median CPU seconds (user + system) per step after the first: less sensitive than wall time to other processes on a shared machine. */
  stepCpuSeconds: number;
  samplesPerSecond: number;
  firstStepSeconds: number;
  /** Peak resident set size of this process (wasm heap included), bytes. */
  peakRssBytes: number;
  torch?: { stepSeconds: number; stepCpuSeconds: number; samplesPerSecond: number; peakRssBytes: number; threads: number; version: string };
  /** stepSeconds / torch.stepSeconds. */
  ratioToTorch?: number;
  /** stepCpuSeconds / torch.stepCpuSeconds. */
  cpuRatioToTorch?: number;
}

const { values } = parseArgs({ options: { steps: { type: 'string', default: '4' }, method: { type: 'string', default: 'seq_bn' }, 'no-torch': { type: 'boolean' } } });
const method = values.method as keyof typeof METHODS;
if (!(method in METHODS)) throw new Error(`--method must be ${Object.keys(METHODS).join(' or ')}, got "${values.method}".`);
const steps = Number(values.steps);
if (!Number.isInteger(steps) || steps < 2) throw new Error(`--steps must be a whole number of at least 2, got "${values.steps}".`);
const log = (line: string) => progress('bert-base', line);

/** The batches both sides train on: token ids, masks and labels from a fixed seed. */
function benchBatches(): TokenBatch[] {
  const random = seededRandom(15);
  return PAD_LENGTHS.map((seq) => {
    const inputIds = new Int32Array(BATCH * seq);
    const attentionMask = new Int32Array(BATCH * seq);
    const labels = new Int32Array(BATCH);
    let realTokens = 0;
    for (let b = 0; b < BATCH; b++) {
      const length = b === 0 ? seq : Math.max(3, Math.ceil(seq * (0.5 + 0.5 * random())));
      for (let t = 0; t < length; t++) {
        inputIds[b * seq + t] = t === 0 ? 101 : t === length - 1 ? 102 : 1000 + Math.floor(random() * 29000);
        attentionMask[b * seq + t] = 1;
      }
      realTokens += length;
      labels[b] = random() < 0.5 ? 1 : 0;
    }
    return { inputIds, attentionMask, tokenTypeIds: new Int32Array(BATCH * seq), batch: BATCH, seq, labels, realTokens };
  });
}

/** Runs the PyTorch twin on the same batches; its last stdout line is JSON. */
function torchFigure(batches: TokenBatch[]): BertBaseFigure['torch'] {
  const dir = mkdtempSync(join(tmpdir(), 'bert-base-bench-'));
  try {
    const file = join(dir, 'batches.json');
    writeFileSync(file, JSON.stringify({ config: BERT_BASE_UNCASED, method, steps, threads: THREADS, batches: batches.map((b) => ({ seq: b.seq, inputIds: [...b.inputIds], attentionMask: [...b.attentionMask], labels: [...b.labels] })) }));
    const script = join(dirname(fileURLToPath(import.meta.url)), 'bert-base-torch.py');
    // OpenBLAS (Debian's libopenblas0-pthread; reference BLAS is ~30× slower) spawns its own threads unless told.
    const threads = String(THREADS);
    const run = spawnSync('/usr/bin/python3', [script, file], { encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: threads, OMP_NUM_THREADS: threads } });
    if (run.status !== 0) throw new Error(`PyTorch twin failed (exit ${run.status}): ${run.stderr.slice(-800)}`);
    return JSON.parse(run.stdout.trim().split('\n').pop()!);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const info = await initBackend('wasm');
if (info.name !== 'wasm') throw new Error(`Asked for the wasm backend but got ${info.name}: ${info.fallbackReason ?? 'no reason given'}.`);
const config = parseEncoderConfig(BERT_BASE_UNCASED, 'bert-base-uncased');
const batches = benchBatches();
const weights = uploadEncoderWeights(config, randomWeights(config, 15));
const adapter = createAdapter(config, METHODS[method], { name: 'bench', seed: 42, head: { numLabels: 2, id2label: ['neg', 'pos'] } });
const model = adapterTrainable(adapter, weights);
log(`encoder uploaded, tf.memory ${(tf.memory().numBytes / 1e9).toFixed(2)} GB, RSS ${(process.memoryUsage().rss / 1e9).toFixed(2)} GB`);

const stepEnds: number[] = [];
const stepCpu: number[] = [];
let cpuMark = process.cpuUsage();
const called = performance.now();
await train(model, { batchesPerEpoch: batches.length, async *trainBatches() { yield* batches; } }, { maxSteps: steps, learningRate: 1e-4 }, {
  onEvent: (event) => {
    if (event.kind !== 'progress') return;
    stepEnds.push(performance.now());
    const cpu = process.cpuUsage(cpuMark);
    stepCpu.push((cpu.user + cpu.system) / 1e6);
    cpuMark = process.cpuUsage();
    log(`step ${stepEnds.length}: ${((stepEnds.at(-1)! - (stepEnds.at(-2) ?? called)) / 1e3).toFixed(2)} s`);
  },
});
const stepTimes = stepEnds.slice(1).map((t, i) => (t - stepEnds[i]) / 1e3);
const stepSeconds = median(stepTimes);
const stepCpuSeconds = median(stepCpu.slice(1));
const peakRssBytes = process.resourceUsage().maxRSS * 1024;
adapter.dispose();
weights.dispose();
log(`wasm ${stepSeconds.toFixed(2)} s/step (${stepCpuSeconds.toFixed(2)} CPU s), peak RSS ${(peakRssBytes / 1e9).toFixed(2)} GB`);

const torch = values['no-torch'] ? undefined : torchFigure(batches);
if (torch) log(`torch ${torch.version} ${torch.stepSeconds.toFixed(2)} s/step (${torch.stepCpuSeconds.toFixed(2)} CPU s), peak RSS ${(torch.peakRssBytes / 1e9).toFixed(2)} GB`);
const figure: BertBaseFigure = {
  method, padLengths: PAD_LENGTHS, batch: BATCH, timedSteps: stepTimes.length, stepSeconds, stepCpuSeconds, samplesPerSecond: BATCH / stepSeconds,
  firstStepSeconds: (stepEnds[0] - called) / 1e3, peakRssBytes,
  ...(torch ? { torch, ratioToTorch: stepSeconds / torch.stepSeconds, cpuRatioToTorch: stepCpuSeconds / torch.stepCpuSeconds } : {}),
};
emit(figure);
