/**
 * The encoder's tensors own copies of the host weights (wasm copies them into its heap), so once uploaded the host
 * arrays are garbage: nothing the returned weights hold may keep them alive. A closure in uploadEncoderWeights' scope
 * once did, holding bert-base's 0.44 GB host copy as long as the encoder lived.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { expect, it } from 'vitest';
import { uploadEncoderWeights } from './encoder.ts';
import { TEST_CONFIGS, randomWeights } from './test-support.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

it('does not keep the host weights alive after upload (wasm)', async () => {
  await tf.setBackend('wasm');
  const config = TEST_CONFIGS['bert (gelu, pooler)'];
  let host: ReturnType<typeof randomWeights> | undefined = randomWeights(config, 3);
  const table = new WeakRef(host.get('embeddings.word_embeddings.weight')!.data);
  const weights = uploadEncoderWeights(config, host);
  host = undefined;
  // A WeakRef's target survives the job that created it; collect after it.
  await new Promise((resolve) => setTimeout(resolve, 0));
  gc();
  expect(table.deref()).toBeUndefined();
  expect(weights.wordEmbeddings.blocks[0].shape).toEqual([config.vocabSize, config.hiddenSize]);
  weights.dispose();
});
