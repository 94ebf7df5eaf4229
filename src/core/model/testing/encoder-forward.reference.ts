/**
 * Test oracle: the encoder forward written again from the formulas, in float64 loops, sharing no code
 * with encoder.ts. Only for tests on tiny models (O(batch · seq² · hidden) with no vectorisation).
 *
 *   position ids: BERT-like i; RoBERTa-like padding_idx + (running count of non-padding tokens) for real
 *     tokens and padding_idx for padding (transformers' create_position_ids_from_input_ids)
 *   embeddings:   LN(word + position + token_type)  (ELECTRA: then W_p · e + b_p)
 *   attention:    per head softmax over the unmasked keys of (q·k)/sqrt(d); masked keys get weight 0
 *   layer:        a = LN(x + W_o·attn + b_o); y = LN(a + W_2·act(W_1·a + b_1) + b_2)
 *   pooler:       tanh(W_p·y[0] + b_p)
 *   gelu:         x/2 · (1 + erf(x/√2)) with erf from its Taylor series / continued fraction (error < 1e-14)
 */
import type { EncoderConfig, HiddenAct } from '../config.ts';
import type { EncodedBatch } from '../tokenizer.ts';
import type { HostWeights } from '../weights.ts';

export interface ReferenceOutput {
  /** [batch * seq * hidden] row-major last hidden state. */
  lastHiddenState: Float64Array;
  /** [batch * hidden] last hidden state of token 0. */
  firstToken: Float64Array;
  /** [batch * hidden] pooler output, when the weights have a pooler. */
  pooled?: Float64Array;
}

export interface ReferenceOptions {
  /** Prefix-tuning keys/values per layer, each [prefixLength * hidden] row-major, attended by every token. */
  prefixes?: ({ key: Float64Array; value: Float64Array; length: number } | undefined)[];
}

/** erf(x): Maclaurin series for |x| < 2.5, else 1 - erfc(x) with erfc's continued fraction (Abramowitz & Stegun 7.1.5, 7.1.14). */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // erf(x) = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1))
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 100; n++) {
      term *= -(ax * ax) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * sum * 2 / Math.sqrt(Math.PI);
  }
  // erfc(x) = e^(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
  let fraction = ax;
  for (let n = 80; n >= 1; n--) fraction = ax + (n / 2) / fraction;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / fraction;
  return Math.sign(x) * (1 - erfc);
}

export function act(value: number, kind: HiddenAct): number {
  switch (kind) {
    case 'gelu': return 0.5 * value * (1 + erf(value / Math.SQRT2));
    case 'gelu_new': return 0.5 * value * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (value + 0.044715 * value ** 3)));
    case 'quick_gelu': return value / (1 + Math.exp(-1.702 * value));
    case 'relu': return value > 0 ? value : 0;
    case 'silu': return value / (1 + Math.exp(-value));
  }
}

/** Reads tensors by canonical name as float64. */
function reader(weights: HostWeights) {
  return (name: string): Float64Array => {
    const t = weights.get(name);
    if (!t) throw new Error(`referenceForward: weights lack "${name}"`);
    return Float64Array.from(t.data);
  };
}

/** out[r, o] = Σ_i input[r, i] · W[o, i] + b[o] for rows r; W is [outputs, inputs] row-major. */
export function dense(input: Float64Array, rows: number, inputs: number, w: Float64Array, b: Float64Array, outputs: number): Float64Array {
  const out = new Float64Array(rows * outputs);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outputs; o++) {
      let acc = b[o];
      for (let i = 0; i < inputs; i++) acc += input[r * inputs + i] * w[o * inputs + i];
      out[r * outputs + o] = acc;
    }
  }
  return out;
}

/** Per row: (v - mean) / sqrt(biased variance + eps) · gamma + beta. */
export function normalise(input: Float64Array, rows: number, width: number, gamma: Float64Array, beta: Float64Array, eps: number): Float64Array {
  const out = new Float64Array(rows * width);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let i = 0; i < width; i++) mean += input[r * width + i];
    mean /= width;
    let variance = 0;
    for (let i = 0; i < width; i++) variance += (input[r * width + i] - mean) ** 2;
    variance /= width;
    const inv = 1 / Math.sqrt(variance + eps);
    for (let i = 0; i < width; i++) out[r * width + i] = (input[r * width + i] - mean) * inv * gamma[i] + beta[i];
  }
  return out;
}

export function referenceForward(config: EncoderConfig, weights: HostWeights, batch: EncodedBatch, options: ReferenceOptions = {}): ReferenceOutput {
  const w = reader(weights);
  const { batch: B, seq: S } = batch;
  const H = config.hiddenSize;
  const E = config.embeddingSize;
  const heads = config.numHeads;
  const d = H / heads;
  const rows = B * S;

  // Embeddings.
  const word = w('embeddings.word_embeddings.weight');
  const position = w('embeddings.position_embeddings.weight');
  const types = config.typeVocabSize > 0 ? w('embeddings.token_type_embeddings.weight') : undefined;
  const summed = new Float64Array(rows * E);
  for (let b = 0; b < B; b++) {
    let realTokens = 0;
    for (let s = 0; s < S; s++) {
      const r = b * S + s;
      const id = batch.inputIds[r];
      let pos = s;
      if (config.family === 'roberta') {
        const paddingIdx = config.padTokenId;
        pos = id === paddingIdx ? paddingIdx : paddingIdx + 1 + realTokens++;
      }
      for (let i = 0; i < E; i++) {
        let v = word[id * E + i] + position[pos * E + i];
        if (types) v += types[batch.tokenTypeIds[r] * E + i];
        summed[r * E + i] = v;
      }
    }
  }
  let x = normalise(summed, rows, E, w('embeddings.LayerNorm.weight'), w('embeddings.LayerNorm.bias'), config.layerNormEps);
  if (E !== H) x = dense(x, rows, E, w('embeddings_project.weight'), w('embeddings_project.bias'), H);

  for (let l = 0; l < config.numLayers; l++) {
    const p = (name: string) => w(`encoder.layer.${l}.${name}`);
    const q = dense(x, rows, H, p('attention.self.query.weight'), p('attention.self.query.bias'), H);
    const k = dense(x, rows, H, p('attention.self.key.weight'), p('attention.self.key.bias'), H);
    const v = dense(x, rows, H, p('attention.self.value.weight'), p('attention.self.value.bias'), H);
    const prefix = options.prefixes?.[l];
    const P = prefix?.length ?? 0;
    // Key/value row j of sequence b: a prefix row for j < P, else token j - P of the sequence.
    const keyAt = (b: number, j: number, i: number) => (j < P ? prefix!.key[j * H + i] : k[(b * S + j - P) * H + i]);
    const valueAt = (b: number, j: number, i: number) => (j < P ? prefix!.value[j * H + i] : v[(b * S + j - P) * H + i]);
    const visible = (b: number, j: number) => j < P || batch.attentionMask[b * S + j - P] === 1;

    const context = new Float64Array(rows * H);
    const weightsRow = new Float64Array(P + S);
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < heads; h++) {
        for (let s = 0; s < S; s++) {
          let max = -Infinity;
          for (let j = 0; j < P + S; j++) {
            if (!visible(b, j)) continue;
            let dot = 0;
            for (let i = 0; i < d; i++) dot += q[(b * S + s) * H + h * d + i] * keyAt(b, j, h * d + i);
            weightsRow[j] = dot / Math.sqrt(d);
            max = Math.max(max, weightsRow[j]);
          }
          let total = 0;
          for (let j = 0; j < P + S; j++) {
            weightsRow[j] = visible(b, j) ? Math.exp(weightsRow[j] - max) : 0;
            total += weightsRow[j];
          }
          for (let i = 0; i < d; i++) {
            let acc = 0;
            for (let j = 0; j < P + S; j++) if (weightsRow[j] !== 0) acc += (weightsRow[j] / total) * valueAt(b, j, h * d + i);
            context[(b * S + s) * H + h * d + i] = acc;
          }
        }
      }
    }
    const attended = dense(context, rows, H, p('attention.output.dense.weight'), p('attention.output.dense.bias'), H);
    for (let i = 0; i < rows * H; i++) attended[i] += x[i];
    const a = normalise(attended, rows, H, p('attention.output.LayerNorm.weight'), p('attention.output.LayerNorm.bias'), config.layerNormEps);

    const I = config.intermediateSize;
    const inner = dense(a, rows, H, p('intermediate.dense.weight'), p('intermediate.dense.bias'), I);
    for (let i = 0; i < rows * I; i++) inner[i] = act(inner[i], config.hiddenAct);
    const ffn = dense(inner, rows, I, p('output.dense.weight'), p('output.dense.bias'), H);
    for (let i = 0; i < rows * H; i++) ffn[i] += a[i];
    x = normalise(ffn, rows, H, p('output.LayerNorm.weight'), p('output.LayerNorm.bias'), config.layerNormEps);
  }

  const firstToken = new Float64Array(B * H);
  for (let b = 0; b < B; b++) firstToken.set(x.subarray(b * S * H, b * S * H + H), b * H);
  const output: ReferenceOutput = { lastHiddenState: x, firstToken };
  if (weights.has('pooler.dense.weight')) {
    output.pooled = dense(firstToken, B, H, w('pooler.dense.weight'), w('pooler.dense.bias'), H).map(Math.tanh);
  }
  return output;
}
