/**
 * What the Adapter step says about each method it offers and which knobs it shows, from the method registry
 * (src/core/adapters/methods/, tensor-free). The values themselves (the presets' defaults, the configs) come from
 * the worker, which resolves the choice into the `adapters` library's config.
 */
import type { SliderInfo, SliderKnob } from '../core/adapters/methods/family.ts';
import { METHOD_FAMILIES, type MethodInfo, OFFERED_METHODS } from '../core/adapters/methods/registry.ts';
import type { AdapterChoice, AdapterMethod } from '../core/vocabulary/adapter.ts';

export type { SliderKnob };

/** The methods' cards, in order: the method registry's offered presets. */
export const ADAPTER_METHODS: Record<AdapterMethod, MethodInfo> = OFFERED_METHODS;

/** Every slider, from the method family that owns its knob. */
export const SLIDERS = Object.assign({}, ...Object.values(METHOD_FAMILIES).map((f) => f.sliders)) as Record<SliderKnob, SliderInfo>;

/** Activations offered for bottleneck adapters (the library knows a few more). */
export const NON_LINEARITIES = ['relu', 'gelu', 'gelu_new', 'swish', 'tanh', 'sigmoid', 'leakyrelu', 'relu6', 'mish', 'linear'];

/** The choice with a knob changed (undefined: back to the method's value). */
export function withKnob<K extends keyof AdapterChoice>(choice: AdapterChoice, key: K, value: AdapterChoice[K]): AdapterChoice {
  const next = { ...choice, [key]: value };
  if (value === undefined) delete next[key];
  return next;
}
