/**
 * Every adapter method on DeBERTa v1: the tfjs forward against the float64 oracle (testing/adapter-forward.reference.ts
 * through model/testing/deberta-forward.reference.ts, which reads the checkpoint's own names), central-difference
 * gradients, and the state-dict keys against the `adapters` library's module tree for DeBERTa
 * (src/adapters/models/deberta/mixin_deberta.py, modeling_deberta.py; methods/lora.py LoRAMergedLinear).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { uploadEncoderWeights } from '../model/encoder.ts';
import { debertaHost, maxAbsDiff } from '../model/test-support.ts';
import { linear } from '../ops.ts';
import { createAdapter } from './adapter.ts';
import { composedForward } from './compose.ts';
import { referenceDebertaAdapterForward } from './testing/adapter-forward.reference.ts';
import { gradientCheck, randomState, testBatch } from './test-support.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

/** Hidden 12 (3 heads of 4), 3 layers, c2p|p2c with a relative table of 4 < 7 tokens (clamped distances). */
const JSON_CONFIG = {
  model_type: 'deberta', vocab_size: 30, hidden_size: 12, num_hidden_layers: 3, num_attention_heads: 3, intermediate_size: 20,
  max_position_embeddings: 20, relative_attention: true, pos_att_type: 'c2p|p2c', max_relative_positions: 4, position_biased_input: false,
  type_vocab_size: 0, layer_norm_eps: 1e-7,
};
const { config, checkpoint, host } = debertaHost(JSON_CONFIG, 11);
const tensor = (name: string) => checkpoint.get(name)?.data;

function compare(spec: string) {
  const adapter = createAdapter(config, spec, { name: 'task' });
  adapter.loadAdapterStateDict(randomState(adapter, 3));
  const weights = uploadEncoderWeights(config, host);
  const batch = testBatch(config);
  try {
    const out = adapter.encode(weights, batch);
    const got = out.lastHiddenState.dataSync();
    tf.dispose(out as unknown as tf.TensorContainer);
    const want = referenceDebertaAdapterForward(config, JSON_CONFIG, tensor, batch, { name: 'task', config: adapter.config, params: adapter.adapterStateDict() });
    const plain = referenceDebertaAdapterForward(config, JSON_CONFIG, tensor, batch);
    expect(got.length).toBe(want.lastHiddenState.length);
    return { error: maxAbsDiff(got, want.lastHiddenState), effect: got.length === plain.lastHiddenState.length ? maxAbsDiff(got, plain.lastHiddenState) : Infinity };
  } finally {
    weights.dispose();
    adapter.dispose();
  }
}

const METHODS: [string, string][] = [
  ['seq_bn (Pfeiffer)', 'seq_bn[reduction_factor=4]'],
  ['seq_bn gated, ln_before/after, channel scaling', "seq_bn[reduction_factor=3, ln_before=True, ln_after=True, use_gating=True, scaling='channel']"],
  ['double_seq_bn (Houlsby)', 'double_seq_bn[reduction_factor=3]'],
  ['par_bn', 'par_bn[reduction_factor=4]'],
  ['compacter', 'compacter[reduction_factor=3]'],
  ['lora, library default (q, v on in_proj)', 'lora[r=2, alpha=5]'],
  ['lora on q, k, v (in_proj), intermediate and output', "lora[r=2, alpha=3, attn_matrices=['q', 'k', 'v'], intermediate_lora=True, output_lora=True]"],
  ['lora on k only, gated, leave_out', "lora[r=3, attn_matrices=['k'], use_gating=True, leave_out=[1]]"],
  ['ia3 (k, v on in_proj, intermediate)', 'ia3'],
  ['ia3 alpha 3 (the other third scaled by alpha too)', "ia3[alpha=3, attn_matrices=['v'], output_lora=True]"],
  ['ia3 gated on q, k', "ia3[use_gating=True, attn_matrices=['q', 'k']]"],
  ['prefix_tuning (MLP), leave_out', 'prefix_tuning[prefix_length=3, bottleneck_size=5, leave_out=[1]]'],
  ['prefix_tuning_flat', 'prefix_tuning_flat[prefix_length=2]'],
  ['prefix_tuning gated', 'prefix_tuning[prefix_length=2, bottleneck_size=4, use_gating=True, shared_gating=False]'],
  ['prompt_tuning', 'prompt_tuning[prompt_length=3]'],
  ['prompt_tuning after the first token', "prompt_tuning[prompt_length=2, combine='prefix_after_bos']"],
  ['mam (prefix + parallel bottleneck)', 'mam'],
  ['unipelt (gated prefix + gated seq_bn + gated lora)', 'unipelt'],
  ['the seeds\' demo union: prefix 20 + par_bn rf 4', 'prefix_tuning[prefix_length=20]|par_bn[reduction_factor=4]'],
];

describe('DeBERTa v1: every method against the float64 oracle (max |tfjs − reference| < 1e-4, padded rows included)', () => {
  for (const [label, spec] of METHODS) {
    it(label, () => {
      const { error, effect } = compare(spec);
      expect(error).toBeLessThan(1e-4);
      expect(effect).toBeGreaterThan(1e-2);
    });
  }
});

const GRADIENTS: string[] = [
  'seq_bn[reduction_factor=4, use_gating=True]',
  'compacter[reduction_factor=3]',
  "lora[r=2, attn_matrices=['q', 'v'], intermediate_lora=True, use_gating=True]",
  "ia3[alpha=2, attn_matrices=['k', 'v']]",
  'prefix_tuning[prefix_length=2, bottleneck_size=4, use_gating=True]',
  'prompt_tuning[prompt_length=2]',
  'prefix_tuning[prefix_length=3]|par_bn[reduction_factor=4]',
  'double_seq_bn[reduction_factor=3]',
  'prefix_tuning_flat[prefix_length=2]',
  'unipelt',
];

describe('DeBERTa v1: analytic gradients vs central differences of the oracle (relative error < 1e-3)', () => {
  for (const spec of GRADIENTS) {
    it(spec, () => {
      const { worst, lossError } = gradientCheck(config, host, spec, { numLabels: 3 }, [2, 0], (batch, adapter, head) =>
        referenceDebertaAdapterForward(config, JSON_CONFIG, tensor, batch, adapter, { head }).logits!);
      expect(lossError).toBeLessThan(1e-4);
      expect(worst).toBeLessThan(1e-3);
    });
  }
});

describe("DeBERTa v1 state-dict keys (the adapters library's mixin_deberta.py / modeling_deberta.py)", () => {
  const keys = (spec: string) => {
    const adapter = createAdapter(config, spec, { name: 'a' });
    const result = adapter.plan.params.filter((p) => p.key.includes('layer.0.') || !p.key.includes('.layer.')).map((p) => `${p.key} [${p.shape.join(', ')}]`);
    adapter.dispose();
    return result;
  };

  it('LoRA wraps the fused in_proj once (LoRAMergedLinear "selfattn"): lora_A [r·n, H], lora_B [n·H, r], n = |attn_matrices|', () => {
    expect(keys('lora[r=2, intermediate_lora=True, output_lora=True]')).toEqual([
      'deberta.encoder.layer.0.attention.self.in_proj.loras.a.lora_A [4, 12]',
      'deberta.encoder.layer.0.attention.self.in_proj.loras.a.lora_B [24, 2]',
      'deberta.encoder.layer.0.intermediate.dense.loras.a.lora_A [2, 12]',
      'deberta.encoder.layer.0.intermediate.dense.loras.a.lora_B [20, 2]',
      'deberta.encoder.layer.0.output.dense.loras.a.lora_A [2, 20]',
      'deberta.encoder.layer.0.output.dense.loras.a.lora_B [12, 2]',
    ]);
    expect(keys("ia3[use_gating=True, attn_matrices=['q', 'k', 'v'], intermediate_lora=False]")).toEqual([
      'deberta.encoder.layer.0.attention.self.in_proj.loras.a.lora_B [36, 1]',
      'deberta.encoder.layer.0.attention.self.in_proj.loras.a.gate.weight [3, 12]',
      'deberta.encoder.layer.0.attention.self.in_proj.loras.a.gate.bias [3]',
    ]);
  });

  it('bottleneck adapters in attention.output / output, prefix gates in attention.self.prefix_tuning, pool under self_prefix', () => {
    expect(keys('double_seq_bn[reduction_factor=4]').filter((k) => k.includes('adapter_down.0.weight'))).toEqual([
      'deberta.encoder.layer.0.attention.output.adapters.a.adapter_down.0.weight [3, 12]',
      'deberta.encoder.layer.0.output.adapters.a.adapter_down.0.weight [3, 12]',
    ]);
    expect(keys('prefix_tuning[prefix_length=2, use_gating=True]')).toEqual([
      'deberta.encoder.layer.0.attention.self.prefix_tuning.prefix_gates.a.weight [1, 12]',
      'deberta.encoder.layer.0.attention.self.prefix_tuning.prefix_gates.a.bias [1]',
      'deberta.prefix_tuning.prefix_tunings.a.self_prefix.wte.weight [2, 12]',
      'deberta.prefix_tuning.prefix_tunings.a.self_prefix.control_trans.0.weight [512, 12]',
      'deberta.prefix_tuning.prefix_tunings.a.self_prefix.control_trans.0.bias [512]',
      'deberta.prefix_tuning.prefix_tunings.a.self_prefix.control_trans.2.weight [72, 512]',
      'deberta.prefix_tuning.prefix_tunings.a.self_prefix.control_trans.2.bias [72]',
    ]);
  });

  it('LoRA "q" is the first third of in_proj\'s outputs, which DeBERTa\'s per-head layout gives to head 0\'s q, k and v', () => {
    // LoRAMergedLinear.add_adapter: lora_ind = zeros(out_features).view(3, -1), row 0 set for "q". in_proj's rows are per
    // head [q_h; k_h; v_h] (transpose_for_scores(in_proj(x)).chunk(3)), so with 3 heads of 4 the first 12 outputs are
    // head 0's q, k and v: LoRA "q" changes head 0's key and value and no query of heads 1 and 2.
    const adapter = createAdapter(config, "lora[r=2, attn_matrices=['q']]", { name: 'a' });
    adapter.loadAdapterStateDict(randomState(adapter, 5));
    const weights = uploadEncoderWeights(config, host);
    const x = tf.randomNormal([1, 5, 12], 0, 1, 'float32', 2) as tf.Tensor3D;
    const layer = weights.layers[0];
    const change = (name: 'q' | 'k' | 'v', w: typeof layer.query) => {
      const diff = adapter.hooks.projection!(0, name, x, w).sub(linear(x, w)).abs().max(1).dataSync();
      return Array.from({ length: 3 }, (_, head) => Math.max(...Array.from(diff).slice(head * 4, head * 4 + 4)) > 1e-4);
    };
    expect(change('q', layer.query)).toEqual([true, false, false]);
    expect(change('k', layer.key)).toEqual([true, false, false]);
    expect(change('v', layer.value)).toEqual([true, false, false]);
    tf.dispose(x);
    weights.dispose();
    adapter.dispose();
  });
});

describe('DeBERTa v1 in a composition', () => {
  // methods/lora.py LoRAMergedLinear.forward runs one adapter only: any block of 2+ raises "Invalid adapter setup.
  // Cannot use … with LoRA." when one of them has a module on in_proj.
  it('refuses LoRA on the fused in_proj in a block, and composes LoRA on intermediate / output', () => {
    const weights = uploadEncoderWeights(config, host);
    const batch = testBatch(config);
    const make = (prefix: string, specs: string[]) => specs.map((spec, i) => {
      const adapter = createAdapter(config, spec, { name: `${prefix}${i}`, head: { numLabels: 2 } });
      adapter.loadAdapterStateDict(randomState(adapter, 7 + i));
      return adapter;
    });
    const fused = make('f', ['lora[r=2]', 'seq_bn[reduction_factor=4]']);
    const unfused = make('u', ["lora[r=2, selfattn_lora=False, intermediate_lora=True]", "lora[r=3, alpha=4, selfattn_lora=False, intermediate_lora=True]"]);
    try {
      expect(() => composedForward(weights, batch, { block: 'Stack', adapters: ['f0', 'f1'] }, fused)).toThrow(/fused q\/k\/v Linear deberta\.encoder\.layer\.0\.attention\.self\.in_proj.*LoRAMergedLinear/);
      const logits = composedForward(weights, batch, { block: 'Parallel', adapters: ['u0', 'u1'] }, unfused);
      expect(logits.map((l) => l.head)).toEqual(['u0', 'u1']);
      expect(logits.every((l) => Array.from(l.logits.dataSync()).every(Number.isFinite))).toBe(true);
      tf.dispose(logits.map((l) => l.logits));
    } finally {
      weights.dispose();
      for (const a of [...fused, ...unfused]) a.dispose();
    }
  });
});
