/**
 * Which modules an adapter config puts where in an encoder, with every parameter's torch key, shape and init:
 * the library's add_adapter walk (ModelAdaptersConfig.match per layer and location, leave_out, the prefix
 * pool's layer count, compacter's shared parameters) done on the configs alone, before any weights exist. Each
 * family's modules are declared by its file in methods/.
 */
import type { EncoderConfig } from '../model/config.ts';
import { type AdapterConfig, type AdapterMethodConfig, architectureOf, methodConfigs, validateAdapterConfig } from './config.ts';
import { AdapterConfigError } from './errors.ts';
import { type ModelLayout, modelLayout } from './locations.ts';
import { type BnConfig, type BottleneckModule, type SharedPhm, bottleneckModule, sharedPhm } from './methods/bottleneck.ts';
import { LORA_FLAG, type LoRAConfig, type LoraModule, loraModule } from './methods/lora.ts';
import { type PrefixModule, type PrefixTuningConfig, prefixGate, prefixPool } from './methods/prefix-tuning.ts';
import { type PromptModule, type PromptTuningConfig, promptModule } from './methods/prompt-tuning.ts';
import { type LinearParams, ParamList } from './param-list.ts';
import type { ParamSpec } from './parameters.ts';
import { checkAdapterSizes, checkParameterTotal } from './size-limits.ts';

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

function unique<T>(items: T[], describe: () => string): T | undefined {
  if (items.length > 1) throw new AdapterConfigError(`Multiple adapter definitions conflict ${describe()}; use only one method per location.`);
  return items[0];
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
          if (c.use_gating) gates.set(layer, prefixGate(listFor(c), layout, name, c, layer, hidden));
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
    prefix = prefixPool(listFor(prefixConfig), layout, name, prefixConfig, prefixLayers, gates, hidden);
  }

  let prompt: PromptModule | undefined;
  const promptConfig = unique(of<PromptTuningConfig>('prompt_tuning'), () => `for adapter "${name}" (two prompt tunings)`);
  if (promptConfig) prompt = promptModule(listFor(promptConfig), layout, name, promptConfig, encoder);
  checkParameterTotal(`Adapter "${name}" on "${encoder.repoId}"`, params);
  return { name, config, layout, bottlenecks, loras, prefix, prompt, params };
}
