/**
 * describeAdapter, train (with pause, resume, cancel, checkpoints and injected NaN), predict, export, import and push
 * through the real handler over a MessageChannel, on the wasm backend, reading tiny-bert and tiny-sentiment from the
 * offline Hub over HTTP. Checkpoints go to IndexedDB (fake-indexeddb's, in memory). References: parameter counts
 * from the bottleneck, LoRA and head formulas; predictions recomputed with the core on adapters built independently;
 * the CLI's `export` run on the worker's files; runs compared with uninterrupted runs of the same setup.
 */
import 'fake-indexeddb/auto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../cli/main.ts';
import { createAdapter } from '../core/adapters/adapter.ts';
import { resolveAdapterConfig } from '../core/adapters/config.ts';
import { adapterHubFiles } from '../core/export/adapterhub.ts';
import { adapterExportOf } from '../core/export/from-adapter.ts';
import { importAdapter, importedStateDict } from '../core/export/import.ts';
import { zipAdapterFiles } from '../core/export/zip.ts';
import { type LoadedEncoder, loadEncoder } from '../core/model/load-encoder.ts';
import { fetchEncoderConfig } from '../core/model/hub-files.ts';
import { adapterTrainable } from '../core/train/adapter-trainable.ts';
import { IndexedDbCheckpointStore } from '../core/train/checkpoint.ts';
import type { TrainEvent } from '../core/train/events.ts';
import { DEFAULT_TRAINING_SETTINGS, type TrainingSettings } from '../core/train/training-settings.ts';
import type { AdapterChoice } from '../core/vocabulary/adapter.ts';
import type { ExportedFile } from '../core/vocabulary/files.ts';
import type { TrainSetup } from '../core/vocabulary/run.ts';
import { type HubEndpoint, offlineHub, withToken } from '../hub/endpoint.ts';
import { type RunningHubServer, startHubServer } from '../hub-server/index.ts';
import type { TrainCommand, WorkerEvent } from './protocol.ts';
import { type TestChannel, connectHandler } from './test-channel.ts';

const fixtures = process.env.ADAPTER_STUDIO_FIXTURES!;
const MODEL = 'adapter-studio/tiny-bert';
const DATASET = 'adapter-studio/tiny-sentiment';
const TOKEN = 'hf_worker_push_secret_7';
const TEXTS = ['a wonderful, moving film', 'dull and boring from start to end'];

let server: RunningHubServer;
let hub: HubEndpoint;
/** A Hub of its own for pushes, so that the fixtures stay untouched. */
let pushServer: RunningHubServer;
let pushRoot: string;
let dir: string;
/** The reference encoder, loaded by the core directly. */
let reference: LoadedEncoder;

beforeAll(async () => {
  await tf.setBackend('wasm');
  server = await startHubServer({ root: fixtures, port: 0 });
  hub = offlineHub(server.url);
  pushRoot = mkdtempSync(join(tmpdir(), 'adapter-studio-push-hub-'));
  mkdirSync(join(pushRoot, 'models'));
  pushServer = await startHubServer({ root: pushRoot, port: 0 });
  dir = mkdtempSync(join(tmpdir(), 'adapter-studio-worker-train-'));
  reference = await loadEncoder(hub, MODEL, { backend: 'wasm' });
});

afterAll(async () => {
  reference?.dispose();
  await server?.close();
  await pushServer?.close();
  rmSync(pushRoot, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

/** A worker (handler) on wasm with tiny-bert loaded; `debug` honours debug options. */
async function worker(debug = false): Promise<TestChannel> {
  const channel = connectHandler();
  await channel.client.send({ type: 'init', backend: 'wasm', debug });
  await channel.client.send({ type: 'loadModel', repoId: MODEL, endpoint: hub });
  return channel;
}

let runs = 0;
/** A train command on tiny-sentiment capped at `rows` training examples (batch 16), lr 1e-3. */
function trainCommand(settings: Partial<TrainingSettings> = {}, options: { rows?: number; choice?: AdapterChoice; name?: string; runId?: string } = {}): Omit<TrainCommand, 'id'> {
  const setup: TrainSetup = {
    runId: options.runId ?? `run-${++runs}`,
    model: MODEL,
    data: { kind: 'hub', dataset: DATASET, maxTrainExamples: options.rows ?? 96 },
    adapter: { kind: 'new', choice: options.choice ?? { method: 'seq_bn' }, name: options.name ?? 'sentiment' },
    settings: { ...DEFAULT_TRAINING_SETTINGS, learningRate: 1e-3, epochs: 2, ...settings },
  };
  return { type: 'train', setup, endpoint: hub };
}

/** The training events of a run, in order. */
const trainEvents = (events: WorkerEvent[], runId: string): TrainEvent[] =>
  events.flatMap((e) => (e.type === 'training' && e.runId === runId ? [e.event] : []));

/** Resolves at the first training event of the run that satisfies `test`. */
function when(channel: TestChannel, runId: string, test: (event: TrainEvent) => boolean): Promise<TrainEvent> {
  return new Promise((resolve) => {
    const stop = channel.client.on('training', (e) => {
      if (e.runId === runId && test(e.event)) {
        stop();
        resolve(e.event);
      }
    });
  });
}

const softmax = (logits: number[]) => {
  const max = Math.max(...logits);
  const exps = logits.map((z) => Math.exp(z - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
};

/** Class probabilities of an adapter built by the core (not the worker) for the texts. */
function coreProbabilities(adapter: ReturnType<typeof createAdapter>, texts: string[]): number[][] {
  const trainable = adapterTrainable(adapter, reference.weights);
  const encoded = reference.tokenizer.encode(texts, undefined, { maxLength: 128 });
  const logits = tf.tidy(() => trainable.logits({ ...encoded, labels: new Int32Array(texts.length) }, { training: false, seed: 0 }).arraySync());
  return logits.map(softmax);
}

const filesMap = (files: ExportedFile[]) => new Map(files.map((f) => [f.path, f.bytes]));

/** Writes files into a fresh folder under the test dir. */
function writeFolder(name: string, files: Map<string, Uint8Array>): string {
  const folder = join(dir, name);
  for (const [path, bytes] of files) {
    mkdirSync(join(folder, ...path.split('/').slice(0, -1)), { recursive: true });
    writeFileSync(join(folder, ...path.split('/')), bytes);
  }
  return folder;
}

/** Every file under a folder, by '/'-separated relative path. */
function readFolder(folder: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const entry of readdirSync(folder, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) out.set(join(entry.parentPath, entry.name).slice(folder.length + 1).split('\\').join('/'), readFileSync(join(entry.parentPath, entry.name)));
  }
  return out;
}

async function cli(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

describe('describeAdapter', () => {
  let channel: TestChannel;
  beforeAll(() => {
    channel = connectHandler();
  });
  afterAll(() => channel.close());

  it('counts parameters from the configs alone, before init or any weights', async () => {
    const encoder = await fetchEncoderConfig(hub, MODEL);
    const h = encoder.hiddenSize;
    const layers = encoder.numLayers;
    const head = { task: 'classification' as const, labels: ['negative', 'positive'] };
    // seq_bn: one output adapter per layer, down h→h/rf and up h/rf→h with biases.
    const seq = await channel.client.send({ type: 'describeAdapter', choice: { method: 'seq_bn', reductionFactor: 8 }, encoder, head, name: 'sentiment' });
    const b = h / 8;
    const bottleneck = layers * (h * b + b + b * h + h);
    expect(seq.summary!.rows[0]).toMatchObject({ name: 'sentiment', architecture: 'bottleneck', params: bottleneck, active: true, train: true });
    expect(seq.summary!.rows[0].percent).toBeCloseTo((bottleneck / seq.summary!.rows[1].params) * 100, 10);
    // The head: Linear(h, h) + tanh + Linear(h, 2).
    expect(seq.summary!.headParameters).toBe(h * h + h + h * 2 + 2);
    expect(seq.knobs).toMatchObject({ reductionFactor: 8, nonLinearity: 'relu', dropout: 0, leaveOut: [] });
    expect(seq.config).toMatchObject({ reduction_factor: 8, output_adapter: true, mh_adapter: false, original_ln_before: true });
    expect(seq.summary!.text.split('\n')[1]).toMatch(/^Name\s+Architecture\s+#Param\s+%Param\s+Active\s+Train$/);
    expect(seq.peft).toMatchObject({ ok: false, reason: expect.stringContaining('PEFT has no bottleneck adapters') });

    // LoRA r 4 on query and value: A [r, h] and B [h, r] per projection.
    const lora = await channel.client.send({ type: 'describeAdapter', choice: { method: 'lora', r: 4, alpha: 16 }, encoder, head });
    expect(lora.summary!.rows[0].params).toBe(layers * 2 * (4 * h + h * 4));
    expect(lora.knobs).toMatchObject({ r: 4, alpha: 16 });
    expect(lora.peft).toEqual({ ok: true, peftType: 'LORA' });

    // MAM: the reduction factor reaches its parallel adapter, the prefix keeps its own settings.
    const mam = await channel.client.send({ type: 'describeAdapter', choice: { method: 'mam', reductionFactor: 4, prefixLength: 5 }, encoder });
    expect(mam.config).toMatchObject({ architecture: 'union', configs: [{ architecture: 'prefix_tuning', prefix_length: 5, bottleneck_size: 800 }, { is_parallel: true, reduction_factor: 4 }] });
    expect(mam.knobs).toMatchObject({ reductionFactor: 4, prefixLength: 5 });
    expect(mam.summary!.headParameters).toBeUndefined();
  });

  it('names the field of a knob the library would reject', async () => {
    await expect(channel.client.send({ type: 'describeAdapter', choice: { method: 'seq_bn', dropout: 1.5 } })).rejects.toMatchObject({
      code: 'AdapterConfigError', message: 'Adapter config field "dropout" = 1.5 must be a number in [0, 1).',
    });
    const ia3 = await channel.client.send({ type: 'describeAdapter', choice: { method: 'ia3', r: 8, alpha: 2 } });
    expect(ia3.config).toMatchObject({ composition_mode: 'scale', r: 1, alpha: 2 });
  });
});

describe('train', () => {
  let channel: TestChannel;
  beforeAll(async () => {
    channel = await worker();
  });
  afterAll(() => channel.close());

  it('emits progress, eval, checkpoints and done, and predicts with the trained and the initial adapter', async () => {
    // The untrained side must be the adapter as created at the run's start: the same config, name and seed, built by
    // the core (before the run: tf variable names are global, so one live adapter per name).
    const fresh = createAdapter(reference.config, 'seq_bn', { name: 'sentiment', seed: 42, head: { numLabels: 2, id2label: ['negative', 'positive'] } });
    const initial = coreProbabilities(fresh, TEXTS);
    fresh.dispose();
    for (const command of [{ type: 'activeAdapter' }, { type: 'predict', texts: TEXTS }, { type: 'exportAdapter', format: 'adapterhub' }] as const) {
      await expect(channel.client.send(command)).rejects.toMatchObject({ code: 'NoAdapter', message: expect.stringContaining('train one in the Train step, or import one') });
    }

    const command = trainCommand();
    const { result, adapter } = await channel.client.send(command);
    const events = trainEvents(channel.events, command.setup.runId);
    // 96 examples in batches of 16: 6 steps per epoch, 2 epochs.
    expect(events.filter((e) => e.kind === 'progress').map((e) => e.kind === 'progress' && e.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(events.filter((e) => e.kind === 'eval').map((e) => e.kind === 'eval' && [e.step, e.metrics.examples])).toEqual([[6, 200], [12, 200]]);
    expect(events.filter((e) => e.kind === 'checkpoint').map((e) => e.kind === 'checkpoint' && [e.step, e.reason])).toEqual([[6, 'epoch'], [12, 'epoch']]);
    // Each evaluation has its own progress: 200 validation examples (the split's all, under the default cap of 200 for
    // 96 training rows) in 13 batches of at most 16, known before the first pass from the split's row count.
    const evalProgress = events.flatMap((e) => (e.kind === 'evalProgress' ? [[e.step, e.batches, e.totalBatches]] : []));
    expect(evalProgress).toEqual([6, 12].flatMap((step) => Array.from({ length: 13 }, (_, i) => [step, i + 1, 13])));
    expect(events.at(-1)).toMatchObject({ kind: 'done', stopReason: 'completed', steps: 12 });
    expect(result).toMatchObject({ stopReason: 'completed', steps: 12, epochs: 2 });
    const h = 64;
    expect(adapter).toMatchObject({
      name: 'sentiment', origin: 'trained', modelName: MODEL, head: { task: 'classification', labels: ['negative', 'positive'] },
      parameters: 2 * (h * 4 + 4 + 4 * h + h) + (h * h + h + h * 2 + 2), training: { dataset: DATASET, hyperparameters: { learningRate: 1e-3, batchSize: 16 } },
    });

    const predicted = await channel.client.send({ type: 'predict', texts: TEXTS });
    expect(predicted.labels).toEqual(['negative', 'positive']);
    for (const probabilities of [...predicted.trained, ...predicted.untrained]) expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    initial.forEach((row, i) => row.forEach((p, j) => expect(predicted.untrained[i][j]).toBeCloseTo(p, 5)));
    expect(predicted.trained[0][1]).not.toBeCloseTo(predicted.untrained[0][1], 3);

    // The adapter holds the best evaluation's weights: evaluating it again gives that evaluation's metrics.
    const evaluated = await channel.client.send({ type: 'evaluate', data: command.setup.data, endpoint: hub });
    expect(evaluated.split).toBe('validation');
    expect(evaluated.metrics.examples).toBe(200);
    expect(evaluated.metrics.accuracy).toBe(result.best!.accuracy);
    expect(evaluated.metrics.loss).toBeCloseTo(result.best!.loss, 5);

    // The trained side is what the exported files hold, read back by the core into an adapter named "ref".
    const { files } = await channel.client.send({ type: 'exportAdapter', format: 'adapterhub' });
    const imported = importAdapter(filesMap(files), { encoder: reference.config });
    const ref = createAdapter(reference.config, resolveAdapterConfig(imported.adapterConfig), { name: 'ref', head: { numLabels: 2, id2label: ['negative', 'positive'] } });
    try {
      ref.loadAdapterStateDict(new Map([...importedStateDict(imported)].map(([key, t]) => [key.replace('.sentiment.', '.ref.'), t])));
      coreProbabilities(ref, TEXTS).forEach((row, i) => row.forEach((p, j) => expect(predicted.trained[i][j]).toBeCloseTo(p, 5)));
    } finally {
      ref.dispose();
    }
  });

  it('writes the same files as the CLI export of the same adapter, and reads them back as the active adapter', async () => {
    const before = await channel.client.send({ type: 'predict', texts: TEXTS });
    for (const format of ['adapterhub', 'python'] as const) {
      const { files, name } = await channel.client.send({ type: 'exportAdapter', format });
      expect(name).toBe('sentiment');
      const worker = filesMap(files);
      const folder = writeFolder(`worker-${format}`, worker);
      const source = format === 'python' ? join(folder, 'adapter') : folder;
      const out = join(dir, `cli-${format}`);
      const run = await cli(['export', '--model', MODEL, '--adapter', source, '--format', format, '--out', out, '--hub', server.url]);
      expect(run.code, run.err.join('\n')).toBe(0);
      const written = readFolder(out);
      expect([...written.keys()].sort()).toEqual([...worker.keys()].sort());
      for (const [path, bytes] of worker) expect(Buffer.compare(written.get(path)!, Buffer.from(bytes)), `${format}: ${path}`).toBe(0);
    }
    await expect(channel.client.send({ type: 'exportAdapter', format: 'peft' })).rejects.toMatchObject({
      code: 'AdapterExportError', message: expect.stringContaining('PEFT has no bottleneck adapters'),
    });

    // Import round trip: the zip becomes the active adapter and predicts as before.
    const { files } = await channel.client.send({ type: 'exportAdapter', format: 'adapterhub' });
    const zip = zipAdapterFiles(filesMap(files));
    const bytes = zip.buffer.slice(zip.byteOffset, zip.byteOffset + zip.byteLength) as ArrayBuffer;
    const { adapter } = await channel.client.send({ type: 'importAdapter', source: { kind: 'zip', name: 'sentiment.zip', bytes } }, [bytes]);
    expect(adapter).toMatchObject({ name: 'sentiment', origin: 'imported', sourceFormat: 'studio', training: { dataset: DATASET }, head: { labels: ['negative', 'positive'] } });
    const after = await channel.client.send({ type: 'predict', texts: TEXTS });
    after.trained.forEach((row, i) => row.forEach((p, j) => expect(p).toBeCloseTo(before.trained[i][j], 6)));
  });

  it('says what does not fit when an import belongs to another model or is no adapter', async () => {
    const roberta = await fetchEncoderConfig(hub, 'adapter-studio/tiny-roberta');
    const other = createAdapter(roberta, 'seq_bn', { name: 'other', head: { numLabels: 2 } });
    let files: Map<string, Uint8Array>;
    try {
      files = adapterHubFiles(adapterExportOf(other));
    } finally {
      other.dispose();
    }
    const asFiles = { kind: 'files' as const, name: 'other', files: [...files].map(([path, bytes]) => ({ path, bytes })) };
    await expect(channel.client.send({ type: 'importAdapter', source: asFiles })).rejects.toMatchObject({
      code: 'OtherBaseModel', message: expect.stringContaining('was trained on "adapter-studio/tiny-roberta" (roberta), not on "adapter-studio/tiny-bert" (bert)'),
    });
    const notes = { kind: 'files' as const, name: 'notes', files: [{ path: 'notes.txt', bytes: new TextEncoder().encode('hello') }] };
    await expect(channel.client.send({ type: 'importAdapter', source: notes })).rejects.toMatchObject({ code: 'NotAnAdapter' });
    // The active adapter is still the one imported before.
    expect((await channel.client.send({ type: 'predict', texts: TEXTS })).labels).toEqual(['negative', 'positive']);
  });

  it('pushes the adapter to a Hub, which serves it back for an import, and never posts the token', async () => {
    const progress: string[] = [];
    const stop = channel.client.on('pushProgress', (e) => progress.push(e.progress.phase));
    const pushed = await channel.client.send({ type: 'pushAdapter', repo: 'offline-user/sentiment-adapter', private: true, format: 'adapterhub', endpoint: withToken(offlineHub(pushServer.url), TOKEN) });
    stop();
    expect(pushed).toMatchObject({ repoUrl: `${pushServer.url}/offline-user/sentiment-adapter`, created: true });
    expect(progress[0]).toBe('creating');
    expect(progress.at(-1)).toBe('done');
    const { adapter } = await channel.client.send({ type: 'importAdapter', source: { kind: 'hub', repoId: 'offline-user/sentiment-adapter', endpoint: withToken(offlineHub(pushServer.url), TOKEN) } });
    expect(adapter).toMatchObject({ name: 'sentiment', sourceFormat: 'studio' });
    await expect(channel.client.send({ type: 'pushAdapter', repo: 'offline-user/x', private: false, format: 'adapterhub', endpoint: offlineHub(pushServer.url) })).rejects.toMatchObject({
      code: 'HubPushError', message: expect.stringContaining('needs an access token with write access'),
    });
    expect(JSON.stringify(channel.events)).not.toContain(TOKEN);
  });

  it('exports LoRA for PEFT', async () => {
    const command = trainCommand({ maxSteps: 1 }, { choice: { method: 'lora', r: 4 }, name: 'lora_sentiment', rows: 16 });
    const { adapter } = await channel.client.send(command);
    expect(adapter.peft).toEqual({ ok: true, peftType: 'LORA' });
    const { files } = await channel.client.send({ type: 'exportAdapter', format: 'peft' });
    expect(files.map((f) => f.path).sort()).toEqual(['README.md', 'adapter_config.json', 'adapter_model.safetensors']);
    expect(JSON.parse(new TextDecoder().decode(filesMap(files).get('adapter_config.json')))).toMatchObject({ peft_type: 'LORA', r: 4, base_model_name_or_path: MODEL });
  });
});

describe('pause, resume and cancel', () => {
  it('pause takes effect within one step and checkpoints; resume goes on from the next step; cancel stops within one step', async () => {
    const channel = await worker();
    try {
      const command = trainCommand({ epochs: 3 });
      const { runId } = command.setup;
      const training = channel.client.send(command);
      await when(channel, runId, (e) => e.kind === 'progress' && e.step >= 2);
      await channel.client.send({ type: 'pause' });
      const paused = channel.events.map((e) => e.type).lastIndexOf('ack');
      await when(channel, runId, (e) => e.kind === 'state' && e.state === 'paused');
      await new Promise((resolve) => setTimeout(resolve, 300));
      // At most the step in flight (with its epoch-end evaluation and checkpoint) finishes, then the pause checkpoint.
      const whilePaused = trainEvents(channel.events.slice(paused), runId);
      expect(whilePaused.filter((e) => e.kind === 'progress').length).toBeLessThanOrEqual(1);
      expect(whilePaused.slice(-2)).toEqual([{ kind: 'checkpoint', step: expect.any(Number), reason: 'pause' }, { kind: 'state', state: 'paused' }]);
      const pausedAt = (whilePaused.at(-2) as { step: number }).step;
      // Other tensor work waits for the training to end rather than queueing behind it.
      await expect(channel.client.send({ type: 'predict', texts: TEXTS })).rejects.toMatchObject({ code: 'TrainingActive' });

      await channel.client.send({ type: 'resume' });
      const next = await when(channel, runId, (e) => e.kind === 'progress');
      expect(next).toMatchObject({ step: pausedAt + 1 });
      await when(channel, runId, (e) => e.kind === 'progress' && e.step >= pausedAt + 2);
      await channel.client.send({ type: 'cancel' });
      const cancelled = channel.events.map((e) => e.type).lastIndexOf('ack');
      const { result } = await training;
      expect(result.stopReason).toBe('cancelled');
      expect(trainEvents(channel.events.slice(cancelled), runId).filter((e) => e.kind === 'progress').length).toBeLessThanOrEqual(1);
      expect(result.steps).toBeLessThan(18);
      await expect(channel.client.send({ type: 'cancel' })).rejects.toMatchObject({ code: 'NotTraining' });
    } finally {
      await channel.close();
    }
  });

  it('continues a paused run in a new worker (a tab reload) exactly as an uninterrupted run', async () => {
    const first = await worker();
    const command = trainCommand({ epochs: 2 }, { runId: 'reloaded' });
    try {
      void first.client.send(command).catch(() => undefined);
      await when(first, 'reloaded', (e) => e.kind === 'progress' && e.step === 2);
      await first.client.send({ type: 'pause' });
      await when(first, 'reloaded', (e) => e.kind === 'state' && e.state === 'paused');
    } finally {
      await first.close();
    }
    const saved = await (await IndexedDbCheckpointStore.open('reloaded')).load('latest');
    expect(saved!.state.step).toBeGreaterThanOrEqual(2);
    expect(saved!.state.step).toBeLessThan(12);

    // The second worker continues the run; a third runs it straight through (one at a time: adapter names are global).
    const second = await worker();
    let resumedPredictions: number[][];
    try {
      const resumed = await second.client.send({ ...command, resume: true });
      const progress = trainEvents(second.events, 'reloaded').filter((e) => e.kind === 'progress');
      expect(progress[0]).toMatchObject({ step: saved!.state.step + 1 });
      expect(resumed.result).toMatchObject({ stopReason: 'completed', steps: 12 });
      resumedPredictions = (await second.client.send({ type: 'predict', texts: TEXTS })).trained;
      await second.client.send({ type: 'discardRun', runId: 'reloaded' });
      expect(await (await IndexedDbCheckpointStore.open('reloaded')).load('latest')).toBeUndefined();
    } finally {
      await second.close();
    }
    const straight = await worker();
    try {
      await straight.client.send(trainCommand({ epochs: 2 }, { runId: 'straight' }));
      expect((await straight.client.send({ type: 'predict', texts: TEXTS })).trained).toEqual(resumedPredictions);
    } finally {
      await straight.close();
    }
  });
});

describe('non-finite steps (debug)', () => {
  it('skips a NaN step and trains on; three in a row stop with the message and the last good weights kept', async () => {
    const channel = await worker(true);
    let stopped: number[][];
    try {
      const once = trainCommand({ schedule: 'constant' }, { rows: 64 });
      const { result } = await channel.client.send({ ...once, debugNonFinite: { fromStep: 3, steps: 1 } });
      const progress = trainEvents(channel.events, once.setup.runId).filter((e) => e.kind === 'progress');
      expect(progress.map((p) => p.kind === 'progress' && p.skipped)).toEqual([false, false, true, false, false, false, false, false]);
      expect(trainEvents(channel.events, once.setup.runId)).toContainEqual({ kind: 'log', level: 'warn', message: expect.stringMatching(/^Step 3 skipped: the loss was NaN\. No update was made/) });
      expect(result.stopReason).toBe('completed');

      const stopping = trainCommand({ schedule: 'constant' }, { rows: 64 });
      await expect(channel.client.send({ ...stopping, debugNonFinite: { fromStep: 3, steps: 3 } })).rejects.toMatchObject({
        code: 'NonFinite', message: expect.stringMatching(/^Training stopped at step 5: .* The weights are those after step 2, the last good one\./),
      });
      // The adapter stays active (the page asks for it after the failure).
      expect((await channel.client.send({ type: 'activeAdapter' })).adapter).toMatchObject({ name: 'sentiment', origin: 'trained' });
      stopped = (await channel.client.send({ type: 'predict', texts: TEXTS })).trained;
    } finally {
      await channel.close();
    }
    // The weights kept are those of an uninterrupted run of 2 steps (constant learning rate, same seed and data order).
    const reference = await worker();
    try {
      await reference.client.send(trainCommand({ schedule: 'constant', maxSteps: 2 }, { rows: 64 }));
      expect((await reference.client.send({ type: 'predict', texts: TEXTS })).trained).toEqual(stopped);
      // Without debug the option is ignored.
      const ignored = trainCommand({ maxSteps: 3 }, { rows: 64 });
      await reference.client.send({ ...ignored, debugNonFinite: { fromStep: 1, steps: 3 } });
      expect(trainEvents(reference.events, ignored.setup.runId).some((e) => e.kind === 'progress' && e.skipped)).toBe(false);
    } finally {
      await reference.close();
    }
  });
});
