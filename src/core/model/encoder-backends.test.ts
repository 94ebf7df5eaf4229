/**
 * The same parity check as encoder.test.ts on the wasm backend (run in Node from the package's own .wasm
 * files), which has its own kernels: it caught tf.fused.matMul's transposeB + bias path returning wrong
 * values there, which is why `linear` uses matMul + add.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { encoderForward, uploadEncoderWeights } from './encoder.ts';
import { referenceDebertaV2Forward } from './testing/deberta-v2-forward.reference.ts';
import { referenceForward } from './testing/encoder-forward.reference.ts';
import { DEBERTA_TEST_CONFIGS, TEST_CONFIGS, maxAbsDiff, randomWeights, testBatch } from './test-support.ts';

beforeAll(async () => {
  const wasmDir = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  setWasmPaths(`${wasmDir}/`);
  expect(await tf.setBackend('wasm')).toBe(true);
});

describe('encoderForward on the wasm backend against the float64 reference', () => {
  for (const [name, config] of Object.entries(TEST_CONFIGS)) {
    it(`${name} within 1e-4, no leaks`, () => {
      expect(tf.getBackend()).toBe('wasm');
      const host = randomWeights(config, 4321);
      const batch = testBatch(config);
      const start = tf.memory().numTensors;
      const weights = uploadEncoderWeights(config, host);
      const out = encoderForward(weights, batch);
      const want = referenceForward(config, host, batch);
      expect(maxAbsDiff(out.lastHiddenState.dataSync(), want.lastHiddenState)).toBeLessThan(1e-4);
      expect(maxAbsDiff(out.firstToken.dataSync(), want.firstToken)).toBeLessThan(1e-4);
      if (want.pooled) expect(maxAbsDiff(out.pooled!.dataSync(), want.pooled)).toBeLessThan(1e-4);
      tf.dispose(out as unknown as tf.TensorContainer);
      weights.dispose();
      expect(tf.memory().numTensors).toBe(start);
    });
  }
});

describe('DeBERTa-v2 on the wasm backend against its float64 reference', () => {
  for (const [name, config] of Object.entries(DEBERTA_TEST_CONFIGS)) {
    it(`${name} within 1e-4, no leaks`, () => {
      const host = randomWeights(config, 4321);
      const batch = testBatch(config);
      const start = tf.memory().numTensors;
      const weights = uploadEncoderWeights(config, host);
      const out = encoderForward(weights, batch);
      expect(maxAbsDiff(out.lastHiddenState.dataSync(), referenceDebertaV2Forward(config, host, batch).lastHiddenState)).toBeLessThan(1e-4);
      tf.dispose(out as unknown as tf.TensorContainer);
      weights.dispose();
      expect(tf.memory().numTensors).toBe(start);
    });
  }
});
