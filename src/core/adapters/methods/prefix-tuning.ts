/**
 * Prefix tuning (PrefixTuningConfig): config schema and defaults, the preset builder, the parameters of the
 * adapter's prefix pool and per-layer gates (methods/prefix_tuning.py), the Adapter step's knobs, and PEFT (none).
 */
import { type Activation, activationOf } from '../activation-names.ts';
import type { ModelLayout } from '../locations.ts';
import { type LinearParams, type ParamList, linearDefault } from '../param-list.ts';
import type { ParamSpec } from '../parameters.ts';
import { AdapterConfigError } from '../errors.ts';
import { type FamilyPlanning, type MethodFamily, type PlanContext, defined } from './family.ts';
import { type Schema, activation, bool, layerList, oneOf, ordered, positiveInt, probability, seed } from './schema.ts';

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

const PREFIX_SCHEMA: Schema<PrefixTuningConfig> = {
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

const PREFIX_DEFAULTS: PrefixTuningConfig = {
  architecture: 'prefix_tuning', encoder_prefix: true, cross_prefix: true, leave_out: [], flat: false, prefix_length: 30,
  bottleneck_size: 512, non_linearity: 'tanh', dropout: 0.0, use_gating: false, shared_gating: true, init_weights_seed: null,
};

/** PrefixTuningConfig with `fields` changed. */
export const prefixTuning = (fields: Partial<PrefixTuningConfig> = {}) => ordered(PREFIX_SCHEMA, { ...PREFIX_DEFAULTS, ...fields });

export const PREFIX_TUNING: MethodFamily<PrefixTuningConfig, PrefixModule> = {
  architecture: 'prefix_tuning',
  schema: PREFIX_SCHEMA,
  defaults: PREFIX_DEFAULTS,
  kindName: () => 'prefix tuning',
  withKnobs: (c, k) => ({ ...c, ...defined({ prefix_length: k.prefixLength, dropout: k.dropout, leave_out: k.leaveOut }) }),
  knobsOf: (c) => ({ prefixLength: c.prefix_length, dropout: c.dropout }),
  sliders: {
    prefixLength: { label: 'Prefix length', values: [1, 2, 5, 10, 20, 30, 50, 100], help: 'key/value positions per layer' },
  },
  peft: () => ({ none: 'PEFT\'s prefix tuning is a different module (virtual-token embeddings, not the adapters library\'s per-layer MLP pool); it is not converted.' }),
  planner: { slots: ['prefix_gate'], begin: planPrefix },
};

// ---------------------------------------------------------------------------------------------------------
// Parameters.

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

/** The adapter's prefix: a gate in each layer it reaches (use_gating), then its pool, after the layers. */
function planPrefix(configs: PrefixTuningConfig[], ctx: PlanContext): FamilyPlanning<PrefixModule> {
  const { name, layout } = ctx;
  const hidden = ctx.encoder.hiddenSize;
  const gates = new Map<number, LinearParams>();
  const layers: number[] = [];
  const pool = ctx.unique(configs, '(two prefix tunings)')!;
  const locals = pool.flat ? ['control_trans'] : POOL_MLP_LOCALS;
  // Every layer's PrefixTuningLayer holds the pool as a submodule (set_pool), so state_dict() lists the pool again there.
  const copies = Array.from({ length: layout.layerCount }, (_, l) => locals.map((local) => `${prefixPoolCopy(layout, l, name)}.${local}`));
  return {
    atSlot(layer) {
      const c = ctx.unique(configs.filter((p) => !p.leave_out.includes(layer)), `in layer ${layer} (prefix)`);
      if (c) {
        layers.push(layer);
        if (c.use_gating) gates.set(layer, prefixGate(ctx.listFor(c), layout, name, c, layer, hidden));
      }
      ctx.reserve(copies[layer]);
    },
    finish() {
      if (layers.length === 0) throw new AdapterConfigError(`Adapter config field "leave_out" leaves out every layer, so prefix tuning has nowhere to go.`, 'leave_out');
      const module = prefixPool(ctx.listFor(pool), layout, name, pool, layers, gates, hidden);
      const specs = module.flat ? [module.flat] : [module.mlp!.wte, module.mlp!.first.weight, module.mlp!.first.bias, module.mlp!.second.weight, module.mlp!.second.bias];
      specs.forEach((spec, i) => spec.aliases.push(...copies.map((layer) => layer[i])));
      return module;
    },
  };
}

/** The pool's parameters under its MLP reparametrisation, in PrefixTuning's state-dict order. */
const POOL_MLP_LOCALS = ['wte.weight', 'control_trans.0.weight', 'control_trans.0.bias', 'control_trans.2.weight', 'control_trans.2.bias'];

/**
 * Where layer `layer` lists the pool of prefix `name` (modeling_bert's BertSelfAttention.prefix_tuning, prefix_tuning.py
 * PrefixTuningLayer.set_pool): "bert.encoder.layer.3.attention.self.prefix_tuning.pool.prefix_tunings.NAME.self_prefix".
 */
function prefixPoolCopy(layout: ModelLayout, layer: number, name: string): string {
  return `${layout.layer(layer)}.${layout.prefixLayer}.pool.prefix_tunings.${name}.${layout.prefixLocation}`;
}

function prefixGate(list: ParamList, layout: ModelLayout, name: string, c: PrefixTuningConfig, layer: number, hidden: number): LinearParams {
  const prefix = `${layout.layer(layer)}.${layout.prefixLayer}.prefix_gates.${name}`;
  return {
    weight: list.add(prefix, 'weight', [c.shared_gating ? 1 : 2, hidden], { kind: 'normal', std: 0.02 }),
    bias: list.add(prefix, 'bias', [c.shared_gating ? 1 : 2], linearDefault(hidden)),
  };
}

/** The prefix pool (PrefixTuningPool) serving `layers`, a base-model attribute listed after the layers. */
function prefixPool(list: ParamList, layout: ModelLayout, name: string, c: PrefixTuningConfig, layers: number[], gates: Map<number, LinearParams>, hidden: number): PrefixModule {
  const pool = `${layout.base}.prefix_tuning.prefix_tunings.${name}.${layout.prefixLocation}`;
  const outputs = layers.length * 2 * hidden;
  const P = c.prefix_length;
  if (c.flat) return { config: c, layers, gates, flat: list.add(pool, 'control_trans', [P * outputs], { kind: 'normal', std: 1 }) };
  const b = c.bottleneck_size;
  return {
    config: c, layers, gates,
    mlp: {
      // nn.Embedding's default init is N(0, 1); the Linears keep nn.Linear's default init.
      wte: list.add(pool, 'wte.weight', [P, hidden], { kind: 'normal', std: 1 }),
      first: list.linear(pool, 'control_trans.0', hidden, b, linearDefault(hidden), linearDefault(hidden)),
      second: list.linear(pool, 'control_trans.2', b, outputs, linearDefault(b), linearDefault(b)),
      act: activationOf(c.non_linearity, 'non_linearity'),
    },
  };
}
