/**
 * loadModel and embed through the real handler over a MessageChannel, reading from the offline Hub over HTTP:
 * progress, the ready info checked against the repo's files and config, the first-token vectors against
 * loadEncoder's own forward, and each failure's code and message.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { estimateParameters, parseEncoderConfig } from '../core/model/config.ts';
import { loadEncoder } from '../core/model/load-encoder.ts';
import { type HubEndpoint, offlineHub, withToken } from '../hub/endpoint.ts';
import { type RunningHubServer, startHubServer } from '../hub-server/index.ts';
import type { ModelProgressEvent } from './protocol.ts';
import { type TestChannel, connectHandler } from './test-channel.ts';

const fixtures = process.env.ADAPTER_STUDIO_FIXTURES!;
const tinyBertDir = join(fixtures, 'models', 'adapter-studio', 'tiny-bert', 'files');
const TOKEN = 'hf_worker_secret_token_42';

let server: RunningHubServer;
/** Serves broken repos under `test/`, next to copies of tiny-bert's good files. */
let brokenServer: RunningHubServer;
let brokenRoot: string;
let hub: HubEndpoint;
let channel: TestChannel;

function brokenRepo(name: string, files: Record<string, string | Uint8Array>): void {
  const dir = join(brokenRoot, 'models', 'test', name, 'files');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(brokenRoot, 'models', 'test', name, 'repo.json'), '{}');
  for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt']) cpSync(join(tinyBertDir, file), join(dir, file));
  for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, file), content);
}

beforeAll(async () => {
  server = await startHubServer({ root: fixtures, port: 0 });
  hub = offlineHub(server.url);
  brokenRoot = mkdtempSync(join(tmpdir(), 'adapter-studio-worker-hub-'));
  brokenRepo('no-weights', {});
  brokenRepo('corrupt', { 'model.safetensors': new Uint8Array([1, 2, 3]) });
  brokenRepo('gpt2', { 'config.json': JSON.stringify({ model_type: 'gpt2', n_layer: 2 }) });
  brokenServer = await startHubServer({ root: brokenRoot, port: 0 });
  channel = connectHandler();
  await channel.client.send({ type: 'init', backend: 'cpu' });
});

afterAll(async () => {
  channel?.close();
  await server?.close();
  await brokenServer?.close();
  rmSync(brokenRoot, { recursive: true, force: true });
});

describe('loadModel', () => {
  it('reports progress and answers modelReady with facts that match the repo', async () => {
    const progress: ModelProgressEvent[] = [];
    const stop = channel.client.on('modelProgress', (event) => progress.push(event));
    const { info } = await channel.client.send({ type: 'loadModel', repoId: 'adapter-studio/tiny-bert', endpoint: hub });
    stop();

    const config = parseEncoderConfig(JSON.parse(readFileSync(join(tinyBertDir, 'config.json'), 'utf8')), 'adapter-studio/tiny-bert');
    const weightBytes = statSync(join(tinyBertDir, 'model.safetensors')).size;
    expect(info).toEqual({
      repoId: 'adapter-studio/tiny-bert', modelType: 'bert', layers: 2, hidden: 64, maxLength: 128,
      parameters: estimateParameters(config), downloadBytes: weightBytes, networkBytes: weightBytes,
      format: 'safetensors', dtypes: ['F32'], backend: 'cpu', tokenizerSource: 'tokenizer.json',
    });

    const stages = [...new Set(progress.map((p) => p.stage))];
    expect(stages).toEqual(['config', 'tokenizer', 'weights', 'upload', 'ready']);
    const weights = progress.filter((p) => p.stage === 'weights' && p.file);
    expect(weights.every((p) => p.file === 'model.safetensors' && p.total === weightBytes && p.repoId === 'adapter-studio/tiny-bert')).toBe(true);
    const loaded = weights.map((p) => p.loaded!);
    expect(loaded).toEqual([...loaded].sort((a, b) => a - b));
    expect(loaded.at(-1)).toBe(weightBytes);
  });

  it('loads the revision asked for, and a load at another revision is a new load', async () => {
    const id = 'adapter-studio/tiny-bert-bin';
    const main = (await channel.client.send({ type: 'loadModel', repoId: id, endpoint: hub })).info;
    expect(main).toMatchObject({ repoId: id, format: 'pytorch' });
    expect(main.revision).toBeUndefined();
    const pr = (await channel.client.send({ type: 'loadModel', repoId: id, endpoint: hub, revision: 'refs/pr/1' })).info;
    expect(pr).toMatchObject({ repoId: id, revision: 'refs/pr/1', format: 'safetensors', parameters: main.parameters });
    expect(pr.networkBytes).toBeGreaterThan(0);
    const again = (await channel.client.send({ type: 'loadModel', repoId: id, endpoint: hub, revision: 'refs/pr/1' })).info;
    expect(again).toMatchObject({ revision: 'refs/pr/1', networkBytes: 0 });
    await channel.client.send({ type: 'loadModel', repoId: 'adapter-studio/tiny-bert', endpoint: hub });
  });

  it('answers a second load of the same model at once, without downloading', async () => {
    const start = performance.now();
    const { info } = await channel.client.send({ type: 'loadModel', repoId: 'adapter-studio/tiny-bert', endpoint: hub });
    expect(performance.now() - start).toBeLessThan(200);
    expect(info.networkBytes).toBe(0);
    expect(info.repoId).toBe('adapter-studio/tiny-bert');
  });

  it('cancels a load that a newer loadModel replaced', async () => {
    const first = channel.client.send({ type: 'loadModel', repoId: 'adapter-studio/tiny-roberta', endpoint: hub });
    const second = channel.client.send({ type: 'loadModel', repoId: 'adapter-studio/tiny-distilbert', endpoint: hub });
    await expect(first).rejects.toMatchObject({ code: 'Cancelled', message: 'Loading "adapter-studio/tiny-roberta" was cancelled: another model was chosen.' });
    expect((await second).info.modelType).toBe('distilbert');
  });

  it('fails with a code and a message that says what to do', async () => {
    const load = (repoId: string, endpoint = hub) => channel.client.send({ type: 'loadModel', repoId, endpoint });
    await expect(load('adapter-studio/does-not-exist')).rejects.toMatchObject({
      code: 'RepoNotFound', message: expect.stringMatching(/^Model "adapter-studio\/does-not-exist" was not found on http:\/\/127\.0\.0\.1:\d+\. Check the spelling/),
    });
    await expect(load('adapter-studio/tiny-bert-gated')).rejects.toMatchObject({
      code: 'NeedsToken', message: expect.stringContaining('is gated or private, so config.json needs an access token'),
    });
    const broken = offlineHub(brokenServer.url);
    await expect(load('test/no-weights', broken)).rejects.toMatchObject({ code: 'NoWeights', message: expect.stringContaining('has no weights the studio can read') });
    await expect(load('test/corrupt', broken)).rejects.toMatchObject({ code: 'CorruptWeights' });
    await expect(load('test/gpt2', broken)).rejects.toMatchObject({
      code: 'UnsupportedModel', message: expect.stringContaining('supported model types: bert, roberta, xlm-roberta, camembert, distilbert, electra, deberta-v2'),
    });
  });

  it('loads a gated model with a token, and never posts the token', async () => {
    const { info } = await channel.client.send({ type: 'loadModel', repoId: 'adapter-studio/tiny-bert-gated', endpoint: withToken(hub, TOKEN) });
    expect(info.repoId).toBe('adapter-studio/tiny-bert-gated');
    await expect(channel.client.send({ type: 'loadModel', repoId: 'adapter-studio/does-not-exist', endpoint: withToken(hub, TOKEN) })).rejects.toMatchObject({ code: 'RepoNotFound' });
    expect(JSON.stringify(channel.events)).not.toContain(TOKEN);
  });

  it('refuses to load before init', async () => {
    const fresh = connectHandler();
    try {
      await expect(fresh.client.send({ type: 'loadModel', repoId: 'adapter-studio/tiny-bert', endpoint: hub })).rejects.toMatchObject({ code: 'NotInitialised' });
    } finally {
      fresh.close();
    }
  });
});

describe('embed', () => {
  it('returns the tokenizer\'s ids and the encoder\'s first-token vectors', async () => {
    const fresh = connectHandler();
    try {
      await fresh.client.send({ type: 'init', backend: 'cpu' });
      await expect(fresh.client.send({ type: 'embed', texts: ['hello'] })).rejects.toMatchObject({ code: 'NoModel' });
      await fresh.client.send({ type: 'loadModel', repoId: 'adapter-studio/tiny-bert', endpoint: hub });
      const texts = ['the film was superb', 'dull'];
      const pairs = ['the cast was excellent', 'boring and dull'];
      const got = await fresh.client.send({ type: 'embed', texts, pairs });

      const reference = await loadEncoder(hub, 'adapter-studio/tiny-bert', { backend: 'cpu' });
      try {
        const batch = reference.tokenizer.encode(texts, pairs);
        const rows = (data: Int32Array) => Array.from({ length: batch.batch }, (_, r) => Array.from(data.subarray(r * batch.seq, (r + 1) * batch.seq)));
        expect(got.inputIds).toEqual(rows(batch.inputIds));
        expect(got.attentionMask).toEqual(rows(batch.attentionMask));
        expect(got.tokenTypeIds).toEqual(rows(batch.tokenTypeIds));
        const out = reference.forward(batch);
        expect(got.firstToken).toEqual(await out.firstToken.array());
        tf.dispose(out as unknown as tf.TensorContainer);
      } finally {
        reference.dispose();
      }
      expect(got.firstToken[0]).toHaveLength(64);
      // [CLS] text [SEP] pair [SEP], padding left out of the tokens.
      for (const [r, tokens] of got.tokens.entries()) {
        expect(tokens).toHaveLength(got.attentionMask[r].filter((m) => m === 1).length);
        expect(tokens[0]).toBe('[CLS]');
        expect(tokens.filter((t) => t === '[SEP]')).toHaveLength(2);
      }
    } finally {
      fresh.close();
    }
  });
});
