import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { logBucketPosition } from './attention/disentangled.ts';
import { referenceDebertaV2Forward, referenceRelativePosition } from './testing/deberta-v2-forward.reference.ts';
import { DEBERTA_TEST_CONFIGS, maxAbsDiff, randomWeights, runEncoder as run, testBatch } from './test-support.ts';
import type { EncodedBatch } from './tokenizer.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('relative positions (make_log_bucket_position)', () => {
  it('keep |i - j| up to half the buckets and log-bucket the rest, odd-symmetric; both implementations agree', () => {
    // Buckets 6, max 12: |δ| ≤ 3 unchanged; 4 → 4, 6 → 5, 11 → 5 (ceil(log(|δ|/3) / log(11/3) · 2) + 3).
    expect([0, 1, 3, 4, 6, 11, -4, -6].map((r) => logBucketPosition(r, 6, 12))).toEqual([0, 1, 3, 4, 5, 5, -4, -5]);
    // deberta-v3-base: 256 buckets of 512 positions.
    expect([127, 128, 129, 200, 511, -511].map((r) => logBucketPosition(r, 256, 512))).toEqual([127, 128, 129, 169, 255, -255]);
    for (let i = 0; i < 40; i++) for (let j = 0; j < 40; j++) expect(logBucketPosition(i - j, 6, 12)).toBe(referenceRelativePosition(i, j, 6, 12));
  });
});

describe('encoderForward on DeBERTa-v2 (tfjs cpu) against the float64 reference (testing/deberta-v2-forward.reference.ts)', () => {
  for (const [name, config] of Object.entries(DEBERTA_TEST_CONFIGS)) {
    it(`${name}: every hidden state agrees within 1e-4`, () => {
      const host = randomWeights(config, 4321);
      const batch = testBatch(config);
      const got = run(config, host, batch);
      const want = referenceDebertaV2Forward(config, host, batch);
      expect(maxAbsDiff(got.last, want.lastHiddenState)).toBeLessThan(1e-4);
      expect(maxAbsDiff(got.first, want.firstToken)).toBeLessThan(1e-4);
      expect(got.pooled).toBeUndefined();
    });
  }

  it('depends on relative order: swapping two tokens changes the first token (no absolute positions in v3)', () => {
    const config = DEBERTA_TEST_CONFIGS['v3 (buckets 6 of 12, shared keys, LayerNorm on rel_embeddings)'];
    const host = randomWeights(config, 7);
    const batch = testBatch(config);
    const swapped = testBatch(config);
    [swapped.inputIds[1], swapped.inputIds[2]] = [batch.inputIds[2], batch.inputIds[1]];
    const h = config.hiddenSize;
    expect(maxAbsDiff(run(config, host, batch).first.subarray(0, h), run(config, host, swapped).first.subarray(0, h))).toBeGreaterThan(1e-3);
  });

  it('zeroes nothing real: a padded sequence gives the real tokens of the unpadded one', () => {
    const config = DEBERTA_TEST_CONFIGS['v3 (buckets 6 of 12, shared keys, LayerNorm on rel_embeddings)'];
    const host = randomWeights(config, 99);
    const padded = testBatch(config);
    const alone: EncodedBatch = { inputIds: padded.inputIds.slice(7, 11), attentionMask: padded.attentionMask.slice(7, 11), tokenTypeIds: padded.tokenTypeIds.slice(7, 11), batch: 1, seq: 4 };
    const h = config.hiddenSize;
    expect(maxAbsDiff(run(config, host, padded).last.subarray(7 * h, 11 * h), run(config, host, alone).last)).toBeLessThan(1e-5);
  });
});
