/**
 * Test oracle: composition blocks over several adapters on a BERT-layout encoder, in float64 loops, written from
 * the `adapters` library's code and sharing nothing with compose.ts (only the float64 matrix loops of
 * adapter-forward.reference.ts). Inference mode. Per block and state, as adapter_layer_base.py composes them:
 *
 *   Stack       each child in turn: bottleneck pre_forward(hidden) → forward; LoRA h = f(h); prefixes prepended
 *   Parallel    the batch copied once a child; child i's rows through child i (the first child's pre_forward, the last's post_forward)
 *   BatchSplit  child i takes batch_sizes[i] rows
 *   Average     the first child's pre_forward, then mean(stack(outᵢ) · wᵢ) over the children
 *   heads       Parallel / BatchSplit: child i's head on its rows; otherwise one head
 *
 * Adapters: bottleneck (Adapter / ParallelAdapter without PHM, norms or gates), LoRA and IA3 (ungated), prefix
 * tuning (the MLP pool, ungated). Keys are spelled from the library's module paths.
 */
import type { EncoderConfig } from '../../model/config.ts';
import type { EncodedBatch } from '../../model/tokenizer.ts';
import type { HostWeights } from '../../model/weights.ts';
import type { BnConfig, LoRAConfig, PrefixTuningConfig } from '../config.ts';
import { type Mat, actRef, add, dense, map, mat, norm } from './adapter-forward.reference.ts';

export interface ReferenceChild {
  name: string;
  method: { kind: 'bottleneck'; config: BnConfig } | { kind: 'lora'; config: LoRAConfig } | { kind: 'prefix'; config: PrefixTuningConfig };
  params: ReadonlyMap<string, { shape: number[]; data: ArrayLike<number> }>;
  numLabels: number;
}

export interface ReferenceSetup {
  block: 'Stack' | 'Parallel' | 'Average' | 'BatchSplit';
  weights?: number[];
  batchSizes?: number[];
  /** Stack / Average: the child whose head predicts (default the last). */
  head?: number;
}

/** Rows of a token matrix [rows · seq, cols] for sequences [from, to). */
const rowsOf = (m: Mat, seq: number, from: number, to: number): Mat => ({ rows: (to - from) * seq, cols: m.cols, v: m.v.slice(from * seq * m.cols, to * seq * m.cols) });
const stackRows = (parts: Mat[]): Mat => {
  const out = mat(parts.reduce((n, p) => n + p.rows, 0), parts[0].cols);
  let at = 0;
  for (const p of parts) { out.v.set(p.v, at); at += p.v.length; }
  return out;
};

/** Logits of each predicting head: [sequences · numLabels] per entry, with the sequences it covers. */
export function referenceComposedForward(config: EncoderConfig, weights: HostWeights, batch: EncodedBatch, children: ReferenceChild[], setup: ReferenceSetup): { child: number; from: number; to: number; logits: Float64Array }[] {
  const H = config.hiddenSize;
  const heads = config.numHeads;
  const d = H / heads;
  const S = batch.seq;
  const eps = config.layerNormEps;
  const base = config.weightPrefix;
  const n = children.length;
  const w = (name: string) => Float64Array.from(weights.get(name)!.data);
  const p = (c: ReferenceChild, key: string) => { const t = c.params.get(key); if (!t) throw new Error(`reference: ${c.name} lacks ${key}`); return Float64Array.from(t.data); };

  // Sequences and the child groups over them.
  const B0 = batch.batch;
  const B = setup.block === 'Parallel' ? B0 * n : B0;
  const groups: [number, number][] = setup.block === 'Parallel'
    ? children.map((_, i) => [i * B0, (i + 1) * B0])
    : setup.block === 'BatchSplit' ? setup.batchSizes!.map((size, i) => { const s = setup.batchSizes!.slice(0, i).reduce((a, b) => a + b, 0); return [s, s + size]; }) : [[0, B0]];
  const sequence = (b: number) => b % B0;
  const weightsAvg = setup.weights ? setup.weights.map((x) => x / setup.weights!.reduce((a, b) => a + b, 0)) : children.map(() => 1 / n);

  let x = mat(B * S, H);
  {
    const word = w('embeddings.word_embeddings.weight');
    const pos = w('embeddings.position_embeddings.weight');
    const types = w('embeddings.token_type_embeddings.weight');
    for (let b = 0; b < B; b++) for (let s = 0; s < S; s++) {
      const r = sequence(b) * S + s;
      for (let i = 0; i < H; i++) x.v[(b * S + s) * H + i] = word[batch.inputIds[r] * H + i] + pos[s * H + i] + types[batch.tokenTypeIds[r] * H + i];
    }
    x = norm(x, w('embeddings.LayerNorm.weight'), w('embeddings.LayerNorm.bias'), eps);
  }
  const visible = (b: number, j: number) => batch.attentionMask[sequence(b) * S + j] === 1;

  // --- LoRA / IA3 (lora.py LoRA.forward, IA3.forward, LoRALinear.forward with com(scaling=1)).
  const loraPath: Record<string, string> = { q: 'attention.self.query', k: 'attention.self.key', v: 'attention.self.value', intermediate: 'intermediate.dense', output: 'output.dense' };
  const loraAt = (c: ReferenceChild, l: number, target: string) => {
    if (c.method.kind !== 'lora') return false;
    const cfg = c.method.config;
    if (cfg.leave_out.includes(l)) return false;
    return target === 'intermediate' ? cfg.intermediate_lora : target === 'output' ? cfg.output_lora : cfg.selfattn_lora && cfg.attn_matrices.includes(target as 'q');
  };
  const loraForward = (c: ReferenceChild, l: number, target: string, hidden: Mat | undefined, input: Mat, out: number): Mat => {
    const cfg = (c.method as { config: LoRAConfig }).config;
    const key = `${base}.encoder.layer.${l}.${loraPath[target]}.loras.${c.name}`;
    const lB = p(c, `${key}.lora_B`);
    if (cfg.composition_mode === 'scale') {
      // scaling_vector repeated over the rows; hidden · vector; · alpha.
      return { rows: input.rows, cols: out, v: Float64Array.from({ length: input.rows * out }, (_, i) => (hidden ? hidden.v[i] : 1) * lB[i % out] * cfg.alpha) };
    }
    const low = dense(hidden ?? input, p(c, `${key}.lora_A`), undefined, cfg.r);
    return map(dense(low, lB, undefined, out), (v) => v * (cfg.alpha / cfg.r));
  };
  const project = (l: number, target: string, input: Mat, weight: Float64Array, bias: Float64Array, out: number): Mat => {
    const y = dense(input, weight, bias, out);
    const with_ = children.map((c) => loraAt(c, l, target));
    if (!with_.some(Boolean)) return y;
    let last = -1;
    with_.forEach((has, i) => { if (has) last = i; });
    const lastMode = (children[last].method as { config: LoRAConfig }).config.composition_mode;
    let hidden: Mat;
    if (setup.block === 'Stack') {
      let h: Mat | undefined;
      children.forEach((c, i) => { if (with_[i]) h = loraForward(c, l, target, h, input, out); });
      hidden = h!;
    } else if (setup.block === 'Average') {
      const states = children.map((c) => loraForward(c, l, target, undefined, input, out));
      hidden = { rows: y.rows, cols: out, v: Float64Array.from({ length: y.v.length }, (_, i) => states.reduce((acc, st, k) => acc + st.v[i] * weightsAvg[k], 0) / n) };
    } else {
      hidden = stackRows(groups.map(([from, to], i) => loraForward(children[i], l, target, undefined, rowsOf(input, S, from, to), out)));
    }
    return lastMode === 'scale' ? map(y, (v, i) => v * hidden.v[i]) : add(y, hidden);
  };

  // --- Prefix tuning: each child's pool output [P, layers · 2 · H] (PrefixTuning.forward, MLP reparametrisation).
  const prefixStates = children.map((c) => {
    if (c.method.kind !== 'prefix') return undefined;
    const cfg = c.method.config;
    const layers = Array.from({ length: config.numLayers }, (_, l) => l).filter((l) => !cfg.leave_out.includes(l));
    const pool = `${base}.prefix_tuning.prefix_tunings.${c.name}.self_prefix`;
    const wte: Mat = { rows: cfg.prefix_length, cols: H, v: p(c, `${pool}.wte.weight`) };
    const hidden = map(dense(wte, p(c, `${pool}.control_trans.0.weight`), p(c, `${pool}.control_trans.0.bias`), cfg.bottleneck_size), (v) => actRef(cfg.non_linearity, v));
    return { layers, P: cfg.prefix_length, states: dense(hidden, p(c, `${pool}.control_trans.2.weight`), p(c, `${pool}.control_trans.2.bias`), layers.length * 2 * H).v };
  });
  /** The prefix blocks sequence b attends to at layer l, in key order: [child, which layer block]. */
  const prefixFor = (l: number, b: number): { child: number; block: number; P: number }[] => {
    const entry = (i: number) => {
      const ps = prefixStates[i];
      const block = ps ? ps.layers.indexOf(l) : -1;
      return ps && block >= 0 ? [{ child: i, block, P: ps.P }] : [];
    };
    // Stack: each compose_single prepends, so the last child's prefix comes first.
    if (setup.block === 'Stack') return children.map((_, i) => i).reverse().flatMap(entry);
    const group = groups.findIndex(([from, to]) => b >= from && b < to);
    return entry(group);
  };

  // --- Bottleneck (modeling.py Adapter / ParallelAdapter pre_forward, forward, post_forward; bottleneck.py compose_*).
  const bnAt = (c: ReferenceChild, l: number, location: 'mh_adapter' | 'output_adapter') => c.method.kind === 'bottleneck' && c.method.config[location] && !c.method.config.leave_out.includes(l);
  const pre = (c: ReferenceChild, h: Mat, res: Mat, ln: (m: Mat) => Mat): { hidden: Mat; residual: Mat } => {
    const cfg = (c.method as { config: BnConfig }).config;
    if (cfg.is_parallel) return { hidden: res, residual: res };
    let hidden = h;
    let residual: Mat = h;
    if (cfg.original_ln_before) {
      hidden = add(h, res);
      if (cfg.residual_before_ln === 'post_add') residual = hidden;
      hidden = ln(hidden);
    }
    if (cfg.residual_before_ln === false) residual = hidden;
    return { hidden, residual };
  };
  const forward = (c: ReferenceChild, l: number, location: string, hidden: Mat, residual: Mat): Mat => {
    const cfg = (c.method as { config: BnConfig }).config;
    const key = `${base}.encoder.layer.${l}.${location === 'mh_adapter' ? 'attention.output' : 'output'}.adapters.${c.name}`;
    const width = Math.floor(H / (cfg.reduction_factor as number));
    const down = map(dense(hidden, p(c, `${key}.adapter_down.0.weight`), p(c, `${key}.adapter_down.0.bias`), width), (v) => actRef(cfg.non_linearity, v));
    const up = map(dense(down, p(c, `${key}.adapter_up.weight`), p(c, `${key}.adapter_up.bias`), H), (v) => v * (cfg.scaling as number));
    return cfg.is_parallel ? up : add(up, residual);
  };
  const post = (c: ReferenceChild, hidden: Mat, h: Mat, res: Mat, ln: (m: Mat) => Mat): Mat => {
    const cfg = (c.method as { config: BnConfig }).config;
    const out = cfg.is_parallel ? add(hidden, h) : hidden;
    return cfg.original_ln_after ? ln(add(out, res)) : out;
  };
  const close = (l: number, location: 'mh_adapter' | 'output_adapter', h: Mat, res: Mat, gamma: Float64Array, beta: Float64Array): Mat => {
    const ln = (m: Mat) => norm(m, gamma, beta, eps);
    const present = children.map((c, i) => (bnAt(c, l, location) ? i : -1)).filter((i) => i >= 0);
    if (!present.length) return ln(add(h, res));
    const last = children[present[present.length - 1]];
    if (setup.block === 'Stack') {
      let hidden = h;
      for (const i of present) {
        const s = pre(children[i], hidden, res, ln);
        hidden = forward(children[i], l, location, s.hidden, s.residual);
      }
      return post(last, hidden, h, res, ln);
    }
    const s = pre(children[present[0]], h, res, ln);
    if (setup.block === 'Average') {
      const outs = children.map((c) => forward(c, l, location, s.hidden, s.residual));
      const mean = map(h, (_, i) => outs.reduce((acc, o, k) => acc + o.v[i] * weightsAvg[k], 0) / n);
      return post(last, mean, h, res, ln);
    }
    const parts = groups.map(([from, to], i) => forward(children[i], l, location, rowsOf(s.hidden, S, from, to), rowsOf(s.residual, S, from, to)));
    return post(last, stackRows(parts), h, res, ln);
  };

  for (let l = 0; l < config.numLayers; l++) {
    const lw = (name: string) => w(`encoder.layer.${l}.${name}`);
    const q = project(l, 'q', x, lw('attention.self.query.weight'), lw('attention.self.query.bias'), H);
    const k = project(l, 'k', x, lw('attention.self.key.weight'), lw('attention.self.key.bias'), H);
    const v = project(l, 'v', x, lw('attention.self.value.weight'), lw('attention.self.value.bias'), H);
    const context = mat(B * S, H);
    for (let b = 0; b < B; b++) {
      const prefixes = prefixFor(l, b);
      // Keys: the prefixes' rows in order, then the sequence's own.
      const keys: { key: (i: number) => number; value: (i: number) => number }[] = [];
      for (const { child, block, P } of prefixes) {
        const st = prefixStates[child]!;
        const width = st.layers.length * 2 * H;
        for (let t = 0; t < P; t++) keys.push({ key: (i) => st.states[t * width + 2 * block * H + i], value: (i) => st.states[t * width + (2 * block + 1) * H + i] });
      }
      for (let j = 0; j < S; j++) if (visible(b, j)) keys.push({ key: (i) => k.v[(b * S + j) * H + i], value: (i) => v.v[(b * S + j) * H + i] });
      for (let hd = 0; hd < heads; hd++) for (let s = 0; s < S; s++) {
        const scores = keys.map((kv) => { let dot = 0; for (let i = 0; i < d; i++) dot += q.v[(b * S + s) * H + hd * d + i] * kv.key(hd * d + i); return dot / Math.sqrt(d); });
        const max = Math.max(...scores);
        const e = scores.map((z) => Math.exp(z - max));
        const total = e.reduce((a2, b2) => a2 + b2, 0);
        for (let i = 0; i < d; i++) context.v[(b * S + s) * H + hd * d + i] = keys.reduce((acc, kv, j) => acc + (e[j] / total) * kv.value(hd * d + i), 0);
      }
    }
    const attention = dense(context, lw('attention.output.dense.weight'), lw('attention.output.dense.bias'), H);
    const a = close(l, 'mh_adapter', attention, x, lw('attention.output.LayerNorm.weight'), lw('attention.output.LayerNorm.bias'));
    const inner = map(project(l, 'intermediate', a, lw('intermediate.dense.weight'), lw('intermediate.dense.bias'), config.intermediateSize), (val) => actRef(config.hiddenAct, val));
    const ffn = project(l, 'output', inner, lw('output.dense.weight'), lw('output.dense.bias'), H);
    x = close(l, 'output_adapter', ffn, a, lw('output.LayerNorm.weight'), lw('output.LayerNorm.bias'));
  }

  // Heads: [Dropout, Linear(H, H), tanh, Dropout, Linear(H, N)] on token 0 of their sequences.
  const head = (child: number, from: number, to: number) => {
    const c = children[child];
    const cls = mat(to - from, H);
    for (let b = from; b < to; b++) cls.v.set(x.v.subarray(b * S * H, b * S * H + H), (b - from) * H);
    const hidden = map(dense(cls, p(c, `heads.${c.name}.1.weight`), p(c, `heads.${c.name}.1.bias`), H), Math.tanh);
    return dense(hidden, p(c, `heads.${c.name}.4.weight`), p(c, `heads.${c.name}.4.bias`), c.numLabels).v;
  };
  if (setup.block === 'Parallel' || setup.block === 'BatchSplit') {
    return groups.map(([from, to], i) => ({ child: i, from: from - (setup.block === 'Parallel' ? i * B0 : 0), to: to - (setup.block === 'Parallel' ? i * B0 : 0), logits: head(i, from, to) }));
  }
  const chosen = setup.head ?? n - 1;
  return [{ child: chosen, from: 0, to: B0, logits: head(chosen, 0, B0) }];
}
