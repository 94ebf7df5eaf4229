/**
 * Which modules an adapter config puts where in an encoder, with every parameter's torch key, shape and init:
 * the library's add_adapter walk (ModelAdaptersConfig.match per layer and location, leave_out, the prefix
 * pool's layer count, compacter's shared parameters) done on the configs alone, before any weights exist.
 */
import type { EncoderConfig } from '../model/config.ts';
import { type Activation, activationNamed } from './activations.ts';
import {
  type AdapterConfig, type AdapterMethodConfig, type BnConfig, type LoRAConfig, type PrefixTuningConfig, type PromptTuningConfig,
  architectureOf, bottleneckSize, methodConfigs, validateAdapterConfig,
} from './config.ts';
import { AdapterConfigError } from './errors.ts';
import { type BottleneckLocation, type LoraTarget, type ModelLayout, modelLayout } from './locations.ts';
import type { ParamInit, ParamSpec } from './parameters.ts';
import { checkAdapterSizes, checkParameterTotal } from './size-limits.ts';

export interface LinearParams {
  /** [out, in] weight. */
  weight: ParamSpec;
  /** [out] bias. */
  bias: ParamSpec;
}

export interface NormParams {
  /** [width] gain. */
  weight: ParamSpec;
  /** [width] shift. */
  bias: ParamSpec;
}

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

/** One LoRA or IA3 module wrapping one Linear of one layer. */
export interface LoraModule {
  layer: number;
  target: LoraTarget;
  config: LoRAConfig;
  inFeatures: number;
  outFeatures: number;
  /** [r, in] lora_A (LoRA only). */
  a?: ParamSpec;
  /** LoRA: [out, r] lora_B; IA3: [out, 1] scaling vector. */
  b: ParamSpec;
  /** Linear(in, 1) of the sigmoid gate (use_gating). */
  gate?: LinearParams;
}

/** The adapter's prefix: one PrefixTuning in the shared pool plus per-layer gates. */
export interface PrefixModule {
  config: PrefixTuningConfig;
  /** Layers that get a prefix, ascending; the i-th of them reads block i of the pool's output. */
  layers: number[];
  /** The MLP reparametrisation (flat = false): wte → Linear → act → Linear. */
  mlp?: { wte: ParamSpec; first: LinearParams; second: LinearParams; act: Activation };
  /** [P · layers · 2 · hidden] prefix values trained directly (flat = true). */
  flat?: ParamSpec;
  /** Linear(hidden, 1 or 2) gate per layer (use_gating). */
  gates: Map<number, LinearParams>;
}

export interface PromptModule {
  config: PromptTuningConfig;
  /** [prompt_length, embedding] prompt_embedding.weight. */
  embedding: ParamSpec;
}

export interface AdapterPlan {
  name: string;
  config: AdapterConfig;
  layout: ModelLayout;
  bottlenecks: BottleneckModule[];
  loras: LoraModule[];
  prefix?: PrefixModule;
  prompt?: PromptModule;
  /** Every parameter once, in torch state-dict order. */
  params: ParamSpec[];
}

/** nn.Linear's default init (kaiming_uniform(a=√5) weight, uniform bias): U(±1/√fan_in) for both. */
const linearDefault = (fanIn: number): ParamInit => ({ kind: 'uniform', bound: 1 / Math.sqrt(fanIn) });

/** Appends parameter declarations to `params` in declaration (= state-dict) order. */
class ParamList {
  constructor(readonly params: ParamSpec[], private readonly fixedSeed: number | null) {}

  add(prefix: string, local: string, shape: number[], init: ParamInit, options: { trainable?: boolean; aliases?: string[] } = {}): ParamSpec {
    const spec: ParamSpec = {
      key: `${prefix}.${local}`,
      aliases: (options.aliases ?? []).map((alias) => `${prefix}.${alias}`),
      shape,
      init,
      trainable: options.trainable ?? true,
      local,
      ...(this.fixedSeed !== null ? { fixedSeed: this.fixedSeed } : {}),
    };
    this.params.push(spec);
    return spec;
  }

  linear(prefix: string, local: string, inputs: number, outputs: number, weight: ParamInit, bias: ParamInit): LinearParams {
    return { weight: this.add(prefix, `${local}.weight`, [outputs, inputs], weight), bias: this.add(prefix, `${local}.bias`, [outputs], bias) };
  }
}

function unique<T>(items: T[], describe: () => string): T | undefined {
  if (items.length > 1) throw new AdapterConfigError(`Multiple adapter definitions conflict ${describe()}; use only one method per location.`);
  return items[0];
}

const LORA_FLAG: Record<LoraTarget, 'selfattn_lora' | 'intermediate_lora' | 'output_lora'> = {
  q: 'selfattn_lora', k: 'selfattn_lora', v: 'selfattn_lora', intermediate: 'intermediate_lora', output: 'output_lora',
};

function activationOf(name: string, field: string): Activation {
  const act = activationNamed(name);
  if (!act) throw new AdapterConfigError(`Adapter config field "${field}" names the unknown activation "${name}".`, field);
  return act;
}

/** Shared compacter parameters (init_shared_parameters), created once per adapter. */
interface SharedPhm {
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

function loraModule(list: ParamList, layout: ModelLayout, name: string, c: LoRAConfig, layer: number, target: LoraTarget, encoder: EncoderConfig): LoraModule {
  const prefix = `${layout.layer(layer)}.${layout.linear[target]}.loras.${name}`;
  const h = encoder.hiddenSize;
  const [inFeatures, outFeatures] = target === 'intermediate' ? [h, encoder.intermediateSize] : target === 'output' ? [encoder.intermediateSize, h] : [h, h];
  const byInit = (lora: ParamInit): ParamInit => (c.init_weights === 'bert' ? { kind: 'normal', std: 0.02 } : c.init_weights === 'ia3' ? { kind: 'ones' } : lora);
  let a: ParamSpec | undefined;
  let b: ParamSpec;
  if (c.composition_mode === 'scale') {
    b = list.add(prefix, 'lora_B', [outFeatures, 1], byInit({ kind: 'zeros' }));
  } else {
    a = list.add(prefix, 'lora_A', [c.r, inFeatures], byInit(linearDefault(inFeatures)));
    b = list.add(prefix, 'lora_B', [outFeatures, c.r], byInit({ kind: 'zeros' }));
  }
  const gate = c.use_gating ? list.linear(prefix, 'gate', inFeatures, 1, { kind: 'normal', std: 0.02 }, linearDefault(inFeatures)) : undefined;
  return { layer, target, config: c, inFeatures, outFeatures, a, b, gate };
}

/**
 * Plans the adapter `name` with config `config` on an encoder with `encoder`'s shape. Throws AdapterConfigError
 * when the config does not fit the model (e.g. a reduction_factor map without a value for some layer).
 */
export function planAdapter(encoder: EncoderConfig, config: AdapterConfig, name: string): AdapterPlan {
  if (!/^[\w.-]+$/.test(name) || name.includes('.')) {
    throw new AdapterConfigError(`Adapter name "${name}" cannot be used in torch state-dict keys; use letters, digits, "_" and "-" (no dots).`);
  }
  validateAdapterConfig(config);
  checkAdapterSizes(encoder, config);
  const layout = modelLayout(encoder);
  const methods = methodConfigs(config);
  const hidden = encoder.hiddenSize;
  const params: ParamSpec[] = [];
  // Each method of a union has its own init_weights_seed.
  const listFor = (c: AdapterMethodConfig) => new ParamList(params, c.init_weights_seed);
  const of = <T extends AdapterMethodConfig>(arch: string) => methods.filter((c) => architectureOf(c) === arch) as T[];
  const bns = of<BnConfig>('bottleneck');
  const loraConfigs = of<LoRAConfig>('lora');
  const prefixConfigs = of<PrefixTuningConfig>('prefix_tuning');

  // Compacter's shared parameters are matched without a layer (match(location_key="phm_layer")).
  const phmConfig = unique(bns.filter((c) => c.phm_layer), () => `for adapter "${name}" (two PHM bottlenecks)`);
  const shared: SharedPhm = {};
  const bottlenecks: BottleneckModule[] = [];
  const loras: LoraModule[] = [];
  const gates = new Map<number, LinearParams>();
  const prefixLayers: number[] = [];
  const perLayer = () => {
    for (let layer = 0; layer < encoder.numLayers; layer++) {
      const where = (slot: string) => () => `for adapter "${name}" in layer ${layer} (${slot})`;
      for (const slot of layout.slots) {
        if (slot === 'mh_adapter' || slot === 'output_adapter') {
          const c = unique(bns.filter((b) => b[slot] && !b.leave_out.includes(layer)), where(slot));
          if (c) bottlenecks.push(bottleneckModule(listFor(c), layout, name, c, layer, slot, hidden, shared));
        } else if (slot === 'prefix_gate') {
          const c = unique(prefixConfigs.filter((p) => !p.leave_out.includes(layer)), where('prefix'));
          if (!c) continue;
          prefixLayers.push(layer);
          if (c.use_gating) {
            const prefix = `${layout.layer(layer)}.${layout.prefixLayer}.prefix_gates.${name}`;
            gates.set(layer, {
              weight: listFor(c).add(prefix, 'weight', [c.shared_gating ? 1 : 2, hidden], { kind: 'normal', std: 0.02 }),
              bias: listFor(c).add(prefix, 'bias', [c.shared_gating ? 1 : 2], linearDefault(hidden)),
            });
          }
        } else {
          const c = unique(loraConfigs.filter((l) => l[LORA_FLAG[slot]] && !l.leave_out.includes(layer)), where(slot));
          const attention = slot === 'q' || slot === 'k' || slot === 'v';
          if (c && (!attention || c.attn_matrices.includes(slot))) loras.push(loraModule(listFor(c), layout, name, c, layer, slot, encoder));
        }
      }
    }
  };
  // Torch lists the layers' modules first, then base-model attributes: shared_parameters, prefix_tuning, prompt_tuning.
  // The shared PHM parameters are created before the layers use them but listed after them.
  if (phmConfig && (phmConfig.shared_phm_rule || phmConfig.shared_W_phm)) {
    const sharedParams: ParamSpec[] = [];
    Object.assign(shared, sharedPhm(new ParamList(sharedParams, phmConfig.init_weights_seed), layout, name, phmConfig, hidden));
    perLayer();
    params.push(...sharedParams);
  } else perLayer();

  let prefix: PrefixModule | undefined;
  const prefixConfig = unique(prefixConfigs, () => `for adapter "${name}" (two prefix tunings)`);
  if (prefixConfig) {
    if (prefixLayers.length === 0) throw new AdapterConfigError(`Adapter config field "leave_out" leaves out every layer, so prefix tuning has nowhere to go.`, 'leave_out');
    const list = listFor(prefixConfig);
    const pool = `${layout.base}.prefix_tuning.prefix_tunings.${name}.${layout.prefixLocation}`;
    const outputs = prefixLayers.length * 2 * hidden;
    const P = prefixConfig.prefix_length;
    if (prefixConfig.flat) {
      prefix = { config: prefixConfig, layers: prefixLayers, gates, flat: list.add(pool, 'control_trans', [P * outputs], { kind: 'normal', std: 1 }) };
    } else {
      const b = prefixConfig.bottleneck_size;
      prefix = {
        config: prefixConfig, layers: prefixLayers, gates,
        mlp: {
          // nn.Embedding's default init is N(0, 1); the Linears keep nn.Linear's default init.
          wte: list.add(pool, 'wte.weight', [P, hidden], { kind: 'normal', std: 1 }),
          first: list.linear(pool, 'control_trans.0', hidden, b, linearDefault(hidden), linearDefault(hidden)),
          second: list.linear(pool, 'control_trans.2', b, outputs, linearDefault(b), linearDefault(b)),
          act: activationOf(prefixConfig.non_linearity, 'non_linearity'),
        },
      };
    }
  }

  let prompt: PromptModule | undefined;
  const promptConfig = unique(of<PromptTuningConfig>('prompt_tuning'), () => `for adapter "${name}" (two prompt tunings)`);
  if (promptConfig) {
    const init: ParamInit = promptConfig.prompt_init === 'random_uniform' ? { kind: 'uniform', bound: 0.5 } : { kind: 'external' };
    const key = `${layout.base}.prompt_tuning.prompt_tunings.${name}`;
    prompt = { config: promptConfig, embedding: listFor(promptConfig).add(key, 'prompt_embedding.weight', [promptConfig.prompt_length, encoder.embeddingSize], init) };
  }
  checkParameterTotal(`Adapter "${name}" on "${encoder.repoId}"`, params);
  return { name, config, layout, bottlenecks, loras, prefix, prompt, params };
}
