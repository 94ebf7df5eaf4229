/**
 * The AdapterFusion demo: two seq_bn adapters trained on two demo tasks (adapter-studio/tiny-sentiment: film review
 * sentiment; adapter-studio/tiny-topics: news topics) on frozen adapter-studio/tiny-bert, then a third task that
 * needs both ("news mood", src/fixtures/news-mood.ts: a news snippet then a review, labelled with the review's
 * sentiment and the news topic's group, 4 classes). With the same new head, settings and steps, each adapter alone
 * (frozen, new head) can only see its half; a dynamic fusion of the two (adapters frozen, fusion + head trained, as
 * train_adapter_fusion) beats both. All through the studio's trainer on the wasm backend; the figures are printed.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { offlineHub } from '../../hub/endpoint.ts';
import { type RunningHubServer, startHubServer } from '../../hub-server/index.ts';
import { NEWS_MOOD_LABELS, newsMoodRows } from '../../fixtures/news-mood.ts';
import { type AdapterModel, createAdapter } from '../adapters/adapter.ts';
import { fixtureRows } from '../adapters/fixture-training.ts';
import { createFusion } from '../adapters/fusion.ts';
import { type LoadedEncoder, loadEncoder } from '../model/load-encoder.ts';
import { Prng, seededRandom } from '../random.ts';
import { headForward } from '../adapters/head.ts';
import type { EncoderOutput } from '../model/encoder.ts';
import { type TokenBatch, adapterTrainable } from './adapter-trainable.ts';
import { fusionTrainable } from './fusion-trainable.ts';
import type { TrainableModel } from './trainable-model.ts';
import { type TrainOptions, type TrainingData, train } from './trainer.ts';

const root = process.env.ADAPTER_STUDIO_FIXTURES!;
let server: RunningHubServer;
let encoder: LoadedEncoder;

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
  server = await startHubServer({ root, port: 0 });
  encoder = await loadEncoder(offlineHub(server.url), 'adapter-studio/tiny-bert');
});
afterAll(async () => {
  encoder?.dispose();
  await server?.close();
});

type Row = { text: string; label: number };
/** A batch that also knows which rows of its split it holds. */
type RowBatch = TokenBatch & { rows: Int32Array };

/** Batches of 16 (training, reshuffled each epoch from a seed) and 64 (validation), max length 64. */
function dataOf(trainRows: Row[], validationRows: Row[]): TrainingData<RowBatch> {
  const batch = (rows: Row[], index: number[]): RowBatch => ({
    ...encoder.tokenizer.encode(rows.map((r) => r.text), undefined, { maxLength: 64 }),
    labels: Int32Array.from(rows.map((r) => r.label)),
    rows: Int32Array.from(index),
  });
  const chunks = (index: number[], size: number) => Array.from({ length: Math.ceil(index.length / size) }, (_, i) => index.slice(i * size, (i + 1) * size));
  const all = (rows: Row[]) => rows.map((_, i) => i);
  const validation = chunks(all(validationRows), 64).map((index) => batch(index.map((i) => validationRows[i]), index.map((i) => trainRows.length + i)));
  return {
    batchesPerEpoch: Math.ceil(trainRows.length / 16),
    async *trainBatches(epoch) { for (const index of chunks(new Prng(`epoch:${epoch}`).shuffle(all(trainRows)), 16)) yield batch(index.map((i) => trainRows[i]), index); },
    async *evalBatches() { yield* validation; },
  };
}

const SETTINGS: TrainOptions = { learningRate: 1e-3, epochs: 3, seed: 7, checkpointEverySeconds: 0 };

/** Trains an adapter and its head on a demo task; returns the best validation accuracy. */
async function trainAdapter(adapter: AdapterModel, data: TrainingData<RowBatch>, epochs: number): Promise<number> {
  const result = await train(adapterTrainable(adapter, encoder.weights), data, { ...SETTINGS, epochs });
  return result.best!.accuracy!;
}

/**
 * `adapter` frozen under another name with a new 4-label head, of which only the head trains. The frozen encoder and
 * seq_bn (dropout 0) give every row the same first-token state each epoch, so those are computed once (rows: the
 * training rows, then the validation rows) and the head (with its dropout) trains on them.
 */
function aloneWithNewHead(adapter: AdapterModel, rows: Row[]): { model: AdapterModel; trainable: TrainableModel<RowBatch> } {
  const name = `${adapter.name}_alone`;
  const model = createAdapter(encoder.config, adapter.config, { name, seed: 3, head: { numLabels: 4, id2label: [...NEWS_MOOD_LABELS] } });
  const renamed = new Map([...adapter.adapterStateDict()].map(([key, t]) => [key.replace(`.adapters.${adapter.name}.`, `.adapters.${name}.`), t]));
  model.loadAdapterStateDict(renamed, { strict: false });
  const states = tf.keep(tf.tidy(() => tf.concat(Array.from({ length: Math.ceil(rows.length / 64) }, (_, i) => {
    const chunk = rows.slice(i * 64, (i + 1) * 64);
    return model.encode(encoder.weights, encoder.tokenizer.encode(chunk.map((r) => r.text), undefined, { maxLength: 64 })).firstToken;
  }))));
  const head = model.head!;
  const headKeys = new Set(head.params.map((p) => p.key));
  const variables = new Map(model.trainableVariables().filter((v) => headKeys.has(v.name)).map((v) => [v.name, v]));
  return {
    model: { ...model, dispose: () => { states.dispose(); model.dispose(); } },
    trainable: {
      task: 'classification',
      parameters: [...variables].map(([name, variable]) => ({ name, variable })),
      logits(batch, { training, seed }) {
        const random = seededRandom(seed);
        return tf.tidy(() => headForward(head, { firstToken: tf.gather(states, batch.rows) } as EncoderOutput, (spec) => variables.get(spec.key)!, training ? () => Math.floor(random() * 2 ** 31) : undefined));
      },
    },
  };
}

describe('AdapterFusion demo: sentiment + topics adapters fused for "news mood"', () => {
  it('the fusion beats either adapter alone (each with a new head, same settings)', async () => {
    const started = performance.now();
    const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
    const lines: string[] = [];
    const sentiment = createAdapter(encoder.config, 'seq_bn', { name: 'sentiment', seed: 1, head: { id2label: ['negative', 'positive'] } });
    const topics = createAdapter(encoder.config, 'seq_bn', { name: 'topics', seed: 2, head: { numLabels: 4, id2label: ['World', 'Sports', 'Business', 'Sci/Tech'] } });
    const live: { dispose(): void }[] = [sentiment, topics];
    try {
      const sentimentAccuracy = await trainAdapter(sentiment, dataOf(await fixtureRows(root, 'adapter-studio/tiny-sentiment', 'train'), await fixtureRows(root, 'adapter-studio/tiny-sentiment', 'validation')), 3);
      lines.push(`task A  tiny-sentiment (3 epochs): seq_bn "sentiment" + head, validation accuracy ${(100 * sentimentAccuracy).toFixed(1)}% (${seconds()} s)`);
      const topicsAccuracy = await trainAdapter(topics, dataOf((await fixtureRows(root, 'adapter-studio/tiny-topics', 'train')).slice(0, 800), await fixtureRows(root, 'adapter-studio/tiny-topics', 'test')), 2);
      lines.push(`task B  tiny-topics (800 training rows, 2 epochs): seq_bn "topics" + head, test accuracy ${(100 * topicsAccuracy).toFixed(1)}% (${seconds()} s)`);

      const moodRows = { train: newsMoodRows('train', 1200), validation: newsMoodRows('validation', 400) };
      const moodData = dataOf(moodRows.train, moodRows.validation);
      const alone: number[] = [];
      for (const adapter of [sentiment, topics]) {
        const { model, trainable } = aloneWithNewHead(adapter, [...moodRows.train, ...moodRows.validation]);
        live.push(model);
        const result = await train(trainable, moodData, SETTINGS);
        alone.push(result.best!.accuracy!);
        lines.push(`task C  news mood: "${adapter.name}" alone (frozen) + new head: validation accuracy ${(100 * result.best!.accuracy!).toFixed(1)}% (${trainable.parameters.reduce((n, p) => n + p.variable.size, 0)} trained parameters, ${seconds()} s)`);
      }
      const fusion = createFusion(encoder.config, [sentiment, topics], { config: 'dynamic', seed: 5, head: { name: 'news_mood', numLabels: 4, id2label: [...NEWS_MOOD_LABELS] } });
      live.push(fusion);
      const trainable: TrainableModel<RowBatch> = fusionTrainable(fusion, encoder.weights);
      const before = sentiment.adapterStateDict();
      const result = await train(trainable, moodData, SETTINGS);
      const fused = result.best!.accuracy!;
      lines.push(`task C  news mood: Fuse("sentiment", "topics") dynamic + new head: validation accuracy ${(100 * fused).toFixed(1)}% (${trainable.parameters.reduce((n, p) => n + p.variable.size, 0)} trained parameters, ${seconds()} s)`);
      const attention = fusion.attention(encoder.weights, encoder.tokenizer.encode([newsMoodRows('validation', 1)[0].text]));
      lines.push(`fusion attention on [CLS] of a validation sentence, per layer (sentiment, topics): ${attention.map((a) => `layer ${a.layer}: ${a.weights[0].map((w) => w.toFixed(2)).join(' / ')}`).join('; ')}`);
      console.log(`AdapterFusion demo on adapter-studio/tiny-bert (${tf.getBackend()} backend, lr 1e-3, batch 16, max length 64; task C: 1200 training and 400 validation rows, 3 epochs):\n${lines.join('\n')}`);

      // The fused adapters stayed frozen.
      expect(sentiment.adapterStateDict()).toEqual(before);
      expect(sentimentAccuracy).toBeGreaterThan(0.85);
      expect(topicsAccuracy).toBeGreaterThan(0.85);
      expect(fused).toBeGreaterThan(Math.max(...alone) + 0.1);
    } finally {
      for (const m of live.reverse()) m.dispose();
    }
  }, 600_000);
});
