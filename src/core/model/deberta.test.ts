/**
 * DeBERTa v1 end to end on the host side: a checkpoint under the real names (deberta.encoder.layer.N.attention.self.in_proj,
 * q_bias, v_bias, pos_proj, pos_q_proj, encoder.rel_embeddings) goes through the loader (renames, the in_proj split of
 * fused-qkv.ts) into the tfjs encoder, and agrees with the float64 oracle (testing/deberta-forward.reference.ts),
 * which reads the checkpoint's own names and the raw config.json.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseEncoderConfig } from './config.ts';
import { fusedColumn } from './fused-qkv.ts';
import { debertaHost, maxAbsDiff, runEncoder } from './test-support.ts';
import { debertaReferenceForward } from './testing/deberta-forward.reference.ts';
import type { EncodedBatch } from './tokenizer.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

/** Two sequences: 9 real tokens, and 5 padded to 9 (types 1 on the first one's second segment when the model has types). */
function batchFor(json: Record<string, unknown>): EncodedBatch {
  const ids = [1, 9, 13, 3, 21, 17, 5, 8, 2, 1, 11, 29, 6, 2, 0, 0, 0, 0];
  const mask = ids.map((_, k) => (k < 14 ? 1 : 0));
  const types = ids.map((_, k) => ((json.type_vocab_size as number) > 1 && k >= 5 && k < 9 ? 1 : 0));
  return { inputIds: Int32Array.from(ids), attentionMask: Int32Array.from(mask), tokenTypeIds: Int32Array.from(types), batch: 2, seq: 9 };
}

const tiny = { model_type: 'deberta', vocab_size: 30, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 24, max_position_embeddings: 20 };
const CASES: [string, Record<string, unknown>][] = [
  // microsoft/deberta-base's keys: c2p|p2c as a string, no absolute positions, max_relative_positions -1 (= 20).
  ['deberta-base-like (c2p|p2c, relative only)', { ...tiny, relative_attention: true, pos_att_type: 'c2p|p2c', max_relative_positions: -1, position_biased_input: false, type_vocab_size: 0, layer_norm_eps: 1e-7 }],
  // max_relative_positions 4 < 9 tokens: the span is 4 and far pairs clamp to the table's ends.
  ['short relative table (4 < seq), p2c only, absolute positions and 2 types', { ...tiny, relative_attention: true, pos_att_type: ['p2c'], max_relative_positions: 4, type_vocab_size: 2 }],
  // pos_att_type still widens the scale without relative_attention; embed_proj from 8 to 16.
  ['no relative attention, c2p in pos_att_type, embedding 8', { ...tiny, relative_attention: false, pos_att_type: ['c2p'], embedding_size: 8, type_vocab_size: 0 }],
];

describe('DeBERTa v1 encoder (tfjs cpu) against the float64 oracle', () => {
  for (const [name, json] of CASES) {
    it(`${name}: last hidden states agree within 1e-4 (padded rows included)`, () => {
      const { config, checkpoint: tensors, host } = debertaHost(json, 7);
      const batch = batchFor(json);
      const got = runEncoder(config, host, batch).last;
      const want = debertaReferenceForward(json, (n) => tensors.get(n)?.data, 'deberta.', batch);
      expect(maxAbsDiff(got, want.lastHiddenState)).toBeLessThan(1e-4);
    });
  }

  it('splits in_proj per head: query row h·d + i is in_proj row h·3d + i, key h·3d + d + i, value h·3d + 2d + i', () => {
    const json = CASES[0][1];
    const { checkpoint: tensors, host } = debertaHost(json, 3);
    const fused = tensors.get('deberta.encoder.layer.1.attention.self.in_proj.weight')!.data;
    const d = 4;
    // Head 2, column 1: rows 2·12 + 1 (q), + 4 (k), + 8 (v) of the fused weight.
    expect(fusedColumn(0, 2 * d + 1, d)).toBe(25);
    const rowOf = (name: string, row: number) => Array.from(host.get(`encoder.layer.1.attention.self.${name}.weight`)!.data.subarray(row * 16, row * 16 + 16));
    expect(rowOf('query', 9)).toEqual(Array.from(fused.subarray(25 * 16, 26 * 16)));
    expect(rowOf('key', 9)).toEqual(Array.from(fused.subarray(29 * 16, 30 * 16)));
    expect(rowOf('value', 9)).toEqual(Array.from(fused.subarray(33 * 16, 34 * 16)));
    expect(Array.from(host.get('encoder.layer.1.attention.self.key.bias')!.data)).toEqual(new Array(16).fill(0));
    expect(Array.from(host.get('encoder.layer.1.attention.self.query.bias')!.data)).toEqual(Array.from(tensors.get('deberta.encoder.layer.1.attention.self.q_bias')!.data));
    expect(host.has('encoder.layer.1.attention.self.in_proj.weight')).toBe(false);
    expect(host.has('embeddings.position_embeddings.weight')).toBe(false);
  });

  it('reads a real deberta-base-mnli config.json (testdata/real/configs) with DebertaConfig\'s meaning of each key', () => {
    const json = JSON.parse(readFileSync(new URL('./testdata/real/configs/deberta-base-mnli.json', import.meta.url), 'utf8')) as unknown;
    const config = parseEncoderConfig(json, 'microsoft/deberta-base-mnli');
    expect(config.disentangled).toEqual({
      positionBiasedInput: false, relativeAttention: true, posAttTypes: ['c2p', 'p2c'], tableSpan: 512, positionBuckets: 0, maxRelativePositions: 512,
      spanFromSequence: true, shareAttKey: false, normRelEmbeddings: false, positionProjectionBias: { key: false, query: true }, inProj: true,
    });
    expect(parseEncoderConfig({ ...(json as object), pos_att_type: 'p2c|c2p' }, 'x/y').disentangled?.posAttTypes).toEqual(['p2c', 'c2p']);
    expect(() => parseEncoderConfig({ ...(json as object), pos_att_type: ['c2p', 'p2p'] }, 'x/y')).toThrow(/has pos_att_type \["c2p","p2p"\], expected "c2p", "p2c" or both/);
    expect(() => parseEncoderConfig({ ...(json as object), talking_head: true }, 'x/y')).toThrow(/talking_head/);
  });
});
