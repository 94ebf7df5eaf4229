/**
 * A live adapter on a frozen encoder: the tf.Variables of every method in its config (named with the
 * `adapters` library's torch state-dict keys, in torch's [out, in] layout), the EncoderHooks that apply them,
 * and an optional prediction head. Only the adapter and head variables train; the encoder's tensors are never
 * touched.
 *
 * Each method family's math and hooks are in its methods/<family>.forward.ts (listed in methods/forwards.ts);
 * here the live variables, the per-call state (training, skipped layers) and the composition of the families'
 * hooks into the encoder's hooks, in FAMILY_HOOKS order.
 */
import * as tf from '@tensorflow/tfjs';
import type { EncoderConfig } from '../model/config.ts';
import { type EncoderHooks, type EncoderOutput, type EncoderWeights, encoderForward } from '../model/encoder.ts';
import { gatherRows } from '../model/embedding-table.ts';
import { layerNorm, linear } from '../ops.ts';
import type { EncodedBatch, EncoderTokenizer } from '../model/tokenizer.ts';
import type { HostTensor } from '../model/weights.ts';
import { type AdapterConfig, resolveAdapterConfig } from './config.ts';
import { AdapterConfigError } from './errors.ts';
import { type HeadOptions, type HeadPlan, headForward, headLoss, planHead, requireHead } from './head.ts';
import { createLiveParameters } from './live-parameters.ts';
import { modelLayout } from './locations.ts';
import { type ParamSpec, elementCount, initialValues } from './parameters.ts';
import { seededRandom } from '../random.ts';
import type { AdapterUnits } from './composition-units.ts';
import type { FamilyHooks, ForwardContext } from './methods/forward-context.ts';
import { FAMILY_HOOKS } from './methods/forwards.ts';
import type { FamilyName } from './methods/registry.ts';
import { type AdapterPlan, planAdapter } from './plan.ts';
import { adapterSummary } from './summary.ts';

export interface CreateAdapterOptions {
  /** Adapter name, used in every state-dict key (and as the head's name). */
  name: string;
  /** Seed of the initial values and of dropout; default 0. */
  seed?: number;
  /** A prediction head named like the adapter; omitted: no head (forward / loss then throw). */
  head?: HeadOptions;
  /** prompt_init "from_string" copies the word embeddings of the prompt text's tokens: give the encoder's tokenizer and weights. */
  promptInit?: { tokenizer: EncoderTokenizer; weights: EncoderWeights };
  /**
   * Put before each tf.Variable's name (default none: the torch key), so that a second live adapter of the same name
   * can exist, e.g. a copy on the shelf beside the active adapter. State dicts keep the torch keys; such an adapter
   * is for inference (the trainer names parameters by their variables).
   */
  variablePrefix?: string;
}

export interface ForwardOptions {
  /** Training mode: adapter and head dropout, stochastic depth. The frozen encoder always runs without dropout. */
  training?: boolean;
  /** AdapterDrop: layers whose adapters are skipped for this call (the library's skip_layers). */
  skipLayers?: Iterable<number>;
}

export interface AdapterModel {
  readonly name: string;
  readonly config: AdapterConfig;
  readonly encoderConfig: EncoderConfig;
  readonly plan: AdapterPlan;
  /** The head's plan (config, labels), when the adapter has a head. */
  readonly head?: HeadPlan;
  /** Hooks applying the adapter; with `encoderForward` directly they run in inference mode without skipped layers. */
  readonly hooks: EncoderHooks;
  /** The adapter's modules as composition blocks call them (compose.ts); valid inside `inCall`. */
  readonly units: AdapterUnits;
  /** Runs `fn` as one inference forward pass of this adapter (per-pass state such as the prefix pool's output forgotten before and after). */
  inCall<T>(fn: () => T): T;
  /** The head's logits [batch, num_labels] on encoder outputs (inference). */
  applyHead(encoded: EncoderOutput): tf.Tensor2D;
  /** Adapter and head variables that train, in state-dict order. */
  trainableVariables(): tf.Variable[];
  /** The encoder outputs with the adapter applied; the caller disposes them. */
  encode(weights: EncoderWeights, batch: EncodedBatch, options?: ForwardOptions): EncoderOutput;
  /** Head logits [batch, num_labels]. */
  forward(weights: EncoderWeights, batch: EncodedBatch, options?: ForwardOptions): tf.Tensor2D;
  /** The head's loss (cross-entropy, MSE or BCE) for `labels`, averaged over the batch. */
  loss(weights: EncoderWeights, batch: EncodedBatch, labels: ArrayLike<number>, options?: ForwardOptions): tf.Scalar;
  /** The adapter's weights under the library's keys (aliases included), host copies in torch layout. */
  adapterStateDict(): Map<string, HostTensor>;
  /** The head's weights ("heads.{name}.{i}.weight"...). */
  headStateDict(): Map<string, HostTensor>;
  /**
   * Sets adapter and/or head weights from a state dict (e.g. a loaded pytorch_adapter.bin). Shapes must match.
   * Strict (default): every parameter must be present (under its key or an alias) and no unknown key given.
   */
  loadAdapterStateDict(tensors: ReadonlyMap<string, HostTensor>, options?: { strict?: boolean }): { missing: string[]; unexpected: string[] };
  /** `adapter_summary()` of this adapter on its encoder. */
  summary(): string;
  /** Frees every variable. */
  dispose(): void;
}

/** nn.LayerNorm's default epsilon (adapter_norm_before / adapter_norm_after). */
const ADAPTER_LN_EPS = 1e-5;

/** Per-call state the hooks read. */
interface CallState {
  training: boolean;
  skip: ReadonlySet<number>;
}

export function createAdapter(encoderConfig: EncoderConfig, adapterConfig: AdapterConfig | string, options: CreateAdapterOptions): AdapterModel {
  const config = typeof adapterConfig === 'string' ? resolveAdapterConfig(adapterConfig) : resolveAdapterConfig(adapterConfig as unknown as Record<string, unknown>);
  const { name } = options;
  const seed = options.seed ?? 0;
  const plan = planAdapter(encoderConfig, config, name);
  const head = options.head ? planHead(encoderConfig, name, options.head) : undefined;
  const specs = [...plan.params, ...(head?.params ?? [])];

  // Variables, named with their torch keys (tfjs needs unique names: one live adapter per name and family).
  const live = createLiveParameters(specs, seed, `Adapter "${name}"`, {
    startValues: (spec) => (spec.init.kind === 'external' ? promptFromString(plan, spec, options.promptInit) : initialValues(spec, seed)),
    ...(options.variablePrefix ? { variablePrefix: options.variablePrefix } : {}),
  });
  const tensor = (spec: ParamSpec): tf.Tensor => live.tensor(spec);

  const dropoutRandom = seededRandom(seed ^ 0x5eed);
  const nextSeed = () => Math.floor(dropoutRandom() * 2 ** 31);
  let state: CallState = { training: false, skip: new Set() };
  const dropout = <T extends tf.Tensor>(x: T, rate: number, noiseShape?: number[]): T =>
    state.training && rate > 0 ? tf.dropout(x, rate, noiseShape, nextSeed()) as T : x;

  const context = createForwardContext(encoderConfig, tensor, {
    active: (layer) => !state.skip.has(layer),
    training: () => state.training,
    dropout,
  });

  const { hooks, resets, units } = composeHooks(plan, context);
  const reset = () => { for (const r of resets) r(); };

  function inCallWith<T>(options: ForwardOptions, fn: () => T): T {
    const previous = state;
    state = { training: options.training ?? false, skip: new Set(options.skipLayers ?? []) };
    reset();
    try {
      return fn();
    } finally {
      state = previous;
      reset();
    }
  }

  function encode(weights: EncoderWeights, batch: EncodedBatch, options: ForwardOptions = {}): EncoderOutput {
    checkBuiltFor(`Adapter "${name}"`, encoderConfig, weights);
    return inCallWith(options, () => encoderForward(weights, batch, hooks));
  }


  function forward(weights: EncoderWeights, batch: EncodedBatch, options: ForwardOptions = {}): tf.Tensor2D {
    const plan = requireHead(head, `Adapter "${name}"`);
    return tf.tidy(() => {
      const encoded = encode(weights, batch, options);
      return headForward(plan, encoded, tensor, options.training ? nextSeed : undefined);
    });
  }

  return {
    name, config, encoderConfig, plan, head, hooks, units,
    inCall: (fn) => inCallWith({}, fn),
    applyHead: (encoded) => headForward(requireHead(head, `Adapter "${name}"`), encoded, tensor),
    trainableVariables: () => specs.filter((s) => s.trainable).map((s) => live.tensor(s)),
    encode,
    forward,
    loss: (weights, batch, labels, options = {}) => tf.tidy(() => headLoss(requireHead(head, `Adapter "${name}"`), forward(weights, batch, options), labels)),
    adapterStateDict: () => live.stateDict(plan.params, plan.stateDictKeys),
    headStateDict: () => live.stateDict(head?.params ?? []),
    loadAdapterStateDict: (tensors, { strict = true } = {}) => live.load(tensors, strict),
    summary: () => adapterSummary(config, encoderConfig, { name }),
    dispose: () => live.dispose(),
  };
}

/** Throws unless `weights` are of the encoder shape `what` (e.g. 'Adapter "x"') was built for. */
export function checkBuiltFor(what: string, built: EncoderConfig, weights: EncoderWeights): void {
  const sameLayers = weights.config.numLayers === built.numLayers && modelLayout(weights.config).layerCount === modelLayout(built).layerCount;
  if (weights.config.hiddenSize !== built.hiddenSize || !sameLayers || weights.config.family !== built.family) {
    throw new AdapterConfigError(`${what} was built for ${built.family} with ${built.numLayers} layers of width ${built.hiddenSize}, not for "${weights.config.repoId}".`);
  }
}

/** The ForwardContext of parameters read through `tensor`, with the per-call state given by `call`. */
export function createForwardContext(encoder: EncoderConfig, tensor: (spec: ParamSpec) => tf.Tensor, call: Pick<ForwardContext, 'active' | 'training' | 'dropout'>): ForwardContext {
  const context: ForwardContext = {
    encoder,
    tensor,
    ...call,
    linearOf: (p) => ({ weight: tensor(p.weight) as tf.Tensor2D, bias: tensor(p.bias) as tf.Tensor1D }),
    gateOf: (p, x) => tf.sigmoid(linear(x, context.linearOf(p))).mean(1, true) as tf.Tensor3D,
    norm: (x, p) => layerNorm(x, { weight: tensor(p.weight) as tf.Tensor1D, bias: tensor(p.bias) as tf.Tensor1D }, ADAPTER_LN_EPS),
  };
  return context;
}

/** The hooks of the plan's families, in FAMILY_HOOKS order; a hook point two families fill is a bug in the registry. */
function composeHooks(plan: AdapterPlan, context: ForwardContext): { hooks: EncoderHooks; resets: (() => void)[]; units: AdapterUnits } {
  const hooks: EncoderHooks = {};
  const units: AdapterUnits = {};
  const filledBy = new Map<string, FamilyName>();
  const resets: (() => void)[] = [];
  for (const family of Object.keys(FAMILY_HOOKS) as FamilyName[]) {
    const modules = plan.modules[family];
    if (modules === undefined) continue;
    const contributed: FamilyHooks = (FAMILY_HOOKS[family] as (ctx: ForwardContext, m: typeof modules) => FamilyHooks)(context, modules);
    for (const point of Object.keys(contributed.hooks) as (keyof EncoderHooks)[]) {
      if (filledBy.has(point)) throw new Error(`Method families "${filledBy.get(point)}" and "${family}" both fill the encoder hook "${point}"; a hook point has one family.`);
      filledBy.set(point, family);
    }
    Object.assign(hooks, contributed.hooks);
    Object.assign(units, contributed.units);
    if (contributed.reset) resets.push(contributed.reset);
  }
  return { hooks, resets, units };
}

/** prompt_init "from_string": the prompt text's token ids (special tokens included), repeated to prompt_length, looked up in the word embeddings. */
function promptFromString(plan: AdapterPlan, spec: ParamSpec, source: CreateAdapterOptions['promptInit']): Float32Array {
  const prompt = plan.modules.prompt_tuning!.config;
  if (!source) throw new AdapterConfigError(`Adapter config field "prompt_init" is "from_string": pass promptInit { tokenizer, weights } to createAdapter so the prompt can start from the word embeddings of "${prompt.prompt_init_text}".`, 'prompt_init');
  const encoded = source.tokenizer.encode([prompt.prompt_init_text!]);
  const ids = Array.from(encoded.inputIds.subarray(0, encoded.attentionMask.reduce((a, b) => a + b, 0)));
  const repeated = Array.from({ length: prompt.prompt_length }, (_, i) => ids[i % ids.length]);
  return tf.tidy(() => gatherRows(source.weights.wordEmbeddings, Int32Array.from(repeated)).dataSync() as Float32Array).slice(0, elementCount(spec.shape));
}
