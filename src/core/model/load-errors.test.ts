/**
 * Failures while loading, each through the real offline Hub over HTTP, with its message checked: missing
 * and gated repos, unsupported architectures, missing/corrupt/hostile/mismatched weights. Broken repos are
 * written to a temporary Hub root next to copies of tiny-bert's good files. Also the weight cache.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubEndpoint, offlineHub, withToken } from '../../hub/endpoint.ts';
import { type RunningHubServer, startHubServer } from '../../hub-server/index.ts';
import type { HubStats } from '../../hub-server/types.ts';
import {
  CorruptWeightsError, IncompatibleWeightsError, ModelLoadError, NoWeightsError, UnsafePickleError, UnsupportedModelError,
} from './errors.ts';
import { loadEncoder } from './load-encoder.ts';
import { safetensorsBytes } from './test-support.ts';
import { CacheStorageWeightCache, MemoryWeightCache, WEIGHT_CACHE_NAME, weightCacheKey } from './weight-cache.ts';
import { loadEncoderWeights } from './weights.ts';

const fixtures = process.env.ADAPTER_STUDIO_FIXTURES!;
const tinyBert = join(fixtures, 'models', 'adapter-studio', 'tiny-bert', 'files');
const tinyBertConfig = JSON.parse(readFileSync(join(tinyBert, 'config.json'), 'utf8')) as Record<string, unknown>;

let root: string;
let server: RunningHubServer;
let ep: HubEndpoint;

/** A model repo `test/<name>` (or `<owner>/<name>` when `name` has one) with tiny-bert's tokenizer, the given config and files. */
function repo(name: string, files: Record<string, string | Uint8Array>, config: Record<string, unknown> = tinyBertConfig): void {
  const id = name.includes('/') ? name : `test/${name}`;
  const dir = join(root, 'models', id, 'files');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(root, 'models', id, 'repo.json'), '{}');
  for (const file of ['tokenizer.json', 'tokenizer_config.json', 'vocab.txt']) cpSync(join(tinyBert, file), join(dir, file));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), content);
  }
}

const eight = new Uint8Array(8);
const SAFETENSORS_CASES: [string, Uint8Array, RegExp][] = [
  ['header-past-end', safetensorsBytes({}, eight, 4096n), /header length 4096 runs past the end of the \d+-byte file/],
  ['header-2-60', safetensorsBytes({}, eight, 2n ** 60n), /header length 1152921504606846976 exceeds the 25000000-byte limit/],
  ['offsets-out-of-range', safetensorsBytes({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, eight), /tensor "w" has data_offsets \[0, 16\] beyond the 8 bytes of data/],
  ['overlapping', safetensorsBytes({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, eight), /tensors "a" and "b" overlap/],
  ['shape-size-mismatch', safetensorsBytes({ w: { dtype: 'F32', shape: [3, 3], data_offsets: [0, 8] } }, eight), /tensor "w" \(F32 \[3,3\]\) needs 36 bytes but data_offsets \[0, 8\] span 8/],
  ['bad-dtype', safetensorsBytes({ w: { dtype: 'Q4_K', shape: [2], data_offsets: [0, 8] } }, eight), /tensor "w" has dtype "Q4_K"/],
  ['invalid-json', safetensorsBytes(undefined, eight, undefined, '{"w": {"dtype": "F32", "shape": [2], '), /header that is not valid JSON/],
];

/** torch.save-shaped zip whose pickle calls os.system. */
function hostileBin(): Uint8Array {
  const text = (s: string) => [...new TextEncoder().encode(s)];
  const command = text('touch /tmp/adapter-studio-pwned');
  const pickle = Uint8Array.from([0x80, 2, ...text('cos\nsystem\n'), 0x58, command.length, 0, 0, 0, ...command, 0x85, 0x52, 0x2e]);
  return zipSync({ 'archive/data.pkl': [pickle, { level: 0 }], 'archive/version': [Uint8Array.from(text('3\n')), { level: 0 }] });
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = mkdtempSync(join(tmpdir(), 'adapter-studio-model-errors-'));
  cpSync(join(fixtures, 'models', 'adapter-studio'), join(root, 'models', 'adapter-studio'), { recursive: true });
  repo('gpt2', {}, { model_type: 'gpt2', n_embd: 64 });
  repo('no-weights', { 'onnx/model.onnx': new Uint8Array(16), 'tf_model.h5': new Uint8Array(16) });
  repo('no-files', {});
  const onnxMirror = Object.fromEntries(['model', 'model_fp16', 'model_int8', 'model_q4', 'model_quantized'].map((n) => [`onnx/${n}.onnx`, new Uint8Array(8)]));
  // transformers.js mirrors: config.json keeps _name_or_path of the source; newer cards say base_model.
  repo('Xenova/tiny-bert', onnxMirror, { ...tinyBertConfig, _name_or_path: 'adapter-studio/tiny-bert' });
  repo('onnx-community/tiny-bert-ONNX', { ...onnxMirror, 'README.md': '---\nlibrary_name: transformers.js\nbase_model:\n- google-bert/bert-base-uncased\n---\n# tiny-bert (ONNX)\n' });
  repo('Xenova/linked', { ...onnxMirror, 'README.md': '---\nlibrary_name: transformers.js\n---\n\nhttps://huggingface.co/distilbert/distilbert-base-uncased with ONNX weights to be compatible with Transformers.js.\n' }, { ...tinyBertConfig, _name_or_path: '/tmp/model' });
  repo('Xenova/no-hints', onnxMirror, { ...tinyBertConfig, _name_or_path: '/home/user/models/tiny-bert' });
  repo('test/other-formats', { 'flax_model.msgpack': new Uint8Array(8), 'model.Q4_K_M.gguf': new Uint8Array(8), 'model.ckpt.index': new Uint8Array(8), 'model.ckpt.data-00000-of-00001': new Uint8Array(8), 'training_args.bin': new Uint8Array(8) });
  for (const [name, bytes] of SAFETENSORS_CASES) repo(`corrupt-${name}`, { 'model.safetensors': bytes });
  repo('evil-bin', { 'pytorch_model.bin': hostileBin() });
  const goodWeights = readFileSync(join(tinyBert, 'model.safetensors'));
  repo('three-layers', { 'model.safetensors': goodWeights }, { ...tinyBertConfig, num_hidden_layers: 3 });
  repo('wrong-width', { 'model.safetensors': goodWeights }, { ...tinyBertConfig, intermediate_size: 96 });
  server = await startHubServer({ root, port: 0 });
  ep = offlineHub(server.url);
});

afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

/** The error `loadEncoder` rejects with. */
async function failure(id: string, endpoint = ep): Promise<Error> {
  try {
    const encoder = await loadEncoder(endpoint, id);
    encoder.dispose();
  } catch (err) {
    return err as Error;
  }
  throw new Error(`loading "${id}" succeeded but should have failed`);
}

describe('loadEncoder errors', () => {
  it('a repo that does not exist', async () => {
    const err = await failure('adapter-studio/no-such-model');
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as ModelLoadError).reason).toBe('RepoNotFound');
    expect(err.message).toBe(`Model "adapter-studio/no-such-model" was not found on ${server.url}. Check the spelling of the id. If it is private or gated, give an access token.`);
  });

  it('a gated repo without a token asks for one, and loads with one', async () => {
    const err = await failure('adapter-studio/tiny-bert-gated');
    expect((err as ModelLoadError).reason).toBe('NeedsToken');
    expect(err.message).toMatch(/^Model "adapter-studio\/tiny-bert-gated" on http:\/\/127\.0\.0\.1:\d+ is gated or private, so config\.json needs an access token: accept the model's conditions on its Hub page, then give an access token\.$/);
    const encoder = await loadEncoder(withToken(ep, 'hf_test_token'), 'adapter-studio/tiny-bert-gated');
    expect(encoder.config.family).toBe('bert');
    encoder.dispose();
  });

  it('a gated repo with a refused token says the token was not accepted', async () => {
    const err = await failure('adapter-studio/tiny-bert-gated', withToken(ep, 'hf_invalid'));
    expect((err as ModelLoadError).reason).toBe('NeedsToken');
    expect(err.message).toMatch(/The access token was sent but not accepted for it/);
  });

  it('an unsupported model_type', async () => {
    const err = await failure('test/gpt2');
    expect(err).toBeInstanceOf(UnsupportedModelError);
    expect(err.message).toBe('Model "test/gpt2" has model_type "gpt2", which the studio cannot train; supported model types: bert, roberta, xlm-roberta, camembert, distilbert, electra, deberta-v2, albert, deberta. Pick an encoder of one of these types.');
  });

  const NONE_OF = 'none of model.safetensors, model.safetensors.index.json, pytorch_model.bin, pytorch_model.bin.index.json.';
  const noWeights: [id: string, message: string][] = [
    ['test/no-weights', `Model "test/no-weights" has no weights the studio can read: ${NONE_OF} It has ONNX (onnx/model.onnx); TensorFlow (tf_model.h5) weights, which the studio does not load. Choose a repository with PyTorch/safetensors weights (model.safetensors or pytorch_model.bin).`],
    ['test/no-files', `Model "test/no-files" has no weights the studio can read: ${NONE_OF} Its files are: config.json, tokenizer.json, tokenizer_config.json, vocab.txt. Choose a repository with PyTorch/safetensors weights.`],
    ['Xenova/tiny-bert', `Model "Xenova/tiny-bert" has no weights the studio can read: ${NONE_OF} It has ONNX (onnx/model.onnx, onnx/model_fp16.onnx, onnx/model_int8.onnx and 2 more) weights, which the studio does not load. It names "adapter-studio/tiny-bert" as its source (_name_or_path in its config.json): load that repository instead.`],
    ['onnx-community/tiny-bert-ONNX', `Model "onnx-community/tiny-bert-ONNX" has no weights the studio can read: ${NONE_OF} It has ONNX (onnx/model.onnx, onnx/model_fp16.onnx, onnx/model_int8.onnx and 2 more) weights, which the studio does not load. It names "google-bert/bert-base-uncased" as its source (base_model in its README): load that repository instead.`],
    ['Xenova/linked', `Model "Xenova/linked" has no weights the studio can read: ${NONE_OF} It has ONNX (onnx/model.onnx, onnx/model_fp16.onnx, onnx/model_int8.onnx and 2 more) weights, which the studio does not load. It names "distilbert/distilbert-base-uncased" as its source (the link in its README): load that repository instead.`],
    ['Xenova/no-hints', `Model "Xenova/no-hints" has no weights the studio can read: ${NONE_OF} It has ONNX (onnx/model.onnx, onnx/model_fp16.onnx, onnx/model_int8.onnx and 2 more) weights, which the studio does not load. Xenova repositories are converted copies: load the repository it was converted from, which has PyTorch or safetensors weights.`],
    ['test/other-formats', `Model "test/other-formats" has no weights the studio can read: ${NONE_OF} It has Flax (flax_model.msgpack); GGUF (model.Q4_K_M.gguf); checkpoint (model.ckpt.data-00000-of-00001, model.ckpt.index) weights, which the studio does not load. Choose a repository with PyTorch/safetensors weights (model.safetensors or pytorch_model.bin).`],
  ];
  for (const [id, message] of noWeights) {
    it(`a repo without readable weights says what it has: ${id}`, async () => {
      const err = await failure(id);
      expect(err).toBeInstanceOf(NoWeightsError);
      expect(err.message).toBe(message);
    });
  }

  for (const [name, , message] of SAFETENSORS_CASES) {
    it(`corrupt safetensors: ${name}`, async () => {
      const before = process.memoryUsage().arrayBuffers;
      const err = await failure(`test/corrupt-${name}`);
      if (!(err instanceof CorruptWeightsError)) throw err;
      expect(err).toBeInstanceOf(CorruptWeightsError);
      expect((err as CorruptWeightsError).repoId).toBe(`test/corrupt-${name}`);
      expect(err.message).toMatch(new RegExp(`^Weights file "model.safetensors"( of "test/corrupt-${name}")? `));
      expect(err.message).toMatch(message);
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(50_000_000);
    });
  }

  it('a pytorch_model.bin whose pickle calls os.system is refused, not run', async () => {
    const err = await failure('test/evil-bin');
    expect(err).toBeInstanceOf(UnsafePickleError);
    expect(err.message).toBe('Refused to load "pytorch_model.bin" of "test/evil-bin": its pickle references os.system. Only plain PyTorch state dicts are read (nothing in them is executed); convert the checkpoint to safetensors.');
  });

  it('weights missing a layer the config asks for', async () => {
    const err = await failure('test/three-layers');
    expect(err).toBeInstanceOf(IncompatibleWeightsError);
    expect(err.message).toBe('Weights of "test/three-layers" (model.safetensors) have no tensor "encoder.layer.2.attention.self.query.weight" (looked for "bert.encoder.layer.2.attention.self.query.weight" and "encoder.layer.2.attention.self.query.weight"), which a bert encoder with 3 layers needs. The checkpoint does not match its config.json.');
  });

  it('weights with a shape the config contradicts', async () => {
    const err = await failure('test/wrong-width');
    expect(err).toBeInstanceOf(IncompatibleWeightsError);
    expect(err.message).toBe('Tensor "bert.encoder.layer.0.intermediate.dense.weight" in the weights of "test/wrong-width" (model.safetensors) has shape [128, 64], but config.json implies [96, 64]. The checkpoint does not match its config.json.');
  });

  it('falls back to probing weight files by name when the Hub API fails, without caching', async () => {
    server.handler.faults = { failEveryN: 1, failStatus: 503, pathPattern: '^/api/models/' };
    try {
      const cache = new MemoryWeightCache();
      const loaded = await loadEncoderWeights(ep, 'adapter-studio/tiny-bert', { cache });
      expect(loaded.format).toBe('safetensors');
      expect(loaded.tensors.size).toBeGreaterThan(0);
      expect(loaded.networkBytes).toBe(loaded.downloadBytes);
      const err = await loadEncoderWeights(ep, 'test/no-weights').catch((e: unknown) => e as Error);
      expect(err).toBeInstanceOf(NoWeightsError);
      expect((err as Error).message).toMatch(/Its files are: \(the Hub did not list them\)\./);
    } finally {
      server.handler.faults = {};
    }
  });

  it('a cancelled load stops with the abort', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(loadEncoder(ep, 'adapter-studio/tiny-bert', { signal: controller.signal })).rejects.toMatchObject({ code: 'Aborted' });
  });
});

describe('weight cache', () => {
  /** A control request to the test server; retried once, as an idle keep-alive socket may have just been closed. */
  const control = async (path: string, method = 'GET') => {
    const send = () => fetch(`${server.url}${path}`, { method });
    return send().catch(send);
  };
  const stats = async () => (await (await control('/__stats')).json()) as HubStats;
  const resetStats = () => control('/__stats/reset', 'POST');
  const weightRequests = (s: HubStats) => Object.entries(s.byPath)
    .filter(([path]) => /\.(safetensors|bin)$/.test(path))
    .reduce((sum, [, p]) => sum + p.requests, 0);

  it('a second load takes the weights from the cache and makes no weight request', async () => {
    const cache = new MemoryWeightCache();
    await resetStats();
    const first = await loadEncoder(ep, 'adapter-studio/tiny-bert-sharded', { cache });
    first.dispose();
    expect(weightRequests(await stats())).toBe(2); // two shards
    expect(first.info.networkBytes).toBe(first.info.downloadBytes);

    await resetStats();
    const second = await loadEncoder(ep, 'adapter-studio/tiny-bert-sharded', { cache });
    second.dispose();
    expect(weightRequests(await stats())).toBe(0);
    expect(second.info.networkBytes).toBe(0);
    expect(second.info.downloadBytes).toBe(first.info.downloadBytes);
  });

  it('keys files by the commit sha, so a new commit is downloaded again', async () => {
    const cache = new MemoryWeightCache();
    await loadEncoderWeights(ep, 'adapter-studio/tiny-bert', { cache });
    const info = await (await control('/api/models/adapter-studio/tiny-bert')).json() as { sha: string };
    const key = weightCacheKey(ep, 'adapter-studio/tiny-bert', info.sha, 'model.safetensors');
    expect(key).toBe(`${server.url}/adapter-studio/tiny-bert/resolve/${info.sha}/model.safetensors`);
    const cached = await cache.get(key);
    expect(cached && Buffer.from(cached).equals(readFileSync(join(tinyBert, 'model.safetensors')))).toBe(true);
    expect(await cache.get(weightCacheKey(ep, 'adapter-studio/tiny-bert', '0'.repeat(40), 'model.safetensors'))).toBeUndefined();
  });

  it('stores files in Cache Storage as Responses under the cache name', async () => {
    // Node has no Cache Storage; this stand-in keeps Responses by URL like the browser's (match/put/open).
    const opened: string[] = [];
    const responses = new Map<string, Response>();
    const storage = {
      open: async (name: string) => {
        opened.push(name);
        return {
          match: async (key: string) => responses.get(key)?.clone(),
          put: async (key: string, response: Response) => { responses.set(key, response); },
        };
      },
    } as unknown as CacheStorage;
    const cache = new CacheStorageWeightCache(storage);
    await resetStats();
    await loadEncoderWeights(ep, 'adapter-studio/tiny-bert', { cache });
    const again = await loadEncoderWeights(ep, 'adapter-studio/tiny-bert', { cache });
    expect(weightRequests(await stats())).toBe(1);
    expect(again.networkBytes).toBe(0);
    expect(new Set(opened)).toEqual(new Set([WEIGHT_CACHE_NAME]));
    expect([...responses.keys()]).toEqual([expect.stringMatching(/\/adapter-studio\/tiny-bert\/resolve\/[0-9a-f]{40}\/model\.safetensors$/)]);
  });
});
