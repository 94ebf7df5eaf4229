import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Prng } from '../random.ts';
import { type AdapterModel, createAdapter } from '../adapters/adapter.ts';
import { TINY, randomState } from '../adapters/test-support.ts';
import { adapterHubFiles } from '../export/adapterhub.ts';
import { adapterExportOf } from '../export/from-adapter.ts';
import { importAdapter } from '../export/import.ts';
import { type EncoderWeights, uploadEncoderWeights } from '../model/encoder.ts';
import { randomWeights } from '../model/test-support.ts';
import { type TokenBatch, adapterTrainable } from './adapter-trainable.ts';
import { MemoryCheckpointStore } from './checkpoint.ts';
import { TrainingControl } from './control.ts';
import { liveAdapter } from './imported-adapter.ts';
import { type TrainingData, train } from './trainer.ts';

const config = TINY.bert;
let weights: EncoderWeights;
const live: AdapterModel[] = [];

beforeAll(async () => {
  await tf.setBackend('cpu');
  weights = uploadEncoderWeights(config, randomWeights(config, 3));
});
afterEach(() => {
  for (const adapter of live.splice(0)) adapter.dispose();
});

let adapterCount = 0;

/** A live adapter with a fresh name (tfjs variable names are global). */
function adapter(spec = 'seq_bn[reduction_factor=3]', seed = 1, head: Parameters<typeof createAdapter>[2]['head'] = { numLabels: 2, id2label: ['no', 'yes'] }, name = `probe${adapterCount += 1}`): AdapterModel {
  const made = createAdapter(config, spec, { name, seed, head });
  live.push(made);
  return made;
}

/** Sequences of 3..7 random tokens; half start with token 9 (label 1), the others never hold it (label 0). */
function tokenBatches(count: number, size: number, seed: number): TokenBatch[] {
  const rng = new Prng(seed);
  return Array.from({ length: count }, () => {
    const lengths = Array.from({ length: size }, () => rng.range(3, 7));
    const seq = Math.max(...lengths);
    const inputIds = new Int32Array(size * seq);
    const attentionMask = new Int32Array(size * seq);
    const labels = new Int32Array(size);
    lengths.forEach((n, b) => {
      for (let t = 0; t < n; t++) {
        inputIds[b * seq + t] = rng.range(10, 29);
        attentionMask[b * seq + t] = 1;
      }
      labels[b] = rng.chance(0.5) ? 1 : 0;
      if (labels[b] === 1) inputIds[b * seq] = 9;
    });
    return { inputIds, attentionMask, tokenTypeIds: new Int32Array(size * seq), batch: size, seq, labels, realTokens: lengths.reduce((a, b) => a + b, 0) };
  });
}

const logitsOf = (model: ReturnType<typeof adapterTrainable>, batch: TokenBatch, training = false, seed = 0) =>
  Array.from(tf.tidy(() => model.logits(batch, { training, seed }).dataSync()));

describe('adapterTrainable', () => {
  it('trains the adapter and head variables under their state-dict keys; head dropout follows the step seed', () => {
    const a = adapter();
    const model = adapterTrainable(a, weights);
    expect(model.task).toBe('classification');
    expect(model.parameters.map((p) => p.name)).toEqual([...a.plan.params, ...a.head!.params].filter((s) => s.trainable).map((s) => s.key));
    const [batch] = tokenBatches(1, 4, 1);
    expect(logitsOf(model, batch, false, 1)).toEqual(logitsOf(model, batch, false, 2));
    expect(logitsOf(model, batch, true, 5)).toEqual(logitsOf(model, batch, true, 5));
    expect(logitsOf(model, batch, true, 5)).not.toEqual(logitsOf(model, batch, true, 6));
    expect(adapterTrainable(adapter('lora', 1, { kind: 'regression' }), weights).task).toBe('regression');

    // AdapterDrop on 3 layers skips layer 0's adapter or none, as the step's seed draws; inference skips nothing.
    const still = adapter('seq_bn[reduction_factor=3]', 1, { numLabels: 2, dropoutProb: 0 });
    still.loadAdapterStateDict(randomState(still, 3));
    const plain = adapterTrainable(still, weights);
    const dropping = adapterTrainable(still, weights, { adapterDrop: true });
    const seeds = Array.from({ length: 12 }, (_, seed) => seed);
    for (const seed of seeds) expect(logitsOf(dropping, batch, true, seed)).toEqual(logitsOf(dropping, batch, true, seed));
    const outcomes = new Set(seeds.map((seed) => logitsOf(dropping, batch, true, seed).join()));
    expect(outcomes.size).toBe(2);
    expect(outcomes.has(logitsOf(plain, batch, true).join())).toBe(true);
    expect(logitsOf(dropping, batch, false)).toEqual(logitsOf(plain, batch, false));
  });

  it('learns a token-presence task, and a paused-then-resumed run follows the same trajectory', async () => {
    const trainBatches = tokenBatches(12, 8, 2);
    const validation = tokenBatches(3, 16, 3);
    const data: TrainingData<TokenBatch> = {
      batchesPerEpoch: trainBatches.length,
      async *trainBatches(epoch) { yield* new Prng(epoch).shuffle(trainBatches.slice()); },
      async *evalBatches() { yield* validation; },
    };
    const options = { learningRate: 1e-2, epochs: 4 };
    // Initial values hang on the adapter's name and seed: every run here uses the same name.
    const spec = 'seq_bn[reduction_factor=3]';
    const head = { numLabels: 2, id2label: ['no', 'yes'] };
    const losses: number[] = [];
    const first = adapterTrainable(adapter(spec, 1, head, 'resumed'), weights);
    const before = tf.memory().numTensors;
    const reference = await train(first, data, options, { onEvent: (e) => { if (e.kind === 'progress') losses[e.step] = e.loss; } });
    expect(tf.memory().numTensors).toBe(before);
    // Position 0 decides the label, so the head on the first token learns it: validation loss falls, accuracy rises.
    expect(reference.history.at(-1)!.metrics.loss).toBeLessThan(reference.history[0].metrics.loss - 0.2);
    expect(reference.best!.accuracy).toBeGreaterThanOrEqual(0.85);
    for (const adapterLive of live.splice(0)) adapterLive.dispose();

    const store = new MemoryCheckpointStore();
    const control = new TrainingControl();
    const resumed: number[] = [];
    await train(adapterTrainable(adapter(spec, 1, head, 'resumed'), weights), data, options, {
      store, control,
      onEvent: (e) => {
        if (e.kind === 'progress') {
          resumed[e.step] = e.loss;
          if (e.step === 17) control.pause();
        }
        if (e.kind === 'state' && e.state === 'paused') control.cancel();
      },
    });
    for (const adapterLive of live.splice(0)) adapterLive.dispose();
    // Another seed: other initial weights, which the checkpoint replaces.
    await train(adapterTrainable(adapter(spec, 7, head, 'resumed'), weights), data, options, {
      store, resume: true, onEvent: (e) => { if (e.kind === 'progress') resumed[e.step] = e.loss; },
    });
    expect(resumed).toEqual(losses);
  });
});

describe('liveAdapter', () => {
  it('rebuilds an exported adapter with its head from the AdapterHub files, with the same logits', () => {
    const a = adapter('double_seq_bn[reduction_factor=4]');
    a.loadAdapterStateDict(randomState(a, 11));
    const files = adapterHubFiles(adapterExportOf(a));
    const [batch] = tokenBatches(1, 3, 4);
    const original = logitsOf(adapterTrainable(a, weights), batch);
    for (const adapterLive of live.splice(0)) adapterLive.dispose();
    const restored = liveAdapter(config, importAdapter(files, { encoder: config, source: 'memory' }));
    live.push(restored);
    expect(restored.head!.id2label).toEqual(['no', 'yes']);
    expect(logitsOf(adapterTrainable(restored, weights), batch)).toEqual(original);
  });
});
