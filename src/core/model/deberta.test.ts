/**
 * DeBERTa v1 end to end on the host side: a checkpoint under the real names (deberta.encoder.layer.N.attention.self.in_proj,
 * q_bias, v_bias, pos_proj, pos_q_proj, encoder.rel_embeddings) goes through the loader (renames, the in_proj split of
 * fused-qkv.ts) into the tfjs encoder, and agrees with the float64 oracle (testing/deberta-forward.reference.ts),
 * which reads the checkpoint's own names and the raw config.json.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeSafetensors } from '../export/safetensors-writer.ts';
import { seededRandom } from '../random.ts';
import { parseEncoderConfig } from './config.ts';
import { encoderForward, uploadEncoderWeights } from './encoder.ts';
import { fusedColumn } from './fused-qkv.ts';
import { readSafetensors } from './safetensors.ts';
import { maxAbsDiff } from './test-support.ts';
import { debertaReferenceForward } from './testing/deberta-forward.reference.ts';
import type { EncodedBatch } from './tokenizer.ts';
import { selectEncoderTensors } from './weights.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

type Json = Record<string, unknown>;

/** Checkpoint tensors of a DebertaForMaskedLM-like state dict for `json` (DebertaConfig defaults where keys are missing). */
function checkpoint(json: Json, seed: number): Map<string, { shape: number[]; data: Float32Array }> {
  const random = seededRandom(seed);
  const h = json.hidden_size as number;
  const e = (json.embedding_size as number | undefined) ?? h;
  const i = json.intermediate_size as number;
  const mrp = (json.max_relative_positions as number) < 1 ? (json.max_position_embeddings as number) : (json.max_relative_positions as number);
  const types = String(json.pos_att_type ?? '');
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  const add = (name: string, shape: number[], scale: number, centre = 0) =>
    out.set(name, { shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => centre + scale * (2 * random() - 1)) });
  add('deberta.embeddings.word_embeddings.weight', [json.vocab_size as number, e], 1);
  // deberta-base keeps a position table even without position_biased_input; the loader must leave it.
  add('deberta.embeddings.position_embeddings.weight', [json.max_position_embeddings as number, e], 1);
  if ((json.type_vocab_size as number) > 0) add('deberta.embeddings.token_type_embeddings.weight', [json.type_vocab_size as number, e], 1);
  if (e !== h) add('deberta.embeddings.embed_proj.weight', [h, e], 1.5 / Math.sqrt(e));
  add('deberta.embeddings.LayerNorm.weight', [h], 0.5, 1);
  add('deberta.embeddings.LayerNorm.bias', [h], 0.5);
  for (let l = 0; l < (json.num_hidden_layers as number); l++) {
    const p = `deberta.encoder.layer.${l}.`;
    add(`${p}attention.self.q_bias`, [h], 0.5);
    add(`${p}attention.self.v_bias`, [h], 0.5);
    add(`${p}attention.self.in_proj.weight`, [3 * h, h], 1.5 / Math.sqrt(h));
    if (json.relative_attention && types.includes('c2p')) add(`${p}attention.self.pos_proj.weight`, [h, h], 1.5 / Math.sqrt(h));
    if (json.relative_attention && types.includes('p2c')) {
      add(`${p}attention.self.pos_q_proj.weight`, [h, h], 1.5 / Math.sqrt(h));
      add(`${p}attention.self.pos_q_proj.bias`, [h], 0.5);
    }
    for (const [name, outputs, inputs] of [['attention.output.dense', h, h], ['intermediate.dense', i, h], ['output.dense', h, i]] as const) {
      add(`${p}${name}.weight`, [outputs, inputs], 1.5 / Math.sqrt(inputs));
      add(`${p}${name}.bias`, [outputs], 0.5);
    }
    for (const name of ['attention.output.LayerNorm', 'output.LayerNorm']) {
      add(`${p}${name}.weight`, [h], 0.5, 1);
      add(`${p}${name}.bias`, [h], 0.5);
    }
  }
  if (json.relative_attention) add('deberta.encoder.rel_embeddings.weight', [2 * mrp, h], 1);
  add('lm_predictions.lm_head.dense.weight', [h, h], 0.1);
  return out;
}

/** Two sequences: 9 real tokens, and 5 padded to 9 (types 1 on the first one's second segment when the model has types). */
function batchFor(json: Json): EncodedBatch {
  const ids = [1, 9, 13, 3, 21, 17, 5, 8, 2, 1, 11, 29, 6, 2, 0, 0, 0, 0];
  const mask = ids.map((_, k) => (k < 14 ? 1 : 0));
  const types = ids.map((_, k) => ((json.type_vocab_size as number) > 1 && k >= 5 && k < 9 ? 1 : 0));
  return { inputIds: Int32Array.from(ids), attentionMask: Int32Array.from(mask), tokenTypeIds: Int32Array.from(types), batch: 2, seq: 9 };
}

/** Positions of real tokens (the encoder masks keys only; transformers' XSoftmax also empties padded query rows, which nothing reads). */
function realRows(values: ArrayLike<number>, batch: EncodedBatch, hidden: number): number[] {
  const kept: number[] = [];
  for (let r = 0; r < batch.batch * batch.seq; r++) if (batch.attentionMask[r]) for (let c = 0; c < hidden; c++) kept.push(values[r * hidden + c]);
  return kept;
}

const tiny = { model_type: 'deberta', vocab_size: 30, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 24, max_position_embeddings: 20 };
const CASES: [string, Json][] = [
  // microsoft/deberta-base's keys: c2p|p2c as a string, no absolute positions, max_relative_positions -1 (= 20).
  ['deberta-base-like (c2p|p2c, relative only)', { ...tiny, relative_attention: true, pos_att_type: 'c2p|p2c', max_relative_positions: -1, position_biased_input: false, type_vocab_size: 0, layer_norm_eps: 1e-7 }],
  // max_relative_positions 4 < 9 tokens: the span is 4 and far pairs clamp to the table's ends.
  ['short relative table (4 < seq), p2c only, absolute positions and 2 types', { ...tiny, relative_attention: true, pos_att_type: ['p2c'], max_relative_positions: 4, type_vocab_size: 2 }],
  // pos_att_type still widens the scale without relative_attention; embed_proj from 8 to 16.
  ['no relative attention, c2p in pos_att_type, embedding 8', { ...tiny, relative_attention: false, pos_att_type: ['c2p'], embedding_size: 8, type_vocab_size: 0 }],
];

describe('DeBERTa v1 encoder (tfjs cpu) against the float64 oracle', () => {
  for (const [name, json] of CASES) {
    it(`${name}: real-token states agree within 1e-4`, () => {
      const config = parseEncoderConfig(json, `test/${name}`);
      const tensors = checkpoint(json, 7);
      const file = writeSafetensors([...tensors].map(([n, t]) => ({ name: n, dtype: 'F32' as const, shape: t.shape, data: t.data })));
      const { tensors: host } = selectEncoderTensors(readSafetensors(file, 'model.safetensors'), config, 'model.safetensors');
      const batch = batchFor(json);
      const weights = uploadEncoderWeights(config, host);
      const out = encoderForward(weights, batch);
      const got = out.lastHiddenState.dataSync();
      tf.dispose(out as unknown as tf.TensorContainer);
      weights.dispose();
      const want = debertaReferenceForward(json, (n) => tensors.get(n)?.data, 'deberta.', batch);
      expect(maxAbsDiff(realRows(got, batch, 16), realRows(want.lastHiddenState, batch, 16))).toBeLessThan(1e-4);
    });
  }

  it('splits in_proj per head: query row h·d + i is in_proj row h·3d + i, key h·3d + d + i, value h·3d + 2d + i', () => {
    const json = CASES[0][1];
    const config = parseEncoderConfig(json, 'test/split');
    const tensors = checkpoint(json, 3);
    const stored = readSafetensors(writeSafetensors([...tensors].map(([n, t]) => ({ name: n, dtype: 'F32' as const, shape: t.shape, data: t.data }))), 'model.safetensors');
    const { tensors: host } = selectEncoderTensors(stored, config, 'model.safetensors');
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
});
