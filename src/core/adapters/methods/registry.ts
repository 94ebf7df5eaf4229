/**
 * The one table of adapter methods: the method families (one file each in this folder), the library's presets
 * built from them (ADAPTER_CONFIG_MAP), and the presets the Adapter step offers. The config parser, the planner,
 * the worker, the CLI, the exporters and the app derive their lists and types from here. Tensor-free.
 *
 * A new preset is one line in ADAPTER_PRESETS (plus one in OFFERED_METHODS to show it in the Adapter step). A new
 * family is its file <family>.ts (a MethodFamily: config schema and rules, knobs, PEFT mapping, and its planner: the
 * layout slots it plans modules at, their builder, its model-level modules), one line in METHOD_FAMILIES (its
 * config joins AdapterMethodConfig and its modules AdapterPlan.modules), its <family>.forward.ts (its math and the
 * encoder hooks it fills) with one line in forwards.ts's FAMILY_HOOKS, and its formula in the float64 oracle
 * (../testing/adapter-forward.reference.ts); a fused kernel in src/core/kernels/ if it is hot. planAdapter
 * (plan.ts) and createAdapter (adapter.ts) name no family. A family's place in METHOD_FAMILIES is the order of its
 * model-level parameters in the state dict (shared_parameters, prefix_tuning, prompt_tuning; LoRA has none).
 */
import { type BnConfig, BOTTLENECK, doubleSeqBn, parBn, seqBn } from './bottleneck.ts';
import type { MethodFamily, SliderKnob } from './family.ts';
import { LORA, ia3, lora } from './lora.ts';
import { PREFIX_TUNING, prefixTuning } from './prefix-tuning.ts';
import { PROMPT_TUNING, promptTuning } from './prompt-tuning.ts';

/** The config type of a family record. */
type ConfigOf<F> = F extends MethodFamily<infer C> ? C : never;

/** Any one method's config: the config types of METHOD_FAMILIES' records. */
export type AdapterMethodConfig = { [K in FamilyName]: ConfigOf<(typeof METHOD_FAMILIES)[K]> }[FamilyName];

/** The modules a family's planner returns for one adapter (plan.ts's AdapterPlan.modules), by family. */
export type FamilyModules = { [K in FamilyName]: ReturnType<ReturnType<(typeof METHOD_FAMILIES)[K]['planner']['begin']>['finish']> };

/** Several methods in one adapter (MAM, UniPELT, "prefix_tuning|par_bn"). */
export interface ConfigUnion {
  architecture: 'union';
  configs: AdapterMethodConfig[];
}

export type AdapterConfig = AdapterMethodConfig | ConfigUnion;

/** The method families by the name adapter_summary gives their architecture. */
export const METHOD_FAMILIES = {
  bottleneck: BOTTLENECK,
  prefix_tuning: PREFIX_TUNING,
  prompt_tuning: PROMPT_TUNING,
  lora: LORA,
};

/** A method family's name (adapter_summary's architecture). */
export type FamilyName = keyof typeof METHOD_FAMILIES;

/** What the library's `adapter_summary` calls the architecture: config["architecture"] or "bottleneck". */
export type ArchitectureName = FamilyName | 'union';

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

/** The family record of a method config (its methods typed for that config). */
export function familyOf(config: AdapterMethodConfig): MethodFamily<AdapterMethodConfig> {
  return METHOD_FAMILIES[architectureOf(config) as keyof typeof METHOD_FAMILIES] as unknown as MethodFamily<AdapterMethodConfig>;
}

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
  prompt_tuning: () => promptTuning(),
  lora: () => lora(),
  ia3: () => ia3(),
  mam: (): ConfigUnion => ({ architecture: 'union', configs: [prefixTuning({ bottleneck_size: 800 }), parBn()] }),
  unipelt: (): ConfigUnion => ({ architecture: 'union', configs: [gated(prefixTuning({ prefix_length: 10 })), gated(seqBn({ reduction_factor: 16 })), gated(lora({ r: 8, alpha: 2 }))] }),
} satisfies Record<string, () => AdapterConfig>;

export type AdapterPresetName = keyof typeof ADAPTER_PRESETS;

/** The library's DEFAULT_ADAPTER_CONFIG. */
export const DEFAULT_ADAPTER_PRESET: AdapterPresetName = 'seq_bn';

/** Presets the library has but the studio does not run, with the reason. */
export const UNSUPPORTED_PRESETS: Record<string, string> = {
  seq_bn_inv: 'invertible adapters', double_seq_bn_inv: 'invertible adapters', 'pfeiffer+inv': 'invertible adapters',
  'houlsby+inv': 'invertible adapters', vera: 'VeRA', dora: 'DoRA', dvora: 'DoRA', mtl_lora: 'MTL-LoRA',
  loreft: 'ReFT', noreft: 'ReFT', direft: 'ReFT',
};

/** What the Adapter step's card says about a method it offers, and the sliders it shows. */
export interface MethodInfo {
  /** Name on the card. */
  title: string;
  /** What it does, in one line. */
  summary: string;
  /** The sliders shown, in order. */
  sliders: SliderKnob[];
}

/** The presets the Adapter step offers, in card order. */
export const OFFERED_METHODS = {
  seq_bn: { title: 'Bottleneck (Pfeiffer)', summary: 'A small down-up bottleneck after each layer\'s feed-forward block.', sliders: ['reductionFactor'] },
  double_seq_bn: { title: 'Double bottleneck (Houlsby)', summary: 'Bottlenecks after both the attention and the feed-forward block.', sliders: ['reductionFactor'] },
  par_bn: { title: 'Parallel bottleneck', summary: 'A scaled bottleneck beside the feed-forward block instead of after it.', sliders: ['reductionFactor'] },
  compacter: { title: 'Compacter', summary: 'Houlsby bottlenecks whose projections are sums of Kronecker products (PHM).', sliders: ['reductionFactor'] },
  lora: { title: 'LoRA', summary: 'A low-rank update B·A added to the query and value projections.', sliders: ['r', 'alpha'] },
  ia3: { title: '(IA)³', summary: 'Learned vectors that rescale keys, values and the feed-forward activations.', sliders: [] },
  prefix_tuning: { title: 'Prefix tuning', summary: 'Trained key/value vectors prepended to every attention layer.', sliders: ['prefixLength'] },
  prompt_tuning: { title: 'Prompt tuning', summary: 'Trained embeddings put in front of the input tokens.', sliders: ['promptLength'] },
  mam: { title: 'Mix-and-match (MAM)', summary: 'Prefix tuning plus a parallel bottleneck (He et al.).', sliders: ['prefixLength', 'reductionFactor'] },
  unipelt: { title: 'UniPELT', summary: 'Gated LoRA, prefix tuning and a bottleneck in one adapter.', sliders: ['reductionFactor', 'r', 'prefixLength'] },
} satisfies Partial<Record<AdapterPresetName, MethodInfo>>;

/** The presets the Adapter step offers (the `method` of the worker's AdapterChoice). */
export type AdapterMethod = keyof typeof OFFERED_METHODS;
