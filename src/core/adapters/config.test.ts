import { describe, expect, it } from 'vitest';
import { type BnConfig, type ConfigUnion, type LoRAConfig, type PrefixTuningConfig, ADAPTER_PRESETS, resolveAdapterConfig } from './config.ts';
import { AdapterConfigError } from './errors.ts';
import { PYTHON_FLOAT_FIELDS, pythonFloatRepr, pythonJsonDumps } from './python-json.ts';
import { parsePythonLiteral } from './python-literal.ts';

/** SeqBnConfig().to_dict() as the adapters library (v1.2) writes it: BnConfig defaults + the SeqBn overrides. */
const SEQ_BN_DICT = {
  mh_adapter: false, output_adapter: true, reduction_factor: 16, non_linearity: 'relu', original_ln_before: true, original_ln_after: true,
  ln_before: false, ln_after: false, init_weights: 'bert', init_weights_seed: null, is_parallel: false, scaling: 1.0, use_gating: false,
  residual_before_ln: true, adapter_residual_before_ln: false, inv_adapter: null, inv_adapter_reduction_factor: null, cross_adapter: false,
  leave_out: [], dropout: 0.0, phm_layer: false, phm_dim: 4, factorized_phm_W: true, shared_W_phm: false, shared_phm_rule: true,
  factorized_phm_rule: false, phm_c_init: 'normal', phm_init_range: 0.0001, learn_phm: true, hypercomplex_nonlinearity: 'glorot-uniform',
  phm_rank: 1, phm_bias: true, stochastic_depth: 0.0,
};

/** LoRAConfig().to_dict(). */
const LORA_DICT = {
  architecture: 'lora', selfattn_lora: true, intermediate_lora: false, output_lora: false, leave_out: [], r: 8, alpha: 8, dropout: 0.0,
  attn_matrices: ['q', 'v'], composition_mode: 'add', init_weights: 'lora', init_weights_seed: null, use_gating: false, use_dora: false,
  vera_d: null, vera_b: null, dtype: null,
};

function configError(run: () => unknown): AdapterConfigError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(AdapterConfigError);
    return err as AdapterConfigError;
  }
  throw new Error('expected an AdapterConfigError');
}

describe('presets (ADAPTER_CONFIG_MAP)', () => {
  it('seq_bn has every field SeqBnConfig.to_dict() writes, with its values, and no "architecture" key', () => {
    const config = resolveAdapterConfig('seq_bn');
    expect(config).toEqual(SEQ_BN_DICT);
    expect(Object.keys(config)).toEqual(Object.keys(SEQ_BN_DICT));
    expect(resolveAdapterConfig('pfeiffer')).toEqual(SEQ_BN_DICT);
  });

  it('double_seq_bn, par_bn, scaled_par_bn, compacter, compacter++ differ from BnConfig as the library defines them', () => {
    expect(resolveAdapterConfig('double_seq_bn')).toEqual({ ...SEQ_BN_DICT, original_ln_before: false, mh_adapter: true, non_linearity: 'swish' });
    const parallel = { ...SEQ_BN_DICT, original_ln_before: false, reduction_factor: 2, init_weights: 'mam_adapter', is_parallel: true, scaling: 4.0 };
    expect(resolveAdapterConfig('par_bn')).toEqual(parallel);
    expect(resolveAdapterConfig('scaled_par_bn')).toEqual({ ...parallel, scaling: 'learned' });
    expect(resolveAdapterConfig('compacter')).toEqual({ ...SEQ_BN_DICT, original_ln_before: false, mh_adapter: true, non_linearity: 'gelu', reduction_factor: 32, phm_layer: true });
    expect(resolveAdapterConfig('compacter++')).toEqual({ ...SEQ_BN_DICT, non_linearity: 'gelu', reduction_factor: 32, phm_layer: true });
  });

  it('lora, ia3, prefix tuning and prompt tuning carry their architecture and defaults', () => {
    expect(resolveAdapterConfig('lora')).toEqual(LORA_DICT);
    expect(resolveAdapterConfig('ia3')).toEqual({ ...LORA_DICT, intermediate_lora: true, r: 1, alpha: 1, attn_matrices: ['k', 'v'], composition_mode: 'scale', init_weights: 'ia3' });
    const prefix = {
      architecture: 'prefix_tuning', encoder_prefix: true, cross_prefix: true, leave_out: [], flat: false, prefix_length: 30, bottleneck_size: 512,
      non_linearity: 'tanh', dropout: 0.0, use_gating: false, shared_gating: true, init_weights_seed: null,
    };
    expect(resolveAdapterConfig('prefix_tuning')).toEqual(prefix);
    expect(resolveAdapterConfig('prefix_tuning_flat')).toEqual({ ...prefix, flat: true });
    // random_uniform_scale is a class attribute, not a field: to_dict() does not write it.
    expect(resolveAdapterConfig('prompt_tuning')).toEqual({ architecture: 'prompt_tuning', prompt_length: 10, prompt_init: 'random_uniform', prompt_init_text: null, combine: 'prefix', init_weights_seed: null });
  });

  it('mam and unipelt are unions as MAMConfig() / UniPELTConfig() build them', () => {
    const mam = resolveAdapterConfig('mam') as ConfigUnion;
    expect(mam.architecture).toBe('union');
    expect(mam.configs).toEqual([{ ...resolveAdapterConfig('prefix_tuning'), bottleneck_size: 800 }, resolveAdapterConfig('par_bn')]);
    const unipelt = resolveAdapterConfig('unipelt') as ConfigUnion;
    expect(unipelt.configs).toEqual([
      { ...resolveAdapterConfig('prefix_tuning'), prefix_length: 10, use_gating: true },
      { ...SEQ_BN_DICT, use_gating: true },
      { ...LORA_DICT, alpha: 2, use_gating: true },
    ]);
  });

  it('returns fresh objects: editing one resolved config does not change the preset', () => {
    const a = resolveAdapterConfig('seq_bn') as BnConfig;
    a.leave_out.push(3);
    expect((resolveAdapterConfig('seq_bn') as BnConfig).leave_out).toEqual([]);
    expect(Object.keys(ADAPTER_PRESETS)).toContain('unipelt');
  });
});

describe('config strings (parse_adapter_config_string)', () => {
  it('applies key=value overrides written as Python literals', () => {
    const config = resolveAdapterConfig("seq_bn[reduction_factor=8, leave_out=[0, 1], non_linearity='gelu', use_gating=True, scaling=0.5]") as BnConfig;
    expect(config).toMatchObject({ reduction_factor: 8, leave_out: [0, 1], non_linearity: 'gelu', use_gating: true, scaling: 0.5 });
    const lora = resolveAdapterConfig('lora[r=4, alpha=16, attn_matrices=("q", "k", "v"), init_weights_seed=None]') as LoRAConfig;
    expect(lora).toMatchObject({ r: 4, alpha: 16, attn_matrices: ['q', 'k', 'v'], init_weights_seed: null });
  });

  it('reads a per-layer reduction_factor map with string keys and a default', () => {
    const config = resolveAdapterConfig("seq_bn[reduction_factor={'1': 8, '6': 32, 'default': 16}]") as BnConfig;
    expect(config.reduction_factor).toEqual({ 1: 8, 6: 32, default: 16 });
  });

  it('joins "|" parts into a union, each part with its own overrides', () => {
    const union = resolveAdapterConfig('prefix_tuning[prefix_length=12]|par_bn[reduction_factor=4]') as ConfigUnion;
    expect(union.architecture).toBe('union');
    expect((union.configs[0] as PrefixTuningConfig).prefix_length).toBe(12);
    expect((union.configs[1] as BnConfig).reduction_factor).toBe(4);
  });

  it('rejects unknown fields, presets and malformed strings, naming the field', () => {
    expect(configError(() => resolveAdapterConfig('seq_bn[reduction_factr=8]')).field).toBe('reduction_factr');
    expect(configError(() => resolveAdapterConfig('seq_bn[bottleneck_size=8]')).message).toMatch(/"bottleneck_size" does not exist for bottleneck configs/);
    expect(configError(() => resolveAdapterConfig('nope')).message).toMatch(/Could not identify "nope"/);
    expect(configError(() => resolveAdapterConfig('seq_bn_inv')).message).toMatch(/invertible adapters/);
    expect(configError(() => resolveAdapterConfig('seq_bn[reduction_factor=]')).message).toMatch(/Invalid adapter configuration/);
    // Overrides on a union apply to every member, as ConfigUnion.replace does: prefix tuning has no reduction_factor.
    expect(configError(() => resolveAdapterConfig('mam[reduction_factor=4]')).field).toBe('configs[0].reduction_factor');
  });
});

describe('validation', () => {
  it('names the field whose value is wrong', () => {
    expect(configError(() => resolveAdapterConfig('seq_bn[reduction_factor=0]')).field).toBe('reduction_factor');
    expect(configError(() => resolveAdapterConfig("seq_bn[reduction_factor={'x': 2}]")).field).toBe('reduction_factor');
    expect(configError(() => resolveAdapterConfig("seq_bn[non_linearity='softsign']")).field).toBe('non_linearity');
    expect(configError(() => resolveAdapterConfig("seq_bn[scaling='huge']")).field).toBe('scaling');
    expect(configError(() => resolveAdapterConfig('seq_bn[dropout=1.5]')).field).toBe('dropout');
    expect(configError(() => resolveAdapterConfig("seq_bn[inv_adapter='nice']")).field).toBe('inv_adapter');
    expect(configError(() => resolveAdapterConfig("double_seq_bn[residual_before_ln='post_add']")).field).toBe('residual_before_ln');
    expect(configError(() => resolveAdapterConfig('ia3[r=2]')).field).toBe('r');
    expect(configError(() => resolveAdapterConfig("lora[attn_matrices=['q', 'o']]")).field).toBe('attn_matrices');
    expect(configError(() => resolveAdapterConfig('lora[use_dora=True]')).field).toBe('use_dora');
    expect(configError(() => resolveAdapterConfig("prompt_tuning[prompt_init='from_string']")).field).toBe('prompt_init_text');
    expect(configError(() => resolveAdapterConfig('prefix_tuning[prefix_length=0]')).field).toBe('prefix_length');
  });

  it('rejects unions the library rejects: same architecture twice at one place, unions inside unions', () => {
    expect(configError(() => resolveAdapterConfig('seq_bn|double_seq_bn')).message).toMatch(/both bottleneck adapters at the same place/);
    expect(configError(() => resolveAdapterConfig('lora|ia3')).message).toMatch(/same architecture "lora"/);
    expect(configError(() => resolveAdapterConfig('mam|lora')).message).toMatch(/is itself a union/);
    // Different places (attention only + FFN only), or leave_out, are allowed.
    expect(() => resolveAdapterConfig('seq_bn[mh_adapter=True, output_adapter=False]|par_bn')).not.toThrow();
    expect(() => resolveAdapterConfig('lora[leave_out=[0]]|ia3')).not.toThrow();
  });
});

describe('config dicts (AdapterConfig.load of a saved adapter_config.json "config")', () => {
  it('round-trips every preset through JSON', () => {
    for (const name of Object.keys(ADAPTER_PRESETS)) {
      const config = resolveAdapterConfig(name);
      expect(resolveAdapterConfig(JSON.parse(JSON.stringify(config)))).toEqual(config);
    }
  });

  it('fills class defaults, drops unknown keys, and requires BnConfig\'s required fields', () => {
    const loaded = resolveAdapterConfig({ mh_adapter: false, output_adapter: true, reduction_factor: 8, non_linearity: 'relu', version_note: 'x' });
    expect(loaded).toEqual({ ...SEQ_BN_DICT, original_ln_before: false, reduction_factor: 8 });
    expect(configError(() => resolveAdapterConfig({ mh_adapter: true })).field).toBe('output_adapter');
    expect(configError(() => resolveAdapterConfig({ architecture: 'reft' })).field).toBe('architecture');
    expect(resolveAdapterConfig({ architecture: 'lora', r: 4 })).toEqual({ ...LORA_DICT, r: 4 });
  });
});

describe('Python literals and JSON', () => {
  it('parses Python literals as ast.literal_eval', () => {
    expect(parsePythonLiteral("{'a': [1, 2.5, -3e-2], 'b': (True, False, None), 'c': \"x'y\", 'd': {'1': 8}}")).toEqual({ a: [1, 2.5, -0.03], b: [true, false, null], c: "x'y", d: { 1: 8 } });
    expect(() => parsePythonLiteral('{a: 1}')).toThrow(/expected a Python literal/);
  });

  it('writes floats as Python repr does', () => {
    // repr() of these floats in CPython 3.
    const cases: [number, string][] = [[0.1, '0.1'], [1e16, '1e+16'], [123456789012345680, '1.2345678901234568e+17'], [1.5e-7, '1.5e-07'], [100, '100.0'],
      [0.0001, '0.0001'], [0.00012, '0.00012'], [-2.5, '-2.5'], [1e-5, '1e-05'], [4, '4.0'], [0, '0.0'], [12345.678, '12345.678'], [1e22, '1e+22']];
    for (const [value, repr] of cases) expect(pythonFloatRepr(value)).toBe(repr);
  });

  it('dumps like json.dumps(indent=2, sort_keys=True), float-typed fields as floats', () => {
    // json.dumps({"b": [1, 2.5], "a": {"z": None, "y": True}, "c": [], "d": {}, "é": "ü"}, indent=2, sort_keys=True) in CPython.
    expect(pythonJsonDumps({ b: [1, 2.5], a: { z: null, y: true }, c: [], d: {}, é: 'ü' }))
      .toBe('{\n  "a": {\n    "y": true,\n    "z": null\n  },\n  "b": [\n    1,\n    2.5\n  ],\n  "c": [],\n  "d": {},\n  "\\u00e9": "\\u00fc"\n}');
    const text = pythonJsonDumps({ config: resolveAdapterConfig('par_bn'), hidden_size: 768 });
    expect(text).toContain('"scaling": 4.0');
    expect(text).toContain('"dropout": 0.0');
    expect(text).toContain('"phm_init_range": 0.0001');
    expect(text).toContain('"reduction_factor": 2,');
    expect(text).toContain('"hidden_size": 768');
    expect(pythonJsonDumps(resolveAdapterConfig('scaled_par_bn'))).toContain('"scaling": "learned"');
    expect(PYTHON_FLOAT_FIELDS.has('scaling')).toBe(true);
  });
});
