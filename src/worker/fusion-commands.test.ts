/**
 * trainFusion, predictComposed with Fuse, fusionAttention and exportFusion through the real handler over a
 * MessageChannel, on wasm: an AdapterFusion of two shelved AdapterHub-style adapters (AdapterHub/tiny-roberta-pf-*)
 * trained a few steps with a new head. Reference: the exported files read back by the core (importFusion, liveFusion)
 * and run directly, so the files and the worker's live fusion must agree.
 */
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFusion } from '../core/export/fusion-files.ts';
import { type LoadedEncoder, loadEncoder } from '../core/model/load-encoder.ts';
import { liveFusion } from '../core/train/imported-adapter.ts';
import type { TrainEvent } from '../core/train/events.ts';
import { DEFAULT_TRAINING_SETTINGS } from '../core/train/training-settings.ts';
import { type HubEndpoint, offlineHub } from '../hub/endpoint.ts';
import { type RunningHubServer, startHubServer } from '../hub-server/index.ts';
import { connectHandler } from './test-channel.ts';

const MODEL = 'adapter-studio/tiny-roberta';
const REPOS = ['AdapterHub/tiny-roberta-pf-sentiment', 'AdapterHub/tiny-roberta-pf-topics'];
const TEXTS = ['a wonderful, moving film', 'dull and boring from start to end'];

let server: RunningHubServer;
let hub: HubEndpoint;
let reference: LoadedEncoder;

beforeAll(async () => {
  await tf.setBackend('wasm');
  server = await startHubServer({ root: process.env.ADAPTER_STUDIO_FIXTURES!, port: 0 });
  hub = offlineHub(server.url);
  reference = await loadEncoder(hub, MODEL, { backend: 'wasm' });
});
afterAll(async () => {
  reference?.dispose();
  await server?.close();
});

describe('AdapterFusion in the worker', () => {
  it('trains a fusion of two shelved adapters, predicts with it, shows its attention and exports files that predict the same', async () => {
    const channel = connectHandler();
    try {
      await channel.client.send({ type: 'init', backend: 'wasm' });
      await channel.client.send({ type: 'loadModel', repoId: MODEL, endpoint: hub });
      for (const repoId of REPOS) await channel.client.send({ type: 'shelveAdapter', source: { kind: 'hub', endpoint: hub, repoId } });
      const events: TrainEvent[] = [];
      const stop = channel.client.on('training', (e) => { if (e.runId === 'fuse-1') events.push(e.event); });
      const setup = {
        runId: 'fuse-1',
        model: MODEL,
        data: { kind: 'hub' as const, dataset: 'adapter-studio/tiny-sentiment', maxTrainExamples: 32 },
        settings: { ...DEFAULT_TRAINING_SETTINGS, learningRate: 1e-3, batchSize: 8, epochs: 1 },
        fusion: { adapters: ['sentiment', 'topics'], config: 'dynamic', head: 'mood' },
      };
      const { result, fusion } = await channel.client.send({ type: 'trainFusion', setup, endpoint: hub });
      stop();
      expect(result.steps).toBe(4);
      expect(events.filter((e) => e.kind === 'progress').map((e) => e.kind === 'progress' && e.step)).toEqual([1, 2, 3, 4]);
      expect(fusion).toMatchObject({ name: 'sentiment,topics', adapters: ['sentiment', 'topics'], head: { name: 'mood', task: 'classification', labels: ['negative', 'positive'] } });
      // dynamic: query, key, value (64×64 + bias each, value without bias) per layer's output adapter, 2 layers; the head's two dense layers.
      expect(fusion.parameters).toBe(2 * (3 * 64 * 64 + 2 * 64) + (64 * 64 + 64) + (64 * 2 + 2));

      const fused = await channel.client.send({ type: 'predictComposed', setup: { block: 'Fuse', adapters: ['sentiment', 'topics'] }, texts: TEXTS });
      expect(fused.composition).toBe('Fuse[sentiment, topics]');
      expect(fused.heads.map((h) => [h.adapter, h.rows, h.labels])).toEqual([['mood', [0, 2], ['negative', 'positive']]]);
      await expect(channel.client.send({ type: 'predictComposed', setup: { block: 'Fuse', adapters: ['topics', 'sentiment'] }, texts: TEXTS }))
        .rejects.toMatchObject({ message: expect.stringContaining('fuses sentiment, topics, not topics, sentiment') });

      const attention = await channel.client.send({ type: 'fusionAttention', text: TEXTS[0] });
      const seq = reference.tokenizer.encode([TEXTS[0]]).seq;
      expect(attention.tokens).toHaveLength(seq);
      expect(attention.layers.map((l) => [l.layer, l.location])).toEqual([[0, 'output_adapter'], [1, 'output_adapter']]);
      for (const layer of attention.layers) {
        expect(layer.weights).toHaveLength(seq);
        for (const row of layer.weights) expect(row[0] + row[1]).toBeCloseTo(1, 5);
      }

      const exported = await channel.client.send({ type: 'exportFusion' });
      const files = new Map(exported.files.map((f) => [f.path, f.bytes]));
      expect([...files.keys()].filter((p) => p.endsWith('.json')).sort()).toEqual(expect.arrayContaining([
        'mood/head_config.json', 'sentiment,topics/adapter_fusion_config.json', 'sentiment/adapter_config.json', 'topics/adapter_config.json',
      ]));
      const live = liveFusion(reference.config, importFusion(files, { encoder: reference.config }));
      try {
        const encoded = reference.tokenizer.encode(TEXTS, undefined, { maxLength: DEFAULT_TRAINING_SETTINGS.maxLength });
        const want = tf.tidy(() => tf.softmax(live.fusion.forward(reference.weights, encoded)).arraySync() as number[][]);
        fused.heads[0].values.forEach((row, t) => row.forEach((p, j) => expect(p).toBeCloseTo(want[t][j], 5)));
      } finally {
        live.dispose();
      }
    } finally {
      await channel.close();
    }
  });
});
