/**
 * The encoder on tfjs-backend-webgpu, in Node through the `webgpu` package (Dawn) on SwiftShader, the
 * software Vulkan that Debian's chromium package installs: the same WGSL kernels a browser runs.
 * Skipped only on machines without that driver.
 */
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchBytes, fileUrl } from '../../hub/client.ts';
import { offlineHub } from '../../hub/endpoint.ts';
import { startHubServer } from '../../hub-server/index.ts';
import { encoderForward, uploadEncoderWeights } from './encoder.ts';
import { loadEncoder } from './load-encoder.ts';
import { readSafetensors } from './safetensors.ts';
import { albertReferenceForward } from './testing/albert-forward.reference.ts';
import { referenceDebertaV2Forward } from './testing/deberta-v2-forward.reference.ts';
import { referenceForward } from './testing/encoder-forward.reference.ts';
import { DEBERTA_TEST_CONFIGS, TEST_CONFIGS, maxAbsDiff, randomWeights, testBatch } from './test-support.ts';
import { loadEncoderWeights } from './weights.ts';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

beforeAll(async () => {
  if (!existsSync(SWIFTSHADER_ICD)) return;
  process.env.VK_ICD_FILENAMES ??= SWIFTSHADER_ICD;
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu: create([]), userAgent: 'node' }, configurable: true });
  await import('@tensorflow/tfjs-backend-webgpu');
  expect(await tf.setBackend('webgpu')).toBe(true);
}, 120_000);

describe.skipIf(!existsSync(SWIFTSHADER_ICD))('encoderForward on WebGPU against the float64 reference', () => {
  for (const [name, config] of Object.entries(TEST_CONFIGS)) {
    it(`${name} within 1e-4, no leaks`, async () => {
      expect(tf.getBackend()).toBe('webgpu');
      const host = randomWeights(config, 2468);
      const batch = testBatch(config);
      const start = tf.memory().numTensors;
      const weights = uploadEncoderWeights(config, host);
      const out = encoderForward(weights, batch);
      const want = referenceForward(config, host, batch);
      expect(maxAbsDiff(await out.lastHiddenState.data(), want.lastHiddenState)).toBeLessThan(1e-4);
      expect(maxAbsDiff(await out.firstToken.data(), want.firstToken)).toBeLessThan(1e-4);
      if (want.pooled) expect(maxAbsDiff(await out.pooled!.data(), want.pooled)).toBeLessThan(1e-4);
      tf.dispose(out as unknown as tf.TensorContainer);
      weights.dispose();
      expect(tf.memory().numTensors).toBe(start);
    });
  }

  for (const [name, config] of Object.entries(DEBERTA_TEST_CONFIGS)) {
    it(`DeBERTa-v2 ${name} within 1e-4 of its reference, no leaks`, async () => {
      const host = randomWeights(config, 2468);
      const batch = testBatch(config);
      const start = tf.memory().numTensors;
      const weights = uploadEncoderWeights(config, host);
      const out = encoderForward(weights, batch);
      expect(maxAbsDiff(await out.lastHiddenState.data(), referenceDebertaV2Forward(config, host, batch).lastHiddenState)).toBeLessThan(1e-4);
      tf.dispose(out as unknown as tf.TensorContainer);
      weights.dispose();
      expect(tf.memory().numTensors).toBe(start);
    });
  }

  describe('a fixture model loaded over HTTP with backend "webgpu"', () => {
    let server: Awaited<ReturnType<typeof startHubServer>>;
    beforeAll(async () => { server = await startHubServer({ root: process.env.ADAPTER_STUDIO_FIXTURES!, port: 0 }); });
    afterAll(async () => server?.close());

    it('adapter-studio/tiny-roberta matches the reference', async () => {
      const ep = offlineHub(server.url);
      const encoder = await loadEncoder(ep, 'adapter-studio/tiny-roberta', { backend: 'webgpu' });
      expect(encoder.info.backend).toBe('webgpu');
      const { tensors } = await loadEncoderWeights(ep, 'adapter-studio/tiny-roberta', { config: encoder.config });
      const batch = encoder.tokenizer.encode(['the film was superb', 'dull'], ['it was boring', 'love it']);
      const out = encoder.forward(batch);
      const want = referenceForward(encoder.config, tensors, batch);
      expect(maxAbsDiff(await out.lastHiddenState.data(), want.lastHiddenState)).toBeLessThan(1e-4);
      tf.dispose(out as unknown as tf.TensorContainer);
      encoder.dispose();
    });

    it('adapter-studio/tiny-albert (one layer module run 3 times) matches the modeling_albert oracle on its checkpoint', async () => {
      const ep = offlineHub(server.url);
      const encoder = await loadEncoder(ep, 'adapter-studio/tiny-albert', { backend: 'webgpu' });
      const file = (name: string) => fetchBytes(ep, fileUrl(ep, { type: 'model', id: 'adapter-studio/tiny-albert' }, name));
      const json = JSON.parse(new TextDecoder().decode(await file('config.json'))) as Record<string, unknown>;
      const checkpoint = new Map([...readSafetensors(await file('model.safetensors'), 'model.safetensors')].map(([name, t]) => [name, { shape: t.shape, data: t.toFloat32() }]));
      const batch = encoder.tokenizer.encode(['the film was superb', 'dull'], ['it was boring', 'love it']);
      const out = encoder.forward(batch);
      const want = albertReferenceForward(json, checkpoint, batch);
      expect(maxAbsDiff(await out.lastHiddenState.data(), want.lastHiddenState)).toBeLessThan(1e-4);
      expect(maxAbsDiff(await out.pooled!.data(), want.pooled!)).toBeLessThan(1e-4);
      tf.dispose(out as unknown as tf.TensorContainer);
      encoder.dispose();
    });

    it('adapter-studio/tiny-deberta-v3 matches the reference on 30 tokens (log buckets)', async () => {
      const ep = offlineHub(server.url);
      const encoder = await loadEncoder(ep, 'adapter-studio/tiny-deberta-v3', { backend: 'webgpu' });
      const { tensors } = await loadEncoderWeights(ep, 'adapter-studio/tiny-deberta-v3', { config: encoder.config });
      const batch = encoder.tokenizer.encode(['the film was superb and the cast was excellent and the story was moving and the music was lovely', 'dull']);
      const out = encoder.forward(batch);
      expect(maxAbsDiff(await out.lastHiddenState.data(), referenceDebertaV2Forward(encoder.config, tensors, batch).lastHiddenState)).toBeLessThan(1e-4);
      tf.dispose(out as unknown as tf.TensorContainer);
      encoder.dispose();
    });
  });
});
