/**
 * roberta-base's 154 MB word embeddings on a WebGPU device that binds at most 128 MiB (the limit WebGPU guarantees
 * and many GPUs report), requested on Dawn's SwiftShader, which offers more: the table is uploaded in two blocks
 * and a one-layer roberta-base-shaped encoder reads ids from both against the float64 reference.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../backend/init-backend.ts';
import { nodeWebGpu } from '../backend/node-webgpu.ts';
import { parseEncoderConfig } from './config.ts';
import { gatherRows, uploadEmbeddingTable } from './embedding-table.ts';
import { encoderForward, uploadEncoderWeights } from './encoder.ts';
import { referenceForward } from './testing/encoder-forward.reference.ts';
import { maxAbsDiff, randomWeights } from './test-support.ts';

const node = await nodeWebGpu();
const gpu = 'gpu' in node ? node.gpu : undefined;
const LIMIT = 128 * 2 ** 20;
const robertaBase = JSON.parse(readFileSync(new URL('./testdata/real/configs/roberta-base.json', import.meta.url), 'utf8')) as Record<string, unknown>;

describe.skipIf(!gpu)(`an embedding table over the binding limit, on Dawn${gpu ? '' : ` (skipped: ${'unavailable' in node ? node.unavailable : ''})`}`, () => {
  it('roberta-base (1 layer) runs with its word embeddings in two blocks, ids from both, within 1e-4 of float64', async () => {
    const info = await initBackend('webgpu', { gpu, maxStorageBufferBindingSize: LIMIT });
    expect(info.limits?.maxStorageBufferBindingSize).toBe(LIMIT);
    const config = parseEncoderConfig({ ...robertaBase, num_hidden_layers: 1 }, 'FacebookAI/roberta-base');
    const host = randomWeights(config, 7);
    expect(4 * config.vocabSize * config.hiddenSize).toBeGreaterThan(LIMIT);
    const start = tf.memory().numTensors;
    const weights = uploadEncoderWeights(config, host);
    expect(weights.wordEmbeddings.blocks.map((b) => b.shape[0])).toEqual([43690, 50265 - 43690]);
    expect(Math.max(...weights.wordEmbeddings.blocks.map((b) => 4 * b.size))).toBeLessThanOrEqual(LIMIT);
    // <s> … </s> around ids on both sides of the block edge, the last row, and padding.
    const ids = [0, 5, 43689, 43690, 43691, 50264, 31000, 2, 0, 50000, 7, 2, 1, 1, 1, 1];
    const batch = {
      batch: 2, seq: 8, inputIds: Int32Array.from(ids),
      attentionMask: Int32Array.from(ids, (_, i) => (i >= 12 ? 0 : 1)), tokenTypeIds: new Int32Array(16),
    };
    const out = encoderForward(weights, batch);
    const want = referenceForward(config, host, batch);
    expect(maxAbsDiff(await out.lastHiddenState.data(), want.lastHiddenState)).toBeLessThan(1e-4);
    tf.dispose(out as unknown as tf.TensorContainer);
    weights.dispose();
    expect(tf.memory().numTensors).toBe(start);
  }, 120_000);

  it('gathers rows in the ids\' order across blocks, and refuses an id outside the table', async () => {
    await initBackend('webgpu', { gpu });
    const rows = 10;
    const data = Float32Array.from({ length: rows * 3 }, (_, i) => i);
    const table = uploadEmbeddingTable(data, rows, 3, 4 * 3 * 4);
    expect(table.blocks.map((b) => b.shape[0])).toEqual([4, 4, 2]);
    const ids = Int32Array.from([9, 0, 4, 3, 8, 4, 1]);
    const got = gatherRows(table, ids);
    expect(Array.from(await got.data())).toEqual(Array.from(ids).flatMap((id) => [3 * id, 3 * id + 1, 3 * id + 2]));
    got.dispose();
    expect(() => gatherRows(table, Int32Array.from([2, 10]))).toThrow(/Embedding id 10 is outside the table's 10 rows/);
    for (const block of table.blocks) block.dispose();
  });
});
