/**
 * Adapter configurations as the `adapters` library (v1.2) defines them in configuration/adapter_config.py:
 * plain JSON objects holding exactly the fields its `to_dict()` writes (snake_case, the library's names), so
 * an export can write them as they are (through `pythonJsonDumps`, which keeps floats floats).
 *
 * Built from the library's preset names (ADAPTER_CONFIG_MAP) with overrides, from config strings
 * ("seq_bn[reduction_factor=8]", "prefix_tuning|par_bn"), or from a saved config dict (missing fields take
 * the class defaults, unknown fields are dropped as `to_dict()` drops them). Every field is checked; errors
 * name the field. The fields, defaults and rules of each method are its family's (methods/<family>.ts); the
 * presets are methods/registry.ts'.
 */
import { AdapterConfigError } from './errors.ts';
import type { FieldFailure, MethodFamily } from './methods/family.ts';
import {
  ADAPTER_PRESETS, type AdapterConfig, type AdapterMethodConfig, METHOD_FAMILIES, UNSUPPORTED_PRESETS, architectureOf, familyOf, isUnion,
} from './methods/registry.ts';
import { ordered } from './methods/schema.ts';
import { type PythonValue, parseAdapterConfigString } from './python-literal.ts';

export { type BnConfig, bottleneckSize } from './methods/bottleneck.ts';
export type { LoRAConfig } from './methods/lora.ts';
export type { PrefixTuningConfig } from './methods/prefix-tuning.ts';
export type { PromptTuningConfig } from './methods/prompt-tuning.ts';
export {
  ADAPTER_PRESETS, type AdapterConfig, type AdapterMethodConfig, type AdapterPresetName, type ArchitectureName, type ConfigUnion,
  DEFAULT_ADAPTER_PRESET, architectureOf, isBottleneck, isUnion, methodConfigs,
} from './methods/registry.ts';

// ---------------------------------------------------------------------------------------------------------
// Resolution and validation.

function presetNamed(name: string): AdapterConfig {
  const make = (ADAPTER_PRESETS as Record<string, () => AdapterConfig>)[name];
  if (make) return make();
  const reason = UNSUPPORTED_PRESETS[name];
  if (reason) throw new AdapterConfigError(`Adapter config "${name}" uses ${reason}, which the studio cannot train; choose one of ${Object.keys(ADAPTER_PRESETS).join(', ')}.`);
  throw new AdapterConfigError(`Could not identify "${name}" as an adapter configuration; known presets: ${Object.keys(ADAPTER_PRESETS).join(', ')}.`);
}

/** dataclasses.replace: every override must be a field of the config class. */
function replaceFields(config: AdapterConfig, overrides: Record<string, unknown>, where: string): AdapterConfig {
  if (isUnion(config)) {
    // ConfigUnion.replace applies the changes to every member.
    return { architecture: 'union', configs: config.configs.map((c, i) => replaceFields(c, overrides, `${where}configs[${i}].`) as AdapterMethodConfig) };
  }
  const schema = familyOf(config).schema;
  for (const key of Object.keys(overrides)) {
    if (!(key in schema) || key === 'architecture') {
      throw new AdapterConfigError(`Adapter config field "${where}${key}" does not exist for ${architectureOf(config)} configs; its fields are: ${Object.keys(schema).filter((k) => k !== 'architecture').join(', ')}.`, `${where}${key}`);
    }
  }
  return { ...config, ...structuredClone(overrides) } as AdapterConfig;
}

/** The families whose configs carry an "architecture" key (bottleneck configs have none). */
const FAMILY_BY_ARCHITECTURE = new Map<unknown, MethodFamily<AdapterMethodConfig>>(
  Object.values(METHOD_FAMILIES).map((f): [string | null, MethodFamily<AdapterMethodConfig>] => [f.architecture === 'bottleneck' ? null : f.architecture, f as unknown as MethodFamily<AdapterMethodConfig>]),
);

/** AdapterConfig.from_dict: class chosen by "architecture", class defaults for missing fields, unknown fields dropped. */
function fromDict(dict: Record<string, unknown>, where: string): AdapterConfig {
  const architecture = dict.architecture ?? null;
  if (architecture === 'union') {
    if (!Array.isArray(dict.configs)) throw new AdapterConfigError(`Adapter config "${where}configs" must be a list of configs for architecture "union".`, `${where}configs`);
    return { architecture: 'union', configs: dict.configs.map((c, i) => fromDict(asDict(c, `${where}configs[${i}]`), `${where}configs[${i}].`) as AdapterMethodConfig) };
  }
  const family = FAMILY_BY_ARCHITECTURE.get(architecture);
  if (!family) {
    const named = [...FAMILY_BY_ARCHITECTURE.keys()].filter((a) => a !== null).map((a) => JSON.stringify(a)).join(', ');
    throw new AdapterConfigError(`Adapter config "${where}architecture" is ${JSON.stringify(architecture)}; the studio runs bottleneck (no architecture), ${named} and "union" configs.`, `${where}architecture`);
  }
  const source = family.upgradeDict ? family.upgradeDict(dict) : dict;
  const values = { ...family.defaults } as Record<string, unknown>;
  for (const key of Object.keys(family.schema)) if (key in source) values[key] = source[key];
  for (const key of Object.keys(family.schema)) {
    if (!(key in values)) throw new AdapterConfigError(`Adapter config "${where.slice(0, -1) || 'config'}" lacks the required field "${where}${key}".`, `${where}${key}`);
  }
  return ordered(family.schema, values as unknown as AdapterMethodConfig);
}

function asDict(value: unknown, where: string): Record<string, unknown> {
  if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  throw new AdapterConfigError(`Adapter config "${where}" must be a JSON object, got ${JSON.stringify(value)}.`, where);
}

function checkFields(config: AdapterMethodConfig, where: string): void {
  const family = familyOf(config);
  for (const [key, check] of Object.entries(family.schema) as [string, (v: unknown) => string | undefined][]) {
    const problem = check((config as unknown as Record<string, unknown>)[key]);
    if (problem) throw new AdapterConfigError(`Adapter config field "${where}${key}" = ${JSON.stringify((config as unknown as Record<string, unknown>)[key])} ${problem}.`, `${where}${key}`);
  }
  const fail: FieldFailure = (field, message) => { throw new AdapterConfigError(`Adapter config field "${where}${field}" ${message}.`, `${where}${field}`); };
  family.check?.(config, fail);
}

/** ConfigUnion.validate: members of one architecture conflict unless their family allows them together (or one has leave_out). */
function checkUnion(configs: AdapterMethodConfig[]): void {
  configs.forEach((a, i) => configs.slice(0, i).forEach((b, j) => {
    const arch = architectureOf(a);
    if (arch !== architectureOf(b)) return;
    if ((('leave_out' in a) && a.leave_out.length) || (('leave_out' in b) && b.leave_out.length)) return;
    const family = familyOf(a);
    const conflict = family.unionConflict ? family.unionConflict(a, b) : `have the same architecture "${arch}" and cannot be combined`;
    if (conflict !== null) throw new AdapterConfigError(`Adapter config union members configs[${j}] and configs[${i}] ${conflict}.`, `configs[${i}]`);
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
