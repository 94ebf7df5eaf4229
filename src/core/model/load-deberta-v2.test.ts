/**
 * adapter-studio/tiny-deberta-v3 end to end through the offline Hub: config.json, spm.model through the
 * DebertaV2Converter rules, DebertaV2ForMaskedLM weights, the tfjs forward against the float64 reference.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubEndpoint, offlineHub } from '../../hub/endpoint.ts';
import { type RunningHubServer, startHubServer } from '../../hub-server/index.ts';
import { estimateParameters } from './config.ts';
import { type LoadedEncoder, loadEncoder } from './load-encoder.ts';
import { referenceDebertaV2Forward } from './testing/deberta-v2-forward.reference.ts';
import { maxAbsDiff } from './test-support.ts';
import { loadEncoderWeights } from './weights.ts';

const root = process.env.ADAPTER_STUDIO_FIXTURES!;
const ID = 'adapter-studio/tiny-deberta-v3';
let server: RunningHubServer;
let ep: HubEndpoint;
let encoder: LoadedEncoder;
beforeAll(async () => {
  await tf.setBackend('cpu');
  server = await startHubServer({ root, port: 0 });
  ep = offlineHub(server.url);
  encoder = await loadEncoder(ep, ID, { backend: 'cpu' });
});
afterAll(async () => {
  encoder?.dispose();
  await server?.close();
});

describe('tiny-deberta-v3 (deberta-v3-base layout)', () => {
  it('reads config.json as deberta-v2 with 32 log buckets, shared keys and no absolute positions', () => {
    expect(encoder.config).toMatchObject({ family: 'deberta-v2', weightPrefix: 'deberta', hiddenSize: 64, numLayers: 2, typeVocabSize: 0, hasPooler: false });
    expect(encoder.config.disentangled).toMatchObject({ positionBiasedInput: false, relativeAttention: true, tableSpan: 32, positionBuckets: 32, maxRelativePositions: 128, shareAttKey: true, normRelEmbeddings: true });
    expect(encoder.info.parameters).toBe(estimateParameters(encoder.config));
    expect(encoder.info.tokenizerSource).toBe('spm.model');
  });

  it('tokenizes from spm.model as DebertaV2Tokenizer: [CLS] x [SEP] and [CLS] a [SEP] b [SEP] (one [SEP] between), [MASK] after the pieces', () => {
    const tok = encoder.tokenizer;
    const single = tok.encode(['the film was superb']);
    const ids = Array.from(single.inputIds);
    expect(ids[0]).toBe(1);
    expect(ids.at(-1)).toBe(2);
    expect(ids).not.toContain(3);
    const pair = tok.encode(['the film'], ['it was dull']);
    const pairIds = Array.from(pair.inputIds);
    const seps = pairIds.flatMap((id, i) => (id === 2 ? [i] : []));
    expect(seps).toHaveLength(2);
    expect(seps[0]).toBeGreaterThan(1);
    expect(seps[1]).toBe(pairIds.length - 1);
    // The template gives b segment 1, but type_vocab_size 0 means no segment table: the encoder gets zeros.
    expect(Array.from(pair.tokenTypeIds)).toEqual(pairIds.map(() => 0));
    expect(Array.from(tok.encode(['a [MASK] film']).inputIds)).toContain(encoder.config.vocabSize - 1);
    // Padding is [PAD] = 0.
    expect(Array.from(tok.encode(['dull', 'the film was superb']).inputIds.subarray(0, 6)).slice(3)).toEqual([0, 0, 0]);
  });

  it('forward agrees with the float64 reference within 1e-4 on padded singles and on pairs longer than 16 tokens (log buckets)', async () => {
    const { tensors } = await loadEncoderWeights(ep, ID, { config: encoder.config });
    const long = 'the film was superb and the cast was excellent and the story was moving and the music was lovely and the ending was great';
    for (const batch of [encoder.tokenizer.encode([long, 'dull']), encoder.tokenizer.encode(['the film', 'very superb'], [long, 'love'])]) {
      expect(batch.seq).toBeGreaterThan(20);
      const out = encoder.forward(batch);
      const got = out.lastHiddenState.dataSync();
      tf.dispose(out as unknown as tf.TensorContainer);
      expect(maxAbsDiff(got, referenceDebertaV2Forward(encoder.config, tensors, batch).lastHiddenState)).toBeLessThan(1e-4);
    }
  });
});

describe('tiny-deberta-v3 against torch (testdata/deberta_v2_torch.py: modeling_deberta_v2.py\'s bmm/gather/XSoftmax code path in torch 1.13)', () => {
  it('the last hidden state of every real token agrees within 1e-4', () => {
    const expected = JSON.parse(readFileSync(new URL('./testdata/deberta-v3-torch.json', import.meta.url), 'utf8')) as {
      checkpoint_sha256: string; input_ids: number[][]; attention_mask: number[][]; last_hidden_state: number[][][];
    };
    const checkpoint = readFileSync(join(root, 'models', ...ID.split('/'), 'files', 'model.safetensors'));
    // The fixture's weights are what torch ran on; if the generator changed them, rerun the script (its docstring says how).
    expect(createHash('sha256').update(checkpoint).digest('hex')).toBe(expected.checkpoint_sha256);
    const [b, s] = [expected.input_ids.length, expected.input_ids[0].length];
    const batch = { inputIds: Int32Array.from(expected.input_ids.flat()), attentionMask: Int32Array.from(expected.attention_mask.flat()), tokenTypeIds: new Int32Array(b * s), batch: b, seq: s };
    const out = encoder.forward(batch);
    const got = out.lastHiddenState.arraySync() as number[][][];
    tf.dispose(out as unknown as tf.TensorContainer);
    let worst = 0;
    // Padded rows differ by design: XSoftmax zeroes their attention, the studio's key mask does not (they are never read).
    for (let i = 0; i < b; i++) for (let t = 0; t < s; t++) if (expected.attention_mask[i][t]) worst = Math.max(worst, maxAbsDiff(got[i][t], expected.last_hidden_state[i][t]));
    expect(worst).toBeLessThan(1e-4);
  });
});
