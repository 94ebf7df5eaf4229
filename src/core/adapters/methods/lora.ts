/**
 * LoRA and (IA)³, which the library files under one config class (LoRAConfig, architecture "lora"; IA3Config is
 * its composition_mode "scale"): config schema and defaults, the preset builder, the modules' parameters
 * (methods/lora.py LoRA / IA3), the Adapter step's knobs, and PEFT's LORA / IA3 types.
 */
import type { EncoderConfig } from '../../model/config.ts';
import type { LoraTarget, ModelLayout } from '../locations.ts';
import { type LinearParams, type ParamList, linearDefault } from '../param-list.ts';
import type { ParamInit, ParamSpec } from '../parameters.ts';
import { type FamilyPlanning, type MethodFamily, type PlanContext, defined } from './family.ts';
import { type Schema, bool, finite, layerList, oneOf, ordered, positiveInt, probability, seed, unsupported } from './schema.ts';

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

const LORA_SCHEMA: Schema<LoRAConfig> = {
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

const LORA_DEFAULTS: LoRAConfig = {
  architecture: 'lora', selfattn_lora: true, intermediate_lora: false, output_lora: false, leave_out: [], r: 8, alpha: 8,
  dropout: 0.0, attn_matrices: ['q', 'v'], composition_mode: 'add', init_weights: 'lora', init_weights_seed: null,
  use_gating: false, use_dora: false, vera_d: null, vera_b: null, dtype: null,
};

/** LoRAConfig with `fields` changed. */
export const lora = (fields: Partial<LoRAConfig> = {}) => ordered(LORA_SCHEMA, { ...LORA_DEFAULTS, ...fields });
/** IA3Config: learned vectors scaling keys, values and the intermediate activations. */
export const ia3 = () => lora({ intermediate_lora: true, r: 1, alpha: 1, attn_matrices: ['k', 'v'], composition_mode: 'scale', init_weights: 'ia3' });

const isIa3 = (c: LoRAConfig) => c.composition_mode === 'scale';

export const LORA: MethodFamily<LoRAConfig, LoraModule[]> = {
  architecture: 'lora',
  schema: LORA_SCHEMA,
  defaults: LORA_DEFAULTS,
  check(c, fail) {
    if (isIa3(c) && c.r !== 1) fail('r', `is ${c.r}; composition_mode "scale" (IA3) needs r = 1`);
    if (isIa3(c) && c.dropout > 0) fail('dropout', 'must be 0 with composition_mode "scale" (IA3 has no dropout)');
  },
  checkSizes(c, encoder, fail) {
    if (c.r > encoder.hiddenSize) fail('r', `= ${c.r} is above the hidden size ${encoder.hiddenSize}, the most a rank can use`);
  },
  kindName: (c) => (isIa3(c) ? '(IA)³' : 'LoRA'),
  // (IA)³ is LoRA's "scale" mode: rank 1 and no dropout, by definition.
  withKnobs: (c, k) => ({ ...c, ...defined(isIa3(c) ? { alpha: k.alpha, leave_out: k.leaveOut } : { r: k.r, alpha: k.alpha, dropout: k.dropout, leave_out: k.leaveOut }) }),
  knobsOf: (c) => (isIa3(c) ? { alpha: c.alpha } : { r: c.r, dropout: c.dropout, alpha: c.alpha }),
  sliders: {
    r: { label: 'LoRA rank r', values: [1, 2, 4, 8, 16, 32, 64], help: 'rank of the update' },
    alpha: { label: 'LoRA alpha', values: [1, 2, 4, 8, 16, 32, 64], help: 'the update is scaled by alpha ÷ r' },
  },
  peft(c) {
    if (c.use_gating) return { none: 'Gated LoRA (use_gating, as in UniPELT) has no PEFT equivalent.' };
    if (c.use_dora) return { none: 'DoRA adapters are not converted.' };
    return { peftType: isIa3(c) ? 'IA3' : 'LORA' };
  },
  planner: { slots: ['q', 'k', 'v', 'qkv', 'intermediate', 'output'], begin: planLoras },
};

// ---------------------------------------------------------------------------------------------------------
// Parameters.

/** One LoRA or IA3 module wrapping one Linear of one layer. */
export interface LoraModule {
  layer: number;
  /** The wrapped Linear; 'qkv' a fused q/k/v Linear (LoRAMergedLinear). */
  target: LoraTarget | 'qkv';
  config: LoRAConfig;
  inFeatures: number;
  /** The wrapped Linear's outputs (3 · hidden for 'qkv'). */
  outFeatures: number;
  /**
   * 'qkv' only: the thirds of the fused output the module changes, in q, k, v order (attn_matrices). The library's
   * LoRAMergedLinear views the out_features as [3, out / 3] (lora_ind), whatever order the Linear's rows are in.
   */
  parts?: ('q' | 'k' | 'v')[];
  /** [r, in] lora_A (LoRA only); 'qkv': [r · parts, in], one r-row block a part. */
  a?: ParamSpec;
  /** LoRA: [out, r] lora_B; IA3: [out, 1] scaling vector; 'qkv': [parts · out / 3, r] (a grouped conv1d's weight). */
  b: ParamSpec;
  /** Linear(in, 1) of the sigmoid gate (use_gating); 'qkv': Linear(in, parts), one gate a part. */
  gate?: LinearParams;
}

/** The config flag that switches LoRA on for each target. */
export const LORA_FLAG: Record<LoraTarget, 'selfattn_lora' | 'intermediate_lora' | 'output_lora'> = {
  q: 'selfattn_lora', k: 'selfattn_lora', v: 'selfattn_lora', intermediate: 'intermediate_lora', output: 'output_lora',
};

/** The LoRA / IA3 modules of one adapter, one per wrapped Linear. */
function planLoras(configs: LoRAConfig[], ctx: PlanContext): FamilyPlanning<LoraModule[]> {
  const modules: LoraModule[] = [];
  return {
    atSlot(layer, slot) {
      if (slot === 'qkv') {
        const c = ctx.unique(configs.filter((l) => l.selfattn_lora && !l.leave_out.includes(layer)), `in layer ${layer} (${slot})`);
        const parts = (['q', 'k', 'v'] as const).filter((m) => c?.attn_matrices.includes(m));
        if (c && parts.length) modules.push(mergedQkvModule(ctx.listFor(c), ctx.layout, ctx.name, c, layer, parts, ctx.encoder));
        return;
      }
      const target = slot as LoraTarget;
      const c = ctx.unique(configs.filter((l) => l[LORA_FLAG[target]] && !l.leave_out.includes(layer)), `in layer ${layer} (${slot})`);
      const attention = target === 'q' || target === 'k' || target === 'v';
      if (c && (!attention || c.attn_matrices.includes(target))) modules.push(loraModule(ctx.listFor(c), ctx.layout, ctx.name, c, layer, target, ctx.encoder));
    },
    finish: () => modules,
  };
}

function loraModule(list: ParamList, layout: ModelLayout, name: string, c: LoRAConfig, layer: number, target: LoraTarget, encoder: EncoderConfig): LoraModule {
  const h = encoder.hiddenSize;
  const [inFeatures, outFeatures] = target === 'intermediate' ? [h, encoder.intermediateSize] : target === 'output' ? [encoder.intermediateSize, h] : [h, h];
  return { layer, target, config: c, inFeatures, outFeatures, ...loraParams(list, `${layout.layer(layer)}.${layout.linear[target]}.loras.${name}`, c, inFeatures, outFeatures, c.r, 1) };
}

/**
 * LoRAMergedLinear on the fused q/k/v Linear (methods/lora.py _get_lora_shapes): lora_A [r · n, in], lora_B
 * [n · out / 3, r], IA3's lora_B [n · out / 3, 1] and a gate with n outputs, n = the parts in attn_matrices.
 */
function mergedQkvModule(list: ParamList, layout: ModelLayout, name: string, c: LoRAConfig, layer: number, parts: ('q' | 'k' | 'v')[], encoder: EncoderConfig): LoraModule {
  const h = encoder.hiddenSize;
  const n = parts.length;
  return { layer, target: 'qkv', config: c, inFeatures: h, outFeatures: 3 * h, parts, ...loraParams(list, `${layout.layer(layer)}.${layout.fusedQkv}.loras.${name}`, c, h, n * h, n * c.r, n) };
}

/** lora_A [rows, in] (LoRA only), lora_B [outputs, r] (IA3: [outputs, 1]) and the gate, in the library's order. */
function loraParams(list: ParamList, prefix: string, c: LoRAConfig, inFeatures: number, outputs: number, rows: number, gates: number): Pick<LoraModule, 'a' | 'b' | 'gate'> {
  const byInit = (init: ParamInit): ParamInit => (c.init_weights === 'bert' ? { kind: 'normal', std: 0.02 } : c.init_weights === 'ia3' ? { kind: 'ones' } : init);
  let a: ParamSpec | undefined;
  let b: ParamSpec;
  if (isIa3(c)) {
    b = list.add(prefix, 'lora_B', [outputs, 1], byInit({ kind: 'zeros' }));
  } else {
    a = list.add(prefix, 'lora_A', [rows, inFeatures], byInit(linearDefault(inFeatures)));
    b = list.add(prefix, 'lora_B', [outputs, c.r], byInit({ kind: 'zeros' }));
  }
  const gate = c.use_gating ? list.linear(prefix, 'gate', inFeatures, gates, { kind: 'normal', std: 0.02 }, linearDefault(inFeatures)) : undefined;
  return { a, b, gate };
}
