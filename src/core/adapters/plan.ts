/**
 * Which modules an adapter config puts where in an encoder, with every parameter's torch key, shape and init:
 * the library's add_adapter walk (ModelAdaptersConfig.match per layer and location, leave_out, the prefix
 * pool's layer count, compacter's shared parameters) done on the configs alone, before any weights exist. Each
 * family's modules are declared by its planner in methods/<family>.ts; here the walk over the registry.
 */
import type { EncoderConfig } from '../model/config.ts';
import { type AdapterConfig, type AdapterMethodConfig, architectureOf, methodConfigs, validateAdapterConfig } from './config.ts';
import { AdapterConfigError } from './errors.ts';
import { type LayerSlot, type ModelLayout, modelLayout } from './locations.ts';
import type { FamilyPlanning, MethodFamily, PlanContext } from './methods/family.ts';
import { type FamilyModules, type FamilyName, METHOD_FAMILIES } from './methods/registry.ts';
import { ParamList } from './param-list.ts';
import type { ParamSpec } from './parameters.ts';
import { checkAdapterSizes, checkParameterTotal } from './size-limits.ts';

export interface AdapterPlan {
  name: string;
  config: AdapterConfig;
  layout: ModelLayout;
  /** Each family's modules, for the families the config uses (in METHOD_FAMILIES order). */
  modules: Partial<FamilyModules>;
  /** Every parameter once, in torch state-dict order. */
  params: ParamSpec[];
  /** Every state-dict key (parameter keys and their aliases) in torch's order: what save_adapter writes. */
  stateDictKeys: string[];
}

type AnyFamily = MethodFamily<AdapterMethodConfig, unknown>;
const FAMILIES = Object.entries(METHOD_FAMILIES) as [FamilyName, AnyFamily][];

/** The family that plans modules at each layout slot. */
const SLOT_OWNER = new Map<LayerSlot, FamilyName>();
for (const [family, record] of FAMILIES) {
  for (const slot of record.planner.slots) {
    if (SLOT_OWNER.has(slot)) throw new Error(`Method families "${SLOT_OWNER.get(slot)}" and "${family}" both plan modules at slot "${slot}"; a slot has one family.`);
    SLOT_OWNER.set(slot, family);
  }
}

/**
 * Plans the adapter `name` with config `config` on an encoder with `encoder`'s shape. Throws AdapterConfigError
 * when the config does not fit the model (e.g. a reduction_factor map without a value for some layer).
 *
 * Torch lists the layers' modules first (layer by layer, each layer's slots in the layout's order), then the
 * base-model attributes in METHOD_FAMILIES order: shared_parameters (bottleneck), prefix_tuning, prompt_tuning.
 */
export function planAdapter(encoder: EncoderConfig, config: AdapterConfig, name: string): AdapterPlan {
  if (!/^[\w.-]+$/.test(name) || name.includes('.')) {
    throw new AdapterConfigError(`Adapter name "${name}" cannot be used in torch state-dict keys; use letters, digits, "_" and "-" (no dots).`);
  }
  validateAdapterConfig(config);
  checkAdapterSizes(encoder, config);
  const layout = modelLayout(encoder);
  const methods = methodConfigs(config);
  const params: ParamSpec[] = [];
  const reserved: { at: number; keys: string[] }[] = [];
  const context: PlanContext = {
    name, encoder, layout,
    // Each method of a union has its own init_weights_seed.
    listFor: (c) => new ParamList(params, c.init_weights_seed),
    append: (specs) => { params.push(...specs); },
    reserve: (keys) => { reserved.push({ at: params.length, keys }); },
    unique(configs, where) {
      if (configs.length > 1) throw new AdapterConfigError(`Multiple adapter definitions conflict for adapter "${name}" ${where}; use only one method per location.`);
      return configs[0];
    },
  };
  const planning = new Map<FamilyName, FamilyPlanning<unknown>>();
  for (const [family, record] of FAMILIES) {
    const configs = methods.filter((c) => architectureOf(c) === family);
    if (configs.length) planning.set(family, record.planner.begin(configs, context));
  }
  for (let layer = 0; layer < layout.layerCount; layer++) {
    for (const slot of layout.slots) {
      const owner = SLOT_OWNER.get(slot);
      if (owner) planning.get(owner)?.atSlot(layer, slot);
    }
  }
  const modules: Record<string, unknown> = {};
  for (const [family, p] of planning) modules[family] = p.finish();
  checkParameterTotal(`Adapter "${name}" on "${encoder.repoId}"`, params);
  return { name, config, layout, modules: modules as Partial<FamilyModules>, params, stateDictKeys: stateDictKeys(params, reserved) };
}

/** Each parameter's key then its aliases, but reserved aliases where they were reserved. */
function stateDictKeys(params: ParamSpec[], reserved: { at: number; keys: string[] }[]): string[] {
  const held = new Set(reserved.flatMap((r) => r.keys));
  const keys: string[] = [];
  for (let i = 0; i <= params.length; i++) {
    for (const r of reserved) if (r.at === i) keys.push(...r.keys);
    if (i < params.length) keys.push(params[i].key, ...params[i].aliases.filter((alias) => !held.has(alias)));
  }
  const declared = new Set(params.flatMap((p) => [p.key, ...p.aliases]));
  const orphan = [...held].find((key) => !declared.has(key));
  if (orphan) throw new Error(`The state-dict key "${orphan}" was reserved but no parameter declares it as an alias.`);
  return keys;
}
