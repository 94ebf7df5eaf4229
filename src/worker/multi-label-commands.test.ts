/**
 * Multi-label classification through the real handler on wasm: describeAdapter gives the multi-label head's size,
 * a run on tiny-multilabel reports micro- and macro-F1, predict gives each label's sigmoid probability and the
 * thresholds, equal to the core's on the worker's exported files (imported and run independently), evaluate
 * agrees with the run's metrics, and the exports carry the thresholds and the multi-label train.py.
 */
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { importAdapter } from '../core/export/import.ts';
import { adapterTrainable } from '../core/train/adapter-trainable.ts';
import { liveAdapter } from '../core/train/imported-adapter.ts';
import { DEFAULT_TRAINING_SETTINGS } from '../core/train/training-settings.ts';
import { handlerWithModel, offlineModel } from './task-test-support.ts';

const MODEL = 'adapter-studio/tiny-bert';
const TOPICS = ['world', 'sports', 'business', 'science'];
const TEXT = 'The coach won the title. Investors raised interest rates.';

const offline = offlineModel(MODEL);

describe('multi-label classification in the worker', () => {
  it('trains on tiny-multilabel, predicts every label\'s probability as the core does from the exported files', async () => {
    const { hub, reference } = offline;
    const channel = await handlerWithModel(offline, MODEL);
    const described = await channel.client.send({ type: 'describeAdapter', choice: { method: 'seq_bn' }, encoder: reference.config, head: { task: 'multiLabel', labels: TOPICS } });
    // Linear(64, 64) + Linear(64, 4): 64 · 64 + 64 + 64 · 4 + 4.
    expect(described.summary?.headParameters).toBe(4420);

    const settings = { ...DEFAULT_TRAINING_SETTINGS, learningRate: 1e-2, maxSteps: 50, maxLength: 48 };
    const trained = await channel.client.send({
      type: 'train',
      setup: { runId: 'multilabel-run', model: MODEL, data: { kind: 'hub', dataset: 'adapter-studio/tiny-multilabel' }, adapter: { kind: 'new', choice: { method: 'seq_bn' }, name: 'topics' }, settings },
      endpoint: hub,
    });
    expect(trained.adapter.head).toEqual({ task: 'multiLabel', labels: TOPICS });
    expect(trained.result.best).toMatchObject({ microF1: expect.any(Number), macroF1: expect.any(Number), examples: 150 });
    expect(trained.result.best!.accuracy).toBeUndefined();

    const predicted = await channel.client.send({ type: 'predict', texts: [TEXT] });
    expect(predicted).toMatchObject({ task: 'multiLabel', labels: TOPICS, thresholds: [0.5, 0.5, 0.5, 0.5] });
    // Independent sigmoids: the probabilities need not sum to 1.
    for (const p of predicted.trained[0]) expect(p).toBeGreaterThanOrEqual(0);
    const evaluated = await channel.client.send({ type: 'evaluate', data: { kind: 'hub', dataset: 'adapter-studio/tiny-multilabel' }, endpoint: hub, maxLength: 48 });
    expect(evaluated.metrics.microF1).toBeCloseTo(trained.result.best!.microF1!, 6);

    const python = await channel.client.send({ type: 'exportAdapter', format: 'python' });
    expect(new TextDecoder().decode(python.files.find((f) => f.path === 'train.py')!.bytes)).toContain('METRIC_FOR_BEST = "micro_f1"');
    const exported = await channel.client.send({ type: 'exportAdapter', format: 'adapterhub' });
    await channel.close();
    const files = new Map(exported.files.map((f) => [f.path, f.bytes]));
    expect(JSON.parse(new TextDecoder().decode(files.get('head_config.json'))).thresholds).toEqual({ business: 0.5, science: 0.5, sports: 0.5, world: 0.5 });
    const adapter = liveAdapter(reference.config, importAdapter(files, { encoder: reference.config }));
    try {
      const encoded = reference.tokenizer.encode([TEXT], undefined, { maxLength: 48 });
      const logits = tf.tidy(() => adapterTrainable(adapter, reference.weights).logits({ ...encoded, labels: new Float32Array(4) }, { training: false, seed: 0 }).arraySync()[0]);
      logits.forEach((x, i) => expect(predicted.trained[0][i]).toBeCloseTo(1 / (1 + Math.exp(-x)), 5));
    } finally {
      adapter.dispose();
    }
  });
});
