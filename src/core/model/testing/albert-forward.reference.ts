/**
 * Test oracle: AlbertModel's forward (transformers modeling_albert.py, eval mode) written again in float64 loops
 * from config.json and the checkpoint's own tensor names, sharing no code with the tfjs path (nor with
 * encoder-forward.reference.ts, nor with the config reader: AlbertConfig's defaults are spelled out here).
 *
 *   embeddings   e = LN_E(word[id] + position[s] + token_type[t])                         (width embedding_size)
 *   mapping      x = W_in · e + b_in                               (encoder.embedding_hidden_mapping_in)
 *   layers       for i in 0..num_hidden_layers-1: group g = int(i / (num_hidden_layers / num_hidden_groups));
 *                for each of its inner_group_num AlbertLayers:
 *                  a = LN_att(x + dense(softmax(q·kᵀ/√d + mask) · v))                     (attention.LayerNorm)
 *                  x = LN_full(a + ffn_output(act(ffn(a))))                               (full_layer_layer_norm)
 *   pooler       tanh(W_p · x[0] + b_p)                                                   (albert.pooler)
 */
import type { EncodedBatch } from '../tokenizer.ts';

/** Checkpoint tensors by their stored names (e.g. "albert.encoder.albert_layer_groups.0.albert_layers.0.ffn.weight"). */
export type AlbertCheckpoint = ReadonlyMap<string, { shape: number[]; data: ArrayLike<number> }>;

export interface AlbertReferenceOutput {
  /** [batch · seq · hidden] row-major. */
  lastHiddenState: Float64Array;
  /** [batch · hidden], when the checkpoint has albert.pooler. */
  pooled?: Float64Array;
  /** The AlbertLayer (group, inner index) each step of the forward ran, in order. */
  schedule: [group: number, inner: number][];
}

function gelu(x: number): number {
  // erf by its Maclaurin series (|x| < 3) or continued fraction for erfc, to ~1e-15.
  const z = Math.abs(x) / Math.SQRT2;
  let erf: number;
  if (z < 3) {
    let term = z;
    let sum = z;
    for (let n = 1; n < 200 && Math.abs(term) > 1e-18; n++) {
      term *= -(z * z) / n;
      sum += term / (2 * n + 1);
    }
    erf = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    let f = z;
    for (let n = 60; n >= 1; n--) f = z + n / 2 / f;
    erf = 1 - Math.exp(-z * z) / Math.sqrt(Math.PI) / f;
  }
  return 0.5 * x * (1 + Math.sign(x) * erf);
}

/** ACT2FN of the activations ALBERT configs name. */
function activation(name: string): (x: number) => number {
  switch (name) {
    case 'gelu_new': case 'gelu_pytorch_tanh': case 'gelu_fast':
      return (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    case 'gelu': return gelu;
    case 'relu': return (x) => Math.max(0, x);
    case 'silu': case 'swish': return (x) => x / (1 + Math.exp(-x));
    default: throw new Error(`albert reference: activation ${name}`);
  }
}

export function albertReferenceForward(configJson: Record<string, unknown>, checkpoint: AlbertCheckpoint, batch: EncodedBatch): AlbertReferenceOutput {
  const field = (key: string, fallback: number | string) => (configJson[key] ?? fallback) as number & string;
  // AlbertConfig.__init__ defaults.
  const H: number = field('hidden_size', 4096);
  const E: number = field('embedding_size', 128);
  const layers: number = field('num_hidden_layers', 12);
  const groups: number = field('num_hidden_groups', 1);
  const inner: number = field('inner_group_num', 1);
  const heads: number = field('num_attention_heads', 64);
  const I: number = field('intermediate_size', 16384);
  const eps: number = field('layer_norm_eps', 1e-12);
  const act = activation(field('hidden_act', 'gelu_new'));
  const d = H / heads;
  const { batch: B, seq: S } = batch;
  const rows = B * S;

  // The checkpoint may keep the base model under "albert." (task models) or bare (AlbertModel.save_pretrained).
  const prefix = checkpoint.has('albert.embeddings.word_embeddings.weight') ? 'albert.' : '';
  const t = (name: string): Float64Array => {
    const found = checkpoint.get(prefix + name);
    if (!found) throw new Error(`albert reference: checkpoint lacks ${prefix}${name}`);
    return Float64Array.from(found.data);
  };
  const linear = (x: Float64Array, inputs: number, name: string, outputs: number): Float64Array => {
    const w = t(`${name}.weight`);
    const b = t(`${name}.bias`);
    const y = new Float64Array((x.length / inputs) * outputs);
    for (let r = 0; r < x.length / inputs; r++) {
      for (let o = 0; o < outputs; o++) {
        let acc = b[o];
        for (let i = 0; i < inputs; i++) acc += x[r * inputs + i] * w[o * inputs + i];
        y[r * outputs + o] = acc;
      }
    }
    return y;
  };
  const layerNorm = (x: Float64Array, width: number, name: string): Float64Array => {
    const gamma = t(`${name}.weight`);
    const beta = t(`${name}.bias`);
    const y = new Float64Array(x.length);
    for (let r = 0; r < x.length / width; r++) {
      const row = x.subarray(r * width, (r + 1) * width);
      const mean = row.reduce((a, v) => a + v, 0) / width;
      const variance = row.reduce((a, v) => a + (v - mean) ** 2, 0) / width;
      for (let i = 0; i < width; i++) y[r * width + i] = ((row[i] - mean) / Math.sqrt(variance + eps)) * gamma[i] + beta[i];
    }
    return y;
  };

  const word = t('embeddings.word_embeddings.weight');
  const position = t('embeddings.position_embeddings.weight');
  const tokenType = t('embeddings.token_type_embeddings.weight');
  const summed = new Float64Array(rows * E);
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < S; s++) {
      const r = b * S + s;
      for (let i = 0; i < E; i++) summed[r * E + i] = word[batch.inputIds[r] * E + i] + position[s * E + i] + tokenType[batch.tokenTypeIds[r] * E + i];
    }
  }
  let x = linear(layerNorm(summed, E, 'embeddings.LayerNorm'), E, 'encoder.embedding_hidden_mapping_in', H);

  const schedule: [number, number][] = [];
  for (let i = 0; i < layers; i++) {
    const group = Math.trunc(i / (layers / groups));
    for (let j = 0; j < inner; j++) {
      schedule.push([group, j]);
      const p = `encoder.albert_layer_groups.${group}.albert_layers.${j}`;
      const q = linear(x, H, `${p}.attention.query`, H);
      const k = linear(x, H, `${p}.attention.key`, H);
      const v = linear(x, H, `${p}.attention.value`, H);
      const context = new Float64Array(rows * H);
      const weights = new Float64Array(S);
      for (let b = 0; b < B; b++) {
        for (let h = 0; h < heads; h++) {
          for (let s = 0; s < S; s++) {
            let max = -Infinity;
            for (let key = 0; key < S; key++) {
              if (batch.attentionMask[b * S + key] !== 1) continue;
              let dot = 0;
              for (let c = 0; c < d; c++) dot += q[(b * S + s) * H + h * d + c] * k[(b * S + key) * H + h * d + c];
              weights[key] = dot / Math.sqrt(d);
              max = Math.max(max, weights[key]);
            }
            let total = 0;
            for (let key = 0; key < S; key++) {
              weights[key] = batch.attentionMask[b * S + key] === 1 ? Math.exp(weights[key] - max) : 0;
              total += weights[key];
            }
            for (let c = 0; c < d; c++) {
              let acc = 0;
              for (let key = 0; key < S; key++) acc += (weights[key] / total) * v[(b * S + key) * H + h * d + c];
              context[(b * S + s) * H + h * d + c] = acc;
            }
          }
        }
      }
      const attended = linear(context, H, `${p}.attention.dense`, H).map((value, n) => value + x[n]);
      const a = layerNorm(attended, H, `${p}.attention.LayerNorm`);
      const ffn = linear(linear(a, H, `${p}.ffn`, I).map(act), I, `${p}.ffn_output`, H).map((value, n) => value + a[n]);
      x = layerNorm(ffn, H, `${p}.full_layer_layer_norm`);
    }
  }

  const output: AlbertReferenceOutput = { lastHiddenState: x, schedule };
  if (checkpoint.has(`${prefix}pooler.weight`)) {
    const first = new Float64Array(B * H);
    for (let b = 0; b < B; b++) first.set(x.subarray(b * S * H, b * S * H + H), b * H);
    output.pooled = linear(first, H, 'pooler', H).map(Math.tanh);
  }
  return output;
}
