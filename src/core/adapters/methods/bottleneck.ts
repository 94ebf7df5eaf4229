/**
 * Bottleneck adapters (the library's BnConfig: seq_bn / Pfeiffer, double_seq_bn / Houlsby, par_bn, scaled_par_bn)
 * and Compacter (phm_layer): config schema and defaults, the preset builders, the modules' parameters
 * (modeling.py Adapter / ParallelAdapter, PHMLayer), the Adapter step's knobs, and PEFT (none).
 */
import { layerModules } from '../../model/families/index.ts';
import { type Activation, activationOf } from '../activation-names.ts';
import { AdapterConfigError } from '../errors.ts';
import type { BottleneckLocation, ModelLayout } from '../locations.ts';
import { type LinearParams, type NormParams, ParamList, linearDefault } from '../param-list.ts';
import type { ParamInit, ParamSpec } from '../parameters.ts';
import { type FamilyPlanning, type MethodFamily, type PlanContext, defined } from './family.ts';
import { type Check, type Schema, activation, bool, finite, layerList, nullable, oneOf, ordered, positiveInt, probability, seed, unsupported } from './schema.ts';

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

const BN_SCHEMA: Schema<BnConfig> = {
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

/** BnConfig's class defaults; the four fields without one are required in a saved dict. */
const BN_DEFAULTS: Omit<BnConfig, 'mh_adapter' | 'output_adapter' | 'reduction_factor' | 'non_linearity'> = {
  original_ln_before: false, original_ln_after: true, ln_before: false, ln_after: false, init_weights: 'bert',
  init_weights_seed: null, is_parallel: false, scaling: 1.0, use_gating: false, residual_before_ln: true,
  adapter_residual_before_ln: false, inv_adapter: null, inv_adapter_reduction_factor: null, cross_adapter: false,
  leave_out: [], dropout: 0.0, phm_layer: false, phm_dim: 4, factorized_phm_W: true, shared_W_phm: false,
  shared_phm_rule: true, factorized_phm_rule: false, phm_c_init: 'normal', phm_init_range: 0.0001, learn_phm: true,
  hypercomplex_nonlinearity: 'glorot-uniform', phm_rank: 1, phm_bias: true, stochastic_depth: 0.0,
};

const bn = (fields: Partial<BnConfig> & Pick<BnConfig, 'mh_adapter' | 'output_adapter' | 'reduction_factor' | 'non_linearity'>): BnConfig =>
  ordered(BN_SCHEMA, { ...BN_DEFAULTS, ...fields });
/** SeqBnConfig (Pfeiffer et al.): one adapter after the feed-forward block. */
export const seqBn = (fields: Partial<BnConfig> = {}) => bn({ original_ln_before: true, original_ln_after: true, residual_before_ln: true, mh_adapter: false, output_adapter: true, non_linearity: 'relu', reduction_factor: 16, ...fields });
/** DoubleSeqBnConfig (Houlsby et al.): adapters after the attention and the feed-forward block. */
export const doubleSeqBn = (fields: Partial<BnConfig> = {}) => bn({ original_ln_before: false, original_ln_after: true, residual_before_ln: true, mh_adapter: true, output_adapter: true, non_linearity: 'swish', reduction_factor: 16, ...fields });
/** ParBnConfig (He et al.): a scaled adapter beside the feed-forward block. */
export const parBn = (fields: Partial<BnConfig> = {}) => bn({ original_ln_before: false, original_ln_after: true, mh_adapter: false, output_adapter: true, non_linearity: 'relu', reduction_factor: 2, init_weights: 'mam_adapter', is_parallel: true, scaling: 4.0, ...fields });

/** Widest bottleneck as a multiple of the hidden size: reduction_factor down to 1/16. */
export const MAX_WIDTH_RATIO = 16;

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

export const BOTTLENECK: MethodFamily<BnConfig, BottleneckModule[]> = {
  architecture: 'bottleneck',
  schema: BN_SCHEMA,
  defaults: BN_DEFAULTS,
  upgradeDict(dict) {
    // The library's legacy key for the invertible adapter.
    const legacy = dict.invertible_adapter as { block_type?: string } | null | undefined;
    return legacy && !('inv_adapter' in dict) ? { ...dict, inv_adapter: legacy.block_type ?? null } : dict;
  },
  check(c, fail) {
    if (c.residual_before_ln === 'post_add' && (!c.original_ln_before || c.is_parallel)) fail('residual_before_ln', 'is "post_add", which needs original_ln_before = true on a sequential adapter (the residual is taken after that add)');
    if (c.phm_layer && c.shared_W_phm && !c.factorized_phm_W) fail('shared_W_phm', 'needs factorized_phm_W = true (the library cannot build a shared unfactorized W)');
    if (c.phm_layer && c.shared_W_phm && typeof c.reduction_factor !== 'number') fail('reduction_factor', 'must be one number when shared_W_phm = true (all layers share one W)');
    if (c.phm_layer && c.init_weights !== 'bert') fail('init_weights', `is "${c.init_weights}", which the library cannot apply to PHM layers (they have no .weight); use "bert"`);
  },
  unionConflict: (a, b) => (a.mh_adapter !== b.mh_adapter && a.output_adapter !== b.output_adapter
    ? null
    : 'are both bottleneck adapters at the same place (mh_adapter / output_adapter); they cannot be combined'),
  checkSizes(c, encoder, fail) {
    const hidden = encoder.hiddenSize;
    for (let layer = 0; layer < layerModules(encoder).paths.length; layer++) {
      const width = bottleneckSize(c, hidden, layer);
      if (width > MAX_WIDTH_RATIO * hidden) fail('reduction_factor', `= ${JSON.stringify(c.reduction_factor)} makes a bottleneck ${width} wide (layer ${layer}), over ${MAX_WIDTH_RATIO} × the hidden size; use a reduction_factor of at least 1/${MAX_WIDTH_RATIO}`);
    }
  },
  kindName: (c) => (c.is_parallel ? 'parallel bottleneck adapter' : 'bottleneck adapter'),
  withKnobs: (c, k) => ({ ...c, ...defined({ reduction_factor: k.reductionFactor, non_linearity: k.nonLinearity, dropout: k.dropout, leave_out: k.leaveOut }) }),
  knobsOf: (c) => ({ ...(typeof c.reduction_factor === 'number' ? { reductionFactor: c.reduction_factor } : {}), nonLinearity: c.non_linearity, dropout: c.dropout }),
  sliders: {
    reductionFactor: { label: 'Reduction factor', values: [1, 2, 4, 8, 16, 32, 64], help: 'hidden size ÷ bottleneck width: larger is smaller' },
  },
  peft: () => ({ none: 'PEFT has no bottleneck adapters (seq_bn, double_seq_bn, par_bn, compacter).' }),
  planner: { slots: ['mh_adapter', 'output_adapter'], begin: planBottlenecks },
};

// ---------------------------------------------------------------------------------------------------------
// Parameters.

/** A [n, a, b] tensor, or its factors [n, a, rank] · [n, rank, b] (multiplied per slice, torch.bmm). */
export type FactoredParam = { full: ParamSpec } | { left: ParamSpec; right: ParamSpec };

/** Compacter's PHM layer: y = x · Σᵢ kron(ruleᵢ, Wᵢ) + b. */
export interface PhmParams {
  inFeatures: number;
  outFeatures: number;
  /** [n, n, n] rule matrices (per layer, or the adapter's shared ones). */
  rule: FactoredParam;
  /** [n, in/n, out/n] weights (per layer, or the adapter's shared ones). */
  w: FactoredParam;
  /** [out] bias, when phm_bias. */
  bias?: ParamSpec;
}

export type ProjectionParams = { kind: 'linear'; linear: LinearParams } | { kind: 'phm'; phm: PhmParams };

/** One bottleneck adapter module (modeling.py Adapter / ParallelAdapter) at one layer and location. */
export interface BottleneckModule {
  layer: number;
  location: BottleneckLocation;
  config: BnConfig;
  /** Bottleneck width. */
  width: number;
  down: ProjectionParams;
  up: ProjectionParams;
  act: Activation;
  /** adapter_norm_before (ln_before). */
  normBefore?: NormParams;
  /** adapter_norm_after (ln_after). */
  normAfter?: NormParams;
  /** Linear(hidden, 1) of the sigmoid gate (use_gating). */
  gate?: LinearParams;
  /** Constant factor, or the learned [1] / [hidden] scaling parameter. */
  scaling: number | ParamSpec;
}

/** Shared compacter parameters (init_shared_parameters), created once per adapter. */
export interface SharedPhm {
  rule?: FactoredParam;
  wDown?: FactoredParam;
  wUp?: FactoredParam;
}

function sharedPhm(list: ParamList, layout: ModelLayout, name: string, c: BnConfig, hidden: number): SharedPhm {
  const prefix = `${layout.base}.shared_parameters.${name}`;
  const n = c.phm_dim;
  const shared: SharedPhm = {};
  if (c.shared_W_phm) {
    const width = Math.floor(hidden / (c.reduction_factor as number));
    const xavier: ParamInit = { kind: 'xavierNormalSlices' };
    shared.wDown = { left: list.add(prefix, 'W_down_left', [n, hidden / n, c.phm_rank], xavier), right: list.add(prefix, 'W_down_right', [n, c.phm_rank, width / n], xavier) };
    shared.wUp = { left: list.add(prefix, 'W_up_left', [n, width / n, c.phm_rank], xavier), right: list.add(prefix, 'W_up_right', [n, c.phm_rank, hidden / n], xavier) };
  }
  if (c.shared_phm_rule) {
    const init: ParamInit = c.phm_c_init === 'normal' ? { kind: 'normal', std: c.phm_init_range } : { kind: 'uniform', bound: 1 };
    shared.rule = c.factorized_phm_rule
      ? { left: list.add(prefix, 'phm_rule_left', [n, n, 1], init, { trainable: c.learn_phm }), right: list.add(prefix, 'phm_rule_right', [n, 1, n], init, { trainable: c.learn_phm }) }
      : { full: list.add(prefix, 'phm_rule', [n, n, n], init, { trainable: c.learn_phm }) };
  }
  return shared;
}

function phmLayer(list: ParamList, prefix: string, local: string, c: BnConfig, inFeatures: number, outFeatures: number, shared: SharedPhm, position: 'down' | 'up'): PhmParams {
  const n = c.phm_dim;
  for (const [what, size] of [['input', inFeatures], ['output', outFeatures]] as const) {
    if (size % n !== 0) throw new AdapterConfigError(`Adapter config field "phm_dim" = ${n} does not divide the PHM ${position}-projection's ${what} width ${size}; choose a phm_dim that divides both the hidden size and the bottleneck width.`, 'phm_dim');
  }
  let rule = shared.rule;
  if (!rule) {
    const init: ParamInit = c.phm_c_init === 'normal' ? { kind: 'normal', std: 0.01 } : { kind: 'uniform', bound: 0.01 };
    rule = c.factorized_phm_rule
      ? { left: list.add(prefix, `${local}.phm_rule_left`, [n, n, 1], init, { trainable: c.learn_phm }), right: list.add(prefix, `${local}.phm_rule_right`, [n, 1, n], init, { trainable: c.learn_phm }) }
      : { full: list.add(prefix, `${local}.phm_rule`, [n, n, n], init, { trainable: c.learn_phm }) };
  }
  let w = position === 'down' ? shared.wDown : shared.wUp;
  if (!w) {
    const xavier: ParamInit = { kind: 'xavierNormalSlices' };
    w = c.factorized_phm_W
      ? { left: list.add(prefix, `${local}.W_left`, [n, inFeatures / n, c.phm_rank], xavier), right: list.add(prefix, `${local}.W_right`, [n, c.phm_rank, outFeatures / n], xavier) }
      : { full: list.add(prefix, `${local}.W`, [n, inFeatures / n, outFeatures / n], xavier) };
  }
  const bias = c.phm_bias ? list.add(prefix, `${local}.b`, [outFeatures], { kind: 'zeros' }) : undefined;
  return { inFeatures, outFeatures, rule, w, bias };
}

/**
 * The bottleneck modules of one adapter. Compacter's shared parameters are matched without a layer
 * (match(location_key="phm_layer")): created before the layers use them, listed after them (shared_parameters is
 * the first base-model attribute).
 */
function planBottlenecks(configs: BnConfig[], ctx: PlanContext): FamilyPlanning<BottleneckModule[]> {
  const { name, layout, encoder } = ctx;
  const hidden = encoder.hiddenSize;
  const phmConfig = ctx.unique(configs.filter((c) => c.phm_layer), '(two PHM bottlenecks)');
  const sharedParams: ParamSpec[] = [];
  const shared: SharedPhm = phmConfig && (phmConfig.shared_phm_rule || phmConfig.shared_W_phm)
    ? sharedPhm(new ParamList(sharedParams, phmConfig.init_weights_seed), layout, name, phmConfig, hidden)
    : {};
  const modules: BottleneckModule[] = [];
  return {
    atSlot(layer, slot) {
      const location = slot as BottleneckLocation;
      const c = ctx.unique(configs.filter((b) => b[location] && !b.leave_out.includes(layer)), `in layer ${layer} (${slot})`);
      if (c) modules.push(bottleneckModule(ctx.listFor(c), layout, name, c, layer, location, hidden, shared));
    },
    finish() {
      ctx.append(sharedParams);
      return modules;
    },
  };
}

function bottleneckModule(list: ParamList, layout: ModelLayout, name: string, c: BnConfig, layer: number, location: BottleneckLocation, hidden: number, shared: SharedPhm): BottleneckModule {
  const prefix = `${layout.layer(layer)}.${layout.bottleneck[location]}.adapters.${name}`;
  const width = bottleneckSize(c, hidden, layer);
  const zero: ParamInit = { kind: 'zeros' };
  // Weight inits per init_weights (modeling.py Adapter.__init__); PHM layers keep their own init.
  const downWeight: ParamInit = c.init_weights === 'bert' ? { kind: 'normal', std: 0.02 }
    : c.init_weights === 'mam_adapter' ? linearDefault(hidden)
    : { kind: 'truncatedNormal', std: 1e-2, low: -2e-2, high: 2e-2 };
  const upWeight: ParamInit = c.init_weights === 'bert' ? { kind: 'normal', std: 0.02 }
    : c.init_weights === 'mam_adapter' ? zero
    : { kind: 'truncatedNormal', std: 1e-2, low: -2e-2, high: 2e-2 };

  // nn.Parameter `scaling` is the module's own parameter, listed before its submodules.
  const scaling = c.scaling === 'learned' ? list.add(prefix, 'scaling', [1], { kind: 'ones' })
    : c.scaling === 'channel' ? list.add(prefix, 'scaling', [hidden], { kind: 'ones' })
    : c.scaling;
  // adapter_norm_before is also adapter_down.0, so torch lists it under both names.
  const normBefore = c.ln_before ? {
    weight: list.add(prefix, 'adapter_norm_before.weight', [hidden], { kind: 'ones' }, { aliases: ['adapter_down.0.weight'] }),
    bias: list.add(prefix, 'adapter_norm_before.bias', [hidden], zero, { aliases: ['adapter_down.0.bias'] }),
  } : undefined;
  const downLocal = `adapter_down.${c.ln_before ? 1 : 0}`;
  const down: ProjectionParams = c.phm_layer
    ? { kind: 'phm', phm: phmLayer(list, prefix, downLocal, c, hidden, width, shared, 'down') }
    : { kind: 'linear', linear: list.linear(prefix, downLocal, hidden, width, downWeight, zero) };
  const up: ProjectionParams = c.phm_layer
    ? { kind: 'phm', phm: phmLayer(list, prefix, 'adapter_up', c, width, hidden, shared, 'up') }
    : { kind: 'linear', linear: list.linear(prefix, 'adapter_up', width, hidden, upWeight, zero) };
  const normAfter = c.ln_after ? {
    weight: list.add(prefix, 'adapter_norm_after.weight', [hidden], { kind: 'ones' }),
    bias: list.add(prefix, 'adapter_norm_after.bias', [hidden], zero),
  } : undefined;
  // The gate gets init_bert_weights except under "houlsby", which leaves nn.Linear's default init.
  const gate = c.use_gating
    ? c.init_weights === 'houlsby'
      ? list.linear(prefix, 'gate', hidden, 1, linearDefault(hidden), linearDefault(hidden))
      : list.linear(prefix, 'gate', hidden, 1, { kind: 'normal', std: 0.02 }, zero)
    : undefined;
  return { layer, location, config: c, width, down, up, act: activationOf(c.non_linearity, 'non_linearity'), normBefore, normAfter, gate, scaling };
}
