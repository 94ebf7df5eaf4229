/**
 * Each method's forward (tfjs cpu, float32) against the float64 oracle of its formula (testing/adapter-forward.reference.ts) on
 * tiny odd-sized encoders with random encoder and adapter weights; identity at init where the library's init
 * makes the adapter a no-op; the torch state-dict keys per family.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EncoderConfig } from '../model/config.ts';
import { type EncoderOutput, encoderForward, uploadEncoderWeights } from '../model/encoder.ts';
import { maxAbsDiff, randomWeights } from '../model/test-support.ts';
import type { HostWeights } from '../model/weights.ts';
import { type AdapterModel, createAdapter } from './adapter.ts';
import { AdapterStateError } from './errors.ts';
import { referenceAdapterForward } from './testing/adapter-forward.reference.ts';
import { TINY, randomState, testBatch } from './test-support.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

const live: AdapterModel[] = [];
afterEach(() => { while (live.length) live.pop()!.dispose(); });

function make(config: EncoderConfig, spec: string, options: Parameters<typeof createAdapter>[2] = { name: 'task' }): AdapterModel {
  const adapter = createAdapter(config, spec, options);
  live.push(adapter);
  return adapter;
}

function outputs(out: EncoderOutput) {
  const result = { last: out.lastHiddenState.dataSync() as Float32Array, first: out.firstToken.dataSync() as Float32Array };
  tf.dispose(out as unknown as tf.TensorContainer);
  return result;
}

/** Runs the adapter (random weights) and the oracle on the same inputs; returns the largest difference. */
function compare(config: EncoderConfig, spec: string, options: { seed?: number; skipLayers?: number[]; host?: HostWeights } = {}) {
  const host = options.host ?? randomWeights(config, 11);
  const adapter = createAdapter(config, spec, { name: 'task' });
  adapter.loadAdapterStateDict(randomState(adapter, options.seed ?? 3));
  const weights = uploadEncoderWeights(config, host);
  const batch = testBatch(config);
  try {
    const got = outputs(adapter.encode(weights, batch, { skipLayers: options.skipLayers }));
    const want = referenceAdapterForward(config, host, batch, { name: 'task', config: adapter.config, params: adapter.adapterStateDict() }, { skipLayers: options.skipLayers });
    const plain = referenceAdapterForward(config, host, batch);
    expect(got.last.length).toBe(want.lastHiddenState.length);
    return { error: maxAbsDiff(got.last, want.lastHiddenState), effect: got.last.length === plain.lastHiddenState.length ? maxAbsDiff(got.last, plain.lastHiddenState) : Infinity };
  } finally {
    weights.dispose();
    adapter.dispose();
  }
}

const CASES: [string, keyof typeof TINY, string][] = [
  ['seq_bn (Pfeiffer)', 'bert', 'seq_bn[reduction_factor=4]'],
  ['seq_bn with ln_before/after, gate, channel scaling, post_add residual, per-layer rf, leave_out', 'bert',
    "seq_bn[reduction_factor={'1': 2, 'default': 6}, ln_before=True, ln_after=True, use_gating=True, scaling='channel', residual_before_ln='post_add', non_linearity='gelu_new', leave_out=[2]]"],
  ['seq_bn with adapter residual before a new LN, residual after the LN, no LN after', 'bert',
    "seq_bn[reduction_factor=3, ln_after=True, adapter_residual_before_ln=True, residual_before_ln=False, original_ln_after=False, non_linearity='leakyrelu']"],
  ['double_seq_bn (Houlsby, both sub-blocks, swish)', 'bert', 'double_seq_bn[reduction_factor=3]'],
  ['par_bn (parallel, scaling 4)', 'bert', 'par_bn'],
  ['scaled_par_bn with ln_before, ln_after and gate', 'bert', "scaled_par_bn[reduction_factor=4, ln_before=True, ln_after=True, use_gating=True, non_linearity='tanh']"],
  ['compacter (PHM, shared rule, factorized W)', 'bert', 'compacter[reduction_factor=3]'],
  ['compacter++ with per-layer factorized rule and full W', 'bert', 'compacter++[reduction_factor=3, shared_phm_rule=False, factorized_phm_rule=True, factorized_phm_W=False, phm_dim=2]'],
  ['compacter with shared W of rank 2 and no bias', 'bert', 'compacter[reduction_factor=3, shared_W_phm=True, phm_rank=2, phm_bias=False]'],
  ['lora on q, k, v, intermediate and output', 'bert', "lora[r=2, alpha=5, attn_matrices=['q', 'k', 'v'], intermediate_lora=True, output_lora=True]"],
  ['lora gated, bert init, leave_out', 'bert', "lora[r=3, use_gating=True, init_weights='bert', output_lora=True, leave_out=[1]]"],
  ['ia3 (k, v, intermediate)', 'bert', 'ia3'],
  ['ia3 gated with alpha 3 on q and output', 'bert', "ia3[alpha=3, use_gating=True, attn_matrices=['q'], output_lora=True]"],
  ['prefix_tuning (MLP), leave_out', 'bert', 'prefix_tuning[prefix_length=3, bottleneck_size=5, leave_out=[1]]'],
  ['prefix_tuning_flat', 'bert', 'prefix_tuning_flat[prefix_length=4]'],
  ['prefix_tuning gated per key and value', 'bert', "prefix_tuning[prefix_length=2, bottleneck_size=4, use_gating=True, shared_gating=False, non_linearity='relu']"],
  ['prompt_tuning (prefix)', 'bert', 'prompt_tuning[prompt_length=3]'],
  ['prompt_tuning after the first token', 'bert', "prompt_tuning[prompt_length=2, combine='prefix_after_bos']"],
  ['mam (prefix + parallel bottleneck)', 'bert', 'mam'],
  ['unipelt (gated prefix + seq_bn + lora)', 'bert', 'unipelt'],
  ['distilbert: seq_bn + lora', 'distilbert', 'seq_bn[reduction_factor=4]|lora[r=2, intermediate_lora=True]'],
  ['distilbert: gated prefix', 'distilbert', 'prefix_tuning[prefix_length=2, bottleneck_size=4, use_gating=True]'],
  ['roberta: double_seq_bn + ia3', 'roberta', 'double_seq_bn[reduction_factor=4]|ia3'],
  ['electra: prompt tuning in embedding width 8 + lora', 'electra', 'prompt_tuning[prompt_length=2]|lora[r=2]'],
  // ALBERT (TINY.albert: 3 layers over 2 groups of 2 shared modules, run 0 1 0 1 2 3): every method.
  ['albert: seq_bn', 'albert', 'seq_bn[reduction_factor=4]'],
  ['albert: double_seq_bn (attention_adapters + output_adapters), per-module rf, leave_out', 'albert', "double_seq_bn[reduction_factor={'2': 2, 'default': 3}, leave_out=[1]]"],
  ['albert: par_bn', 'albert', 'par_bn'],
  ['albert: scaled_par_bn with ln_before, ln_after and gate', 'albert', "scaled_par_bn[reduction_factor=4, ln_before=True, ln_after=True, use_gating=True]"],
  ['albert: compacter', 'albert', 'compacter[reduction_factor=3]'],
  ['albert: compacter++ per-layer factorized rule', 'albert', 'compacter++[reduction_factor=3, shared_phm_rule=False, factorized_phm_rule=True, phm_dim=2]'],
  ['albert: lora on query, key, value, ffn and ffn_output', 'albert', "lora[r=2, alpha=5, attn_matrices=['q', 'k', 'v'], intermediate_lora=True, output_lora=True]"],
  ['albert: lora gated, leave_out', 'albert', 'lora[r=3, use_gating=True, output_lora=True, leave_out=[0]]'],
  ['albert: ia3 (key, value, ffn)', 'albert', 'ia3'],
  ['albert: prefix_tuning (MLP), leave_out', 'albert', 'prefix_tuning[prefix_length=3, bottleneck_size=5, leave_out=[2]]'],
  ['albert: prefix_tuning_flat', 'albert', 'prefix_tuning_flat[prefix_length=4]'],
  ['albert: prefix_tuning gated per key and value', 'albert', 'prefix_tuning[prefix_length=2, bottleneck_size=4, use_gating=True, shared_gating=False]'],
  ['albert: prompt_tuning in embedding width 8', 'albert', 'prompt_tuning[prompt_length=3]'],
  ['albert: mam', 'albert', 'mam'],
  ['albert: unipelt', 'albert', 'unipelt'],
  ['deberta-v3: seq_bn', 'deberta-v3', 'seq_bn[reduction_factor=4]'],
  ['deberta-v3: double_seq_bn', 'deberta-v3', 'double_seq_bn[reduction_factor=3]'],
  ['deberta-v3: par_bn', 'deberta-v3', 'par_bn'],
  ['deberta-v3: compacter', 'deberta-v3', 'compacter[reduction_factor=3]'],
  ['deberta-v3: scaled_par_bn with ln_before, ln_after and gate', 'deberta-v3', "scaled_par_bn[reduction_factor=4, ln_before=True, ln_after=True, use_gating=True]"],
  ['deberta-v3: compacter++ per-layer factorized rule', 'deberta-v3', 'compacter++[reduction_factor=3, shared_phm_rule=False, factorized_phm_rule=True, phm_dim=2]'],
  ['deberta-v3: lora on query_proj, key_proj (also over the shared relative rows), value_proj, intermediate, output', 'deberta-v3', "lora[r=2, alpha=5, attn_matrices=['q', 'k', 'v'], intermediate_lora=True, output_lora=True]"],
  ['deberta-v3: lora gated (the relative rows get their own gate)', 'deberta-v3', "lora[r=2, use_gating=True, attn_matrices=['q', 'k']]"],
  ['deberta-v3: ia3 (key_proj scales the relative keys too)', 'deberta-v3', 'ia3'],
  ['deberta-v3: prefix_tuning (no position terms on prefix keys)', 'deberta-v3', 'prefix_tuning[prefix_length=3, bottleneck_size=5]'],
  ['deberta-v3: prefix_tuning_flat', 'deberta-v3', 'prefix_tuning_flat[prefix_length=4]'],
  ['deberta-v3: mam', 'deberta-v3', 'mam'],
  ['deberta-v3: unipelt', 'deberta-v3', 'unipelt'],
  ['deberta-v3: prefix_tuning gated', 'deberta-v3', 'prefix_tuning[prefix_length=2, bottleneck_size=4, use_gating=True]'],
  ['deberta-v3: prompt_tuning (relative positions over the prompt-extended sequence)', 'deberta-v3', 'prompt_tuning[prompt_length=3]'],
  ["deberta-v3: the seeds' demo union, prefix 20 + par_bn rf 4", 'deberta-v3', 'prefix_tuning[prefix_length=20]|par_bn[reduction_factor=4]'],
  ['deberta-v2 (pos_key_proj / pos_query_proj): seq_bn + lora + prefix', 'deberta-v2', "seq_bn[reduction_factor=4]|lora[r=2, attn_matrices=['q', 'k', 'v']]|prefix_tuning[prefix_length=2, bottleneck_size=3]"],
  ['deberta-v2: prompt_tuning after the first token + ia3', 'deberta-v2', "prompt_tuning[prompt_length=2, combine='prefix_after_bos']|ia3"],
];

describe('forward against the float64 oracle (max |tfjs − reference| < 1e-4)', () => {
  const errors: string[] = [];
  for (const [label, family, spec] of CASES) {
    it(label, () => {
      const { error, effect } = compare(TINY[family], spec);
      errors.push(`${error.toExponential(2)}  ${label}`);
      expect(error).toBeLessThan(1e-4);
      // The adapter changes the output (with random weights every method does).
      expect(effect).toBeGreaterThan(1e-2);
    });
  }
  it('AdapterDrop: skipped layers run without their adapters', () => {
    for (const spec of ['seq_bn[reduction_factor=4]', 'lora[r=2]', 'prefix_tuning[prefix_length=2, bottleneck_size=3]']) {
      const skipped = compare(TINY.bert, spec, { skipLayers: [0, 2] });
      expect(skipped.error).toBeLessThan(1e-4);
    }
    // Skipping every layer leaves the plain encoder.
    expect(compare(TINY.bert, 'double_seq_bn[reduction_factor=4]', { skipLayers: [0, 1, 2] }).effect).toBeLessThan(1e-5);
    // ALBERT skips by module: module 0 is left out at both layers that run it.
    expect(compare(TINY.albert, 'prefix_tuning[prefix_length=2, bottleneck_size=3]|seq_bn[reduction_factor=4]', { skipLayers: [0, 3] }).error).toBeLessThan(1e-4);
    expect(compare(TINY.albert, 'double_seq_bn[reduction_factor=4]', { skipLayers: [0, 1, 2, 3] }).effect).toBeLessThan(1e-5);
    console.log(`forward errors:\n${errors.join('\n')}`);
  });
});

describe('hooks used directly', () => {
  it('encoderForward(weights, batch, adapter.hooks) equals adapter.encode, call after call (prefix states are recomputed per forward)', () => {
    const config = TINY.bert;
    const weights = uploadEncoderWeights(config, randomWeights(config, 4));
    const batch = testBatch(config);
    const adapter = make(config, 'prefix_tuning[prefix_length=2, bottleneck_size=3, use_gating=True]|seq_bn[reduction_factor=4]|prompt_tuning[prompt_length=2]');
    adapter.loadAdapterStateDict(randomState(adapter, 6));
    const viaEncode = outputs(adapter.encode(weights, batch)).last;
    for (let i = 0; i < 3; i++) expect(outputs(encoderForward(weights, batch, adapter.hooks)).last).toEqual(viaEncode);
    const other = testBatch(config);
    other.inputIds[1] = 7;
    expect(maxAbsDiff(outputs(encoderForward(weights, other, adapter.hooks)).last, viaEncode)).toBeGreaterThan(1e-4);
    weights.dispose();
  });
});

describe('identity at init', () => {
  /** The encoder's outputs with and without the freshly initialised adapter, bitwise. */
  function plainAndAdapted(spec: string) {
    const config = TINY.bert;
    const weights = uploadEncoderWeights(config, randomWeights(config, 5));
    const batch = testBatch(config);
    const adapter = make(config, spec, { name: 'init', seed: 9 });
    const plain = outputs(encoderForward(weights, batch)).last;
    const adapted = outputs(adapter.encode(weights, batch)).last;
    weights.dispose();
    return { plain, adapted, adapter };
  }

  it('seq_bn with its up-projection zeroed reproduces the plain encoder bit for bit', () => {
    const { adapter } = plainAndAdapted('seq_bn[reduction_factor=4]');
    const state = adapter.adapterStateDict();
    for (const [key, t] of state) if (key.includes('adapter_up')) t.data.fill(0);
    adapter.loadAdapterStateDict(state);
    const config = TINY.bert;
    const weights = uploadEncoderWeights(config, randomWeights(config, 5));
    const plain = outputs(encoderForward(weights, testBatch(config))).last;
    const adapted = outputs(adapter.encode(weights, testBatch(config))).last;
    weights.dispose();
    expect(adapted).toEqual(plain);
  });

  it('seq_bn with its bert init (N(0, 0.02)) changes the output only slightly', () => {
    const { plain, adapted } = plainAndAdapted('seq_bn[reduction_factor=4]');
    const diff = maxAbsDiff(plain, adapted);
    expect(diff).toBeGreaterThan(0);
    expect(diff).toBeLessThan(1e-2);
  });

  it('par_bn (mam init: up-projection zero), lora (B zero) and ia3 (ones) reproduce it exactly', () => {
    for (const spec of ['par_bn', 'scaled_par_bn', 'lora', 'ia3']) {
      const { plain, adapted } = plainAndAdapted(spec);
      expect(adapted, spec).toEqual(plain);
      live.pop()!.dispose();
    }
  });
});

describe('ALBERT: adapters on shared layer modules (adapters models/albert/mixin_albert.py, model_mixin.py iter_layers)', () => {
  // TINY.albert: num_hidden_layers 3, num_hidden_groups 2, inner_group_num 2. iter_layers numbers the modules
  // 0 = group 0 layer 0, 1 = group 0 layer 1, 2 = group 1 layer 0, 3 = group 1 layer 1; layers 0 and 1 run
  // group 0 (modules 0, 1), layer 2 runs group 1 (modules 2, 3). An adapter lives on a module (layer index =
  // module index, as leave_out and the prefix pool count them) and is applied at every layer that runs it.
  const keys = (spec: string) => {
    const adapter = createAdapter(TINY.albert, spec, { name: 'sst2' });
    const list = [...adapter.adapterStateDict()].map(([key, t]) => `${key} [${t.shape.join(', ')}]`);
    adapter.dispose();
    return list;
  };
  const modulePath = (m: number) => `albert.encoder.albert_layer_groups.${Math.floor(m / 2)}.albert_layers.${m % 2}`;
  // Every module's PrefixTuningLayer holds the pool (prefix_tuning.py set_pool), so state_dict() lists it there too,
  // left-out modules included.
  const poolCopy = (m: number, locals: string[]) => locals.map((local) => `${modulePath(m)}.attention.prefix_tuning.pool.prefix_tunings.sst2.self_prefix.${local}`);

  it('puts each method at the library\'s module paths, in state-dict order, on module 0 (run by layers 0 and 1)', () => {
    const g0 = modulePath(0);
    const mlp = ['wte.weight [2, 12]', 'control_trans.0.weight [5, 12]', 'control_trans.0.bias [5]', 'control_trans.2.weight [24, 5]', 'control_trans.2.bias [24]'];
    // AlbertAttention: query (LoRA), attention_adapters, prefix_tuning; AlbertLayer: ffn, ffn_output (LoRA), output_adapters.
    expect(keys("double_seq_bn[reduction_factor=4, leave_out=[1, 2, 3]]|lora[r=2, leave_out=[1, 2, 3], attn_matrices=['q'], intermediate_lora=True, output_lora=True]|prefix_tuning[prefix_length=2, bottleneck_size=5, use_gating=True, leave_out=[1, 2, 3]]")).toEqual([
      `${g0}.attention.query.loras.sst2.lora_A [2, 12]`,
      `${g0}.attention.query.loras.sst2.lora_B [12, 2]`,
      `${g0}.attention.attention_adapters.adapters.sst2.adapter_down.0.weight [3, 12]`,
      `${g0}.attention.attention_adapters.adapters.sst2.adapter_down.0.bias [3]`,
      `${g0}.attention.attention_adapters.adapters.sst2.adapter_up.weight [12, 3]`,
      `${g0}.attention.attention_adapters.adapters.sst2.adapter_up.bias [12]`,
      `${g0}.attention.prefix_tuning.prefix_gates.sst2.weight [1, 12]`,
      `${g0}.attention.prefix_tuning.prefix_gates.sst2.bias [1]`,
      ...poolCopy(0, mlp),
      `${g0}.ffn.loras.sst2.lora_A [2, 12]`,
      `${g0}.ffn.loras.sst2.lora_B [20, 2]`,
      `${g0}.ffn_output.loras.sst2.lora_A [2, 20]`,
      `${g0}.ffn_output.loras.sst2.lora_B [12, 2]`,
      `${g0}.output_adapters.adapters.sst2.adapter_down.0.weight [3, 12]`,
      `${g0}.output_adapters.adapters.sst2.adapter_down.0.bias [3]`,
      `${g0}.output_adapters.adapters.sst2.adapter_up.weight [12, 3]`,
      `${g0}.output_adapters.adapters.sst2.adapter_up.bias [12]`,
      ...[1, 2, 3].flatMap((m) => poolCopy(m, mlp)),
      // The pool serves one layer (module 0): 1 · 2 · hidden outputs.
      'albert.prefix_tuning.prefix_tunings.sst2.self_prefix.wte.weight [2, 12]',
      'albert.prefix_tuning.prefix_tunings.sst2.self_prefix.control_trans.0.weight [5, 12]',
      'albert.prefix_tuning.prefix_tunings.sst2.self_prefix.control_trans.0.bias [5]',
      'albert.prefix_tuning.prefix_tunings.sst2.self_prefix.control_trans.2.weight [24, 5]',
      'albert.prefix_tuning.prefix_tunings.sst2.self_prefix.control_trans.2.bias [24]',
    ]);
  });

  it('counts 4 layers (modules), not num_hidden_layers 3: one module each, the prefix pool 4 · 2 · hidden wide', () => {
    expect(keys('seq_bn[reduction_factor=4]').filter((k) => k.endsWith('adapter_up.bias [12]'))).toEqual([0, 1, 2, 3].map((m) =>
      `albert.encoder.albert_layer_groups.${Math.floor(m / 2)}.albert_layers.${m % 2}.output_adapters.adapters.sst2.adapter_up.bias [12]`));
    expect(keys('prefix_tuning_flat[prefix_length=2]')).toEqual([
      ...[0, 1, 2, 3].flatMap((m) => poolCopy(m, ['control_trans [192]'])),
      'albert.prefix_tuning.prefix_tunings.sst2.self_prefix.control_trans [192]',
    ]);
    // A reduction_factor map is keyed by module too: "3" is group 1's second layer.
    expect(keys("seq_bn[reduction_factor={'3': 2, 'default': 4}]").filter((k) => k.includes('adapter_down.0.bias'))).toEqual([3, 3, 3, 6].map((width, m) =>
      `albert.encoder.albert_layer_groups.${Math.floor(m / 2)}.albert_layers.${m % 2}.output_adapters.adapters.sst2.adapter_down.0.bias [${width}]`));
  });

  it('applies an adapter on module 2 only at layer 2, one on module 0 at layers 0 and 1 (the oracle runs the schedule)', () => {
    // Only module 2 (run once, by layer 2) vs only module 0 (run twice): both match the oracle and change the output.
    for (const spec of ['seq_bn[reduction_factor=4, leave_out=[0, 1, 3]]', 'seq_bn[reduction_factor=4, leave_out=[1, 2, 3]]']) {
      const { error, effect } = compare(TINY.albert, spec);
      expect(error).toBeLessThan(1e-4);
      expect(effect).toBeGreaterThan(1e-2);
    }
  });
});

describe('state-dict keys', () => {
  const keys = (config: EncoderConfig, spec: string) => {
    const adapter = createAdapter(config, spec, { name: 'sst2' });
    const list = [...adapter.adapterStateDict().keys()];
    adapter.dispose();
    return list;
  };

  it('bert: bottleneck, LoRA, IA3, prefix and prompt keys of the adapters library', () => {
    expect(keys(TINY.bert, 'seq_bn[leave_out=[1, 2]]')).toEqual([
      'bert.encoder.layer.0.output.adapters.sst2.adapter_down.0.weight',
      'bert.encoder.layer.0.output.adapters.sst2.adapter_down.0.bias',
      'bert.encoder.layer.0.output.adapters.sst2.adapter_up.weight',
      'bert.encoder.layer.0.output.adapters.sst2.adapter_up.bias',
    ]);
    expect(keys(TINY.bert, "scaled_par_bn[ln_before=True, mh_adapter=True, output_adapter=False, leave_out=[1, 2]]")).toEqual([
      'bert.encoder.layer.0.attention.output.adapters.sst2.scaling',
      'bert.encoder.layer.0.attention.output.adapters.sst2.adapter_norm_before.weight',
      'bert.encoder.layer.0.attention.output.adapters.sst2.adapter_down.0.weight',
      'bert.encoder.layer.0.attention.output.adapters.sst2.adapter_norm_before.bias',
      'bert.encoder.layer.0.attention.output.adapters.sst2.adapter_down.0.bias',
      'bert.encoder.layer.0.attention.output.adapters.sst2.adapter_down.1.weight',
      'bert.encoder.layer.0.attention.output.adapters.sst2.adapter_down.1.bias',
      'bert.encoder.layer.0.attention.output.adapters.sst2.adapter_up.weight',
      'bert.encoder.layer.0.attention.output.adapters.sst2.adapter_up.bias',
    ]);
    expect(keys(TINY.bert, 'lora[leave_out=[1, 2], intermediate_lora=True, use_gating=True]')).toEqual([
      'bert.encoder.layer.0.attention.self.query.loras.sst2.lora_A',
      'bert.encoder.layer.0.attention.self.query.loras.sst2.lora_B',
      'bert.encoder.layer.0.attention.self.query.loras.sst2.gate.weight',
      'bert.encoder.layer.0.attention.self.query.loras.sst2.gate.bias',
      'bert.encoder.layer.0.attention.self.value.loras.sst2.lora_A',
      'bert.encoder.layer.0.attention.self.value.loras.sst2.lora_B',
      'bert.encoder.layer.0.attention.self.value.loras.sst2.gate.weight',
      'bert.encoder.layer.0.attention.self.value.loras.sst2.gate.bias',
      'bert.encoder.layer.0.intermediate.dense.loras.sst2.lora_A',
      'bert.encoder.layer.0.intermediate.dense.loras.sst2.lora_B',
      'bert.encoder.layer.0.intermediate.dense.loras.sst2.gate.weight',
      'bert.encoder.layer.0.intermediate.dense.loras.sst2.gate.bias',
    ]);
    expect(keys(TINY.bert, 'ia3[leave_out=[0, 1]]')).toEqual([
      'bert.encoder.layer.2.attention.self.key.loras.sst2.lora_B',
      'bert.encoder.layer.2.attention.self.value.loras.sst2.lora_B',
      'bert.encoder.layer.2.intermediate.dense.loras.sst2.lora_B',
    ]);
    // Every layer's PrefixTuningLayer (models/bert/mixin_bert.py line 26) holds the pool as a submodule
    // (methods/prefix_tuning.py line 349, set_pool: self.__setattr__("pool", pool); model_mixin.py line 489 links every
    // layer, left-out ones too), after its prefix_gates (line 346); save_adapter's filter keeps ".prefix_tunings.NAME."
    // (loading.py line 387), so each layer lists the pool again before the base model's own prefix_tuning.
    const pool = ['wte.weight', 'control_trans.0.weight', 'control_trans.0.bias', 'control_trans.2.weight', 'control_trans.2.bias'];
    const copies = (layer: number) => pool.map((p) => `bert.encoder.layer.${layer}.attention.self.prefix_tuning.pool.prefix_tunings.sst2.self_prefix.${p}`);
    expect(keys(TINY.bert, 'prefix_tuning[use_gating=True, leave_out=[1, 2]]')).toEqual([
      'bert.encoder.layer.0.attention.self.prefix_tuning.prefix_gates.sst2.weight',
      'bert.encoder.layer.0.attention.self.prefix_tuning.prefix_gates.sst2.bias',
      ...copies(0), ...copies(1), ...copies(2),
      ...pool.map((p) => `bert.prefix_tuning.prefix_tunings.sst2.self_prefix.${p}`),
    ]);
    expect(keys(TINY.bert, 'prefix_tuning_flat')).toEqual([
      ...[0, 1, 2].map((l) => `bert.encoder.layer.${l}.attention.self.prefix_tuning.pool.prefix_tunings.sst2.self_prefix.control_trans`),
      'bert.prefix_tuning.prefix_tunings.sst2.self_prefix.control_trans',
    ]);
    expect(keys(TINY.bert, 'prompt_tuning')).toEqual(['bert.prompt_tuning.prompt_tunings.sst2.prompt_embedding.weight']);
    expect(keys(TINY.bert, 'compacter++[reduction_factor=3, leave_out=[1, 2]]')).toEqual([
      'bert.encoder.layer.0.output.adapters.sst2.adapter_down.0.W_left',
      'bert.encoder.layer.0.output.adapters.sst2.adapter_down.0.W_right',
      'bert.encoder.layer.0.output.adapters.sst2.adapter_down.0.b',
      'bert.encoder.layer.0.output.adapters.sst2.adapter_up.W_left',
      'bert.encoder.layer.0.output.adapters.sst2.adapter_up.W_right',
      'bert.encoder.layer.0.output.adapters.sst2.adapter_up.b',
      'bert.shared_parameters.sst2.phm_rule',
    ]);
  });

  it('distilbert, roberta, electra: their module paths and base-model prefixes', () => {
    expect(keys(TINY.distilbert, "double_seq_bn[leave_out=[1]]|lora[leave_out=[1], attn_matrices=['q'], output_lora=True]|prefix_tuning_flat[leave_out=[1]]")).toEqual([
      'distilbert.transformer.layer.0.attention.q_lin.loras.sst2.lora_A',
      'distilbert.transformer.layer.0.attention.q_lin.loras.sst2.lora_B',
      // The attention's PrefixTuningLayer (models/distilbert/mixin_distilbert.py line 21) and its link to the pool.
      'distilbert.transformer.layer.0.attention.prefix_tuning.pool.prefix_tunings.sst2.self.control_trans',
      'distilbert.transformer.layer.0.ffn.lin2.loras.sst2.lora_A',
      'distilbert.transformer.layer.0.ffn.lin2.loras.sst2.lora_B',
      'distilbert.transformer.layer.0.attention_adapters.adapters.sst2.adapter_down.0.weight',
      'distilbert.transformer.layer.0.attention_adapters.adapters.sst2.adapter_down.0.bias',
      'distilbert.transformer.layer.0.attention_adapters.adapters.sst2.adapter_up.weight',
      'distilbert.transformer.layer.0.attention_adapters.adapters.sst2.adapter_up.bias',
      'distilbert.transformer.layer.0.output_adapters.adapters.sst2.adapter_down.0.weight',
      'distilbert.transformer.layer.0.output_adapters.adapters.sst2.adapter_down.0.bias',
      'distilbert.transformer.layer.0.output_adapters.adapters.sst2.adapter_up.weight',
      'distilbert.transformer.layer.0.output_adapters.adapters.sst2.adapter_up.bias',
      'distilbert.transformer.layer.1.attention.prefix_tuning.pool.prefix_tunings.sst2.self.control_trans',
      'distilbert.prefix_tuning.prefix_tunings.sst2.self.control_trans',
    ]);
    expect(keys(TINY.roberta, 'seq_bn[leave_out=[1, 2]]')[0]).toBe('roberta.encoder.layer.0.output.adapters.sst2.adapter_down.0.weight');
    expect(keys(TINY.albert, 'seq_bn[leave_out=[0, 1, 2]]')[0]).toBe('albert.encoder.albert_layer_groups.1.albert_layers.1.output_adapters.adapters.sst2.adapter_down.0.weight');
    expect(keys(TINY.electra, 'lora[leave_out=[1, 2]]')[0]).toBe('electra.encoder.layer.0.attention.self.query.loras.sst2.lora_A');
  });

  // The adapters library's src/adapters/models/deberta_v2/mixin_deberta_v2.py (LoRALinear on query_proj / key_proj /
  // value_proj, PrefixTuningLayer in attention.self) and models/__init__.py (DebertaV2Layer → BertLayerAdaptersMixin:
  // attention.output / output adapters, intermediate.dense / output.dense LoRA); base_model_prefix "deberta".
  it('deberta-v2: query_proj / value_proj LoRA, attention.self prefix gates, BERT layer adapters under the deberta prefix', () => {
    // Each layer's PrefixTuningLayer lists the shared pool again (prefix_tuning.py set_pool), left-out layers included.
    const debertaPoolCopy = (l: number) => ['wte.weight', 'control_trans.0.weight', 'control_trans.0.bias', 'control_trans.2.weight', 'control_trans.2.bias']
      .map((local) => `deberta.encoder.layer.${l}.attention.self.prefix_tuning.pool.prefix_tunings.sst2.self_prefix.${local}`);
    expect(keys(TINY['deberta-v3'], "lora[leave_out=[1, 2], attn_matrices=['q', 'k', 'v']]")).toEqual([
      'deberta.encoder.layer.0.attention.self.query_proj.loras.sst2.lora_A',
      'deberta.encoder.layer.0.attention.self.query_proj.loras.sst2.lora_B',
      'deberta.encoder.layer.0.attention.self.key_proj.loras.sst2.lora_A',
      'deberta.encoder.layer.0.attention.self.key_proj.loras.sst2.lora_B',
      'deberta.encoder.layer.0.attention.self.value_proj.loras.sst2.lora_A',
      'deberta.encoder.layer.0.attention.self.value_proj.loras.sst2.lora_B',
    ]);
    expect(keys(TINY['deberta-v3'], 'ia3[leave_out=[0, 1]]')).toEqual([
      'deberta.encoder.layer.2.attention.self.key_proj.loras.sst2.lora_B',
      'deberta.encoder.layer.2.attention.self.value_proj.loras.sst2.lora_B',
      'deberta.encoder.layer.2.intermediate.dense.loras.sst2.lora_B',
    ]);
    expect(keys(TINY['deberta-v3'], 'double_seq_bn[leave_out=[1, 2]]|prefix_tuning[use_gating=True, leave_out=[1, 2]]|prompt_tuning')).toEqual([
      'deberta.encoder.layer.0.attention.self.prefix_tuning.prefix_gates.sst2.weight',
      'deberta.encoder.layer.0.attention.self.prefix_tuning.prefix_gates.sst2.bias',
      ...debertaPoolCopy(0),
      'deberta.encoder.layer.0.attention.output.adapters.sst2.adapter_down.0.weight',
      'deberta.encoder.layer.0.attention.output.adapters.sst2.adapter_down.0.bias',
      'deberta.encoder.layer.0.attention.output.adapters.sst2.adapter_up.weight',
      'deberta.encoder.layer.0.attention.output.adapters.sst2.adapter_up.bias',
      'deberta.encoder.layer.0.output.adapters.sst2.adapter_down.0.weight',
      'deberta.encoder.layer.0.output.adapters.sst2.adapter_down.0.bias',
      'deberta.encoder.layer.0.output.adapters.sst2.adapter_up.weight',
      'deberta.encoder.layer.0.output.adapters.sst2.adapter_up.bias',
      ...debertaPoolCopy(1),
      ...debertaPoolCopy(2),
      'deberta.prefix_tuning.prefix_tunings.sst2.self_prefix.wte.weight',
      'deberta.prefix_tuning.prefix_tunings.sst2.self_prefix.control_trans.0.weight',
      'deberta.prefix_tuning.prefix_tunings.sst2.self_prefix.control_trans.0.bias',
      'deberta.prefix_tuning.prefix_tunings.sst2.self_prefix.control_trans.2.weight',
      'deberta.prefix_tuning.prefix_tunings.sst2.self_prefix.control_trans.2.bias',
      'deberta.prompt_tuning.prompt_tunings.sst2.prompt_embedding.weight',
    ]);
  });

  it('the head: heads.NAME.1 (H → H) and heads.NAME.4 (H → labels), torch [out, in] shapes', () => {
    const adapter = make(TINY.bert, 'seq_bn', { name: 'sst2', head: { numLabels: 3, id2label: ['neg', 'neu', 'pos'] } });
    const head = adapter.headStateDict();
    expect([...head.keys()]).toEqual(['heads.sst2.1.weight', 'heads.sst2.1.bias', 'heads.sst2.4.weight', 'heads.sst2.4.bias']);
    expect(head.get('heads.sst2.1.weight')!.shape).toEqual([12, 12]);
    expect(head.get('heads.sst2.4.weight')!.shape).toEqual([3, 12]);
    expect([...head.get('heads.sst2.4.bias')!.data]).toEqual([0, 0, 0]);
    expect(adapter.head!.config).toEqual({ head_type: 'classification', num_labels: 3, layers: 2, activation_function: 'tanh', label2id: { neg: 0, neu: 1, pos: 2 }, use_pooler: false, bias: true, dropout_prob: null });
  });

  it('tf.Variables carry the torch keys; loading checks shapes and keys', () => {
    const adapter = make(TINY.bert, 'seq_bn[reduction_factor=4]', { name: 'sst2', head: {} });
    expect(adapter.trainableVariables().map((v) => v.name)).toEqual([...adapter.adapterStateDict().keys(), ...adapter.headStateDict().keys()]);
    const state = adapter.adapterStateDict();
    const key = 'bert.encoder.layer.1.output.adapters.sst2.adapter_up.weight';
    state.set(key, { shape: [12, 3], data: new Float32Array(36).fill(0.25) });
    expect(adapter.loadAdapterStateDict(state, { strict: false })).toEqual({ missing: adapter.head!.params.map((p) => p.key), unexpected: [] });
    expect(adapter.adapterStateDict().get(key)!.data.every((v) => v === 0.25)).toBe(true);
    expect(() => adapter.loadAdapterStateDict(state)).toThrow(/missing heads\.sst2\.1\.weight/);
    state.set('bert.encoder.layer.1.output.adapters.other.adapter_up.weight', { shape: [1], data: new Float32Array(1) });
    expect(() => adapter.loadAdapterStateDict(new Map([...state, ...adapter.headStateDict()]))).toThrow(/unexpected bert\.encoder\.layer\.1\.output\.adapters\.other/);
    state.set(key, { shape: [3, 12], data: new Float32Array(36) });
    expect(() => adapter.loadAdapterStateDict(state, { strict: false })).toThrow(AdapterStateError);
    expect(() => createAdapter(TINY.bert, 'seq_bn', { name: 'sst2' })).toThrow(/already owns the variable/);
  });
});
