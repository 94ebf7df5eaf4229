/** Helpers shared by this folder's tests: seeded synthetic weights and float comparisons. */
import * as tf from '@tensorflow/tfjs';
import { type EncoderConfig, parseEncoderConfig } from './config.ts';
import { type EncoderHooks, encoderForward, uploadEncoderWeights } from './encoder.ts';
import type { EncodedBatch } from './tokenizer.ts';
import { type HostWeights, expectedTensors, selectEncoderTensors } from './weights.ts';
import { writeSafetensors } from '../export/safetensors-writer.ts';
import { seededRandom } from '../random.ts';
import { readSafetensors } from './safetensors.ts';

/**
 * Every tensor the config needs, filled with seeded values that exercise each term: biases and LayerNorm
 * shifts far from 0, gains far from 1, Linear weights scaled by 1/sqrt(fan-in) so activations stay O(1).
 */
export function randomWeights(config: EncoderConfig, seed: number, withPooler = config.hasPooler): HostWeights {
  const random = seededRandom(seed);
  const uniform = (scale: number, centre = 0) => centre + scale * (2 * random() - 1);
  const weights: HostWeights = new Map();
  for (const { name, shape, optional } of expectedTensors(config)) {
    if (optional && !withPooler) continue;
    const size = shape.reduce((a, b) => a * b, 1);
    const isNorm = name.includes('LayerNorm');
    const isBias = name.endsWith('.bias');
    const fill = isNorm && !isBias ? () => uniform(0.5, 1)
      : isBias ? () => uniform(0.5)
      : name.includes('_embeddings') ? () => uniform(1)
      : () => uniform(1.5 / Math.sqrt(shape[1]));
    weights.set(name, { shape, data: Float32Array.from({ length: size }, fill) });
  }
  return weights;
}

/** Largest |a[i] - b[i]|; the arrays must have the same length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`maxAbsDiff: lengths differ (${a.length} vs ${b.length})`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** A safetensors file from the format's definition: u64 LE header length (or `headerLength`), JSON header (or `rawHeader`), data. */
export function safetensorsBytes(header: unknown, data: Uint8Array, headerLength?: bigint, rawHeader?: string): Uint8Array {
  const json = new TextEncoder().encode(rawHeader ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, headerLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const tiny = { hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 24, max_position_embeddings: 20, vocab_size: 30 };
/** Tiny configs covering every family and activation. */
export const TEST_CONFIGS: Record<string, EncoderConfig> = {
  'bert (gelu, pooler)': parseEncoderConfig({ model_type: 'bert', ...tiny, layer_norm_eps: 1e-12 }, 'test/bert'),
  'roberta (padding-aware positions)': parseEncoderConfig({ model_type: 'roberta', ...tiny, type_vocab_size: 1, pad_token_id: 1, layer_norm_eps: 1e-5 }, 'test/roberta'),
  'distilbert (no token types)': parseEncoderConfig({ model_type: 'distilbert', dim: 16, n_layers: 2, n_heads: 2, hidden_dim: 24, max_position_embeddings: 20, vocab_size: 30 }, 'test/distilbert'),
  'electra (embedding 8 → hidden 16)': parseEncoderConfig({ model_type: 'electra', ...tiny, embedding_size: 8 }, 'test/electra'),
  'bert gelu_new': parseEncoderConfig({ model_type: 'bert', ...tiny, hidden_act: 'gelu_new' }, 'test/bert-gelu-new'),
  'bert relu': parseEncoderConfig({ model_type: 'bert', ...tiny, hidden_act: 'relu' }, 'test/bert-relu'),
  'bert silu': parseEncoderConfig({ model_type: 'bert', ...tiny, hidden_act: 'silu' }, 'test/bert-silu'),
  'bert quick_gelu': parseEncoderConfig({ model_type: 'bert', ...tiny, hidden_act: 'quick_gelu' }, 'test/bert-quick-gelu'),
};

const tinyDeberta = { model_type: 'deberta-v2', hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 24, max_position_embeddings: 20, vocab_size: 30 };
/** Tiny DeBERTa-v2 configs covering each option of the disentangled attention. */
export const DEBERTA_TEST_CONFIGS: Record<string, EncoderConfig> = {
  'v3 (buckets 6 of 12, shared keys, LayerNorm on rel_embeddings)': parseEncoderConfig({
    ...tinyDeberta, relative_attention: true, pos_att_type: ['p2c', 'c2p'], position_buckets: 6, max_relative_positions: 12, share_att_key: true,
    norm_rel_ebd: 'layer_norm', position_biased_input: false, type_vocab_size: 0,
  }, 'test/deberta-v3'),
  'v2 (pos_key_proj / pos_query_proj, 5 relative positions clamped, absolute positions, segments, embed_proj 8 → 16)': parseEncoderConfig({
    ...tinyDeberta, relative_attention: true, pos_att_type: 'c2p|p2c', max_relative_positions: 5, type_vocab_size: 2, embedding_size: 8,
  }, 'test/deberta-v2'),
  'c2p only, no rel LayerNorm': parseEncoderConfig({ ...tinyDeberta, relative_attention: true, pos_att_type: ['c2p'], position_buckets: 8, max_relative_positions: 16, position_biased_input: false }, 'test/deberta-c2p'),
  'no relative attention, pos_att_type still scaling': parseEncoderConfig({ ...tinyDeberta, pos_att_type: ['c2p', 'p2c'] }, 'test/deberta-plain'),
};

/** Two sequences: a pair (types 0 then 1) of 7 tokens and a single text of 4 tokens padded to 7. */
export function testBatch(config: EncoderConfig): EncodedBatch {
  const pad = config.padTokenId;
  const ids = [5, 9, 13, 3, 21, 17, 3, 5, 11, 29, 3, pad, pad, pad];
  const mask = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0];
  const types = config.typeVocabSize > 1 ? [0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0] : new Array(14).fill(0);
  return { inputIds: Int32Array.from(ids), attentionMask: Int32Array.from(mask), tokenTypeIds: Int32Array.from(types), batch: 2, seq: 7 };
}

/** The encoder's outputs as arrays (weights uploaded for the call), with its tensors disposed. */
export function runEncoder(config: EncoderConfig, host: HostWeights, batch: EncodedBatch, hooks?: EncoderHooks) {
  const weights = uploadEncoderWeights(config, host);
  try {
    const out = encoderForward(weights, batch, hooks);
    const result = { last: out.lastHiddenState.dataSync(), first: out.firstToken.dataSync(), pooled: out.pooled?.dataSync(), shape: out.lastHiddenState.shape };
    tf.dispose(out as unknown as tf.TensorContainer);
    return result;
  } finally {
    weights.dispose();
  }
}

/** Seeded tensors of a DebertaForMaskedLM state dict (the checkpoint's own names) for config.json `json`, which names every size. */
export function debertaCheckpoint(json: Record<string, unknown>, seed: number): Map<string, { shape: number[]; data: Float32Array }> {
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

/** A DeBERTa v1 config, its checkpoint under the real names and the host weights the loader makes of it (renamed, in_proj split). */
export function debertaHost(json: Record<string, unknown>, seed: number): { config: EncoderConfig; checkpoint: Map<string, { shape: number[]; data: Float32Array }>; host: HostWeights } {
  const config = parseEncoderConfig(json, 'test/deberta');
  const checkpoint = debertaCheckpoint(json, seed);
  const file = writeSafetensors([...checkpoint].map(([name, t]) => ({ name, dtype: 'F32' as const, shape: t.shape, data: t.data })));
  return { config, checkpoint, host: selectEncoderTensors(readSafetensors(file, 'model.safetensors'), config, 'model.safetensors').tensors };
}
