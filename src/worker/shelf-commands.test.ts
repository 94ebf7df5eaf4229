/**
 * shelveAdapter, unshelveAdapter and predictComposed through the real handler over a MessageChannel, on wasm, with
 * AdapterHub-style repos of the offline Hub (AdapterHub/tiny-roberta-pf-*). Reference: each adapter alone, built by
 * the core directly from the same repo (Parallel of two Pfeiffer adapters gives each head what it gives alone).
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importAdapterFromHub } from '../core/export/hub-import.ts';
import { type LoadedEncoder, loadEncoder } from '../core/model/load-encoder.ts';
import { liveAdapter } from '../core/train/imported-adapter.ts';
import { type HubEndpoint, offlineHub } from '../hub/endpoint.ts';
import { type RunningHubServer, startHubServer } from '../hub-server/index.ts';
import { connectHandler } from './test-channel.ts';

const MODEL = 'adapter-studio/tiny-roberta';
const REPOS = ['AdapterHub/tiny-roberta-pf-sentiment', 'AdapterHub/tiny-roberta-pf-topics'];
const TEXTS = ['The team won the final.', 'Markets fell as oil prices rose.'];

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

/** Each repo's adapter alone, as class probabilities per text. */
async function alone(repo: string): Promise<number[][]> {
  const adapter = liveAdapter(reference.config, await importAdapterFromHub(hub, repo, { encoder: reference.config }));
  try {
    const encoded = reference.tokenizer.encode(TEXTS, undefined, { maxLength: 128 });
    return tf.tidy(() => tf.softmax(adapter.forward(reference.weights, encoded)).arraySync() as number[][]);
  } finally {
    adapter.dispose();
  }
}

describe('the shelf in the worker', () => {
  it('holds two Hub adapters with their heads; Parallel gives each head its own output, side by side', async () => {
    const channel = connectHandler();
    try {
      await channel.client.send({ type: 'init', backend: 'wasm' });
      await channel.client.send({ type: 'loadModel', repoId: MODEL, endpoint: hub });
      await channel.client.send({ type: 'shelveAdapter', source: { kind: 'hub', endpoint: hub, repoId: REPOS[0] } });
      const { adapters } = await channel.client.send({ type: 'shelveAdapter', source: { kind: 'hub', endpoint: hub, repoId: REPOS[1] } });
      expect(adapters.map((a) => [a.name, a.origin, a.source, a.head?.labels])).toEqual([
        ['sentiment', 'hub', REPOS[0], ['negative', 'positive']],
        ['topics', 'hub', REPOS[1], ['World', 'Sports', 'Business', 'Sci/Tech']],
      ]);
      const parallel = await channel.client.send({ type: 'predictComposed', setup: { block: 'Parallel', adapters: ['sentiment', 'topics'] }, texts: TEXTS });
      expect(parallel.composition).toBe('Parallel[sentiment, topics]');
      expect(parallel.heads.map((h) => [h.adapter, h.rows, h.labels.length])).toEqual([['sentiment', [0, 2], 2], ['topics', [0, 2], 4]]);
      const want = [await alone(REPOS[0]), await alone(REPOS[1])];
      parallel.heads.forEach((head, i) => head.values.forEach((row, t) => row.forEach((p, j) => expect(p).toBeCloseTo(want[i][t][j], 5))));

      // A second adapter of one name is refused; one taken off frees its name.
      await expect(channel.client.send({ type: 'shelveAdapter', source: { kind: 'hub', endpoint: hub, repoId: REPOS[0] } })).rejects.toMatchObject({ message: expect.stringContaining('named "sentiment" is on the shelf already') });
      await expect(channel.client.send({ type: 'predictComposed', setup: { block: 'Parallel', adapters: ['sentiment', 'nope'] }, texts: TEXTS })).rejects.toMatchObject({ message: expect.stringContaining('no adapter "nope" is loaded') });
      const after = await channel.client.send({ type: 'unshelveAdapter', name: 'sentiment' });
      expect(after.adapters.map((a) => a.name)).toEqual(['topics']);

      // The active adapter (imported) goes on the shelf as a copy beside itself.
      await channel.client.send({ type: 'importAdapter', source: { kind: 'hub', endpoint: hub, repoId: REPOS[0] } });
      const withActive = await channel.client.send({ type: 'shelveAdapter', source: { kind: 'active' } });
      expect(withActive.adapters.map((a) => [a.name, a.origin])).toEqual([['topics', 'hub'], ['sentiment', 'trained']]);
      const stack = await channel.client.send({ type: 'predictComposed', setup: { block: 'Stack', adapters: ['sentiment', 'topics'] }, texts: TEXTS });
      expect(stack.heads.map((h) => h.adapter)).toEqual(['topics']);
      const predicted = await channel.client.send({ type: 'predict', texts: TEXTS });
      predicted.trained.forEach((row, t) => row.forEach((p, j) => expect(p).toBeCloseTo(want[0][t][j], 5)));
    } finally {
      await channel.close();
    }
  });
});
