/**
 * Test oracle: an encoder with adapters written again from the `adapters` library's formulas in float64
 * loops, sharing no code with the implementation (parameter keys are spelled out here again from the
 * library's module paths). Inference mode (no dropout). Tiny models only.
 *
 *   embeddings  e = LN(word + position (+ type)); prompt tuning: [prompt; e] (or after the first token)
 *               (DeBERTa-v2: model/testing/deberta-v2-forward.reference.ts's embeddings, then the prompt)
 *   attention   q, k, v = Linear(x) (+ LoRA (alpha/r)·B·A·x | IA3 ⊙ alpha·l); prefix keys/values first
 *               DeBERTa-v2 (the library's DisentangledSelfAttentionWithAdapters): c2p / p2c terms on the sequence's
 *               own keys only (prefix keys get none), positions over the prompt-extended sequence; with
 *               share_att_key the relative rows go through the LoRA-wrapped key_proj / query_proj too; a padded
 *               query row with no prefix is even over all keys (get_attention_mask's mask_i · mask_j, masked_fill)
 *   bottleneck  Adapter.pre_forward / forward / post_forward, ParallelAdapter (modeling.py), spelled out per row
 *   fusion      compose_fuse + BertFusion: per token, softmax over the adapters of query · key, weighted values
 *   head        [Linear, tanh, Linear] on token 0; losses cross-entropy / MSE / BCE-with-logits
 *   DeBERTa v1  the same formulas at DeBERTa's insertion points (referenceDebertaAdapterForward); LoRA / IA3 on the fused
 *               in_proj as LoRAMergedLinear: the out_features in thirds q | k | v (lora_ind), one A/B block per enabled third
  *   ALBERT      modules numbered as iter_layers (group g, inner j → g · inner_group_num + j), each run at every layer
 *               i of group int(i / (num_hidden_layers / num_hidden_groups)) with its adapters (mixin_albert.py paths)
 */
import type { EncoderConfig } from '../../model/config.ts';
import { type RefPrefix, debertaReferenceForward } from '../../model/testing/deberta-forward.reference.ts';
import { referenceDebertaEmbeddings, referencePositionScore, referenceRelativeRows } from '../../model/testing/deberta-v2-forward.reference.ts';
import { erf } from '../../model/testing/encoder-forward.reference.ts';
import type { EncodedBatch } from '../../model/tokenizer.ts';
import type { HostWeights } from '../../model/weights.ts';
import type { AdapterConfig, AdapterMethodConfig, BnConfig, LoRAConfig, PrefixTuningConfig, PromptTuningConfig } from '../config.ts';
import type { FusionConfig } from '../methods/fusion.ts';

/** Float64 matrix: rows × cols, row-major (with the loops below, shared by the composition oracle). */
export interface Mat { rows: number; cols: number; v: Float64Array }

export const mat = (rows: number, cols: number): Mat => ({ rows, cols, v: new Float64Array(rows * cols) });

export function actRef(name: string, x: number): number {
  switch (name.toLowerCase()) {
    case 'relu': return Math.max(0, x);
    case 'relu6': return Math.min(6, Math.max(0, x));
    case 'gelu': case 'gelu_python': return 0.5 * x * (1 + erf(x / Math.SQRT2));
    case 'gelu_new': case 'gelu_fast': case 'gelu_pytorch_tanh': return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
    case 'quick_gelu': return x / (1 + Math.exp(-1.702 * x));
    case 'swish': case 'silu': return x / (1 + Math.exp(-x));
    case 'tanh': return Math.tanh(x);
    case 'sigmoid': return 1 / (1 + Math.exp(-x));
    case 'leakyrelu': case 'leaky_relu': return x > 0 ? x : 0.01 * x;
    case 'mish': return x * Math.tanh(Math.log1p(Math.exp(x)));
    case 'linear': return x;
    default: throw new Error(`reference: activation ${name}`);
  }
}

/** y = x · Wᵀ + b with W [out, in]. */
export function dense(x: Mat, w: Float64Array, b: Float64Array | undefined, out: number): Mat {
  const y = mat(x.rows, out);
  for (let r = 0; r < x.rows; r++) {
    for (let o = 0; o < out; o++) {
      let acc = b ? b[o] : 0;
      for (let i = 0; i < x.cols; i++) acc += x.v[r * x.cols + i] * w[o * x.cols + i];
      y.v[r * out + o] = acc;
    }
  }
  return y;
}

export function norm(x: Mat, gamma: Float64Array, beta: Float64Array, eps: number): Mat {
  const y = mat(x.rows, x.cols);
  for (let r = 0; r < x.rows; r++) {
    let mean = 0;
    for (let i = 0; i < x.cols; i++) mean += x.v[r * x.cols + i];
    mean /= x.cols;
    let variance = 0;
    for (let i = 0; i < x.cols; i++) variance += (x.v[r * x.cols + i] - mean) ** 2;
    variance /= x.cols;
    for (let i = 0; i < x.cols; i++) y.v[r * x.cols + i] = ((x.v[r * x.cols + i] - mean) / Math.sqrt(variance + eps)) * gamma[i] + beta[i];
  }
  return y;
}

export const add = (a: Mat, b: Mat): Mat => ({ rows: a.rows, cols: a.cols, v: a.v.map((x, i) => x + b.v[i]) });
export const map = (a: Mat, f: (x: number, i: number) => number): Mat => ({ rows: a.rows, cols: a.cols, v: a.v.map(f) });

/** Per sequence: mean over its `seq` rows of sigmoid(x · wᵀ + b); [batch, outputs]. */
function gate(x: Mat, seq: number, w: Float64Array, b: Float64Array, outputs: number): Float64Array[] {
  const g = dense(x, w, b, outputs);
  const batches = x.rows / seq;
  return Array.from({ length: batches }, (_, bIdx) => {
    const m = new Float64Array(outputs);
    for (let s = 0; s < seq; s++) for (let o = 0; o < outputs; o++) m[o] += 1 / (1 + Math.exp(-g.v[(bIdx * seq + s) * outputs + o])) / seq;
    return m;
  });
}

export interface ReferenceAdapter {
  name: string;
  config: AdapterConfig;
  /** Adapter and head weights by torch key (float64 values allowed, for finite differences). */
  params: ReadonlyMap<string, { shape: number[]; data: ArrayLike<number> }>;
}

/** AdapterFusion over frozen adapters (compose_fuse, BertFusion), with a head named `headName`. */
export interface ReferenceFusion {
  /** The fused adapters' names joined by ",". */
  name: string;
  config: Pick<FusionConfig, 'query' | 'key' | 'value' | 'query_before_ln' | 'residual_before' | 'value_before_softmax'>;
  /** The fused adapters, in the fusion's order (the last one's pre/post-processing is used). */
  adapters: ReferenceAdapter[];
  /** Fusion-layer and head weights by torch key. */
  params: ReadonlyMap<string, { shape: number[]; data: ArrayLike<number> }>;
  headName: string;
  /** Softmax temperature (default 1). */
  temperature?: number;
}

export interface ReferenceHead {
  kind: 'classification' | 'multilabel' | 'regression';
  numLabels: number;
}

export interface ReferenceResult {
  /** [batch · seq' · hidden] (seq' includes prompt positions). */
  lastHiddenState: Float64Array;
  /** Sequence length after prompt tuning. */
  seq: number;
  /** [batch · hidden] state of position 0. */
  firstToken: Float64Array;
  /** [batch · numLabels] head logits, when a head is given. */
  logits?: Float64Array;
}

/** Bottleneck, LoRA / IA3, prefix and prompt formulas of one adapter, for an encoder oracle to call at its insertion points. */
interface AdapterParts {
  /** Prompt tuning: the embeddings [batch · seq, width] with the prompt inserted, or undefined. */
  prompt(x: Mat, batch: number, seq: number): { x: Mat; seq: number; added: number } | undefined;
  /** y (the Linear's output for `input`) with LoRA / IA3 applied; `seq` is the sequence length (gates average over it). */
  adjust(l: number, target: 'q' | 'k' | 'v' | 'intermediate' | 'output', input: Mat, y: Mat, seq: number): Mat;
  /** LoRAMergedLinear on a fused q/k/v output [rows, 3 · hidden] (DeBERTa's in_proj). */
  adjustFused(l: number, input: Mat, y: Mat, seq: number): Mat;
  /** Prefix keys / values of layer l [batch, P, hidden] as functions, or undefined. */
  prefix(l: number, x: Mat, seq: number): RefPrefix | undefined;
  /** Closes a sub-block: bottleneck adapters, else ln(h + res). */
  close(l: number, location: 'mh_adapter' | 'output_adapter', h: Mat, res: Mat, ln: (m: Mat) => Mat, seq: number): Mat;
  /** The module each layer runs, in order (ALBERT: its group's shared modules; otherwise layer l's own). */
  runs: number[];
  /** Head logits [batch · numLabels] on the first token's states. */
  head(firstToken: Float64Array, batch: number, head: ReferenceHead): Float64Array;
}

function adapterParts(config: EncoderConfig, adapter: ReferenceAdapter | undefined, skip: Set<number>, fusion?: ReferenceFusion): AdapterParts {
  const H = config.hiddenSize;
  const sources = [adapter?.params, fusion?.params, ...(fusion?.adapters.map((a) => a.params) ?? [])].filter((m) => m !== undefined);
  const has = (key: string) => sources.some((m) => m.has(key));
  const p = (key: string) => { const t = sources.find((m) => m.has(key))?.get(key); if (!t) throw new Error(`reference: adapter lacks ${key}`); return Float64Array.from(t.data); };
  const name = fusion?.headName ?? adapter?.name ?? '';
  const methods: AdapterMethodConfig[] = !adapter ? [] : 'architecture' in adapter.config && adapter.config.architecture === 'union' ? adapter.config.configs : [adapter.config as AdapterMethodConfig];
  const bottlenecks = (c: AdapterConfig) => ('architecture' in c && c.architecture === 'union' ? c.configs : [c as AdapterMethodConfig]).filter((m) => !('architecture' in m)) as BnConfig[];
  const bn = methods.filter((m) => !('architecture' in m)) as BnConfig[];
  const loraConfig = methods.find((m) => 'architecture' in m && m.architecture === 'lora') as LoRAConfig | undefined;
  const prefixConfig = methods.find((m) => 'architecture' in m && m.architecture === 'prefix_tuning') as PrefixTuningConfig | undefined;
  const promptConfig = methods.find((m) => 'architecture' in m && m.architecture === 'prompt_tuning') as PromptTuningConfig | undefined;
  const distil = config.family === 'distilbert';
  const albert = config.family === 'albert';
  const base = config.weightPrefix;
  // ALBERT: num_hidden_groups groups of inner_group_num modules; every other family one module a layer.
  const groups = albert ? config.layerSharing!.numHiddenGroups : config.numLayers;
  const inner = albert ? config.layerSharing!.innerGroupNum : 1;
  const modules = groups * inner;
  const runs: number[] = [];
  for (let i = 0; i < config.numLayers; i++) for (let j = 0; j < inner; j++) runs.push(Math.trunc(i / (config.numLayers / groups)) * inner + j);
  const layerKey = (l: number) => (distil ? `${base}.transformer.layer.${l}`
    : albert ? `${base}.encoder.albert_layer_groups.${Math.floor(l / inner)}.albert_layers.${l % inner}` : `${base}.encoder.layer.${l}`);

  // LoRA / IA3 around a Linear of layer l.
  const loraPath: Record<string, string> = distil
    ? { q: 'attention.q_lin', k: 'attention.k_lin', v: 'attention.v_lin', intermediate: 'ffn.lin1', output: 'ffn.lin2' }
    : albert ? { q: 'attention.query', k: 'attention.key', v: 'attention.value', intermediate: 'ffn', output: 'ffn_output' }
    : config.disentangled
      ? { q: 'attention.self.query_proj', k: 'attention.self.key_proj', v: 'attention.self.value_proj', intermediate: 'intermediate.dense', output: 'output.dense' }
      : { q: 'attention.self.query', k: 'attention.self.key', v: 'attention.self.value', intermediate: 'intermediate.dense', output: 'output.dense' };
  const adjust = (l: number, target: string, input: Mat, y: Mat, S: number): Mat => {
    const out = y.cols;
    const c = loraConfig;
    if (!c || skip.has(l) || c.leave_out.includes(l)) return y;
    const enabled = target === 'intermediate' ? c.intermediate_lora : target === 'output' ? c.output_lora : c.selfattn_lora && c.attn_matrices.includes(target as 'q');
    if (!enabled) return y;
    const key = `${layerKey(l)}.${loraPath[target]}.loras.${name}`;
    const g = c.use_gating ? gate(input, S, p(`${key}.gate.weight`), p(`${key}.gate.bias`), 1) : undefined;
    const lB = p(`${key}.lora_B`);
    if (c.composition_mode === 'scale') {
      return map(y, (v, i) => {
        const row = Math.floor(i / out);
        const factor = g ? g[Math.floor(row / S)][0] : c.alpha;
        return v * lB[i % out] * factor;
      });
    }
    const lA = p(`${key}.lora_A`);
    const low = dense(input, lA, undefined, c.r);
    const delta = dense(low, lB, undefined, out);
    return map(y, (v, i) => {
      const row = Math.floor(i / out);
      return v + delta.v[i] * (g ? g[Math.floor(row / S)][0] : c.alpha / c.r);
    });
  };

  // methods/lora.py LoRAMergedLinear: lora_ind splits the fused out_features into thirds q | k | v; enabled third t
  // (the g-th of attn_matrices) gets B_g A_g x (lora_A rows g·r.., lora_B rows g·H..) · scaling, or IA3's lora_B_g · scaling;
  // IA3 multiplies the other thirds by the fill (1) times the scaling (alpha; a gate pads with 1).
  const adjustFused = (l: number, input: Mat, y: Mat, S: number): Mat => {
    const c = loraConfig;
    if (!c?.selfattn_lora || skip.has(l) || c.leave_out.includes(l)) return y;
    const parts = (['q', 'k', 'v'] as const).filter((m) => c.attn_matrices.includes(m));
    if (!parts.length) return y;
    const key = `${layerKey(l)}.attention.self.in_proj.loras.${name}`;
    const n = parts.length;
    const g = c.use_gating ? gate(input, S, p(`${key}.gate.weight`), p(`${key}.gate.bias`), n) : undefined;
    const lB = p(`${key}.lora_B`);
    const groupOf = (column: number) => parts.indexOf((['q', 'k', 'v'] as const)[Math.floor(column / H)]);
    if (c.composition_mode === 'scale') {
      return map(y, (v, i) => {
        const row = Math.floor(i / (3 * H));
        const column = i % (3 * H);
        const group = groupOf(column);
        const scaling = g ? (group < 0 ? 1 : g[Math.floor(row / S)][group]) : c.alpha;
        return v * (group < 0 ? 1 : lB[group * H + (column % H)]) * scaling;
      });
    }
    const low = dense(input, p(`${key}.lora_A`), undefined, n * c.r);
    return map(y, (v, i) => {
      const row = Math.floor(i / (3 * H));
      const column = i % (3 * H);
      const group = groupOf(column);
      if (group < 0) return v;
      let acc = 0;
      for (let k = 0; k < c.r; k++) acc += low.v[row * n * c.r + group * c.r + k] * lB[(group * H + (column % H)) * c.r + k];
      return v + acc * (g ? g[Math.floor(row / S)][group] : c.alpha / c.r);
    });
  };

  // Prefix states: [P · width] rows of all layers' keys and values.
  const prefixLayers = prefixConfig ? Array.from({ length: modules }, (_, l) => l).filter((l) => !prefixConfig.leave_out.includes(l)) : [];
  let prefixStates: Float64Array | undefined;
  if (prefixConfig) {
    const P = prefixConfig.prefix_length;
    const width = prefixLayers.length * 2 * H;
    const pool = `${base}.prefix_tuning.prefix_tunings.${name}.${distil ? 'self' : 'self_prefix'}`;
    if (prefixConfig.flat) prefixStates = p(`${pool}.control_trans`);
    else {
      const wte: Mat = { rows: P, cols: H, v: p(`${pool}.wte.weight`) };
      const hidden = map(dense(wte, p(`${pool}.control_trans.0.weight`), p(`${pool}.control_trans.0.bias`), prefixConfig.bottleneck_size), (v) => actRef(prefixConfig.non_linearity, v));
      prefixStates = dense(hidden, p(`${pool}.control_trans.2.weight`), p(`${pool}.control_trans.2.bias`), width).v;
    }
  }
  const prefix = (l: number, x: Mat, S: number): RefPrefix | undefined => {
    const prefixIndex = prefixLayers.indexOf(l);
    if (prefixIndex < 0 || skip.has(l)) return undefined;
    const P = prefixConfig!.prefix_length;
    let gk: number[] = [];
    let gv: number[] = [];
    if (prefixConfig!.use_gating) {
      const gkey = distil || albert ? `${layerKey(l)}.attention.prefix_tuning.prefix_gates.${name}` : `${layerKey(l)}.attention.self.prefix_tuning.prefix_gates.${name}`;
      const outputs = prefixConfig!.shared_gating ? 1 : 2;
      const g = gate(x, S, p(`${gkey}.weight`), p(`${gkey}.bias`), outputs);
      gk = g.map((row) => row[0]);
      gv = g.map((row) => row[outputs - 1]);
    }
    const width = prefixLayers.length * 2 * H;
    // Pool output row t, layer block j, key (0) / value (1): states[t · width + (2j + kv) · H + i].
    return {
      length: P,
      key: (b, j, i) => prefixStates![j * width + 2 * prefixIndex * H + i] * (gk.length ? gk[b] : 1),
      value: (b, j, i) => prefixStates![j * width + (2 * prefixIndex + 1) * H + i] * (gv.length ? gv[b] : 1),
    };
  };

  const prompt = (x: Mat, B: number, S0: number) => {
    if (!promptConfig) return undefined;
    const P = promptConfig.prompt_length;
    const E = x.cols;
    const embedding = p(`${base}.prompt_tuning.prompt_tunings.${name}.prompt_embedding.weight`);
    const y = mat(B * (S0 + P), E);
    for (let b = 0; b < B; b++) {
      for (let s = 0; s < S0 + P; s++) {
        // "prefix": [prompt, tokens]; "prefix_after_bos": [token 0, prompt, tokens 1..].
        const after = promptConfig.combine === 'prefix_after_bos';
        const promptRow = after ? (s >= 1 && s <= P ? s - 1 : -1) : (s < P ? s : -1);
        const tokenRow = promptRow >= 0 ? -1 : after ? (s === 0 ? 0 : s - P) : s - P;
        for (let i = 0; i < E; i++) y.v[(b * (S0 + P) + s) * E + i] = promptRow >= 0 ? embedding[promptRow * E + i] : x.v[(b * S0 + tokenRow) * E + i];
      }
    }
    return { x: y, seq: S0 + P, added: P };
  };

  // Bottleneck adapters closing a sub-block: h = sublayer output, res = sub-block input.
  const bottleneckPath = distil ? { mh_adapter: 'attention_adapters', output_adapter: 'output_adapters' }
    : albert ? { mh_adapter: 'attention.attention_adapters', output_adapter: 'output_adapters' } : { mh_adapter: 'attention.output', output_adapter: 'output' };
  /** The adapter `owner`'s up output scaling · up(act(down(input))) at layer l (its keys under `key`). */
  const bodyOf = (l: number, c: BnConfig, key: string, owner: string) => {
    const linearOrPhm = (local: string, input: Mat, outputs: number): Mat => {
      if (!c.phm_layer) return dense(input, p(`${key}.${local}.weight`), p(`${key}.${local}.bias`), outputs);
      const n = c.phm_dim;
      const shared = `${base}.shared_parameters.${owner}`;
      const position = local.startsWith('adapter_up') ? 'up' : 'down';
      const bmm = (left: Float64Array, right: Float64Array, a: number, r: number, bDim: number) => {
        const out = new Float64Array(n * a * bDim);
        for (let s = 0; s < n; s++) for (let i = 0; i < a; i++) for (let j = 0; j < bDim; j++) {
          let acc = 0;
          for (let k = 0; k < r; k++) acc += left[(s * a + i) * r + k] * right[(s * r + k) * bDim + j];
          out[(s * a + i) * bDim + j] = acc;
        }
        return out;
      };
      const a = input.cols / n;
      const bDim = outputs / n;
      const rule = c.shared_phm_rule
        ? (c.factorized_phm_rule ? bmm(p(`${shared}.phm_rule_left`), p(`${shared}.phm_rule_right`), n, 1, n) : p(`${shared}.phm_rule`))
        : (c.factorized_phm_rule ? bmm(p(`${key}.${local}.phm_rule_left`), p(`${key}.${local}.phm_rule_right`), n, 1, n) : p(`${key}.${local}.phm_rule`));
      const W = c.shared_W_phm
        ? bmm(p(`${shared}.W_${position}_left`), p(`${shared}.W_${position}_right`), a, c.phm_rank, bDim)
        : c.factorized_phm_W ? bmm(p(`${key}.${local}.W_left`), p(`${key}.${local}.W_right`), a, c.phm_rank, bDim) : p(`${key}.${local}.W`);
      // H[i·a + k, j·b + l] = Σ_s rule[s, i, j] · W[s, k, l]; y = x · H + bias.
      const y = mat(input.rows, outputs);
      for (let r = 0; r < input.rows; r++) {
        for (let col = 0; col < outputs; col++) {
          const j = Math.floor(col / bDim);
          const lIdx = col % bDim;
          let acc = c.phm_bias ? p(`${key}.${local}.b`)[col] : 0;
          for (let row = 0; row < input.cols; row++) {
            const i = Math.floor(row / a);
            const k = row % a;
            let hv = 0;
            for (let s = 0; s < n; s++) hv += rule[(s * n + i) * n + j] * W[(s * a + k) * bDim + lIdx];
            acc += input.v[r * input.cols + row] * hv;
          }
          y.v[r * outputs + col] = acc;
        }
      }
      return y;
    };
    const scaleAt = (i: number) => (typeof c.scaling === 'number' ? c.scaling : c.scaling === 'learned' ? p(`${key}.scaling`)[0] : p(`${key}.scaling`)[i % H]);
    const body = (input: Mat): Mat => {
      const normed = c.ln_before ? norm(input, p(`${key}.adapter_norm_before.weight`), p(`${key}.adapter_norm_before.bias`), 1e-5) : input;
      const width = Math.max(1, Math.floor(H / (typeof c.reduction_factor === 'number' ? c.reduction_factor : (c.reduction_factor[String(l)] ?? c.reduction_factor.default))));
      const down = map(linearOrPhm(c.ln_before ? 'adapter_down.1' : 'adapter_down.0', normed, width), (v) => actRef(c.non_linearity, v));
      return map(linearOrPhm('adapter_up', down, H), (v, i) => v * scaleAt(i));
    };
    return body;
  };
  // compose_fuse: the last adapter's pre_forward, each adapter's up output, BertFusion per token, post_forward.
  const fuse = (l: number, location: 'mh_adapter' | 'output_adapter', h: Mat, res: Mat, ln: (m: Mat) => Mat): Mat => {
    const f = fusion!;
    const cs = f.adapters.map((a) => bottlenecks(a.config).find((cfg) => cfg[location] && !cfg.leave_out.includes(l)));
    if (!cs.length || cs.some((c) => !c)) return ln(add(h, res));
    const last = cs[cs.length - 1]!;
    let hidden = h;
    let query = h;
    let residual = h;
    if (last.is_parallel) hidden = query = residual = res;
    else {
      if (last.original_ln_before) {
        hidden = add(h, res);
        if (last.residual_before_ln === 'post_add') residual = hidden;
        hidden = ln(hidden);
      }
      if (last.residual_before_ln === false) residual = hidden;
      if (!f.config.query_before_ln) query = hidden;
    }
    const ups = cs.map((c, i) => {
      const up = bodyOf(l, c!, `${layerKey(l)}.${bottleneckPath[location]}.adapters.${f.adapters[i].name}`, f.adapters[i].name)(hidden);
      return f.config.residual_before ? add(up, residual) : up;
    });
    const key = `${layerKey(l)}.${bottleneckPath[location]}.adapter_fusion_layer.${f.name}`;
    const q = f.config.query ? dense(query, p(`${key}.query.weight`), p(`${key}.query.bias`), H) : query;
    const ks = ups.map((u) => (f.config.key ? dense(u, p(`${key}.key.weight`), p(`${key}.key.bias`), H) : u));
    const vs = ups.map((u) => (f.config.value && f.config.value_before_softmax ? dense(u, p(`${key}.value.weight`), undefined, H) : u));
    const T = f.temperature ?? 1;
    let out = mat(hidden.rows, H);
    for (let r = 0; r < hidden.rows; r++) {
      const scores = ks.map((k) => { let dot = 0; for (let i = 0; i < H; i++) dot += q.v[r * H + i] * k.v[r * H + i]; return dot / T; });
      const max = Math.max(...scores);
      const e = scores.map((x) => Math.exp(x - max));
      const total = e.reduce((a, b) => a + b, 0);
      for (let i = 0; i < H; i++) out.v[r * H + i] = vs.reduce((acc, v, n) => acc + (e[n] / total) * v.v[r * H + i], 0);
    }
    if (f.config.value && !f.config.value_before_softmax) out = dense(out, p(`${key}.value.weight`), undefined, H);
    if (!f.config.residual_before) out = add(out, residual);
    if (last.is_parallel) out = add(out, h);
    return last.original_ln_after ? ln(add(out, res)) : out;
  };
  const close = (l: number, location: 'mh_adapter' | 'output_adapter', h: Mat, res: Mat, ln: (m: Mat) => Mat, S: number): Mat => {
    if (fusion) return fuse(l, location, h, res, ln);
    const c = bn.find((cfg) => cfg[location] && !cfg.leave_out.includes(l));
    if (!c || skip.has(l)) return ln(add(h, res));
    const key = `${layerKey(l)}.${bottleneckPath[location]}.adapters.${name}`;
    const up = bodyOf(l, c, key, name);
    const body = (input: Mat): Mat => {
      if (!c.use_gating) return up(input);
      const g = gate(input, S, p(`${key}.gate.weight`), p(`${key}.gate.bias`), 1);
      return map(up(input), (v, i) => v * g[Math.floor(Math.floor(i / H) / S)][0]);
    };
    const normAfter = (m: Mat) => (c.ln_after ? norm(m, p(`${key}.adapter_norm_after.weight`), p(`${key}.adapter_norm_after.bias`), 1e-5) : m);
    if (c.is_parallel) {
      // ParallelAdapter: input = res; out = normAfter(body(res)) + h; then LN(out + res).
      const out = add(normAfter(body(res)), h);
      return c.original_ln_after ? ln(add(out, res)) : out;
    }
    // Adapter.pre_forward.
    let hidden = h;
    let residual: Mat | undefined = c.residual_before_ln === true ? h : undefined;
    if (c.original_ln_before) {
      hidden = add(h, res);
      if (c.residual_before_ln === 'post_add') residual = hidden;
      hidden = ln(hidden);
    }
    if (c.residual_before_ln === false) residual = hidden;
    // Adapter.forward.
    let out = body(hidden);
    if (c.adapter_residual_before_ln) out = add(out, residual!);
    out = normAfter(out);
    if (!c.adapter_residual_before_ln) out = add(out, residual!);
    // Adapter.post_forward.
    return c.original_ln_after ? ln(add(out, res)) : out;
  };

  const head = (firstToken: Float64Array, B: number, options: ReferenceHead): Float64Array => {
    // [Dropout, Linear(H, H), tanh, Dropout, Linear(H, N)] on token 0.
    const cls: Mat = { rows: B, cols: H, v: firstToken };
    const hidden = map(dense(cls, p(`heads.${name}.1.weight`), p(`heads.${name}.1.bias`), H), Math.tanh);
    return dense(hidden, p(`heads.${name}.4.weight`), has(`heads.${name}.4.bias`) ? p(`heads.${name}.4.bias`) : undefined, options.numLabels).v;
  };

  return { prompt, adjust, adjustFused, prefix, close, runs, head };
}

export function referenceAdapterForward(
  config: EncoderConfig, weights: HostWeights, batch: EncodedBatch, adapter?: ReferenceAdapter, options: { skipLayers?: number[]; head?: ReferenceHead; fusion?: ReferenceFusion } = {},
): ReferenceResult {
  const H = config.hiddenSize;
  const heads = config.numHeads;
  const d = H / heads;
  const I = config.intermediateSize;
  const B = batch.batch;
  const eps = config.layerNormEps;
  const w = (name: string) => { const t = weights.get(name); if (!t) throw new Error(`reference: encoder lacks ${name}`); return Float64Array.from(t.data); };
  const parts = adapterParts(config, adapter, new Set(options.skipLayers ?? []), options.fusion);
  const albert = config.family === 'albert';
  const deberta = config.disentangled;

  // Embeddings.
  const S0 = batch.seq;
  let x = mat(B * S0, config.embeddingSize);
  if (deberta) x = { rows: B * S0, cols: H, v: referenceDebertaEmbeddings(config, weights, batch) };
  else {
    const E = config.embeddingSize;
    const word = w('embeddings.word_embeddings.weight');
    const pos = w('embeddings.position_embeddings.weight');
    const types = config.typeVocabSize > 0 ? w('embeddings.token_type_embeddings.weight') : undefined;
    for (let b = 0; b < B; b++) {
      let real = 0;
      for (let s = 0; s < S0; s++) {
        const r = b * S0 + s;
        const id = batch.inputIds[r];
        const position = config.family === 'roberta' ? (id === config.padTokenId ? config.padTokenId : config.padTokenId + 1 + real++) : s;
        for (let i = 0; i < E; i++) x.v[r * E + i] = word[id * E + i] + pos[position * E + i] + (types ? types[batch.tokenTypeIds[r] * E + i] : 0);
      }
    }
    x = norm(x, w('embeddings.LayerNorm.weight'), w('embeddings.LayerNorm.bias'), eps);
  }
  let S = S0;
  let visible = (b: number, j: number) => batch.attentionMask[b * S0 + j] === 1;
  const prompted = parts.prompt(x, B, S0);
  if (prompted) {
    const P = prompted.added;
    x = prompted.x;
    S = prompted.seq;
    // The attention mask gets P ones in front (prefix_attention_mask).
    visible = (b: number, j: number) => j < P || batch.attentionMask[b * S0 + j - P] === 1;
  }
  if ((config.embeddingSize !== H || albert) && !deberta) x = dense(x, w('embeddings_project.weight'), w('embeddings_project.bias'), H);
  const prompt = prompted?.added ?? 0;
  // Token j is seen by row s: BERT masks keys only; DeBERTa's get_attention_mask also rows (mask_s · mask_j), and the
  // library's prefix_attention_mask makes the prompt's columns ones for every row.
  const seen = (b: number, s: number, j: number) => visible(b, j) && (!deberta || visible(b, s) || j < prompt);
  const relative = deberta?.relativeAttention ? referenceRelativeRows(config, weights) : undefined;

  for (const l of parts.runs) {
    const lw = (n: string) => w(`encoder.layer.${l}.${n}`);
    const project = (target: 'q' | 'k' | 'v' | 'intermediate' | 'output', input: Mat, weight: string, bias: string, out: number) =>
      parts.adjust(l, target, input, dense(input, lw(weight), lw(bias), out), S);
    const q = project('q', x, 'attention.self.query.weight', 'attention.self.query.bias', H);
    const k = project('k', x, 'attention.self.key.weight', 'attention.self.key.bias', H);
    const v = project('v', x, 'attention.self.value.weight', 'attention.self.value.bias', H);
    const prefix = parts.prefix(l, x, S);
    const P = prefix?.length ?? 0;
    const keyAt = (b: number, j: number, i: number) => (j < P ? prefix!.key(b, j, i) : k.v[(b * S + j - P) * H + i]);
    const valueAt = (b: number, j: number, i: number) => (j < P ? prefix!.value(b, j, i) : v.v[(b * S + j - P) * H + i]);
    // DeBERTa's projected relative rows: shared keys through the (LoRA-wrapped) key / query Linears.
    let kr: Float64Array | undefined;
    let qr: Float64Array | undefined;
    if (deberta && relative) {
      const rows: Mat = { rows: relative.length / H, cols: H, v: relative };
      const own = (n: string) => (weights.has(`encoder.layer.${l}.${n}.bias`) ? lw(`${n}.bias`) : undefined);
      const shared = (target: 'q' | 'k', n: string) => parts.adjust(l, target, rows, dense(rows, lw(`${n}.weight`), lw(`${n}.bias`), H), rows.rows).v;
      if (deberta.posAttTypes.includes('c2p')) kr = deberta.shareAttKey ? shared('k', 'attention.self.key') : dense(rows, lw('attention.self.pos_key_proj.weight'), own('attention.self.pos_key_proj'), H).v;
      if (deberta.posAttTypes.includes('p2c')) qr = deberta.shareAttKey ? shared('q', 'attention.self.query') : dense(rows, lw('attention.self.pos_query_proj.weight'), own('attention.self.pos_query_proj'), H).v;
    }
    const scale = deberta ? 1 / Math.sqrt(d * (1 + deberta.posAttTypes.length)) : 1 / Math.sqrt(d);
    const context = mat(B * S, H);
    const scores = new Float64Array(P + S);
    for (let b = 0; b < B; b++) for (let hd = 0; hd < heads; hd++) for (let s = 0; s < S; s++) {
      if (deberta && P === 0 && prompt === 0 && !visible(b, s)) {
        for (let i = 0; i < d; i++) {
          let acc = 0;
          for (let j = 0; j < S; j++) acc += v.v[(b * S + j) * H + hd * d + i] / S;
          context.v[(b * S + s) * H + hd * d + i] = acc;
        }
        continue;
      }
      let max = -Infinity;
      for (let j = 0; j < P + S; j++) {
        if (j >= P && !seen(b, s, j - P)) continue;
        let dot = 0;
        for (let i = 0; i < d; i++) dot += q.v[(b * S + s) * H + hd * d + i] * keyAt(b, j, hd * d + i);
        if (relative && j >= P) dot += referencePositionScore(config, q.v.subarray(b * S * H, (b + 1) * S * H), k.v.subarray(b * S * H, (b + 1) * S * H), kr, qr, hd, s, j - P);
        scores[j] = dot * scale;
        max = Math.max(max, scores[j]);
      }
      let total = 0;
      for (let j = 0; j < P + S; j++) { scores[j] = j >= P && !seen(b, s, j - P) ? 0 : Math.exp(scores[j] - max); total += scores[j]; }
      for (let i = 0; i < d; i++) {
        let acc = 0;
        for (let j = 0; j < P + S; j++) if (scores[j]) acc += (scores[j] / total) * valueAt(b, j, hd * d + i);
        context.v[(b * S + s) * H + hd * d + i] = acc;
      }
    }
    const lnOf = (n: string) => (m: Mat) => norm(m, lw(`${n}.weight`), lw(`${n}.bias`), eps);
    const attention = dense(context, lw('attention.output.dense.weight'), lw('attention.output.dense.bias'), H);
    const a = parts.close(l, 'mh_adapter', attention, x, lnOf('attention.output.LayerNorm'), S);
    const inner = map(project('intermediate', a, 'intermediate.dense.weight', 'intermediate.dense.bias', I), (val) => actRef(config.hiddenAct, val));
    const ffn = project('output', inner, 'output.dense.weight', 'output.dense.bias', H);
    x = parts.close(l, 'output_adapter', ffn, a, lnOf('output.LayerNorm'), S);
  }

  const firstToken = new Float64Array(B * H);
  for (let b = 0; b < B; b++) firstToken.set(x.v.subarray(b * S * H, b * S * H + H), b * H);
  const result: ReferenceResult = { lastHiddenState: x.v, seq: S, firstToken };
  if (options.head) result.logits = parts.head(firstToken, B, options.head);
  return result;
}

/**
 * The same adapter on DeBERTa v1 through its own oracle (model/testing/deberta-forward.reference.ts), which reads
 * config.json and the checkpoint's names: LoRA / IA3 on in_proj are LoRAMergedLinear's (adjustFused).
 */
export function referenceDebertaAdapterForward(
  config: EncoderConfig, configJson: Record<string, unknown>, tensor: (name: string) => ArrayLike<number> | undefined, batch: EncodedBatch,
  adapter?: ReferenceAdapter, options: { skipLayers?: number[]; head?: ReferenceHead } = {},
): ReferenceResult {
  const parts = adapterParts(config, adapter, new Set(options.skipLayers ?? []));
  const out = debertaReferenceForward(configJson, tensor, `${config.weightPrefix}.`, batch, {
    embeddings: (x, seq) => parts.prompt(x, batch.batch, seq) ?? { x, seq, added: 0 },
    linear: (l, target, input, y, seq) => (target === 'in_proj' ? parts.adjustFused(l, input, y, seq) : parts.adjust(l, target, input, y, seq)),
    prefix: (l, x, seq) => parts.prefix(l, x, seq),
    close: (l, location, h, res, ln, seq) => parts.close(l, location, h, res, ln, seq),
  });
  const result: ReferenceResult = { lastHiddenState: out.lastHiddenState, seq: out.seq, firstToken: out.firstToken };
  if (options.head) result.logits = parts.head(out.firstToken, batch.batch, options.head);
  return result;
}

/** The head's loss from reference logits [batch · N]. */
export function referenceLoss(head: ReferenceHead, logits: Float64Array, labels: ArrayLike<number>): number {
  const N = head.numLabels;
  const B = logits.length / N;
  let total = 0;
  if (head.kind === 'regression') {
    for (let b = 0; b < B; b++) total += (logits[b] - labels[b]) ** 2;
    return total / B;
  }
  if (head.kind === 'multilabel') {
    for (let i = 0; i < logits.length; i++) {
      const sig = 1 / (1 + Math.exp(-logits[i]));
      total -= labels[i] * Math.log(sig) + (1 - labels[i]) * Math.log(1 - sig);
    }
    return total / logits.length;
  }
  for (let b = 0; b < B; b++) {
    const row = logits.subarray(b * N, b * N + N);
    const max = Math.max(...row);
    const logSum = Math.log(row.reduce((s, z) => s + Math.exp(z - max), 0)) + max;
    total += logSum - row[labels[b]];
  }
  return total / B;
}
