/**
 * What the Adapter step says about each method it offers and which knobs it shows. The values themselves (the
 * presets' defaults, the configs) come from the worker, which holds the `adapters` library's definitions.
 */
import type { AdapterChoice, AdapterMethod } from '../core/vocabulary/adapter.ts';

/** A knob the step shows as a slider. */
export type SliderKnob = 'reductionFactor' | 'r' | 'alpha' | 'prefixLength' | 'promptLength';

export interface MethodInfo {
  /** Name on the card. */
  title: string;
  /** What it does, in one line. */
  summary: string;
  /** The sliders shown, in order. */
  sliders: SliderKnob[];
}

export const ADAPTER_METHODS: Record<AdapterMethod, MethodInfo> = {
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
};

/** Slider label, the steps it offers and what the value means. */
export const SLIDERS: Record<SliderKnob, { label: string; values: number[]; help: string }> = {
  reductionFactor: { label: 'Reduction factor', values: [1, 2, 4, 8, 16, 32, 64], help: 'hidden size ÷ bottleneck width: larger is smaller' },
  r: { label: 'LoRA rank r', values: [1, 2, 4, 8, 16, 32, 64], help: 'rank of the update' },
  alpha: { label: 'LoRA alpha', values: [1, 2, 4, 8, 16, 32, 64], help: 'the update is scaled by alpha ÷ r' },
  prefixLength: { label: 'Prefix length', values: [1, 2, 5, 10, 20, 30, 50, 100], help: 'key/value positions per layer' },
  promptLength: { label: 'Prompt length', values: [1, 2, 5, 10, 20, 30, 50, 100], help: 'trained input embeddings' },
};

/** Activations offered for bottleneck adapters (the library knows a few more). */
export const NON_LINEARITIES = ['relu', 'gelu', 'gelu_new', 'swish', 'tanh', 'sigmoid', 'leakyrelu', 'relu6', 'mish', 'linear'];

/** The choice with a knob changed (undefined: back to the method's value). */
export function withKnob<K extends keyof AdapterChoice>(choice: AdapterChoice, key: K, value: AdapterChoice[K]): AdapterChoice {
  const next = { ...choice, [key]: value };
  if (value === undefined) delete next[key];
  return next;
}
