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
import { layerNorm, linear } from '../ops.ts';
import type { EncodedBatch, EncoderTokenizer } from '../model/tokenizer.ts';
import type { HostTensor } from '../model/weights.ts';
import { type AdapterConfig, resolveAdapterConfig } from './config.ts';
import { AdapterConfigError, AdapterStateError } from './errors.ts';
import { type HeadOptions, type HeadPlan, headForward, headLoss, planHead } from './head.ts';
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
  const variables = new Map<string, tf.Variable>();
  /** Every key the state dict may use: parameter keys and their aliases. */
  const knownKeys = new Set<string>();
  try {
    for (const spec of specs) {
      const variableName = `${options.variablePrefix ?? ''}${spec.key}`;
      if (tf.engine().registeredVariables[variableName]) {
        throw new AdapterConfigError(`A live adapter already owns the variable "${variableName}"; dispose the other adapter named "${name}" first or pick another name.`);
      }
      const values = spec.init.kind === 'external' ? promptFromString(plan, spec, options.promptInit) : initialValues(spec, seed);
      const initial = tf.tensor(values, spec.shape, 'float32');
      const variable = tf.variable(initial, spec.trainable, variableName);
      initial.dispose();
      variables.set(spec.key, variable);
      for (const key of [spec.key, ...spec.aliases]) knownKeys.add(key);
    }
  } catch (err) {
    for (const v of variables.values()) v.dispose();
    throw err;
  }
  const tensor = (spec: ParamSpec): tf.Tensor => variables.get(spec.key)!;

  const dropoutRandom = seededRandom(seed ^ 0x5eed);
  const nextSeed = () => Math.floor(dropoutRandom() * 2 ** 31);
  let state: CallState = { training: false, skip: new Set() };
  const dropout = <T extends tf.Tensor>(x: T, rate: number, noiseShape?: number[]): T =>
    state.training && rate > 0 ? tf.dropout(x, rate, noiseShape, nextSeed()) as T : x;

  const context: ForwardContext = {
    encoder: encoderConfig,
    active: (layer) => !state.skip.has(layer),
    tensor,
    training: () => state.training,
    dropout,
    linearOf: (p) => ({ weight: tensor(p.weight) as tf.Tensor2D, bias: tensor(p.bias) as tf.Tensor1D }),
    gateOf: (p, x) => tf.sigmoid(linear(x, context.linearOf(p))).mean(1, true) as tf.Tensor3D,
    norm: (x, p) => layerNorm(x, { weight: tensor(p.weight) as tf.Tensor1D, bias: tensor(p.bias) as tf.Tensor1D }, ADAPTER_LN_EPS),
  };

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
    const sameLayers = weights.config.numLayers === encoderConfig.numLayers && modelLayout(weights.config).layerCount === plan.layout.layerCount;
    if (weights.config.hiddenSize !== encoderConfig.hiddenSize || !sameLayers || weights.config.family !== encoderConfig.family) {
      throw new AdapterConfigError(`Adapter "${name}" was built for ${encoderConfig.family} with ${encoderConfig.numLayers} layers of width ${encoderConfig.hiddenSize}, not for "${weights.config.repoId}".`);
    }
    return inCallWith(options, () => encoderForward(weights, batch, hooks));
  }

  function requireHead(): HeadPlan {
    if (!head) throw new AdapterConfigError(`Adapter "${name}" has no prediction head; create it with the "head" option to get logits and a loss.`);
    return head;
  }

  function forward(weights: EncoderWeights, batch: EncodedBatch, options: ForwardOptions = {}): tf.Tensor2D {
    const plan = requireHead();
    return tf.tidy(() => {
      const encoded = encode(weights, batch, options);
      return headForward(plan, encoded, tensor, options.training ? nextSeed : undefined);
    });
  }

  const hostCopy = (spec: ParamSpec): HostTensor => ({ shape: [...spec.shape], data: variables.get(spec.key)!.dataSync() as Float32Array });
  /** Host copies of `list`'s parameters under every key, in the order of `keys` (default: each key, then its aliases). */
  const stateDict = (list: ParamSpec[], keys = list.flatMap((spec) => [spec.key, ...spec.aliases])) => {
    const owner = new Map(list.flatMap((spec) => [spec.key, ...spec.aliases].map((key) => [key, spec] as const)));
    const hosts = new Map(list.map((spec) => [spec, hostCopy(spec)]));
    return new Map(keys.map((key) => {
      const host = hosts.get(owner.get(key)!)!;
      return [key, { shape: host.shape, data: host.data.slice() }];
    }));
  };

  return {
    name, config, encoderConfig, plan, head, hooks, units,
    inCall: (fn) => inCallWith({}, fn),
    applyHead: (encoded) => headForward(requireHead(), encoded, tensor),
    trainableVariables: () => specs.filter((s) => s.trainable).map((s) => variables.get(s.key)!),
    encode,
    forward,
    loss: (weights, batch, labels, options = {}) => tf.tidy(() => headLoss(requireHead(), forward(weights, batch, options), labels)),
    adapterStateDict: () => stateDict(plan.params, plan.stateDictKeys),
    headStateDict: () => stateDict(head?.params ?? []),
    loadAdapterStateDict(tensors, { strict = true } = {}) {
      const missing: string[] = [];
      const wrongShape: string[] = [];
      const updates: [tf.Variable, HostTensor][] = [];
      for (const spec of specs) {
        const key = [spec.key, ...spec.aliases].find((k) => tensors.has(k));
        if (!key) { missing.push(spec.key); continue; }
        const given = tensors.get(key)!;
        if (given.shape.length !== spec.shape.length || given.shape.some((d, i) => d !== spec.shape[i]) || given.data.length !== elementCount(spec.shape)) {
          wrongShape.push(`${key} (expected [${spec.shape.join(', ')}], got [${given.shape.join(', ')}])`);
        } else updates.push([variables.get(spec.key)!, given]);
      }
      const unexpected = [...tensors.keys()].filter((k) => !knownKeys.has(k));
      if (wrongShape.length) throw new AdapterStateError(`Adapter "${name}": size mismatch for ${wrongShape.join('; ')}. The weights were saved for another config or model size.`, wrongShape);
      if (strict && (missing.length || unexpected.length)) {
        throw new AdapterStateError(
          `Adapter "${name}" state dict does not match its config: ${missing.length ? `missing ${missing.join(', ')}` : ''}${missing.length && unexpected.length ? '; ' : ''}${unexpected.length ? `unexpected ${unexpected.join(', ')}` : ''}. Check the adapter name and config, or load with strict: false.`,
          [...missing, ...unexpected],
        );
      }
      for (const [variable, given] of updates) tf.tidy(() => variable.assign(tf.tensor(given.data, variable.shape, 'float32')));
      return { missing, unexpected };
    },
    summary: () => adapterSummary(config, encoderConfig, { name }),
    dispose: () => { for (const v of variables.values()) v.dispose(); },
  };
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
  return tf.tidy(() => tf.gather(source.weights.wordEmbeddings, tf.tensor1d(repeated, 'int32')).dataSync() as Float32Array).slice(0, elementCount(spec.shape));
}
