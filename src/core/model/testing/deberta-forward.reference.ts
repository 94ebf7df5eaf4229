/**
 * Test oracle: DeBERTa (v1, transformers' modeling_deberta.py and the `adapters` library's
 * models/deberta/modeling_deberta.py) written again from the formulas in float64 loops, sharing no code with
 * the tfjs path. It reads config.json and the checkpoint's own tensor names itself (no EncoderConfig, no renames).
 *
 *   embeddings  e = LN(word (+ position, when position_biased_input) (+ type)) (embed_proj first when narrower) · mask
 *   attention   [q|k|v per head] = in_proj(x) (no bias; output o is head ⌊o/3d⌋, part ⌊(o mod 3d)/d⌋); q += q_bias, v += v_bias
 *               s = sqrt(d · (1 + len(pos_att_type))); A_ij = q_i·k_j/s + c2p_ij + p2c_ij
 *               span = min(seq, max_relative_positions), R = rel_embeddings[mrp - span, mrp + span), δ = clamp(i - j + span, 0, 2span - 1)
 *               c2p_ij = q_i/s · pos_proj(R)_δ;  p2c_ij = k_j · pos_q_proj(R)_δ / s
 *               mask: token j visible to row i when mask_i · mask_j (get_attention_mask), masked scores set to the float
 *               minimum before the softmax (the `adapters` library's DisentangledSelfAttention and transformers since its
 *               DeBERTa rewrite), so a padded row with no prefix spreads evenly over all keys (old XSoftmax zeroed such
 *               rows; only sequence-mean gates read them)
 *   prefix      prefix keys/values in front of the keys, visible to every row, with no relative term (the library pads rel_att)
 *   layer       a = LN(x + W_o·ctx + b_o); y = LN(a + W_2·act(W_1·a + b_1) + b_2)   (DebertaLayerNorm: eps inside the root)
 *   pooler      ContextPooler: pooler_hidden_act(dense(y[:, 0]))
 */
import type { EncodedBatch } from '../tokenizer.ts';
import { act, dense, normalise } from './encoder-forward.reference.ts';

type Json = Record<string, unknown>;

/** Float64 matrix: rows × cols, row-major. */
export interface RefMat { rows: number; cols: number; v: Float64Array }

/** Prefix keys and values of one layer: value at (sequence b, prefix row j, hidden column i). */
export interface RefPrefix {
  length: number;
  key(b: number, j: number, i: number): number;
  value(b: number, j: number, i: number): number;
}

/** Where adapters change the forward, in float64 (adapter-forward.reference.ts builds these from an adapter). */
export interface DebertaReferenceHooks {
  /** Prompt tuning: new embeddings with `added` leading positions (always visible); `seq` is the new length. */
  embeddings?(x: RefMat, seq: number): { x: RefMat; seq: number; added: number };
  /** The output `y` of a Linear given its input (in_proj's fused output in the checkpoint's column order). */
  linear?(l: number, target: 'in_proj' | 'intermediate' | 'output', input: RefMat, y: RefMat, seq: number): RefMat;
  prefix?(l: number, input: RefMat, seq: number): RefPrefix | undefined;
  /** Closes a sub-block: h is the sub-layer output, res its input; default ln(h + res). */
  close?(l: number, location: 'mh_adapter' | 'output_adapter', h: RefMat, res: RefMat, ln: (m: RefMat) => RefMat, seq: number): RefMat;
}

export interface DebertaReferenceOutput {
  /** [batch · seq' · hidden] (seq' includes prompt positions). */
  lastHiddenState: Float64Array;
  seq: number;
  /** [batch · hidden] position 0. */
  firstToken: Float64Array;
  /** [batch · hidden] ContextPooler output, when the checkpoint has pooler.dense. */
  pooled?: Float64Array;
}

/** DebertaConfig's class defaults (configuration_deberta.py) for missing keys. */
function read(json: Json) {
  const num = (key: string, fallback: number) => (typeof json[key] === 'number' ? (json[key] as number) : fallback);
  const hidden = num('hidden_size', 768);
  const maxPositions = num('max_position_embeddings', 512);
  const rawTypes = json.pos_att_type ?? null;
  const posAttType = rawTypes === null ? [] : typeof rawTypes === 'string' ? rawTypes.toLowerCase().split('|').map((t) => t.trim()) : (rawTypes as string[]);
  const mrp = num('max_relative_positions', -1);
  if (json.talking_head === true) throw new Error('deberta reference: talking_head is not written here');
  return {
    hidden,
    layers: num('num_hidden_layers', 12),
    heads: num('num_attention_heads', 12),
    intermediate: num('intermediate_size', 3072),
    act: (json.hidden_act ?? 'gelu') as 'gelu',
    eps: num('layer_norm_eps', 1e-7),
    typeVocab: num('type_vocab_size', 0),
    embedding: num('embedding_size', hidden),
    relative: json.relative_attention === true,
    maxRelative: mrp < 1 ? maxPositions : mrp,
    positionBiased: json.position_biased_input !== false,
    posAttType,
    poolerAct: (json.pooler_hidden_act ?? 'gelu') as 'gelu',
  };
}

/**
 * `tensor(name)` returns a checkpoint tensor by its full name, e.g. "deberta.encoder.layer.0.attention.self.in_proj.weight"
 * (`prefix` "deberta." for task checkpoints, "" for a bare DebertaModel), or undefined when absent.
 */
export function debertaReferenceForward(
  configJson: Json, tensor: (name: string) => ArrayLike<number> | undefined, prefix: string, batch: EncodedBatch, hooks: DebertaReferenceHooks = {},
): DebertaReferenceOutput {
  const c = read(configJson);
  const get = (name: string): Float64Array => {
    const t = tensor(name);
    if (!t) throw new Error(`deberta reference: checkpoint lacks ${name}`);
    return Float64Array.from(t);
  };
  const w = (name: string) => get(`${prefix}${name}`);
  const H = c.hidden;
  const d = H / c.heads;
  const B = batch.batch;
  const S0 = batch.seq;
  const zeros = (n: number) => new Float64Array(n);
  const ln = (m: RefMat, name: string): RefMat => ({ rows: m.rows, cols: m.cols, v: normalise(m.v, m.rows, m.cols, w(`${name}.weight`), w(`${name}.bias`), c.eps) });
  const linear = (m: RefMat, name: string, outputs: number, bias: boolean): RefMat =>
    ({ rows: m.rows, cols: outputs, v: dense(m.v, m.rows, m.cols, w(`${name}.weight`), bias ? w(`${name}.bias`) : zeros(outputs), outputs) });

  // Embeddings.
  const E = c.embedding;
  const word = w('embeddings.word_embeddings.weight');
  const position = c.positionBiased ? w('embeddings.position_embeddings.weight') : undefined;
  const types = c.typeVocab > 0 ? w('embeddings.token_type_embeddings.weight') : undefined;
  let x: RefMat = { rows: B * S0, cols: E, v: new Float64Array(B * S0 * E) };
  for (let r = 0; r < B * S0; r++) {
    const s = r % S0;
    for (let i = 0; i < E; i++) {
      let v = word[batch.inputIds[r] * E + i];
      if (position) v += position[s * E + i];
      if (types) v += types[batch.tokenTypeIds[r] * E + i];
      x.v[r * E + i] = v;
    }
  }
  if (E !== H) x = linear(x, 'embeddings.embed_proj', H, false);
  x = ln(x, 'embeddings.LayerNorm');
  for (let r = 0; r < B * S0; r++) if (batch.attentionMask[r] === 0) x.v.fill(0, r * H, (r + 1) * H);

  let S = S0;
  let added = 0;
  if (hooks.embeddings) ({ x, seq: S, added } = hooks.embeddings(x, S0));
  const real = (b: number, s: number) => s < added || batch.attentionMask[b * S0 + s - added] === 1;

  const scaleFactor = 1 + c.posAttType.length;
  const scale = Math.sqrt(d * scaleFactor);
  const span = Math.min(S, c.maxRelative);
  const rel = c.relative ? get(`${prefix}encoder.rel_embeddings.weight`) : undefined;
  // Rows mrp - span .. mrp + span - 1 of the relative embedding table.
  const window: RefMat | undefined = rel && { rows: 2 * span, cols: H, v: rel.slice((c.maxRelative - span) * H, (c.maxRelative + span) * H) };
  const delta = (i: number, j: number) => Math.min(Math.max(i - j + span, 0), 2 * span - 1);

  for (let l = 0; l < c.layers; l++) {
    const p = `encoder.layer.${l}.`;
    let qkv = linear(x, `${p}attention.self.in_proj`, 3 * H, false);
    if (hooks.linear) qkv = hooks.linear(l, 'in_proj', x, qkv, S);
    const qBias = w(`${p}attention.self.q_bias`);
    const vBias = w(`${p}attention.self.v_bias`);
    // Head h, column i of q / k / v at token row r.
    const q = (r: number, h: number, i: number) => qkv.v[r * 3 * H + h * 3 * d + i] + qBias[h * d + i];
    const k = (r: number, h: number, i: number) => qkv.v[r * 3 * H + h * 3 * d + d + i];
    const v = (r: number, h: number, i: number) => qkv.v[r * 3 * H + h * 3 * d + 2 * d + i] + vBias[h * d + i];
    const c2p = c.relative && c.posAttType.includes('c2p') ? linear(window!, `${p}attention.self.pos_proj`, H, false) : undefined;
    const p2c = c.relative && c.posAttType.includes('p2c') ? linear(window!, `${p}attention.self.pos_q_proj`, H, true) : undefined;
    const prefix_ = hooks.prefix?.(l, x, S);
    const P = prefix_?.length ?? 0;

    const context: RefMat = { rows: B * S, cols: H, v: new Float64Array(B * S * H) };
    const probs = new Float64Array(P + S);
    for (let b = 0; b < B; b++) for (let h = 0; h < c.heads; h++) for (let i = 0; i < S; i++) {
      const ri = b * S + i;
      let max = -Infinity;
      // get_attention_mask's mask_i · mask_j, with prefix_attention_mask's prompt rows and columns of ones.
      const visible = (j: number) => j < P || (real(b, j - P) && (real(b, i) || j - P < added));
      // Every key masked (a padded query without prefix or prompt): masked_fill gives all scores the same minimum.
      if (P === 0 && added === 0 && !real(b, i)) {
        for (let t = 0; t < d; t++) {
          let acc = 0;
          for (let j = 0; j < S; j++) acc += v(b * S + j, h, t) / S;
          context.v[ri * H + h * d + t] = acc;
        }
        continue;
      }
      for (let j = 0; j < P + S; j++) {
        if (!visible(j)) continue;
        let score = 0;
        if (j < P) {
          for (let t = 0; t < d; t++) score += q(ri, h, t) * prefix_!.key(b, j, h * d + t);
          score /= scale;
        } else {
          const rj = b * S + j - P;
          for (let t = 0; t < d; t++) score += q(ri, h, t) * k(rj, h, t);
          const at = delta(i, j - P);
          if (c2p) for (let t = 0; t < d; t++) score += q(ri, h, t) * c2p.v[at * H + h * d + t];
          if (p2c) for (let t = 0; t < d; t++) score += k(rj, h, t) * p2c.v[at * H + h * d + t];
          score /= scale;
        }
        probs[j] = score;
        max = Math.max(max, score);
      }
      let total = 0;
      for (let j = 0; j < P + S; j++) { probs[j] = visible(j) ? Math.exp(probs[j] - max) : 0; total += probs[j]; }
      for (let t = 0; t < d; t++) {
        let acc = 0;
        for (let j = 0; j < P + S; j++) {
          if (!probs[j]) continue;
          acc += (probs[j] / total) * (j < P ? prefix_!.value(b, j, h * d + t) : v(b * S + j - P, h, t));
        }
        context.v[ri * H + h * d + t] = acc;
      }
    }
    const close = (location: 'mh_adapter' | 'output_adapter', h: RefMat, res: RefMat, norm: string) => {
      const lnFn = (m: RefMat) => ln(m, norm);
      return hooks.close ? hooks.close(l, location, h, res, lnFn, S) : lnFn({ rows: h.rows, cols: h.cols, v: h.v.map((value, i) => value + res.v[i]) });
    };
    const a = close('mh_adapter', linear(context, `${p}attention.output.dense`, H, true), x, `${p}attention.output.LayerNorm`);
    let inner = linear(a, `${p}intermediate.dense`, c.intermediate, true);
    if (hooks.linear) inner = hooks.linear(l, 'intermediate', a, inner, S);
    const activated: RefMat = { rows: inner.rows, cols: inner.cols, v: inner.v.map((value) => act(value, c.act)) };
    let out = linear(activated, `${p}output.dense`, H, true);
    if (hooks.linear) out = hooks.linear(l, 'output', activated, out, S);
    x = close('output_adapter', out, a, `${p}output.LayerNorm`);
  }

  const firstToken = new Float64Array(B * H);
  for (let b = 0; b < B; b++) firstToken.set(x.v.subarray(b * S * H, b * S * H + H), b * H);
  const result: DebertaReferenceOutput = { lastHiddenState: x.v, seq: S, firstToken };
  if (tensor('pooler.dense.weight')) {
    result.pooled = dense(firstToken, B, H, get('pooler.dense.weight'), get('pooler.dense.bias'), H).map((value) => act(value, c.poolerAct));
  }
  return result;
}
