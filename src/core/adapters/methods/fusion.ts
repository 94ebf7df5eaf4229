/**
 * AdapterFusion (Pfeiffer et al. 2021), tensor-free half: the library's AdapterFusionConfig with its "dynamic" and
 * "static" presets (configuration/adapter_fusion_config.py), and the fusion layers' parameters (methods/modeling.py
 * BertFusion) at every bottleneck location the fused adapters share (methods/bottleneck.py add_fusion_layer).
 * Fusion is a composition of trained adapters, not a method family of its own, so it is not in METHOD_FAMILIES; its
 * math is in fusion.forward.ts and the live layer in ../fusion.ts.
 */
import type { EncoderConfig } from '../../model/config.ts';
import { AdapterConfigError } from '../errors.ts';
import { type BottleneckLocation, modelLayout } from '../locations.ts';
import { type LinearParams, ParamList, linearDefault } from '../param-list.ts';
import type { ParamSpec } from '../parameters.ts';
import { parseAdapterConfigString } from '../python-literal.ts';
import { type Schema, bool, nullable, ordered, probability } from './schema.ts';

/** AdapterFusionConfig's fields, in the dataclass's order. */
export interface FusionConfig {
  /** A trained key projection Linear(H, H) of each adapter's output. */
  key: boolean;
  /** A trained query projection Linear(H, H) of the layer's hidden state. */
  query: boolean;
  /** A trained value projection Linear(H, H, bias=False) of the adapters' outputs. */
  value: boolean;
  /** The query is the sub-block output before the pre-trained LayerNorm (else after it). */
  query_before_ln: boolean;
  /** Pull the value matrix towards the identity: 0.01 · ‖I − V‖² added to each update's gradient (AdapterTrainer). */
  regularization: boolean;
  /** Add the residual to every adapter's output before the attention (else to the fused output). */
  residual_before: boolean;
  /** Softmax temperature starting at 50 and falling by 0.05 each forward pass down to 1 (else 1). */
  temperature: boolean;
  /** Apply the value projection to each adapter's output before the weighted sum (else to the sum). */
  value_before_softmax: boolean;
  /** Start the value matrix at the identity (1e-6 off the diagonal) instead of N(0, 0.02). A str field the library reads as a truth value. */
  value_initialized: boolean | string;
  /** Dropout on the attention scores; null: the model's attention_probs_dropout_prob. */
  dropout_prob: number | null;
}

const FUSION_SCHEMA: Schema<FusionConfig> = {
  key: bool,
  query: bool,
  value: bool,
  query_before_ln: bool,
  regularization: bool,
  residual_before: bool,
  temperature: bool,
  value_before_softmax: bool,
  value_initialized: (v) => (typeof v === 'boolean' || typeof v === 'string' ? undefined : 'must be true, false or a string'),
  dropout_prob: nullable(probability),
};

/** ADAPTERFUSION_CONFIG_MAP: StaticAdapterFusionConfig and DynamicAdapterFusionConfig. */
export const FUSION_PRESETS: Record<'static' | 'dynamic', FusionConfig> = {
  static: { key: true, query: true, value: false, query_before_ln: false, regularization: false, residual_before: false, temperature: false, value_before_softmax: true, value_initialized: false, dropout_prob: null },
  dynamic: { key: true, query: true, value: true, query_before_ln: false, regularization: true, residual_before: false, temperature: false, value_before_softmax: true, value_initialized: true, dropout_prob: null },
};

/** DEFAULT_ADAPTERFUSION_CONFIG. */
export const DEFAULT_FUSION_CONFIG = 'dynamic';

/**
 * The full fusion config of a preset name ("dynamic", "static"), a config string ("dynamic[temperature=True]") or a
 * dict (adapter_fusion_config.json's "config"), as AdapterFusionConfig.load: the dict's unknown keys are dropped,
 * missing ones are an error (the dataclass has no defaults).
 */
export function resolveFusionConfig(spec: string | Record<string, unknown>): FusionConfig {
  let values: Record<string, unknown>;
  if (typeof spec === 'string') {
    const parts = parseAdapterConfigString(spec);
    if (parts.length !== 1) throw new AdapterConfigError(`A fusion config is one preset, not a union: "${spec}".`);
    const preset = FUSION_PRESETS[parts[0].name.trim() as keyof typeof FUSION_PRESETS];
    if (!preset) throw new AdapterConfigError(`Invalid AdapterFusion config identifier "${parts[0].name.trim()}"; use "dynamic" or "static" (or a config dict).`);
    values = { ...preset, ...parts[0].overrides };
  } else values = spec;
  const out: Record<string, unknown> = {};
  for (const [field, check] of Object.entries(FUSION_SCHEMA) as [keyof FusionConfig, (v: unknown) => string | undefined][]) {
    if (!(field in values)) throw new AdapterConfigError(`AdapterFusion config has no "${field}"; give every field of AdapterFusionConfig or start from "dynamic" or "static".`, field);
    const problem = check(values[field]);
    if (problem) throw new AdapterConfigError(`AdapterFusion config field "${field}" ${problem}, got ${JSON.stringify(values[field])}.`, field);
    out[field] = values[field];
  }
  return ordered(FUSION_SCHEMA, out as unknown as FusionConfig);
}

/** The library's name of a fusion: the fused adapters' names joined by "," (Fuse.name, add_adapter_fusion). */
export const fusionNameOf = (adapterNames: readonly string[]) => adapterNames.join(',');

/** One BertFusion module at one layer and location. */
export interface FusionLayer {
  layer: number;
  location: BottleneckLocation;
  query?: LinearParams;
  key?: LinearParams;
  /** [H, H] weight, no bias. */
  value?: ParamSpec;
  /** Linear(H, 1), created when none of query, key and value is (the forward never uses it). */
  dense?: LinearParams;
}

export interface FusionPlan {
  /** The fused adapters' names joined by ",". */
  name: string;
  adapterNames: string[];
  config: FusionConfig;
  layers: FusionLayer[];
  /** Every parameter in torch state-dict order. */
  params: ParamSpec[];
}

/** What a fused adapter contributes to the plan: its name and the bottleneck locations its config switches on. */
export interface FusedAdapterShape {
  name: string;
  mh_adapter: boolean;
  output_adapter: boolean;
}

/**
 * The fusion layers over `adapters` on `encoder`: one per layer at each location where all adapters have the same
 * truthy mh_adapter / output_adapter (common_config_value raises when they differ), keys
 * `<layer prefix>.<location>.adapter_fusion_layer.<A,B>.<query|key|value|dense>.<weight|bias>`, initialised as
 * BertFusion does (init_bert_weights: N(0, 0.02), zero bias; value_initialized: identity + 1e-6).
 */
export function planFusion(encoder: EncoderConfig, adapters: readonly FusedAdapterShape[], config: FusionConfig): FusionPlan {
  if (adapters.length < 2) throw new AdapterConfigError(`AdapterFusion needs at least two adapters, got ${adapters.length}.`);
  const names = adapters.map((a) => a.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new AdapterConfigError(`Adapter "${twice}" is fused twice; each adapter of a fusion must have its own name.`);
  const locations: BottleneckLocation[] = [];
  for (const location of ['mh_adapter', 'output_adapter'] as const) {
    const values = new Set(adapters.map((a) => a[location]));
    if (values.size > 1) throw new AdapterConfigError(`All given adapters must define the same value for config attribute ${location} (the adapters library's rule): ${adapters.map((a) => `${a.name} ${a[location]}`).join(', ')}.`, location);
    if (values.has(true)) locations.push(location);
  }
  if (!locations.length) throw new AdapterConfigError(`The adapters ${names.join(', ')} have no bottleneck location (mh_adapter or output_adapter) to fuse at.`);
  const name = fusionNameOf(names);
  const layout = modelLayout(encoder);
  const H = encoder.hiddenSize;
  const params: ParamSpec[] = [];
  const list = new ParamList(params, null);
  const bert = { kind: 'normal', std: 0.02 } as const;
  const zeros = { kind: 'zeros' } as const;
  const layers: FusionLayer[] = [];
  for (let layer = 0; layer < encoder.numLayers; layer++) {
    for (const slot of layout.slots) {
      const location = locations.find((l) => l === slot);
      if (!location) continue;
      const prefix = `${layout.layer(layer)}.${layout.bottleneck[location]}.adapter_fusion_layer.${name}`;
      const fusion: FusionLayer = { layer, location };
      if (!config.query && !config.key && !config.value) fusion.dense = list.linear(prefix, 'dense', H, 1, linearDefault(H), linearDefault(H));
      if (config.query) fusion.query = list.linear(prefix, 'query', H, H, bert, zeros);
      if (config.key) fusion.key = list.linear(prefix, 'key', H, H, bert, zeros);
      if (config.value) fusion.value = list.add(prefix, 'value.weight', [H, H], config.value_initialized ? { kind: 'nearIdentity', offDiagonal: 1e-6 } : bert);
      layers.push(fusion);
    }
  }
  return { name, adapterNames: names, config, layers, params };
}
