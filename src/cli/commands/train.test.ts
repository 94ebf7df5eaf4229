import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import * as tf from '@tensorflow/tfjs';
import { zipSync } from 'fflate';
import { parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningHubServer, startHubServer } from '../../hub-server/index.ts';
import { offlineHub } from '../../hub/endpoint.ts';
import { createAdapter } from '../../core/adapters/adapter.ts';
import { readTrainingRecord } from '../../core/export/model-card.ts';
import { findTorchPython, runPython } from '../../core/export/test-support.ts';
import { unzipAdapterFiles } from '../../core/export/zip.ts';
import { resolveAdapterConfig } from '../../core/adapters/config.ts';
import { loadEncoder } from '../../core/model/index.ts';
import { adapterTrainable } from '../../core/train/adapter-trainable.ts';
import { DirectoryCheckpointStore } from '../../core/train/directory-checkpoint-store.ts';
import type { TrainEvent } from '../../core/train/events.ts';
import { projectRoot } from '../../server/app-build.ts';
import { main } from '../main.ts';

let server: RunningHubServer;
let dir: string;

beforeAll(async () => {
  const root = process.env.ADAPTER_STUDIO_FIXTURES;
  if (!root) throw new Error('ADAPTER_STUDIO_FIXTURES is not set: the vitest globalSetup generates the fixtures');
  server = await startHubServer({ root, port: 0 });
  dir = mkdtempSync(join(tmpdir(), 'adapter-studio-cli-train-'));
});
afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function runCli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err: err.join('\n') };
}

const MODEL = 'adapter-studio/tiny-bert';
const DATASET = 'adapter-studio/tiny-sentiment';
const softmax = (logits: number[]) => {
  const max = Math.max(...logits);
  const exps = logits.map((z) => Math.exp(z - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
};

describe('adapter-studio train → predict → eval', () => {
  it('trains seq_bn on tiny-sentiment, and predict / eval reproduce the trainer\'s own results', async () => {
    const out = join(dir, 'sentiment');
    const trained = await runCli(['train', '--model', MODEL, '--dataset', DATASET, '--method', 'seq_bn', '--epochs', '2', '--lr', '1e-3', '--hub', server.url, '--out', out, '--json']);
    expect(trained.code).toBe(0);
    expect(trained.err).not.toMatch(/error/i);
    const lines = trained.out.map((l) => JSON.parse(l));
    const start = lines[0];
    expect(start).toMatchObject({ kind: 'start', model: MODEL, task: 'classification', labelNames: ['negative', 'positive'], validation: 'split "validation"', batchesPerEpoch: 75 });
    const events = lines.slice(1, -1) as TrainEvent[];
    const progress = events.filter((e) => e.kind === 'progress');
    expect(progress.map((p) => p.step)).toEqual(Array.from({ length: 150 }, (_, i) => i + 1)); // 1200 rows / 16 × 2 epochs
    expect(progress.every((p) => Number.isFinite(p.loss) && p.samplesPerSecond > 0)).toBe(true);
    const evals = events.filter((e) => e.kind === 'eval');
    expect(evals.map((e) => [e.step, e.metrics.examples])).toEqual([[75, 200], [150, 200]]);
    const result = lines.at(-1);
    expect(result).toMatchObject({ kind: 'result', stopReason: 'completed', steps: 150, adapterDir: out, labelNames: ['negative', 'positive'] });
    const bestEval = evals.reduce((best, e) => (e.metrics.accuracy! > best.metrics.accuracy! ? e : best));
    expect(result.bestStep).toBe(bestEval.step);
    expect(result.best).toEqual(bestEval.metrics);
    // Not asserted: ≥ 90% accuracy. The fixture tiny-bert is randomly initialised (N(0, 0.02), "it has learnt
    // nothing"), so its CLS state carries ~0.4% of the sentence's signal and seq_bn stays at chance here.

    // The AdapterHub folder save_adapter writes (the export module's files), with the training record in its card.
    const config = JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8'));
    expect(config).toMatchObject({
      name: 'tiny-sentiment', model_name: MODEL, model_type: 'bert', model_class: 'BertAdapterModel', hidden_size: 64, version: 'adapters.1.2.0',
      config: { reduction_factor: 16, non_linearity: 'relu', output_adapter: true, mh_adapter: false },
    });
    expect(JSON.parse(readFileSync(join(out, 'head_config.json'), 'utf8')).config).toMatchObject({ head_type: 'classification', num_labels: 2, label2id: { negative: 0, positive: 1 } });
    for (const file of ['pytorch_adapter.bin', 'adapter.safetensors', 'pytorch_model_head.bin', 'model_head.safetensors']) expect(existsSync(join(out, file)), file).toBe(true);
    const training = readTrainingRecord(readFileSync(join(out, 'README.md'), 'utf8'));
    expect(training).toMatchObject({
      dataset: DATASET, splits: { train: 'train', validation: 'validation' }, textColumns: ['text'], labelColumn: 'label',
      hyperparameters: { learningRate: 1e-3, epochs: 2, batchSize: 16, maxLength: 128, seed: 42 },
      bestStep: result.bestStep, bestMetrics: { accuracy: result.best.accuracy },
    });

    // The trainer's own weights: its best checkpoint, run through the core directly.
    const best = await new DirectoryCheckpointStore(join(out, 'checkpoints')).load('best');
    expect(best!.state.best!.step).toBe(result.bestStep);
    const encoder = await loadEncoder(offlineHub(server.url), MODEL);
    const adapter = createAdapter(encoder.config, resolveAdapterConfig('seq_bn'), { name: 'tiny-sentiment', head: { numLabels: 2, id2label: ['negative', 'positive'] } });
    const sentence = 'What a gripping, magnificent screenplay.';
    let ownLogits: number[];
    let ownIds: number[];
    try {
      adapter.loadAdapterStateDict(new Map(best!.parameters.map((p) => [p.name, { shape: p.shape, data: p.data }])));
      const encoded = encoder.tokenizer.encode([sentence], undefined, { maxLength: 128 });
      ownIds = Array.from(encoded.inputIds);
      ownLogits = Array.from(tf.tidy(() => adapterTrainable(adapter, encoder.weights).logits({ ...encoded, labels: new Int32Array(1) }, { training: false, seed: 0 }).dataSync()));
    } finally {
      adapter.dispose();
      encoder.dispose();
    }

    const predicted = await runCli(['predict', '--model', MODEL, '--adapter', out, '--text', sentence, '--hub', server.url, '--json']);
    expect(predicted.code).toBe(0);
    const prediction = JSON.parse(predicted.out[0]);
    expect(prediction.input_ids).toEqual(ownIds);
    prediction.logits.forEach((z: number, i: number) => expect(z).toBeCloseTo(ownLogits[i], 5));
    softmax(ownLogits).forEach((p, i) => expect(prediction.probabilities[i]).toBeCloseTo(p, 5));
    expect(prediction.label).toBe(['negative', 'positive'][ownLogits[1] > ownLogits[0] ? 1 : 0]);

    // A zip of the folder works the same.
    const zip = join(dir, 'sentiment.zip');
    const inZip = ['adapter_config.json', 'adapter.safetensors', 'head_config.json', 'model_head.safetensors'];
    writeFileSync(zip, zipSync(Object.fromEntries(inZip.map((file) => [`sentiment/${file}`, readFileSync(join(out, file))]))));
    const fromZip = JSON.parse((await runCli(['predict', '--model', MODEL, '--adapter', zip, '--text', sentence, '--hub', server.url, '--json'])).out[0]);
    expect(fromZip.logits).toEqual(prediction.logits);

    const evaluated = await runCli(['eval', '--model', MODEL, '--adapter', out, '--dataset', DATASET, '--hub', server.url, '--json']);
    expect(evaluated.code).toBe(0);
    const metrics = JSON.parse(evaluated.out[0]);
    expect(metrics).toMatchObject({ split: 'validation', metrics: { examples: 200, accuracy: result.best.accuracy, macroF1: result.best.macroF1 } });
    expect(metrics.metrics.loss).toBeCloseTo(result.best.loss, 5);
  });

  it('Ctrl-C pauses at the next step with a checkpoint, and --resume continues from it', async () => {
    const out = join(dir, 'interrupted');
    const args = ['train', '--model', MODEL, '--dataset', DATASET, '--max-steps', '100', '--lr', '1e-3', '--hub', server.url, '--out', out, '--json'];
    const child = spawn(process.execPath, [join(projectRoot(), 'bin', 'adapter-studio.mjs'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: { kind: string; step?: number; reason?: string; stopReason?: string }[] = [];
    createInterface({ input: child.stdout }).on('line', (line) => {
      const event = JSON.parse(line);
      lines.push(event);
      if (event.kind === 'progress' && event.step === 1) child.kill('SIGINT');
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, stderr).toBe(130);
    const pausedAt = lines.filter((e) => e.kind === 'progress').at(-1)!.step!;
    expect(pausedAt).toBeLessThan(100);
    expect(lines).toContainEqual(expect.objectContaining({ kind: 'checkpoint', reason: 'pause', step: pausedAt }));
    expect(lines.at(-1)).toMatchObject({ kind: 'result', stopReason: 'cancelled', steps: pausedAt });
    expect(existsSync(join(out, 'adapter_config.json'))).toBe(false);

    const resumed = await runCli([...args, '--resume']);
    expect(resumed.code).toBe(0);
    const events = resumed.out.map((l) => JSON.parse(l));
    expect(events).toContainEqual(expect.objectContaining({ kind: 'log', message: expect.stringContaining(`Resuming at step ${pausedAt} of 100`) }));
    expect(events.find((e) => e.kind === 'progress').step).toBe(pausedAt + 1);
    expect(events.at(-1)).toMatchObject({ kind: 'result', stopReason: 'completed', steps: 100 });
    expect(existsSync(join(out, 'adapter.safetensors'))).toBe(true);
  });

  it('--validation-rows caps the validation examples, and each evaluation reports its progress', async () => {
    const trained = await runCli(['train', '--model', MODEL, '--dataset', DATASET, '--max-steps', '2', '--validation-rows', '40', '--batch-size', '16', '--hub', server.url, '--out', join(dir, 'capped'), '--json']);
    expect(trained.code, trained.err).toBe(0);
    const events = trained.out.slice(1, -1).map((l) => JSON.parse(l) as TrainEvent);
    expect(events.filter((e) => e.kind === 'eval').map((e) => e.metrics.examples)).toEqual([40]);
    // Three batches of at most 16 (the batcher sorts by length, so the short one may come first).
    const progress = events.filter((e) => e.kind === 'evalProgress');
    expect(progress.map((e) => e.batches)).toEqual([1, 2, 3]);
    expect(progress.at(-1)).toMatchObject({ examples: 40, etaSeconds: 0 });
    const bad = await runCli(['train', '--model', MODEL, '--dataset', DATASET, '--validation-rows', '0', '--hub', server.url, '--out', join(dir, 'bad')]);
    expect(bad.code).toBe(2);
  });

  it('explains missing flags and a folder that is not an adapter', async () => {
    const missing = await runCli(['train', '--model', MODEL, '--dataset', DATASET]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('Give --model ID, --dataset ID (or --file PATH) and --out DIR.');
    const both = await runCli(['train', '--model', MODEL, '--dataset', DATASET, '--out', dir, '--epochs', '1', '--max-steps', '3']);
    expect(both.err).toContain('either --epochs or --max-steps');
    const empty = mkdtempSync(join(dir, 'empty-'));
    const notAdapter = await runCli(['predict', '--model', MODEL, '--adapter', empty, '--text', 'hi', '--hub', server.url, '--json']);
    expect(notAdapter.code).toBe(1);
    expect(JSON.parse(notAdapter.out[0]).error).toMatchObject({ name: 'AdapterImportError', message: expect.stringContaining('holds no adapter_config.json') });
  });
});

describe('train and eval on local files', () => {
  /** Rows of a tiny-sentiment split from the fixture Hub, with the label as its name (local files often have string labels). */
  async function sentimentRows(split: string, count: number) {
    const bytes = readFileSync(join(process.env.ADAPTER_STUDIO_FIXTURES!, 'datasets/adapter-studio/tiny-sentiment/parquet/default', split, '0000.parquet'));
    const rows = await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), rowEnd: count });
    return rows.map((r) => ({ review: r.text as string, sentiment: Number(r.label) === 1 ? 'positive' : 'negative' }));
  }
  const csvCell = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

  it('trains with --file and --validation-file, and eval reproduces the validation metrics from the same files', async () => {
    const trainFile = join(dir, 'reviews.csv');
    const devFile = join(dir, 'reviews-dev.tsv');
    writeFileSync(trainFile, ['review,sentiment', ...(await sentimentRows('train', 96)).map((r) => `${csvCell(r.review)},${r.sentiment}`)].join('\n'));
    writeFileSync(devFile, ['sentiment\treview', ...(await sentimentRows('validation', 40)).map((r) => `${r.sentiment}\t${r.review}`)].join('\n'));
    const out = join(dir, 'from-files');
    const trained = await runCli(['train', '--model', MODEL, '--file', trainFile, '--validation-file', devFile, '--epochs', '1', '--lr', '1e-3', '--hub', server.url, '--out', out, '--json']);
    expect(trained.code, trained.err).toBe(0);
    const lines = trained.out.map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({
      kind: 'start', dataset: 'reviews.csv', file: trainFile, validationFile: devFile, name: 'reviews', task: 'classification',
      labelNames: ['negative', 'positive'], columns: { text: 'review', label: 'sentiment' }, train: 'split "train"', validation: 'split "validation"', batchesPerEpoch: 6,
    });
    const result = lines.at(-1);
    expect(result).toMatchObject({ kind: 'result', stopReason: 'completed', steps: 6, adapterDir: out, best: { examples: 40 } });
    expect(existsSync(join(out, 'adapter_config.json'))).toBe(true);
    const card = readFileSync(join(out, 'README.md'), 'utf8');
    expect(readTrainingRecord(card)).toMatchObject({
      dataset: 'reviews.csv', textColumns: ['review'], labelColumn: 'sentiment',
      localFile: { name: 'reviews.csv', format: 'csv', rows: 96 }, localValidationFile: { name: 'reviews-dev.tsv', format: 'tsv', rows: 40 },
    });
    expect(card).toContain('trained with Adapter Studio on a local file `reviews.csv`, 96 rows, validated on a local file `reviews-dev.tsv`, 40 rows');
    expect(card).not.toContain('huggingface.co/datasets');

    // The same files as train had them: the validation file is evaluated, with the labels read as train read them.
    const again = await runCli(['eval', '--model', MODEL, '--adapter', out, '--file', trainFile, '--validation-file', devFile, '--hub', server.url, '--json']);
    expect(again.code, again.err).toBe(0);
    const metrics = JSON.parse(again.out[0]);
    expect(metrics).toMatchObject({ dataset: 'reviews.csv', file: devFile, split: 'validation', take: 'all', metrics: { examples: 40, accuracy: result.best.accuracy } });
    expect(metrics.metrics.loss).toBeCloseTo(result.best.loss, 5);
    // --file alone: every row of that file.
    const whole = JSON.parse((await runCli(['eval', '--model', MODEL, '--adapter', out, '--file', devFile, '--hub', server.url, '--json'])).out[0]);
    expect(whole).toMatchObject({ dataset: 'reviews-dev.tsv', split: 'train', take: 'all', metrics: { examples: 40, accuracy: result.best.accuracy } });
    expect(whole.metrics.loss).toBeCloseTo(result.best.loss, 5);
  });

  it('names a --file in the model card without a Hub link, and the Python export reads that file', async () => {
    const trainFile = join(dir, 'my-reviews.csv');
    const text = ['review,sentiment', ...(await sentimentRows('train', 64)).map((r) => `${csvCell(r.review)},${r.sentiment}`)].join('\n');
    writeFileSync(trainFile, text);
    const out = join(dir, 'from-one-file');
    const trained = await runCli(['train', '--model', MODEL, '--file', trainFile, '--epochs', '1', '--hub', server.url, '--out', out, '--json']);
    expect(trained.code, trained.err).toBe(0);
    const card = readFileSync(join(out, 'README.md'), 'utf8');
    expect(readTrainingRecord(card)).toMatchObject({ dataset: 'my-reviews.csv', localFile: { name: 'my-reviews.csv', format: 'csv', rows: 64, bytes: Buffer.byteLength(text) } });
    expect(card).toContain('trained with Adapter Studio on a local file `my-reviews.csv`, 64 rows');
    expect(card).not.toMatch(/huggingface\.co\/datasets|^datasets:/m);

    const project = join(dir, 'from-one-file-python');
    const exported = await runCli(['export', '--model', MODEL, '--adapter', out, '--format', 'python', '--out', project, '--hub', server.url]);
    expect(exported.code, exported.err).toBe(0);
    expect(readFileSync(join(project, 'train.py'), 'utf8')).toContain(`DATA_FILE = "data/my-reviews.csv"  # the local file the studio trained on (64 rows), not included (${Math.round(Buffer.byteLength(text) / 1e3)} kB): copy it here`);
    expect(readFileSync(join(project, 'README.md'), 'utf8')).toContain('copy it to `data/my-reviews.csv` before running `train.py`');
  });

  it('explains wrong data flags', async () => {
    const both = await runCli(['train', '--model', MODEL, '--dataset', DATASET, '--file', 'x.csv', '--out', dir]);
    expect([both.code, both.err]).toEqual([2, expect.stringContaining('Give either --dataset ID or --file PATH.')]);
    const lone = await runCli(['train', '--model', MODEL, '--dataset', DATASET, '--validation-file', 'x.csv', '--out', dir]);
    expect([lone.code, lone.err]).toEqual([2, expect.stringContaining('--validation-file goes with --file')]);
    const absent = await runCli(['eval', '--model', MODEL, '--adapter', join(dir, 'from-files'), '--file', join(dir, 'absent.csv'), '--hub', server.url]);
    expect([absent.code, absent.err]).toEqual([2, expect.stringContaining(`File "${join(dir, 'absent.csv')}" could not be read`)]);
  });
});


describe('train on a model too large for the backend', () => {
  it('refuses before reading data or weights when one sequence does not fit the wasm heap', async () => {
    // A Hub with an xlm-roberta-xl-sized config.json alone (3.5 B parameters): the memory check needs nothing else.
    const root = mkdtempSync(join(tmpdir(), 'adapter-studio-cli-large-'));
    const repo = join(root, 'models', 'test', 'xlm-roberta-xl');
    mkdirSync(join(repo, 'files'), { recursive: true });
    writeFileSync(join(repo, 'repo.json'), JSON.stringify({ sha: '0123456789abcdef0123456789abcdef01234567', pipeline_tag: 'fill-mask', tags: ['xlm-roberta'] }));
    writeFileSync(join(repo, 'files', 'config.json'), JSON.stringify({
      model_type: 'xlm-roberta', hidden_size: 2560, intermediate_size: 10240, max_position_embeddings: 514, num_attention_heads: 32,
      num_hidden_layers: 36, type_vocab_size: 1, vocab_size: 250880, pad_token_id: 1,
    }));
    const large = await startHubServer({ root, port: 0 });
    try {
      const run = await runCli(['train', '--model', 'test/xlm-roberta-xl', '--dataset', DATASET, '--max-length', '512', '--hub', large.url, '--out', join(dir, 'large')]);
      expect(run.code).not.toBe(0);
      expect(run.err).toMatch(/test\/xlm-roberta-xl needs about [\d.]+ GiB to train even one sequence of 512 tokens on wasm, over the wasm heap's 4\.0 GiB/);
    } finally {
      await large.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});

const python = findTorchPython();

describe('adapter-studio train --fuse', () => {
  it('fuses two trained adapters with a new head; writes A/, B/, A,B/ and the head; predict and export read it back', async () => {
    const common = ['--model', MODEL, '--hub', server.url, '--lr', '1e-3', '--json'];
    const a = join(dir, 'sentiment');
    const b = join(dir, 'topics');
    expect((await runCli(['train', ...common, '--dataset', 'adapter-studio/tiny-sentiment', '--name', 'sentiment', '--max-steps', '8', '--out', a])).code).toBe(0);
    expect((await runCli(['train', ...common, '--dataset', 'adapter-studio/tiny-topics', '--name', 'topics', '--max-steps', '8', '--out', b])).code).toBe(0);

    const out = join(dir, 'fused');
    const trained = await runCli(['train', ...common, '--fuse', `${a},${b}`, '--dataset', 'adapter-studio/tiny-sst2', '--max-steps', '6', '--validation-rows', '32', '--out', out]);
    expect(trained.err).toBe('');
    expect(trained.code).toBe(0);
    const lines = trained.out.map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ kind: 'start', method: 'fusion', fusion: 'sentiment,topics', adapters: ['sentiment', 'topics'], head: 'tiny-sst2', fusionConfig: { value: true, regularization: true } });
    // 2 layers × (query 64·64 + 64, key 64·64 + 64, value 64·64) + the head (64·64 + 64 + 2·64 + 2).
    expect(lines[0].trainableParameters).toBe(2 * (3 * 64 * 64 + 2 * 64) + (64 * 64 + 64 + 2 * 64 + 2));
    const result = lines.at(-1);
    expect(result).toMatchObject({ kind: 'result', steps: 6, adapterDir: out, fusionDir: join(out, 'sentiment,topics') });
    expect(readdirSync(out).sort()).toEqual(['README.md', 'checkpoints', 'sentiment', 'sentiment,topics', 'tiny-sst2', 'topics']);
    // The fused adapters are written exactly as they were given.
    for (const [folder, given] of [['sentiment', a], ['topics', b]]) {
      for (const file of ['adapter_config.json', 'pytorch_adapter.bin', 'adapter.safetensors']) expect(readFileSync(join(out, folder, file))).toEqual(readFileSync(join(given, file)));
    }
    const fusionConfig = JSON.parse(readFileSync(join(out, 'sentiment,topics', 'adapter_fusion_config.json'), 'utf8'));
    expect(fusionConfig).toMatchObject({ name: 'sentiment,topics', adapter_names: ['sentiment', 'topics'], model_name: MODEL, model_class: 'BertAdapterModel', config: { value_initialized: true } });
    expect(JSON.parse(readFileSync(join(out, 'tiny-sst2', 'head_config.json'), 'utf8'))).toMatchObject({ name: 'tiny-sst2', config: { num_labels: 2, label2id: { negative: 0, positive: 1 } } });
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toContain(`model.load_adapter_fusion("path/to/this/folder/sentiment,topics")`);
    if (python) {
      const keys = runPython<string[]>(python, 'import json, sys, torch; print(json.dumps(list(torch.load(sys.argv[1], weights_only=True).keys())))', [join(out, 'sentiment,topics', 'pytorch_model_adapter_fusion.bin')]);
      expect(keys).toEqual([0, 1].flatMap((l) => ['query.weight', 'query.bias', 'key.weight', 'key.bias', 'value.weight'].map((k) => `bert.encoder.layer.${l}.output.adapter_fusion_layer.sentiment,topics.${k}`)));
    }

    // predict reads the fusion from its --out or from the fusion's own folder, with the same result.
    const predicted = [];
    for (const path of [out, join(out, 'sentiment,topics')]) {
      const run = await runCli(['predict', '--model', MODEL, '--hub', server.url, '--adapter', path, '--text', 'a wonderful film', '--json']);
      expect(run.code).toBe(0);
      predicted.push(JSON.parse(run.out[0]));
    }
    expect(predicted[0]).toMatchObject({ adapter: 'sentiment,topics' });
    expect(['negative', 'positive']).toContain(predicted[0].label);
    expect(predicted[1].logits).toEqual(predicted[0].logits);

    // eval evaluates the fusion with its head.
    const evaluated = await runCli(['eval', '--model', MODEL, '--hub', server.url, '--adapter', out, '--dataset', 'adapter-studio/tiny-sst2', '--split', 'validation', '--json']);
    expect(evaluated.code).toBe(0);
    expect(JSON.parse(evaluated.out.at(-1)!)).toMatchObject({ adapter: 'sentiment,topics', split: 'validation', metrics: { examples: 200 } });

    // export writes the same files again (as a zip); PEFT has no fusion.
    const zip = join(dir, 'fused.zip');
    const exported = await runCli(['export', '--model', MODEL, '--hub', server.url, '--adapter', out, '--format', 'adapterhub', '--out', zip, '--json']);
    expect(exported.code).toBe(0);
    const files = unzipAdapterFiles(new Uint8Array(readFileSync(zip)), zip);
    for (const path of ['sentiment,topics/pytorch_model_adapter_fusion.bin', 'sentiment,topics/model_adapter_fusion.safetensors', 'tiny-sst2/pytorch_model_head.bin', 'topics/pytorch_adapter.bin']) {
      expect(files.get(path)).toEqual(new Uint8Array(readFileSync(join(out, ...path.split('/')))));
    }
    const peft = await runCli(['export', '--model', MODEL, '--hub', server.url, '--adapter', out, '--format', 'peft', '--out', join(dir, 'peft')]);
    expect(peft.code).toBe(2);
    expect(peft.err).toMatch(/is an AdapterFusion/);
    expect(existsSync(join(dir, 'peft'))).toBe(false);
  }, 300_000);

  it('explains wrong fusion flags', async () => {
    const base = ['train', '--model', MODEL, '--hub', server.url, '--dataset', 'adapter-studio/tiny-sst2', '--out', join(dir, 'bad')];
    const one = await runCli([...base, '--fuse', join(dir, 'sentiment')]);
    expect(one.code).toBe(2);
    expect(one.err).toMatch(/--fuse takes two or more adapter folders/);
    const mixed = await runCli([...base, '--fuse', 'a,b', '--method', 'lora']);
    expect(mixed.code).toBe(2);
    expect(mixed.err).toMatch(/leave out --method/);
    const lone = await runCli([...base, '--fusion-config', 'static']);
    expect(lone.code).toBe(2);
    expect(lone.err).toMatch(/--fusion-config goes with --fuse/);
  });
});
