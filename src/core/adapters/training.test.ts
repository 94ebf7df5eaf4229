/**
 * Training on the fixture Hub (real HTTP through the offline Hub server): every method trains on
 * adapter-studio/tiny-sentiment over frozen adapter-studio/tiny-bert with falling loss while the encoder stays
 * bit-identical, AdapterDrop's random skipping runs, and 100 training steps leak no tensors. Runs on the tfjs
 * wasm backend (several times faster than the cpu backend in Node).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { offlineHub } from '../../hub/endpoint.ts';
import { type RunningHubServer, startHubServer } from '../../hub-server/index.ts';
import { uploadEncoderWeights } from '../model/encoder.ts';
import { type LoadedEncoder, loadEncoder } from '../model/load-encoder.ts';
import { randomWeights } from '../model/test-support.ts';
import { createAdapter } from './adapter.ts';
import { createAdapterDrop } from './adapter-drop.ts';
import { type LabelledBatch, batches, encoderSnapshot, fixtureRows, trainStep } from './fixture-training.ts';
import { TINY, randomState, testBatch } from './test-support.ts';

const root = process.env.ADAPTER_STUDIO_FIXTURES!;
let server: RunningHubServer;
let encoder: LoadedEncoder;
let train: LabelledBatch[];

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
  server = await startHubServer({ root, port: 0 });
  encoder = await loadEncoder(offlineHub(server.url), 'adapter-studio/tiny-bert');
  train = batches(encoder.tokenizer, await fixtureRows(root, 'adapter-studio/tiny-sentiment', 'train'), 16, 64);
});

afterAll(async () => {
  encoder?.dispose();
  await server?.close();
});

/** Mean loss over `data` in inference mode. */
function meanLoss(adapter: ReturnType<typeof createAdapter>, data: LabelledBatch[]): number {
  return data.reduce((sum, b) => sum + tf.tidy(() => adapter.loss(encoder.weights, b.inputs, b.labels).dataSync()[0]), 0) / data.length;
}

/** Methods as the library presets them, sized for hidden 64 where a preset does not fit (compacter's rf 32 → width 2 < phm_dim 4). */
const METHODS = [
  'seq_bn', 'double_seq_bn', 'par_bn', 'scaled_par_bn', 'compacter[reduction_factor=8]', 'compacter++[reduction_factor=8]',
  'lora', 'ia3', 'prefix_tuning', 'prefix_tuning_flat', 'prompt_tuning', 'mam', 'unipelt',
];

describe('each method trains on tiny-sentiment over frozen tiny-bert (30 Adam steps, lr 3e-3)', () => {
  const report: string[] = [];
  for (const method of METHODS) {
    it(method, () => {
      const adapter = createAdapter(encoder.config, method, { name: 'sentiment', seed: 7, head: { id2label: ['negative', 'positive'] } });
      const optimizer = tf.train.adam(3e-3);
      const before = encoderSnapshot(encoder.weights);
      const adapterBefore = adapter.adapterStateDict();
      // Two fixed batches, seen 15 times each: the training loss on them must fall.
      const data = train.slice(0, 2);
      const start = meanLoss(adapter, data);
      const started = performance.now();
      for (let step = 0; step < 30; step++) trainStep(adapter, encoder.weights, optimizer, data[step % 2]);
      const seconds = (performance.now() - started) / 1000;
      const end = meanLoss(adapter, data);
      report.push(`${method.padEnd(32)} loss ${start.toFixed(4)} → ${end.toFixed(4)}  (${seconds.toFixed(1)} s)`);
      expect(end).toBeLessThan(start - 0.02);
      // Every adapter tensor moved; the encoder did not, bit for bit.
      for (const [key, value] of adapter.adapterStateDict()) expect(value.data, key).not.toEqual(adapterBefore.get(key)!.data);
      expect(encoderSnapshot(encoder.weights)).toEqual(before);
      optimizer.dispose();
      adapter.dispose();
    });
  }
  it('report', () => {
    console.log(`training loss on 2 fixed batches, before → after 30 steps:\n${report.join('\n')}`);
    expect(report.length).toBe(METHODS.length);
  });
});

describe('the adapter parameters alone lower the loss (head frozen) on a tiny random encoder that mixes tokens', () => {
  // randomWeights gives weights of scale 1/√fan-in, so attention mixes tokens and every method's output reaches [CLS].
  const config = TINY.bert;
  const batch = testBatch(config);
  const SMALL: Record<string, string> = { compacter: 'compacter[reduction_factor=3]', 'compacter++': 'compacter++[reduction_factor=3]' };
  for (const method of METHODS.map((m) => m.replace(/\[.*\]$/, ''))) {
    it(method, () => {
      const weights = uploadEncoderWeights(config, randomWeights(config, 17));
      const adapter = createAdapter(config, SMALL[method] ?? method, { name: 'alone', seed: 2, head: { numLabels: 3 } });
      const optimizer = tf.train.adam(1e-2);
      try {
        // A random (not near-zero) head, so that logits respond to what the adapter changes.
        const head = [...randomState(adapter, 9, 0.5)].filter(([key]) => key.startsWith('heads.'));
        adapter.loadAdapterStateDict(new Map([...adapter.adapterStateDict(), ...head]));
        const adapterVariables = adapter.trainableVariables().filter((v) => !v.name.startsWith('heads.'));
        const labels = [2, 0];
        const lossNow = () => tf.tidy(() => adapter.loss(weights, batch, labels).dataSync()[0]);
        const start = lossNow();
        for (let step = 0; step < 30; step++) optimizer.minimize(() => adapter.loss(weights, batch, labels), false, adapterVariables);
        expect(lossNow()).toBeLessThan(0.95 * start);
      } finally {
        optimizer.dispose();
        adapter.dispose();
        weights.dispose();
      }
    });
  }
});

describe('prompt_init "from_string"', () => {
  it('starts the prompt from the word embeddings of the text\'s tokens (special tokens included), repeated to prompt_length', () => {
    const adapter = createAdapter(encoder.config, "prompt_tuning[prompt_length=7, prompt_init='from_string', prompt_init_text='a superb film']", {
      name: 'prompt', promptInit: { tokenizer: encoder.tokenizer, weights: encoder.weights },
    });
    const ids = Array.from(encoder.tokenizer.encode(['a superb film']).inputIds);
    expect(ids.length).toBe(5); // [CLS] a superb film [SEP]
    const table = tf.concat(encoder.weights.wordEmbeddings.blocks).arraySync();
    const prompt = adapter.adapterStateDict().get('bert.prompt_tuning.prompt_tunings.prompt.prompt_embedding.weight')!;
    expect(prompt.shape).toEqual([7, encoder.config.hiddenSize]);
    const rows = Array.from({ length: 7 }, (_, i) => Array.from(prompt.data.subarray(i * 64, i * 64 + 64)));
    expect(rows).toEqual([0, 1, 2, 3, 4, 0, 1].map((i) => table[ids[i]].map(Math.fround)));
    adapter.dispose();
    expect(() => createAdapter(encoder.config, "prompt_tuning[prompt_init='from_string', prompt_init_text='x']", { name: 'p2' })).toThrow(/pass promptInit/);
  });
});

describe('AdapterDrop during training', () => {
  it('skips a seeded random prefix of the layers per step, as the library\'s AdapterDrop callback', () => {
    const drop = createAdapterDrop(12, 3);
    const draws = Array.from({ length: 200 }, () => drop());
    for (const skip of draws) expect([...skip]).toEqual([...Array(skip.size).keys()]);
    const sizes = new Set(draws.map((s) => s.size));
    // randint(0, 11): 0..10 layers skipped, never all 12.
    expect(Math.min(...sizes)).toBe(0);
    expect(Math.max(...sizes)).toBe(10);
    const again = createAdapterDrop(12, 3);
    expect(Array.from({ length: 200 }, () => again())).toEqual(draws);
  });

  it('trains seq_bn with random skip_layers on tiny-bert', () => {
    const adapter = createAdapter(encoder.config, 'seq_bn', { name: 'drop', seed: 1, head: {} });
    const optimizer = tf.train.adam(3e-3);
    const drop = createAdapterDrop(encoder.config.numLayers, 5);
    const data = train.slice(0, 2);
    const start = meanLoss(adapter, data);
    for (let step = 0; step < 20; step++) trainStep(adapter, encoder.weights, optimizer, data[step % 2], { training: true, skipLayers: drop() });
    expect(meanLoss(adapter, data)).toBeLessThan(start);
    optimizer.dispose();
    adapter.dispose();
  });
});

describe('tensor lifetime', () => {
  it('tf.memory().numTensors is steady across 100 training steps of every method at once (with dropout and AdapterDrop)', () => {
    const config = TINY.bert;
    const weights = uploadEncoderWeights(config, randomWeights(config, 3));
    const batch = testBatch(config);
    const labels = [1, 0];
    const adapters = [
      createAdapter(config, 'unipelt[dropout=0.1]', { name: 'a', head: { dropoutProb: 0.1 } }),
      createAdapter(config, "prompt_tuning[prompt_length=2]|compacter[reduction_factor=3, dropout=0.1, stochastic_depth=0.2, scaling='channel']|ia3", { name: 'b', head: {} }),
      createAdapter(config, 'prefix_tuning_flat[prefix_length=2, dropout=0.2]|par_bn[ln_before=True, use_gating=True]|lora[r=2, dropout=0.1]', { name: 'c', head: { kind: 'multilabel', numLabels: 2 } }),
    ];
    const drop = createAdapterDrop(config.numLayers, 1);
    for (const adapter of adapters) {
      const optimizer = tf.train.adam(1e-3);
      const batchLabels = adapter.head!.kind === 'multilabel' ? [1, 0, 0, 1] : labels;
      const step = () => {
        const loss = optimizer.minimize(() => adapter.loss(weights, batch, batchLabels, { training: true, skipLayers: drop() }), true, adapter.trainableVariables())!;
        loss.dispose();
      };
      step(); // Adam creates its moment variables on the first step.
      const steady = tf.memory().numTensors;
      for (let i = 0; i < 100; i++) step();
      expect(tf.memory().numTensors, adapter.name).toBe(steady);
      optimizer.dispose();
    }
    const beforeDispose = tf.memory().numTensors;
    const owned = adapters.reduce((n, a) => n + a.plan.params.length + a.head!.params.length, 0);
    for (const adapter of adapters) adapter.dispose();
    expect(tf.memory().numTensors).toBe(beforeDispose - owned);
    weights.dispose();
  });
});
