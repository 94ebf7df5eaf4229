/**
 * Composition setups of adapters, as the `adapters` library's composition.py defines them (Stack, Parallel,
 * Average, BatchSplit; Fuse for AdapterFusion), flat: every child is an adapter name. Tensor-free: the app, the
 * worker and the CLI parse, check and show setups with it; compose.ts runs them.
 */
import { type AdapterConfig, type AdapterMethodConfig, architectureOf, methodConfigs } from './config.ts';
import { AdapterConfigError } from './errors.ts';
import type { FamilyName } from './methods/registry.ts';

/** The library's composition block classes the studio runs. */
export type CompositionBlock = 'Stack' | 'Parallel' | 'Average' | 'BatchSplit' | 'Fuse';

export const COMPOSITION_BLOCKS: readonly CompositionBlock[] = ['Stack', 'Parallel', 'Average', 'BatchSplit', 'Fuse'];

export interface CompositionSetup {
  block: CompositionBlock;
  /** The children, adapter names in order. */
  adapters: string[];
  /** Average: one weight a child, normalised to sum 1 unless normalizeWeights is false; default 1/n each. */
  weights?: number[];
  /** Average: default true (the library's normalize_weights). */
  normalizeWeights?: boolean;
  /** BatchSplit: rows of the batch each child takes, in order; they must add up to the batch size. */
  batchSizes?: number[];
  /** Stack, Average, Fuse: whose head predicts; default the last child's (Parallel and BatchSplit use every child's). */
  head?: string;
  /** Fuse: the fusion's name; default the children joined by "," (Fuse.name). */
  name?: string;
}

/** What composition checks need of each adapter: its config and whether it has a head. */
export interface ComposableAdapterInfo {
  name: string;
  config: AdapterConfig;
  hasHead: boolean;
  /** The encoder's model_type (composition.py SUPPORTED_MODELS). */
  modelType: string;
}

/** composition.py SUPPORTED_MODELS: the model types whose modeling code replicates the batch for Parallel. */
const PARALLEL_MODEL_TYPES = ['albert', 'bert', 'roberta', 'distilbert', 'deberta-v2', 'deberta', 'bart', 'mbart', 'mt5', 'plbart', 'gpt2', 'gptj', 't5', 'vit', 'xlm-roberta', 'bert-generation', 'llama', 'mistral', 'electra', 'whisper', 'xmod'];

/** The blocks each method family's layer supports (supported_compositions, and the docs' table: adapter_composition.md). */
const FAMILY_BLOCKS: Record<FamilyName, readonly CompositionBlock[]> = {
  bottleneck: ['Stack', 'Parallel', 'Average', 'BatchSplit', 'Fuse'],
  lora: ['Stack', 'Parallel', 'Average', 'BatchSplit'],
  prefix_tuning: ['Stack', 'Parallel', 'BatchSplit'],
  prompt_tuning: [],
};

/** The library's repr of the setup, e.g. "Parallel[a, b]". */
export function compositionLabel(setup: CompositionSetup): string {
  return `${setup.block}[${setup.adapters.join(', ')}]`;
}

/** Average's weights as the library keeps them (Average.__init__). */
export function averageWeights(setup: CompositionSetup): number[] {
  const n = setup.adapters.length;
  if (!setup.weights) return Array.from({ length: n }, () => 1 / n);
  if (setup.normalizeWeights === false) return [...setup.weights];
  const sum = setup.weights.reduce((a, b) => a + b, 0);
  return setup.weights.map((w) => w / sum);
}

/** Rows [start, end) of each child's slice: Parallel's copies of a batch of `batch` rows, or BatchSplit's parts. */
export function compositionSlices(setup: CompositionSetup, batch: number): [number, number][] | undefined {
  const starts = (sizes: number[]) => sizes.map((size, i) => {
    const start = sizes.slice(0, i).reduce((a, b) => a + b, 0);
    return [start, start + size] as [number, number];
  });
  if (setup.block === 'Parallel') return starts(setup.adapters.map(() => batch));
  if (setup.block === 'BatchSplit') {
    const sizes = setup.batchSizes!;
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total !== batch) throw new AdapterConfigError(`The given batch has a size of ${batch}, which is not equal to the sum of batch_sizes [${sizes.join(', ')}] (${total}); give one size a child, adding up to the number of inputs.`, 'batchSizes');
    return starts(sizes);
  }
  return undefined;
}

/** The heads that predict, one a slice for Parallel and BatchSplit (parse_heads_from_composition). */
export function compositionHeads(setup: CompositionSetup): string[] {
  if (setup.block === 'Parallel' || setup.block === 'BatchSplit') return [...setup.adapters];
  return [setup.head ?? setup.adapters[setup.adapters.length - 1]];
}

const familiesOf = (config: AdapterConfig) => [...new Set(methodConfigs(config).map((c: AdapterMethodConfig) => architectureOf(c)))];

/**
 * Checks a setup against the adapters it names, as the library would refuse it (unknown names, blocks the model
 * or a method does not support, sizes that do not match), before anything runs. Throws AdapterConfigError.
 * `heads: false` leaves out the check that the predicting children have heads (an encoder pass needs none; a
 * fusion predicts with its own new head).
 */
export function validateComposition(setup: CompositionSetup, adapters: readonly ComposableAdapterInfo[], options: { heads?: boolean } = {}): void {
  const fail = (message: string, field?: string): never => { throw new AdapterConfigError(`${compositionLabel(setup)}: ${message}`, field); };
  if (!COMPOSITION_BLOCKS.includes(setup.block)) fail(`"${String(setup.block)}" is not a composition block; use one of ${COMPOSITION_BLOCKS.join(', ')}.`, 'block');
  if (setup.adapters.length < 1) fail('names no adapter.', 'adapters');
  const byName = new Map(adapters.map((a) => [a.name, a]));
  const children = setup.adapters.map((name) => byName.get(name) ?? fail(`no adapter "${name}" is loaded (loaded: ${[...byName.keys()].join(', ') || 'none'}).`, 'adapters'));
  const modelType = children[0].modelType;
  if (setup.block === 'Parallel' && !PARALLEL_MODEL_TYPES.includes(modelType)) fail(`models of type ${modelType} don't support adapter composition using Parallel (composition.py SUPPORTED_MODELS).`, 'block');
  for (const child of children) {
    for (const family of familiesOf(child.config)) {
      if (family === 'union' || !FAMILY_BLOCKS[family].includes(setup.block)) {
        fail(`adapter "${child.name}" uses ${family}, which the adapters library does not compose with ${setup.block} (it does with: ${family === 'union' ? '' : FAMILY_BLOCKS[family].join(', ') || 'no block'}).`, 'block');
      }
    }
  }
  if (setup.block !== 'Stack') {
    // The library's per-layer state joins only like children: a LoRA child next to a non-LoRA one, or IA3 next to LoRA, breaks its concatenation and `com`.
    const signature = (a: ComposableAdapterInfo) => methodConfigs(a.config).map((c) => ('architecture' in c && c.architecture === 'lora' ? `lora:${c.composition_mode}` : architectureOf(c))).sort().join('+');
    const first = signature(children[0]);
    const other = children.find((c) => signature(c) !== first);
    if (other) fail(`"${children[0].name}" (${first}) and "${other.name}" (${signature(other)}) use different methods; a ${setup.block} block joins adapters of the same method.`, 'adapters');
    const prefixLengths = new Set(children.flatMap((c) => methodConfigs(c.config).filter((m) => 'architecture' in m && m.architecture === 'prefix_tuning').map((m) => (m as { prefix_length: number }).prefix_length)));
    if (prefixLengths.size > 1) fail(`the prefixes have different lengths (${[...prefixLengths].join(', ')}); the library pads them with the pad token id in the keys, so the studio joins only prefixes of one length.`, 'adapters');
  }
  if (setup.block === 'Average') {
    const weights = setup.weights;
    if (weights && (weights.length !== children.length || weights.some((w) => !Number.isFinite(w)))) fail(`needs one finite weight a child (${children.length}), got [${weights.join(', ')}].`, 'weights');
    if (weights && setup.normalizeWeights !== false && weights.reduce((a, b) => a + b, 0) === 0) fail('has weights that add up to 0, so they cannot be normalised.', 'weights');
  }
  if (setup.block === 'BatchSplit') {
    const sizes = setup.batchSizes;
    if (!sizes || sizes.length !== children.length || sizes.some((s) => !Number.isSafeInteger(s) || s < 0)) fail(`needs one whole, non-negative batch size a child (${children.length}), got [${sizes?.join(', ') ?? ''}].`, 'batchSizes');
  }
  for (const head of options.heads === false ? [] : compositionHeads(setup)) {
    const owner = byName.get(head);
    if (!owner) fail(`the head "${head}" is not one of the loaded adapters'.`, 'head');
    else if (!owner.hasHead) fail(`adapter "${head}" has no prediction head, and ${setup.block} predicts with it.`, 'head');
  }
}
