/**
 * Test oracle: DeBERTa-v2 / v3 written again from transformers' modeling_deberta_v2.py formulas in float64
 * loops, sharing no code with encoder.ts or attention/disentangled.ts. Tiny models only.
 *
 *   embeddings  e = LN(Wproj · (word + [position] + [type])) · mask          (DebertaV2Embeddings)
 *   rel rows    R = LN_enc(rel_embeddings) when norm_rel_ebd has layer_norm   (DebertaV2Encoder.get_rel_embedding)
 *   δ(i, j)     i - j, or make_log_bucket_position(i - j) when position_buckets > 0
 *   score(i, j) = [q_i·k_j + q_i·Kr[clamp(δ(i, j) + n)] + k_j·Qr[clamp(-δ(j, i) + n)]] / sqrt(d · (1 + #terms))
 *               with Kr = key_proj(R) or pos_key_proj(R), Qr = query_proj(R) or pos_query_proj(R), n = half the rows
 *   layer       post-LN as BERT's; softmax over the unmasked keys (a padded query row: even over all keys, masked_fill's)
 * The pieces are exported for the adapter oracle (adapters/testing/adapter-forward.reference.ts).
 */
import type { EncoderConfig } from '../config.ts';
import type { EncodedBatch } from '../tokenizer.ts';
import type { HostWeights } from '../weights.ts';
import { erf } from './encoder-forward.reference.ts';

type Read = (name: string) => Float64Array;

function reader(weights: HostWeights): Read {
  return (name) => {
    const t = weights.get(name);
    if (!t) throw new Error(`DeBERTa reference: weights lack "${name}"`);
    return Float64Array.from(t.data);
  };
}

/** rows × outputs = input (rows × inputs) · Wᵀ (+ b). */
export function denseRows(input: Float64Array, rows: number, inputs: number, w: Float64Array, b: Float64Array | undefined, outputs: number): Float64Array {
  const out = new Float64Array(rows * outputs);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outputs; o++) {
      let acc = b ? b[o] : 0;
      for (let i = 0; i < inputs; i++) acc += input[r * inputs + i] * w[o * inputs + i];
      out[r * outputs + o] = acc;
    }
  }
  return out;
}

function layerNormRows(input: Float64Array, width: number, gamma: Float64Array, beta: Float64Array, eps: number): Float64Array {
  const out = new Float64Array(input.length);
  for (let r = 0; r < input.length / width; r++) {
    const row = input.subarray(r * width, (r + 1) * width);
    const mean = row.reduce((s, v) => s + v, 0) / width;
    const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / width;
    for (let i = 0; i < width; i++) out[r * width + i] = ((row[i] - mean) / Math.sqrt(variance + eps)) * gamma[i] + beta[i];
  }
  return out;
}

/** δ(i, j) of build_relative_position, log-bucketed past half the buckets (make_log_bucket_position). */
export function referenceRelativePosition(i: number, j: number, buckets: number, maxPosition: number): number {
  const delta = i - j;
  const half = Math.floor(buckets / 2);
  if (buckets <= 0 || Math.abs(delta) <= half) return delta;
  const magnitude = Math.ceil((Math.log(Math.abs(delta) / half) / Math.log((maxPosition - 1) / half)) * (half - 1)) + half;
  return delta < 0 ? -magnitude : magnitude;
}

/** The embedding output [batch · seq · hidden], padding rows zeroed. */
export function referenceDebertaEmbeddings(config: EncoderConfig, weights: HostWeights, batch: EncodedBatch): Float64Array {
  const w = reader(weights);
  const dc = config.disentangled!;
  const { batch: B, seq: S } = batch;
  const E = config.embeddingSize;
  const H = config.hiddenSize;
  const word = w('embeddings.word_embeddings.weight');
  const position = dc.positionBiasedInput ? w('embeddings.position_embeddings.weight') : undefined;
  const types = config.typeVocabSize > 0 ? w('embeddings.token_type_embeddings.weight') : undefined;
  let e: Float64Array = new Float64Array(B * S * E);
  for (let r = 0; r < B * S; r++) {
    const s = r % S;
    for (let i = 0; i < E; i++) {
      e[r * E + i] = word[batch.inputIds[r] * E + i] + (position ? position[s * E + i] : 0) + (types ? types[batch.tokenTypeIds[r] * E + i] : 0);
    }
  }
  if (E !== H) e = denseRows(e, B * S, E, w('embeddings.embed_proj.weight'), undefined, H);
  const normed = layerNormRows(e, H, w('embeddings.LayerNorm.weight'), w('embeddings.LayerNorm.bias'), config.layerNormEps);
  for (let r = 0; r < B * S; r++) if (batch.attentionMask[r] === 0) normed.fill(0, r * H, (r + 1) * H);
  return normed;
}

/** The relative rows every layer projects: rel_embeddings, LayerNorm'd when the config says so; [2n · hidden]. */
export function referenceRelativeRows(config: EncoderConfig, weights: HostWeights): Float64Array {
  const w = reader(weights);
  const table = w('encoder.rel_embeddings.weight');
  return config.disentangled!.normRelEmbeddings ? layerNormRows(table, config.hiddenSize, w('encoder.LayerNorm.weight'), w('encoder.LayerNorm.bias'), config.layerNormEps) : table;
}

/**
 * The position part of score(i, j) for one head, unscaled: (c2p) q_i·Kr[...] + (p2c) k_j·Qr[...]. `q`, `k` are
 * [seq · hidden] rows of one sequence, `kr`, `qr` the projected relative rows [2n · hidden].
 */
export function referencePositionScore(config: EncoderConfig, q: Float64Array, k: Float64Array, kr: Float64Array | undefined, qr: Float64Array | undefined, head: number, i: number, j: number): number {
  const dc = config.disentangled!;
  const H = config.hiddenSize;
  const d = H / config.numHeads;
  const n = dc.tableSpan;
  const clamp = (v: number) => Math.max(0, Math.min(2 * n - 1, v));
  let total = 0;
  if (kr) {
    const row = clamp(referenceRelativePosition(i, j, dc.positionBuckets, dc.maxRelativePositions) + n);
    for (let t = 0; t < d; t++) total += q[i * H + head * d + t] * kr[row * H + head * d + t];
  }
  if (qr) {
    const row = clamp(-referenceRelativePosition(j, i, dc.positionBuckets, dc.maxRelativePositions) + n);
    for (let t = 0; t < d; t++) total += k[j * H + head * d + t] * qr[row * H + head * d + t];
  }
  return total;
}

export interface DebertaReferenceOutput {
  /** [batch · seq · hidden]. */
  lastHiddenState: Float64Array;
  /** [batch · hidden]. */
  firstToken: Float64Array;
}

/** DebertaV2Model's last hidden state (inference: no dropout). */
export function referenceDebertaV2Forward(config: EncoderConfig, weights: HostWeights, batch: EncodedBatch): DebertaReferenceOutput {
  const w = reader(weights);
  const dc = config.disentangled!;
  const { batch: B, seq: S } = batch;
  const H = config.hiddenSize;
  const heads = config.numHeads;
  const d = H / heads;
  const terms = dc.posAttTypes.length;
  const c2p = dc.posAttTypes.includes('c2p');
  const p2c = dc.posAttTypes.includes('p2c');
  const gelu = (v: number) => 0.5 * v * (1 + erf(v / Math.SQRT2));
  if (config.hiddenAct !== 'gelu') throw new Error('DeBERTa reference: gelu only');
  let x = referenceDebertaEmbeddings(config, weights, batch);
  const rel = dc.relativeAttention ? referenceRelativeRows(config, weights) : undefined;
  const relRows = rel ? rel.length / H : 0;

  for (let l = 0; l < config.numLayers; l++) {
    const p = (name: string) => w(`encoder.layer.${l}.${name}`);
    const pb = (name: string) => (weights.has(`encoder.layer.${l}.${name}`) ? p(name) : undefined);
    const q = denseRows(x, B * S, H, p('attention.self.query.weight'), p('attention.self.query.bias'), H);
    const k = denseRows(x, B * S, H, p('attention.self.key.weight'), p('attention.self.key.bias'), H);
    const v = denseRows(x, B * S, H, p('attention.self.value.weight'), p('attention.self.value.bias'), H);
    let kr: Float64Array | undefined;
    let qr: Float64Array | undefined;
    if (rel) {
      // share_att_key: the content projections; else pos_key_proj / pos_query_proj.
      const keyRows = dc.shareAttKey ? 'attention.self.key' : 'attention.self.pos_key_proj';
      const queryRows = dc.shareAttKey ? 'attention.self.query' : 'attention.self.pos_query_proj';
      if (c2p) kr = denseRows(rel, relRows, H, p(`${keyRows}.weight`), pb(`${keyRows}.bias`), H);
      if (p2c) qr = denseRows(rel, relRows, H, p(`${queryRows}.weight`), pb(`${queryRows}.bias`), H);
    }
    const context = new Float64Array(B * S * H);
    const scores = new Float64Array(S);
    for (let b = 0; b < B; b++) {
      const qb = q.subarray(b * S * H, (b + 1) * S * H);
      const kb = k.subarray(b * S * H, (b + 1) * S * H);
      for (let h = 0; h < heads; h++) {
        for (let i = 0; i < S; i++) {
          // get_attention_mask's mask_i · mask_j and masked_fill(min) before the softmax: a padded row is even over all keys.
          if (batch.attentionMask[b * S + i] === 0) {
            for (let t = 0; t < d; t++) {
              let acc = 0;
              for (let j = 0; j < S; j++) acc += v[(b * S + j) * H + h * d + t] / S;
              context[(b * S + i) * H + h * d + t] = acc;
            }
            continue;
          }
          let max = -Infinity;
          for (let j = 0; j < S; j++) {
            if (batch.attentionMask[b * S + j] === 0) continue;
            let dot = 0;
            for (let t = 0; t < d; t++) dot += qb[i * H + h * d + t] * kb[j * H + h * d + t];
            if (rel) dot += referencePositionScore(config, qb, kb, kr, qr, h, i, j);
            scores[j] = dot / Math.sqrt(d * (1 + terms));
            max = Math.max(max, scores[j]);
          }
          let total = 0;
          for (let j = 0; j < S; j++) {
            scores[j] = batch.attentionMask[b * S + j] === 0 ? 0 : Math.exp(scores[j] - max);
            total += scores[j];
          }
          for (let t = 0; t < d; t++) {
            let acc = 0;
            for (let j = 0; j < S; j++) acc += (scores[j] / total) * v[(b * S + j) * H + h * d + t];
            context[(b * S + i) * H + h * d + t] = acc;
          }
        }
      }
    }
    const attended = denseRows(context, B * S, H, p('attention.output.dense.weight'), p('attention.output.dense.bias'), H).map((val, i) => val + x[i]);
    const a = layerNormRows(attended, H, p('attention.output.LayerNorm.weight'), p('attention.output.LayerNorm.bias'), config.layerNormEps);
    const I = config.intermediateSize;
    const inner = denseRows(a, B * S, H, p('intermediate.dense.weight'), p('intermediate.dense.bias'), I).map(gelu);
    const ffn = denseRows(inner, B * S, I, p('output.dense.weight'), p('output.dense.bias'), H).map((val, i) => val + a[i]);
    x = layerNormRows(ffn, H, p('output.LayerNorm.weight'), p('output.LayerNorm.bias'), config.layerNormEps);
  }
  const firstToken = new Float64Array(B * H);
  for (let b = 0; b < B; b++) firstToken.set(x.subarray(b * S * H, b * S * H + H), b * H);
  return { lastHiddenState: x, firstToken };
}
