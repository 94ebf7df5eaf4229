/**
 * The same adapter and head give the same logits on the wasm backend (the CLI's and the fallback's) as on the
 * cpu backend. Guards against backend-specific kernels: tfjs 4.22's fused matMul with transposeB and a bias is
 * wrong on wasm, and the head once used it.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { uploadEncoderWeights } from '../model/encoder.ts';
import { maxAbsDiff, randomWeights } from '../model/test-support.ts';
import { createAdapter } from './adapter.ts';
import { TINY, randomState, testBatch } from './test-support.ts';

async function logitsOn(backend: 'cpu' | 'wasm', method: string): Promise<Float32Array> {
  await tf.setBackend(backend);
  await tf.ready();
  const config = TINY.bert;
  const weights = uploadEncoderWeights(config, randomWeights(config, 3));
  const adapter = createAdapter(config, method, { name: 'check', seed: 1, head: { id2label: ['a', 'b', 'c'] } });
  adapter.loadAdapterStateDict(randomState(adapter, 7), { strict: false });
  const logits = tf.tidy(() => adapter.forward(weights, testBatch(config)));
  const values = logits.dataSync() as Float32Array;
  logits.dispose();
  adapter.dispose();
  weights.dispose();
  return values;
}

afterAll(() => tf.setBackend('cpu'));

describe('adapter + head logits agree across backends', () => {
  for (const method of ['seq_bn', 'lora', 'par_bn']) {
    it(`${method}: wasm matches cpu within 1e-4`, async () => {
      const cpu = await logitsOn('cpu', method);
      const wasm = await logitsOn('wasm', method);
      expect(maxAbsDiff(wasm, cpu)).toBeLessThan(1e-4);
    });
  }
});
