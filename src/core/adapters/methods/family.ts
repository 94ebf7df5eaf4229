/**
 * What every method family (bottleneck, LoRA/IA3, prefix tuning, prompt tuning) tells the rest of the studio, one
 * record per family (methods/<family>.ts), registered in methods/registry.ts. Tensor-free: the worker, the CLI and
 * the app read it; the family's parameter builders sit in the same file, its math on tensors in
 * methods/<family>.forward.ts and its fused kernel in src/core/kernels/.
 */
import type { EncoderConfig } from '../../model/config.ts';
import type { AdapterKnobs } from '../../vocabulary/adapter.ts';
import type { LayerSlot, ModelLayout } from '../locations.ts';
import type { ParamList } from '../param-list.ts';
import type { ParamSpec } from '../parameters.ts';
import type { Schema } from './schema.ts';

/** The Adapter step's knobs (the vocabulary's AdapterKnobs, each optional); each family reads and reports the ones it has. */
export type MethodKnobs = Partial<AdapterKnobs>;

/** The knobs the Adapter step shows as sliders. */
export type SliderKnob = 'reductionFactor' | 'r' | 'alpha' | 'prefixLength' | 'promptLength';

/** A slider's label, the steps it offers and what the value means. */
export interface SliderInfo {
  label: string;
  values: number[];
  help: string;
}

/** How 🤗 PEFT holds a config of the family, or why it cannot ("Export for AdapterHub instead." follows). */
export type PeftMapping = { peftType: 'LORA' | 'IA3' } | { none: string };

/** Throws an AdapterConfigError (or AdapterSizeError) for `field`. */
export type FieldFailure = (field: string, message: string) => never;

/** What a family's planner gets from planAdapter (plan.ts) for one adapter. */
export interface PlanContext {
  /** The adapter's name (in every state-dict key). */
  name: string;
  encoder: EncoderConfig;
  layout: ModelLayout;
  /** Declares parameters of config `c` (its init_weights_seed) in the plan, at the current state-dict position. */
  listFor(c: { init_weights_seed: number | null }): ParamList;
  /** Appends parameters declared earlier on a list of the family's own (listed where the call is made). */
  append(specs: ParamSpec[]): void;
  /**
   * Holds the state-dict place, here, of alias keys a later parameter declares (torch lists a module registered in
   * two places under both names, e.g. each layer's link to the prefix pool before the pool itself).
   */
  reserve(keys: string[]): void;
  /** At most one of `configs`; two conflict (AdapterConfigError) `where`: "in layer 3 (q)", "(two prompt tunings)". */
  unique<T>(configs: T[], where: string): T | undefined;
}

/** One adapter's planning of a family with at least one config, driven by planAdapter. */
export interface FamilyPlanning<M> {
  /** Plans the module of layer `layer` at `slot` (one of the planner's slots), if the family's configs put one there. */
  atSlot(layer: number, slot: LayerSlot): void;
  /** After every layer: declares the family's model-level modules (base-model attributes) and returns all its modules. */
  finish(): M;
}

/**
 * How a family plans its modules. planAdapter calls begin for each family with configs (in METHOD_FAMILIES order),
 * walks the layers with each layer's slots in the layout's order, then calls finish for each family (again in
 * METHOD_FAMILIES order): the layers' modules come first in the state dict, then the base-model attributes.
 */
export interface FamilyPlanner<C, M> {
  /** The layout slots the family plans modules at (no two families share one). */
  slots: readonly LayerSlot[];
  /** Starts planning the family's `configs` (from the adapter's config or union, in order). */
  begin(configs: C[], ctx: PlanContext): FamilyPlanning<M>;
}

export interface MethodFamily<C, M = unknown> {
  /** config["architecture"]; bottleneck configs carry none ("bottleneck" is adapter_summary's name for them). */
  architecture: C extends { architecture: infer A } ? A : 'bottleneck';
  /** Every field's check, in the dataclass's field order. */
  schema: Schema<C>;
  /** The class defaults that from_dict gives fields a saved dict lacks (a field without one is required). */
  defaults: Partial<C>;
  /** A saved dict in today's field names (legacy keys the library still reads). */
  upgradeDict?(dict: Record<string, unknown>): Record<string, unknown>;
  /** The library's cross-field rules. */
  check?(config: C, fail: FieldFailure): void;
  /**
   * ConfigUnion.validate for two members of this family, neither with leave_out: null when they may be combined,
   * else what clashes. Absent: two members of the family never combine.
   */
  unionConflict?(a: C, b: C): string | null;
  /** Refuses sizes no adapter of `encoder` can use (before any parameter is planned). */
  checkSizes?(config: C, encoder: EncoderConfig, fail: FieldFailure): void;
  /** Short human name for model cards: "bottleneck adapter", "LoRA"... */
  kindName(config: C): string;
  /** The config with the knobs the family has set (unset knobs keep the config's values). */
  withKnobs(config: C, knobs: MethodKnobs): C;
  /** The values of the knobs the family has (leave_out is read for every family by the caller). */
  knobsOf(config: C): MethodKnobs;
  /** The sliders of the knobs the family owns. */
  sliders: Partial<Record<SliderKnob, SliderInfo>>;
  /** PEFT's form of the config. */
  peft(config: C): PeftMapping;
  /** Where the family's modules go and their parameters (the plan's modules of the family are M). */
  planner: FamilyPlanner<C, M>;
}

/** Fields set only when the knobs give them. */
export const defined = <T extends object>(fields: T): Partial<T> => Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<T>;
