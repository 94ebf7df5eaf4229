/**
 * The non-linearities an adapter config may name (`non_linearity`, prefix tuning's MLP, head
 * `activation_function`), as the `adapters` library resolves them: `Activation_Function_Class` lower-cases the
 * name, maps "leakyrelu" to F.leaky_relu and everything else through transformers' `get_activation`.
 * Names only, no tensors: configs are checked with them wherever no tfjs is loaded (the app, config parsing).
 */
import { AdapterConfigError } from './errors.ts';

export const ACTIVATIONS = [
  'relu', 'relu6', 'gelu', 'gelu_python', 'gelu_new', 'gelu_fast', 'gelu_pytorch_tanh', 'quick_gelu',
  'silu', 'swish', 'tanh', 'sigmoid', 'leakyrelu', 'leaky_relu', 'mish', 'linear',
] as const;

/** A non-linearity name after lower-casing, as transformers' ACT2FN (plus the library's "leakyrelu"). */
export type Activation = (typeof ACTIVATIONS)[number];

/** Lower-cases `name` like the library and checks it is one we implement; undefined otherwise. */
export function activationNamed(name: string): Activation | undefined {
  const lower = name.toLowerCase();
  return (ACTIVATIONS as readonly string[]).includes(lower) ? lower as Activation : undefined;
}

/** The activation `name` names, or an AdapterConfigError for config field `field`. */
export function activationOf(name: string, field: string): Activation {
  const act = activationNamed(name);
  if (!act) throw new AdapterConfigError(`Adapter config field "${field}" names the unknown activation "${name}".`, field);
  return act;
}
