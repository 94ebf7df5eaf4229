/**
 * Adapter configurations as the `adapters` library (v1.2) defines them in configuration/adapter_config.py:
 * plain JSON objects holding exactly the fields its `to_dict()` writes (snake_case, the library's names), so
 * an export can write them as they are (through `pythonJsonDumps`, which keeps floats floats).
 *
 * Built from the library's preset names (ADAPTER_CONFIG_MAP) with overrides, from config strings
 * ("seq_bn[reduction_factor=8]", "prefix_tuning|par_bn"), or from a saved config dict (missing fields take
 * the class defaults, unknown fields are dropped as `to_dict()` drops them). Every field is checked; errors
 * name the field.
 */
import { activationNamed } from './activations.ts';
import { AdapterConfigError } from './errors.ts';
import { type PythonValue, parseAdapterConfigString } from './python-literal.ts';

/** BnConfig: a bottleneck adapter (sequential or parallel). No "architecture" key, as in the library. */
export interface BnConfig {
  /** Adapter after the attention block (BertSelfOutput). */
  mh_adapter: boolean;
  /** Adapter after the feed-forward block (BertOutput). */
  output_adapter: boolean;
  /** hidden / bottleneck width; a number, or a map from layer index (string) to number with a "default". */
  reduction_factor: number | Record<string, number>;
  /** Activation inside the bottleneck. */
  non_linearity: string;
  /** Add the sub-block residual and apply the pre-trained LayerNorm before the adapter (sequential only). */
  original_ln_before: boolean;
  /** Add the sub-block residual and apply the pre-trained LayerNorm after the adapter. */
  original_ln_after: boolean;
  /** A new LayerNorm on the adapter input. */
  ln_before: boolean;
  /** A new LayerNorm on the adapter output. */
  ln_after: boolean;
  /** "bert" N(0, 0.02); "mam_adapter" kaiming down, zero up; "houlsby" truncated N(0, 0.01). */
  init_weights: 'bert' | 'mam_adapter' | 'houlsby';
  /** Re-seed before every adapter module (all modules then start equal); null: one seed stream. */
  init_weights_seed: number | null;
  /** Parallel adapter (He et al.): input is the sub-block input, output added to the sub-block output. */
  is_parallel: boolean;
  /** Output factor: a constant, "learned" (one trainable scalar) or "channel" (a trainable vector). */
  scaling: number | 'learned' | 'channel';
  /** A trainable sigmoid gate scales the adapter output (UniPELT). */
  use_gating: boolean;
  /** Residual around the adapter taken before the LayerNorm (true), after it (false) or after the add ("post_add"). */
  residual_before_ln: boolean | 'post_add';
  /** With ln_after: add the residual before the new LayerNorm instead of after it. */
  adapter_residual_before_ln: boolean;
  /** Invertible adapter after the embeddings ("nice" / "glow"); not supported by the studio. */
  inv_adapter: string | null;
  /** Reduction factor of the invertible adapter. */
  inv_adapter_reduction_factor: number | null;
  /** Adapters after cross-attention (encoder-decoder models only; no effect on encoders). */
  cross_adapter: boolean;
  /** Layer indices without this adapter (AdapterDrop, static). */
  leave_out: number[];
  /** Dropout on the adapter output during training. */
  dropout: number;
  /** Compacter: down/up projections are parameterized hypercomplex multiplication (PHM) layers. */
  phm_layer: boolean;
  /** Number of Kronecker summands n of a PHM layer. */
  phm_dim: number;
  /** PHM W_i = W_left_i · W_right_i of rank phm_rank. */
  factorized_phm_W: boolean;
  /** PHM W shared by all layers (model-level shared parameters). */
  shared_W_phm: boolean;
  /** PHM rule matrices A_i shared by all layers. */
  shared_phm_rule: boolean;
  /** PHM rule A_i = left_i · right_i (rank 1). */
  factorized_phm_rule: boolean;
  /** Init of the PHM rule: "normal" or "uniform". */
  phm_c_init: 'normal' | 'uniform';
  /** Std of the shared PHM rule's normal init. */
  phm_init_range: number;
  /** Whether the PHM rule trains. */
  learn_phm: boolean;
  /** Init of PHM W (the library initialises W xavier-normal whatever this says). */
  hypercomplex_nonlinearity: string;
  /** Rank of the factorized PHM W. */
  phm_rank: number;
  /** PHM layers have a bias. */
  phm_bias: boolean;
  /** Probability of dropping the adapter output of a whole sequence during training. */
  stochastic_depth: number;
}

export interface PrefixTuningConfig {
  architecture: 'prefix_tuning';
  /** Prefixes in the encoder (encoder-decoder models; always used here). */
  encoder_prefix: boolean;
  /** Prefixes in cross-attention (encoder-decoder models; no effect on encoders). */
  cross_prefix: boolean;
  /** Layer indices without a prefix. */
  leave_out: number[];
  /** Train the prefix key/values directly instead of through the MLP reparametrisation. */
  flat: boolean;
  /** Prefix positions P prepended to every layer's keys and values. */
  prefix_length: number;
  /** Width of the reparametrisation MLP. */
  bottleneck_size: number;
  /** Activation of the reparametrisation MLP. */
  non_linearity: string;
  /** Dropout on the prefix key/values during training. */
  dropout: number;
  /** A trainable gate per layer scales the prefix keys/values (UniPELT). */
  use_gating: boolean;
  /** One gate for keys and values (true) or one each (false). */
  shared_gating: boolean;
  /** Fixed init seed; null: the adapter's seed stream. */
  init_weights_seed: number | null;
}

export interface PromptTuningConfig {
  architecture: 'prompt_tuning';
  /** Prompt embeddings prepended after the embedding layer. */
  prompt_length: number;
  /** "random_uniform" (U(-0.5, 0.5)) or "from_string" (word embeddings of prompt_init_text). */
  prompt_init: 'random_uniform' | 'from_string';
  /** Text whose tokens initialise the prompt when prompt_init is "from_string". */
  prompt_init_text: string | null;
  /** "prefix": prompt before all tokens; "prefix_after_bos": after the first token. */
  combine: 'prefix' | 'prefix_after_bos';
  /** Fixed init seed; null: the adapter's seed stream. */
  init_weights_seed: number | null;
}

/** LoRAConfig, and IA3Config (composition_mode "scale"), which the library files under architecture "lora". */
export interface LoRAConfig {
  architecture: 'lora';
  /** Adapt the self-attention projections named in attn_matrices. */
  selfattn_lora: boolean;
  /** Adapt the first feed-forward projection (intermediate.dense). */
  intermediate_lora: boolean;
  /** Adapt the second feed-forward projection (output.dense). */
  output_lora: boolean;
  /** Layer indices left alone. */
  leave_out: number[];
  /** Rank of the update (1 for IA3). */
  r: number;
  /** LoRA: update scaled by alpha / r; IA3: the vector scaled by alpha. */
  alpha: number;
  /** Dropout on the LoRA input during training (LoRA only). */
  dropout: number;
  /** Which of the query ("q"), key ("k") and value ("v") projections to adapt. */
  attn_matrices: ('q' | 'k' | 'v')[];
  /** "add": W x + scaling · B A x (LoRA); "scale": (W x + b) ⊙ alpha·l (IA3). */
  composition_mode: 'add' | 'scale';
  /** "lora": A kaiming, B zero; "bert": both N(0, 0.02); "ia3": ones. */
  init_weights: 'lora' | 'bert' | 'ia3';
  /** Fixed init seed; null: the adapter's seed stream. */
  init_weights_seed: number | null;
  /** A trainable sigmoid gate replaces the scaling (UniPELT). */
  use_gating: boolean;
  /** DoRA magnitude decomposition; not supported by the studio. */
  use_dora: boolean;
  /** VeRA's d; not supported (must be null). */
  vera_d: number | null;
  /** VeRA's b; not supported (must be null). */
  vera_b: number | null;
  /** torch dtype of the update; null or "float32". */
  dtype: string | null;
}

/** Several methods in one adapter (MAM, UniPELT, "prefix_tuning|par_bn"). */
export interface ConfigUnion {
  architecture: 'union';
  configs: AdapterMethodConfig[];
}

export type AdapterMethodConfig = BnConfig | PrefixTuningConfig | PromptTuningConfig | LoRAConfig;
export type AdapterConfig = AdapterMethodConfig | ConfigUnion;

/** What the library's `adapter_summary` calls the architecture: config["architecture"] or "bottleneck". */
export type ArchitectureName = 'bottleneck' | 'prefix_tuning' | 'prompt_tuning' | 'lora' | 'union';

export function architectureOf(config: AdapterConfig): ArchitectureName {
  return 'architecture' in config && config.architecture ? config.architecture : 'bottleneck';
}

export function isBottleneck(config: AdapterConfig): config is BnConfig {
  return architectureOf(config) === 'bottleneck';
}

export function isUnion(config: AdapterConfig): config is ConfigUnion {
  return architectureOf(config) === 'union';
}

/** The method configs of an adapter: the union's members, or the config itself. */
export function methodConfigs(config: AdapterConfig): AdapterMethodConfig[] {
  return isUnion(config) ? config.configs : [config];
}

// ---------------------------------------------------------------------------------------------------------
// Field schemas: each field's check, in the dataclass's field order (the order asdict writes).

type Check = (value: unknown) => string | undefined;

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const bool: Check = (v) => (typeof v === 'boolean' ? undefined : 'must be true or false');
const positiveInt: Check = (v) => (isInt(v) && v >= 1 ? undefined : 'must be a positive integer');
const finite: Check = (v) => (typeof v === 'number' && Number.isFinite(v) ? undefined : 'must be a number');
const probability: Check = (v) => (typeof v === 'number' && v >= 0 && v < 1 ? undefined : 'must be a number in [0, 1)');
const oneOf = (...allowed: unknown[]): Check => (v) => (allowed.includes(v) ? undefined : `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
const nullable = (check: Check): Check => (v) => (v === null ? undefined : check(v));
const text: Check = (v) => (typeof v === 'string' ? undefined : 'must be a string');
const seed: Check = nullable((v) => (isInt(v) && v >= 0 ? undefined : 'must be a non-negative integer or null'));
const layerList: Check = (v) => (Array.isArray(v) && v.every((l) => isInt(l) && l >= 0) ? undefined : 'must be a list of layer indices (non-negative integers)');
const activation: Check = (v) => (typeof v === 'string' && activationNamed(v) ? undefined : 'must name a supported activation (relu, gelu, gelu_new, swish, silu, tanh, sigmoid, leakyrelu, quick_gelu, relu6, mish, linear)');
const unsupported = (what: string, allowed: unknown): Check => (v) => (v === allowed || (allowed === null && v === undefined) ? undefined : `is not supported by the studio (${what}); leave it ${JSON.stringify(allowed)}`);

const reductionFactor: Check = (v) => {
  if (typeof v === 'number') return v > 0 ? undefined : 'must be a positive number';
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    for (const [key, value] of Object.entries(v)) {
      if (key !== 'default' && !/^\d+$/.test(key)) return `has key "${key}"; keys must be layer indices as strings ("0", "11") or "default"`;
      if (typeof value !== 'number' || !(value > 0)) return `has ${JSON.stringify(value)} for "${key}"; values must be positive numbers`;
    }
    return undefined;
  }
  return 'must be a positive number or a map like {"1": 8, "default": 16}';
};

const BN_SCHEMA: Record<keyof BnConfig, Check> = {
  mh_adapter: bool,
  output_adapter: bool,
  reduction_factor: reductionFactor,
  non_linearity: activation,
  original_ln_before: bool,
  original_ln_after: bool,
  ln_before: bool,
  ln_after: bool,
  init_weights: oneOf('bert', 'mam_adapter', 'houlsby'),
  init_weights_seed: seed,
  is_parallel: bool,
  scaling: (v) => (typeof v === 'number' && Number.isFinite(v)) || v === 'learned' || v === 'channel' ? undefined : 'must be a number, "learned" or "channel"',
  use_gating: bool,
  residual_before_ln: oneOf(true, false, 'post_add'),
  adapter_residual_before_ln: bool,
  inv_adapter: unsupported('invertible adapters', null),
  inv_adapter_reduction_factor: nullable(finite),
  cross_adapter: bool,
  leave_out: layerList,
  dropout: probability,
  phm_layer: bool,
  phm_dim: positiveInt,
  factorized_phm_W: bool,
  shared_W_phm: bool,
  shared_phm_rule: bool,
  factorized_phm_rule: bool,
  phm_c_init: oneOf('normal', 'uniform'),
  phm_init_range: finite,
  learn_phm: bool,
  hypercomplex_nonlinearity: oneOf('phm', 'glorot-normal', 'glorot-uniform', 'normal'),
  phm_rank: positiveInt,
  phm_bias: bool,
  stochastic_depth: probability,
};

const PREFIX_SCHEMA: Record<keyof PrefixTuningConfig, Check> = {
  architecture: oneOf('prefix_tuning'),
  encoder_prefix: bool,
  cross_prefix: bool,
  leave_out: layerList,
  flat: bool,
  prefix_length: positiveInt,
  bottleneck_size: positiveInt,
  non_linearity: activation,
  dropout: probability,
  use_gating: bool,
  shared_gating: bool,
  init_weights_seed: seed,
};

const PROMPT_SCHEMA: Record<keyof PromptTuningConfig, Check> = {
  architecture: oneOf('prompt_tuning'),
  prompt_length: positiveInt,
  prompt_init: oneOf('random_uniform', 'from_string'),
  prompt_init_text: nullable(text),
  combine: oneOf('prefix', 'prefix_after_bos'),
  init_weights_seed: seed,
};

const LORA_SCHEMA: Record<keyof LoRAConfig, Check> = {
  architecture: oneOf('lora'),
  selfattn_lora: bool,
  intermediate_lora: bool,
  output_lora: bool,
  leave_out: layerList,
  r: positiveInt,
  alpha: finite,
  dropout: probability,
  attn_matrices: (v) => (Array.isArray(v) && v.every((m) => m === 'q' || m === 'k' || m === 'v') ? undefined : 'must be a list of "q", "k", "v"'),
  composition_mode: oneOf('add', 'scale'),
  init_weights: (v) => (v === 'vera' ? 'is "vera" (VeRA), which the studio does not support' : oneOf('lora', 'bert', 'ia3')(v)),
  init_weights_seed: seed,
  use_gating: bool,
  use_dora: unsupported('DoRA', false),
  vera_d: unsupported('VeRA', null),
  vera_b: unsupported('VeRA', null),
  dtype: (v) => (v === null || v === 'float32' ? undefined : 'must be null or "float32" (the studio trains in float32)'),
};

// ---------------------------------------------------------------------------------------------------------
// Class defaults and presets.

const BN_DEFAULTS: Omit<BnConfig, 'mh_adapter' | 'output_adapter' | 'reduction_factor' | 'non_linearity'> = {
  original_ln_before: false, original_ln_after: true, ln_before: false, ln_after: false, init_weights: 'bert',
  init_weights_seed: null, is_parallel: false, scaling: 1.0, use_gating: false, residual_before_ln: true,
  adapter_residual_before_ln: false, inv_adapter: null, inv_adapter_reduction_factor: null, cross_adapter: false,
  leave_out: [], dropout: 0.0, phm_layer: false, phm_dim: 4, factorized_phm_W: true, shared_W_phm: false,
  shared_phm_rule: true, factorized_phm_rule: false, phm_c_init: 'normal', phm_init_range: 0.0001, learn_phm: true,
  hypercomplex_nonlinearity: 'glorot-uniform', phm_rank: 1, phm_bias: true, stochastic_depth: 0.0,
};

const PREFIX_DEFAULTS: PrefixTuningConfig = {
  architecture: 'prefix_tuning', encoder_prefix: true, cross_prefix: true, leave_out: [], flat: false, prefix_length: 30,
  bottleneck_size: 512, non_linearity: 'tanh', dropout: 0.0, use_gating: false, shared_gating: true, init_weights_seed: null,
};

const PROMPT_DEFAULTS: PromptTuningConfig = {
  architecture: 'prompt_tuning', prompt_length: 10, prompt_init: 'random_uniform', prompt_init_text: null, combine: 'prefix', init_weights_seed: null,
};

const LORA_DEFAULTS: LoRAConfig = {
  architecture: 'lora', selfattn_lora: true, intermediate_lora: false, output_lora: false, leave_out: [], r: 8, alpha: 8,
  dropout: 0.0, attn_matrices: ['q', 'v'], composition_mode: 'add', init_weights: 'lora', init_weights_seed: null,
  use_gating: false, use_dora: false, vera_d: null, vera_b: null, dtype: null,
};

/** Copies `values` in the schema's field order (the order Python's asdict writes). */
function ordered<T>(schema: Record<keyof T, Check>, values: T): T {
  const out = {} as T;
  for (const key of Object.keys(schema) as (keyof T)[]) out[key] = structuredClone(values[key]);
  return out;
}

const bn = (fields: Partial<BnConfig> & Pick<BnConfig, 'mh_adapter' | 'output_adapter' | 'reduction_factor' | 'non_linearity'>): BnConfig =>
  ordered(BN_SCHEMA, { ...BN_DEFAULTS, ...fields });
const seqBn = (fields: Partial<BnConfig> = {}) => bn({ original_ln_before: true, original_ln_after: true, residual_before_ln: true, mh_adapter: false, output_adapter: true, non_linearity: 'relu', reduction_factor: 16, ...fields });
const doubleSeqBn = (fields: Partial<BnConfig> = {}) => bn({ original_ln_before: false, original_ln_after: true, residual_before_ln: true, mh_adapter: true, output_adapter: true, non_linearity: 'swish', reduction_factor: 16, ...fields });
const parBn = (fields: Partial<BnConfig> = {}) => bn({ original_ln_before: false, original_ln_after: true, mh_adapter: false, output_adapter: true, non_linearity: 'relu', reduction_factor: 2, init_weights: 'mam_adapter', is_parallel: true, scaling: 4.0, ...fields });
const prefixTuning = (fields: Partial<PrefixTuningConfig> = {}) => ordered(PREFIX_SCHEMA, { ...PREFIX_DEFAULTS, ...fields });
const lora = (fields: Partial<LoRAConfig> = {}) => ordered(LORA_SCHEMA, { ...LORA_DEFAULTS, ...fields });
const gated = <T extends AdapterMethodConfig>(config: T): T => ({ ...config, use_gating: true } as T);

/** The library's ADAPTER_CONFIG_MAP presets the studio runs (invertible, VeRA, DoRA, MTL-LoRA and ReFT presets are not here). */
export const ADAPTER_PRESETS = {
  seq_bn: () => seqBn(),
  pfeiffer: () => seqBn(),
  double_seq_bn: () => doubleSeqBn(),
  houlsby: () => doubleSeqBn(),
  par_bn: () => parBn(),
  parallel: () => parBn(),
  scaled_par_bn: () => parBn({ scaling: 'learned' }),
  scaled_parallel: () => parBn({ scaling: 'learned' }),
  'compacter++': () => seqBn({ phm_layer: true, reduction_factor: 32, non_linearity: 'gelu' }),
  compacter: () => doubleSeqBn({ phm_layer: true, reduction_factor: 32, non_linearity: 'gelu' }),
  prefix_tuning: () => prefixTuning(),
  prefix_tuning_flat: () => prefixTuning({ flat: true }),
  prompt_tuning: () => ordered(PROMPT_SCHEMA, { ...PROMPT_DEFAULTS }),
  lora: () => lora(),
  ia3: () => lora({ intermediate_lora: true, r: 1, alpha: 1, attn_matrices: ['k', 'v'], composition_mode: 'scale', init_weights: 'ia3' }),
  mam: (): ConfigUnion => ({ architecture: 'union', configs: [prefixTuning({ bottleneck_size: 800 }), parBn()] }),
  unipelt: (): ConfigUnion => ({ architecture: 'union', configs: [gated(prefixTuning({ prefix_length: 10 })), gated(seqBn({ reduction_factor: 16 })), gated(lora({ r: 8, alpha: 2 }))] }),
} satisfies Record<string, () => AdapterConfig>;

export type AdapterPresetName = keyof typeof ADAPTER_PRESETS;

/** The library's DEFAULT_ADAPTER_CONFIG. */
export const DEFAULT_ADAPTER_PRESET: AdapterPresetName = 'seq_bn';

/** Presets the library has but the studio does not run, with the reason. */
const UNSUPPORTED_PRESETS: Record<string, string> = {
  seq_bn_inv: 'invertible adapters', double_seq_bn_inv: 'invertible adapters', 'pfeiffer+inv': 'invertible adapters',
  'houlsby+inv': 'invertible adapters', vera: 'VeRA', dora: 'DoRA', dvora: 'DoRA', mtl_lora: 'MTL-LoRA',
  loreft: 'ReFT', noreft: 'ReFT', direft: 'ReFT',
};

// ---------------------------------------------------------------------------------------------------------
// Resolution and validation.

function presetNamed(name: string): AdapterConfig {
  const make = (ADAPTER_PRESETS as Record<string, () => AdapterConfig>)[name];
  if (make) return make();
  const reason = UNSUPPORTED_PRESETS[name];
  if (reason) throw new AdapterConfigError(`Adapter config "${name}" uses ${reason}, which the studio cannot train; choose one of ${Object.keys(ADAPTER_PRESETS).join(', ')}.`);
  throw new AdapterConfigError(`Could not identify "${name}" as an adapter configuration; known presets: ${Object.keys(ADAPTER_PRESETS).join(', ')}.`);
}

function schemaOf(config: AdapterMethodConfig): Record<string, Check> {
  switch (architectureOf(config)) {
    case 'prefix_tuning': return PREFIX_SCHEMA;
    case 'prompt_tuning': return PROMPT_SCHEMA;
    case 'lora': return LORA_SCHEMA;
    default: return BN_SCHEMA;
  }
}

/** dataclasses.replace: every override must be a field of the config class. */
function replaceFields(config: AdapterConfig, overrides: Record<string, unknown>, where: string): AdapterConfig {
  if (isUnion(config)) {
    // ConfigUnion.replace applies the changes to every member.
    return { architecture: 'union', configs: config.configs.map((c, i) => replaceFields(c, overrides, `${where}configs[${i}].`) as AdapterMethodConfig) };
  }
  const schema = schemaOf(config);
  for (const key of Object.keys(overrides)) {
    if (!(key in schema) || key === 'architecture') {
      throw new AdapterConfigError(`Adapter config field "${where}${key}" does not exist for ${architectureOf(config)} configs; its fields are: ${Object.keys(schema).filter((k) => k !== 'architecture').join(', ')}.`, `${where}${key}`);
    }
  }
  return { ...config, ...structuredClone(overrides) } as AdapterConfig;
}

/** AdapterConfig.from_dict: class chosen by "architecture", class defaults for missing fields, unknown fields dropped. */
function fromDict(dict: Record<string, unknown>, where: string): AdapterConfig {
  const architecture = dict.architecture ?? null;
  if (architecture === 'union') {
    if (!Array.isArray(dict.configs)) throw new AdapterConfigError(`Adapter config "${where}configs" must be a list of configs for architecture "union".`, `${where}configs`);
    return { architecture: 'union', configs: dict.configs.map((c, i) => fromDict(asDict(c, `${where}configs[${i}]`), `${where}configs[${i}].`) as AdapterMethodConfig) };
  }
  const pick = <T extends object>(schema: Record<keyof T, Check>, defaults: Partial<T>): T => {
    const values = { ...defaults } as Record<string, unknown>;
    for (const key of Object.keys(schema)) if (key in dict) values[key] = dict[key];
    for (const key of Object.keys(schema)) {
      if (!(key in values)) throw new AdapterConfigError(`Adapter config "${where.slice(0, -1) || 'config'}" lacks the required field "${where}${key}".`, `${where}${key}`);
    }
    return ordered(schema, values as T);
  };
  switch (architecture) {
    case null: {
      // The library's legacy key for the invertible adapter.
      const legacy = dict.invertible_adapter as { block_type?: string } | null | undefined;
      if (legacy && !('inv_adapter' in dict)) dict = { ...dict, inv_adapter: legacy.block_type ?? null };
      return pick<BnConfig>(BN_SCHEMA, BN_DEFAULTS);
    }
    case 'prefix_tuning': return pick<PrefixTuningConfig>(PREFIX_SCHEMA, PREFIX_DEFAULTS);
    case 'prompt_tuning': return pick<PromptTuningConfig>(PROMPT_SCHEMA, PROMPT_DEFAULTS);
    case 'lora': return pick<LoRAConfig>(LORA_SCHEMA, LORA_DEFAULTS);
    default:
      throw new AdapterConfigError(`Adapter config "${where}architecture" is ${JSON.stringify(architecture)}; the studio runs bottleneck (no architecture), "prefix_tuning", "prompt_tuning", "lora" and "union" configs.`, `${where}architecture`);
  }
}

function asDict(value: unknown, where: string): Record<string, unknown> {
  if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  throw new AdapterConfigError(`Adapter config "${where}" must be a JSON object, got ${JSON.stringify(value)}.`, where);
}

function checkFields(config: AdapterMethodConfig, where: string): void {
  const schema = schemaOf(config);
  for (const [key, check] of Object.entries(schema)) {
    const problem = check((config as unknown as Record<string, unknown>)[key]);
    if (problem) throw new AdapterConfigError(`Adapter config field "${where}${key}" = ${JSON.stringify((config as unknown as Record<string, unknown>)[key])} ${problem}.`, `${where}${key}`);
  }
  const fail = (field: string, message: string): never => { throw new AdapterConfigError(`Adapter config field "${where}${field}" ${message}.`, `${where}${field}`); };
  switch (architectureOf(config)) {
    case 'bottleneck': {
      const c = config as BnConfig;
      if (c.residual_before_ln === 'post_add' && (!c.original_ln_before || c.is_parallel)) fail('residual_before_ln', 'is "post_add", which needs original_ln_before = true on a sequential adapter (the residual is taken after that add)');
      if (c.phm_layer && c.shared_W_phm && !c.factorized_phm_W) fail('shared_W_phm', 'needs factorized_phm_W = true (the library cannot build a shared unfactorized W)');
      if (c.phm_layer && c.shared_W_phm && typeof c.reduction_factor !== 'number') fail('reduction_factor', 'must be one number when shared_W_phm = true (all layers share one W)');
      if (c.phm_layer && c.init_weights !== 'bert') fail('init_weights', `is "${c.init_weights}", which the library cannot apply to PHM layers (they have no .weight); use "bert"`);
      break;
    }
    case 'prompt_tuning': {
      const c = config as PromptTuningConfig;
      if (c.prompt_init === 'from_string' && !c.prompt_init_text) fail('prompt_init_text', 'must be set when prompt_init is "from_string"');
      break;
    }
    case 'lora': {
      const c = config as LoRAConfig;
      if (c.composition_mode === 'scale' && c.r !== 1) fail('r', `is ${c.r}; composition_mode "scale" (IA3) needs r = 1`);
      if (c.composition_mode === 'scale' && c.dropout > 0) fail('dropout', 'must be 0 with composition_mode "scale" (IA3 has no dropout)');
      break;
    }
    default:
  }
}

/** ConfigUnion.validate: members of one architecture conflict unless bottlenecks at different places or one has leave_out. */
function checkUnion(configs: AdapterMethodConfig[]): void {
  configs.forEach((a, i) => configs.slice(0, i).forEach((b, j) => {
    const arch = architectureOf(a);
    if (arch !== architectureOf(b)) return;
    if ((('leave_out' in a) && a.leave_out.length) || (('leave_out' in b) && b.leave_out.length)) return;
    if (arch === 'bottleneck') {
      const x = a as BnConfig;
      const y = b as BnConfig;
      if (x.mh_adapter !== y.mh_adapter && x.output_adapter !== y.output_adapter) return;
      throw new AdapterConfigError(`Adapter config union members configs[${j}] and configs[${i}] are both bottleneck adapters at the same place (mh_adapter / output_adapter); they cannot be combined.`, `configs[${i}]`);
    }
    throw new AdapterConfigError(`Adapter config union members configs[${j}] and configs[${i}] have the same architecture "${arch}" and cannot be combined.`, `configs[${i}]`);
  }));
}

/** Checks every field and the library's cross-field rules; returns the config. */
export function validateAdapterConfig<T extends AdapterConfig>(config: T): T {
  if (isUnion(config)) {
    config.configs.forEach((c, i) => {
      if (isUnion(c)) throw new AdapterConfigError(`Adapter config union member configs[${i}] is itself a union, which the library does not allow.`, `configs[${i}]`);
      checkFields(c, `configs[${i}].`);
    });
    checkUnion(config.configs);
  } else checkFields(config as AdapterMethodConfig, '');
  return config;
}

/**
 * The full config for a preset name, a config string ("seq_bn[reduction_factor=8]", "prefix_tuning|par_bn")
 * or a config dict (e.g. the "config" of a saved adapter_config.json), with `overrides` applied to every
 * method (as dataclasses.replace). Throws AdapterConfigError naming the field at fault.
 */
export function resolveAdapterConfig(spec: string | AdapterConfig | Record<string, unknown>, overrides: Record<string, unknown> = {}): AdapterConfig {
  let config: AdapterConfig;
  if (typeof spec === 'string') {
    const name = spec.trim();
    if (name in ADAPTER_PRESETS || name in UNSUPPORTED_PRESETS) config = presetNamed(name);
    else {
      const parts = parseAdapterConfigString(spec).map(({ name: preset, overrides: values }) => replaceFields(presetNamed(preset.trim()), values as Record<string, PythonValue>, ''));
      // Several parts form a union; a union inside it ("mam|lora") is rejected by validation, as by the library.
      config = parts.length === 1 ? parts[0] : { architecture: 'union', configs: parts as AdapterMethodConfig[] };
    }
  } else {
    config = fromDict(asDict(spec, 'config'), '');
  }
  return validateAdapterConfig(Object.keys(overrides).length ? replaceFields(config, overrides, '') : config);
}

/** The bottleneck width at layer `layer`: int(hidden // reduction_factor), at least 1, as bottleneck.py / modeling.py. */
export function bottleneckSize(config: BnConfig, hiddenSize: number, layer: number): number {
  let factor = config.reduction_factor;
  if (typeof factor !== 'number') {
    const value = factor[String(layer)] ?? factor.default;
    if (value === undefined) {
      throw new AdapterConfigError(`Adapter config field "reduction_factor" gives no value for layer ${layer} and no "default"; add one, e.g. {"${layer}": 16, "default": 16}.`, 'reduction_factor');
    }
    factor = value;
  }
  return Math.max(1, Math.floor(hiddenSize / factor));
}
