/**
 * Helpers for this folder's tests: small encoders of every exportable type, adapters of every method family with
 * seeded random weights (declared by the adapters module's planAdapter / planHead), and a Python runner.
 */
import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';
import { resolveAdapterConfig } from '../adapters/config.ts';
import { planHead } from '../adapters/head.ts';
import { FUSION_PRESETS, planFusion } from '../adapters/methods/fusion.ts';
import { elementCount } from '../adapters/parameters.ts';
import { planAdapter } from '../adapters/plan.ts';
import { type EncoderConfig, parseEncoderConfig } from '../model/config.ts';
import { seededRandom } from '../random.ts';
import type { AdapterExport, ExportTensor, ExportTensors, FusionExport, ImportedAdapter, TrainingRecord } from './types.ts';

/** Hidden 16 (4 heads of 4), intermediate 24, 2 layers. */
const small = { hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 24, max_position_embeddings: 40, vocab_size: 50 };

export const ENCODERS: Record<'bert' | 'roberta' | 'xlm-roberta' | 'distilbert' | 'electra', EncoderConfig> = {
  bert: parseEncoderConfig({ model_type: 'bert', ...small }, 'acme/bert-small'),
  roberta: parseEncoderConfig({ model_type: 'roberta', ...small, type_vocab_size: 1, pad_token_id: 1 }, 'acme/roberta-small'),
  'xlm-roberta': parseEncoderConfig({ model_type: 'xlm-roberta', ...small, type_vocab_size: 1, pad_token_id: 1 }, 'acme/xlm-roberta-small'),
  distilbert: parseEncoderConfig({ model_type: 'distilbert', dim: 16, n_layers: 2, n_heads: 4, hidden_dim: 24, max_position_embeddings: 40, vocab_size: 50 }, 'acme/distilbert-small'),
  electra: parseEncoderConfig({ model_type: 'electra', ...small, embedding_size: 8 }, 'acme/electra-small'),
};

/** One config string per method family the adapters module runs, sized for the small encoders. */
export const METHODS = {
  seq_bn: 'seq_bn[reduction_factor=4]',
  double_seq_bn: 'double_seq_bn[reduction_factor=8]',
  par_bn: 'par_bn',
  scaled_par_bn: 'scaled_par_bn',
  compacter: 'compacter[reduction_factor=2]',
  lora: 'lora[r=4,alpha=8]',
  ia3: 'ia3',
  prefix_tuning: 'prefix_tuning[prefix_length=3,bottleneck_size=5]',
  prefix_tuning_flat: 'prefix_tuning_flat[prefix_length=3]',
  prompt_tuning: 'prompt_tuning[prompt_length=4]',
  union: 'prefix_tuning[prefix_length=2,bottleneck_size=6]|par_bn[reduction_factor=4]',
  unipelt: 'unipelt',
} as const;

export type MethodName = keyof typeof METHODS;

function randomTensor(shape: number[], random: () => number): { shape: number[]; data: Float32Array } {
  return { shape: [...shape], data: Float32Array.from({ length: elementCount(shape) }, () => 2 * random() - 1) };
}

export interface ExportSpec {
  name?: string;
  /** Head labels; undefined: no head. */
  labels?: string[];
  headOptions?: Parameters<typeof planHead>[2];
  training?: TrainingRecord;
  seed?: number;
}

/** An export of method `spec` on `encoder` with random weights under the keys planAdapter declares. */
export function randomExport(encoder: EncoderConfig, spec: string, options: ExportSpec = {}): AdapterExport {
  const name = options.name ?? 'sst2';
  const config = resolveAdapterConfig(spec);
  const plan = planAdapter(encoder, config, name);
  const random = seededRandom(options.seed ?? 7);
  const byKey = new Map<string, ExportTensor>();
  for (const p of plan.params) {
    const tensor = randomTensor(p.shape, random);
    for (const key of [p.key, ...p.aliases]) byKey.set(key, tensor);
  }
  // In torch's state-dict order, as save_adapter writes them.
  const adapterTensors: ExportTensors = new Map(plan.stateDictKeys.map((key) => [key, byKey.get(key)!]));
  let head;
  if (options.labels || options.headOptions) {
    const headPlan = planHead(encoder, name, options.headOptions ?? { numLabels: options.labels!.length, id2label: options.labels });
    head = { config: headPlan.config as unknown as Record<string, unknown>, tensors: new Map(headPlan.params.map((p) => [p.key, randomTensor(p.shape, random)])) };
  }
  return {
    name, modelName: encoder.repoId, modelType: encoder.modelType, hiddenSize: encoder.hiddenSize,
    adapterConfig: config as unknown as Record<string, unknown>, adapterTensors,
    ...(head ? { head } : {}), ...(options.training ? { training: options.training } : {}),
  };
}

/** A training record like the CLI's train command would give. */
export const TRAINING: TrainingRecord = {
  dataset: 'acme/reviews',
  config: 'default',
  splits: { train: 'train', validation: 'train', heldOut: { share: 0.1, seed: 42 }, maxTrainExamples: 5000 },
  textColumns: ['review'],
  labelColumn: 'stars',
  labelKind: 'string',
  hyperparameters: { learningRate: 1e-4, batchSize: 32, maxLength: 128, epochs: 4, gradientAccumulation: 2, warmupRatio: 0.06, weightDecay: 0.01, seed: 42, schedule: 'linear', evalEverySteps: 200, earlyStoppingPatience: 3 },
  bestMetrics: { accuracy: 0.8125, macroF1: 0.8, loss: 0.4321 },
  bestStep: 600,
};

/** First python with torch: $PYTHON, python3 on PATH, or Debian's /usr/bin/python3 (pyenv shims may hide it). */
export function findTorchPython(): string | null {
  for (const candidate of [process.env.PYTHON, 'python3', '/usr/bin/python3']) {
    if (!candidate) continue;
    const probe = spawnSync(candidate, ['-c', 'import torch'], { encoding: 'utf8' });
    if (probe.status === 0) return candidate;
  }
  return null;
}

/** Runs a Python script with arguments and parses its stdout as JSON; throws with stderr on failure. */
export function runPython<T>(python: string, script: string, args: string[] = [], cwd?: string): T {
  const run = spawnSync(python, ['-c', script, ...args], { encoding: 'utf8', maxBuffer: 256 << 20, cwd });
  if (run.status !== 0) throw new Error(`python failed (${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

/** Same keys, shapes and raw bytes (NaN-safe, -0 distinct). */
export function expectSameTensors(got: ExportTensors, want: ExportTensors): void {
  expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
  for (const [key, t] of want) {
    expect(got.get(key)!.shape, key).toEqual(t.shape);
    // Bit-exact: compare the raw bytes (NaN-safe, -0 distinct).
    const bytes = (data: Float32Array) => Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    expect(bytes(got.get(key)!.data).equals(bytes(t.data)), key).toBe(true);
  }
}

/** The import gives back what was exported: names, resolved config, tensors, head and training record. */
export function expectSameAdapter(got: ImportedAdapter, want: AdapterExport): void {
  expect({ name: got.name, modelName: got.modelName, modelType: got.modelType, hiddenSize: got.hiddenSize })
    .toEqual({ name: want.name, modelName: want.modelName, modelType: want.modelType, hiddenSize: want.hiddenSize });
  expect(got.adapterConfig).toEqual(resolveAdapterConfig(want.adapterConfig));
  expectSameTensors(got.adapterTensors, want.adapterTensors);
  expect(got.head?.config).toEqual(want.head?.config);
  expectSameTensors(got.head!.tensors, want.head!.tensors);
  expect(got.training).toEqual(want.training);
}

/** A fusion of "sst2" and "topics" (seq_bn) with random weights under the keys planFusion declares, and a head "mood". */
export function randomFusion(): FusionExport {
  const encoder = ENCODERS.bert;
  const adapters = [randomExport(encoder, 'seq_bn[reduction_factor=4]', { name: 'sst2', labels: ['negative', 'positive'], seed: 1 }), randomExport(encoder, 'seq_bn[reduction_factor=4]', { name: 'topics', seed: 2 })];
  const plan = planFusion(encoder, adapters.map((a) => ({ name: a.name, mh_adapter: false, output_adapter: true })), FUSION_PRESETS.dynamic);
  const random = seededRandom(3);
  const tensors = (specs: { key: string; shape: number[] }[]): ExportTensors => new Map(specs.map((p) => [p.key, { shape: p.shape, data: Float32Array.from({ length: p.shape.reduce((a, b) => a * b, 1) }, () => 2 * random() - 1) }]));
  const head = planHead(encoder, 'mood', { numLabels: 3, id2label: ['calm', 'glad', 'sad'] });
  return {
    name: 'sst2,topics', adapterNames: ['sst2', 'topics'], modelName: encoder.repoId, modelType: 'bert', hiddenSize: 16,
    fusionConfig: FUSION_PRESETS.dynamic as unknown as Record<string, unknown>,
    fusionTensors: tensors(plan.params),
    adapters,
    head: { name: 'mood', config: head.config as unknown as Record<string, unknown>, tensors: tensors(head.params) },
    training: TRAINING,
  };
}
