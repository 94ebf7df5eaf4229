/** Adapter methods of the `adapters` library (bottleneck, Compacter, LoRA, IA3, prefix and prompt tuning, unions), heads, summary. */
export { ACTIVATIONS, type Activation } from './activation-names.ts';
export { type AdapterModel, type CreateAdapterOptions, type ForwardOptions, createAdapter } from './adapter.ts';
export { createAdapterDrop } from './adapter-drop.ts';
export { type ComposeOptions, type ComposedLogits, type FuseLayer, composedEncode, composedForward } from './compose.ts';
export {
  COMPOSITION_BLOCKS, type ComposableAdapterInfo, type CompositionBlock, type CompositionSetup, averageWeights, compositionHeads, compositionLabel, compositionSlices,
  validateComposition,
} from './composition.ts';
export type { AdapterUnits, BottleneckUnit, LoraUnit, PrefixStates } from './composition-units.ts';
export { type AdapterShelf, type ShelfEntry, type ShelfOrigin, composableInfo, createShelf } from './shelf.ts';
export {
  ADAPTER_PRESETS, type AdapterConfig, type AdapterMethodConfig, type AdapterPresetName, type ArchitectureName, type BnConfig, type ConfigUnion,
  DEFAULT_ADAPTER_PRESET, type LoRAConfig, type PrefixTuningConfig, type PromptTuningConfig,
  architectureOf, bottleneckSize, isBottleneck, isUnion, methodConfigs, resolveAdapterConfig, validateAdapterConfig,
} from './config.ts';
export { AdapterConfigError, AdapterStateError } from './errors.ts';
export type { MethodFamily, MethodKnobs, PeftMapping, SliderKnob } from './methods/family.ts';
export { METHOD_FAMILIES, type AdapterMethod, type MethodInfo, OFFERED_METHODS, familyOf } from './methods/registry.ts';
export { type HeadConfig, type HeadKind, type HeadOptions, type HeadPlan, planHead } from './head.ts';
export { type Scaling, bottleneckDelta, ia3Scale, loraDelta } from './hot-paths.ts';
export { type ModelLayout, modelLayout } from './locations.ts';
export type { ParamSpec } from './parameters.ts';
export { type AdapterPlan, planAdapter } from './plan.ts';
export { PYTHON_FLOAT_FIELDS, pythonFloatRepr, pythonJsonDumps } from './python-json.ts';
export { type ConfigStringPart, parseAdapterConfigString } from './python-literal.ts';
export { type SummaryOptions, type SummaryRow, adapterSummary, adapterSummaryRows, baseModelParameters } from './summary.ts';
