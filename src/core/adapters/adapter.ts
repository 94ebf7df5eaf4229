/**
 * A live adapter on a frozen encoder: the tf.Variables of every method in its config (named with the
 * `adapters` library's torch state-dict keys, in torch's [out, in] layout), the EncoderHooks that apply them,
 * and an optional prediction head. Only the adapter and head variables train; the encoder's tensors are never
 * touched.
 *
 * Math per method (the library's, see methods/modeling.py, lora.py, prefix_tuning.py, prompt_tuning.py):
 *   sequential bottleneck at a sub-block with output h and input x, pre-trained LayerNorm LN:
 *     residual = h (residual_before_ln) | h + x ("post_add") | the adapter input (false)
 *     input = original_ln_before ? LN(h + x) : h
 *     out = dropout(scaling · up(act(down(input)))) [· gate] + residual   (ln_after: around adapter_norm_after)
 *     result = original_ln_after ? LN(out + x) : out
 *   parallel bottleneck: out = dropout(scaling · up(act(down(x)))) [· gate] + h; result = LN(out + x)
 *   LoRA: W x + b + (alpha / r) · B A dropout(x) (gated: the gate replaces alpha / r)
 *   IA3: (W x + b) ⊙ alpha · lora_B (gated: the gate replaces alpha)
 *   prefix tuning: per layer P keys and values (MLP wte → Linear → act → Linear, or flat), prepended to the
 *     projected keys and values, always attended (gated: keys · g[0], values · g[-1])
 *   prompt tuning: P trained embeddings concatenated to the embedding output ("prefix" or after the first token)
 *   gates: mean over the sequence of sigmoid(Linear(input)), per sequence.
 */
import * as tf from '@tensorflow/tfjs';
import type { EncoderConfig } from '../model/config.ts';
import { type EncoderHooks, type EncoderOutput, type EncoderWeights, type LayerNormFn, type Linear, type ProjectionName, encoderForward } from '../model/encoder.ts';
import { applyActivation, layerNorm, linear } from '../ops.ts';
import type { EncodedBatch, EncoderTokenizer } from '../model/tokenizer.ts';
import type { HostTensor } from '../model/weights.ts';
import { type AdapterConfig, resolveAdapterConfig } from './config.ts';
import { AdapterConfigError, AdapterStateError } from './errors.ts';
import { type HeadOptions, type HeadPlan, headForward, headLoss, planHead } from './head.ts';
import { bottleneckDelta, ia3Scale, loraDelta } from './hot-paths.ts';
import type { LoraTarget } from './locations.ts';
import { type ParamSpec, elementCount, initialValues } from './parameters.ts';
import { seededRandom } from '../random.ts';
import type { BottleneckModule, FactoredParam, PhmParams, ProjectionParams } from './methods/bottleneck.ts';
import type { LoraModule } from './methods/lora.ts';
import type { PrefixModule } from './methods/prefix-tuning.ts';
import type { LinearParams, NormParams } from './param-list.ts';
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

/** The encoder's projection names as LoRA targets (attention.output.dense is never wrapped). */
const PROJECTION_TARGET: Partial<Record<ProjectionName, LoraTarget>> = { q: 'q', k: 'k', v: 'v', ffnIn: 'intermediate', ffnOut: 'output' };

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
      if (tf.engine().registeredVariables[spec.key]) {
        throw new AdapterConfigError(`A live adapter already owns the variable "${spec.key}"; dispose the other adapter named "${name}" first or pick another name.`);
      }
      const values = spec.init.kind === 'external' ? promptFromString(plan, spec, options.promptInit) : initialValues(spec, seed);
      const initial = tf.tensor(values, spec.shape, 'float32');
      const variable = tf.variable(initial, spec.trainable, spec.key);
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
  const active = (layer: number) => !state.skip.has(layer);

  const linearOf = (p: LinearParams): Linear => ({ weight: tensor(p.weight) as tf.Tensor2D, bias: tensor(p.bias) as tf.Tensor1D });
  /** sigmoid gate averaged over the sequence: [batch, 1, outputs]. */
  const gateOf = (p: LinearParams, x: tf.Tensor3D) => tf.sigmoid(linear(x, linearOf(p))).mean(1, true) as tf.Tensor3D;
  const norm = (x: tf.Tensor3D, p: NormParams) => layerNorm(x, { weight: tensor(p.weight) as tf.Tensor1D, bias: tensor(p.bias) as tf.Tensor1D }, ADAPTER_LN_EPS);
  const factor = (f: FactoredParam) => ('full' in f ? tensor(f.full) as tf.Tensor3D : tf.matMul(tensor(f.left) as tf.Tensor3D, tensor(f.right) as tf.Tensor3D));
  /** The PHM layer as a Linear: weight = (Σᵢ kron(ruleᵢ, Wᵢ))ᵀ. */
  const phmLinear = (p: PhmParams): Linear => {
    const rule = factor(p.rule);
    const w = factor(p.w);
    const [n, a, b] = w.shape;
    const h = rule.reshape([n, n, 1, n, 1]).mul(w.reshape([n, 1, a, 1, b])).sum(0).reshape([n * a, n * b]);
    return { weight: h.transpose() as tf.Tensor2D, bias: p.bias ? tensor(p.bias) as tf.Tensor1D : tf.zeros([p.outFeatures]) as tf.Tensor1D };
  };
  const projectionOf = (p: ProjectionParams): Linear => (p.kind === 'linear' ? linearOf(p.linear) : phmLinear(p.phm));

  function bottleneck(m: BottleneckModule, h: tf.Tensor3D, x: tf.Tensor3D, ln: LayerNormFn): tf.Tensor3D {
    const c = m.config;
    const scaling = typeof m.scaling === 'number' ? m.scaling : tensor(m.scaling);
    const body = (input: tf.Tensor3D) => bottleneckDelta(m.normBefore ? norm(input, m.normBefore) : input, projectionOf(m.down), projectionOf(m.up), m.act, scaling);
    if (c.is_parallel) {
      let out = dropout(body(x), c.dropout);
      if (m.gate) out = out.mul(gateOf(m.gate, x));
      if (m.normAfter) out = norm(out, m.normAfter);
      out = out.add(h);
      return c.original_ln_after ? ln(out.add(x)) : out;
    }
    let input = h;
    let residual = h;
    if (c.original_ln_before) {
      input = h.add(x);
      if (c.residual_before_ln === 'post_add') residual = input;
      input = ln(input);
    }
    if (c.residual_before_ln === false) residual = input;
    let out = body(input);
    // Stochastic depth (torchvision, mode "row"): the whole sequence's output dropped, survivors scaled by 1/(1 - p).
    out = dropout(out, c.stochastic_depth, [out.shape[0], 1, 1]);
    out = dropout(out, c.dropout);
    if (m.gate) out = out.mul(gateOf(m.gate, input));
    if (c.adapter_residual_before_ln) out = out.add(residual);
    if (m.normAfter) out = norm(out, m.normAfter);
    if (!c.adapter_residual_before_ln) out = out.add(residual);
    return c.original_ln_after ? ln(out.add(x)) : out;
  }

  function lora(m: LoraModule, x: tf.Tensor3D, weights: Linear): tf.Tensor3D {
    const c = m.config;
    const y = linear(x, weights);
    if (c.composition_mode === 'scale') {
      const vector = tensor(m.b).reshape([m.outFeatures]);
      return ia3Scale(y, m.gate ? vector.reshape([1, 1, m.outFeatures]).mul(gateOf(m.gate, x)) : vector.mul(c.alpha));
    }
    const scaling = m.gate ? gateOf(m.gate, x) : c.alpha / c.r;
    return y.add(loraDelta(dropout(x, c.dropout), tensor(m.a!) as tf.Tensor2D, tensor(m.b) as tf.Tensor2D, scaling));
  }

  /** The prefix pool's output [P, layers·2·hidden] ([batch, P, ...] with dropout in training), once per forward. */
  let prefixCache: { states: tf.Tensor; lastLayer: number } | undefined;
  /** Layer `layer`'s prefix keys and values, [P, hidden] or [batch, P, hidden] (gated, or dropout in training). */
  function prefixFor(p: PrefixModule, layer: number, x: tf.Tensor3D): { key: tf.Tensor2D | tf.Tensor3D; value: tf.Tensor2D | tf.Tensor3D } | undefined {
    const index = p.layers.indexOf(layer);
    if (index < 0 || !active(layer)) return undefined;
    // Layers run in order: a layer at or before the last one served means a new forward pass.
    if (!prefixCache || prefixCache.states.isDisposed || layer <= prefixCache.lastLayer) {
      const P = p.config.prefix_length;
      const width = p.layers.length * 2 * encoderConfig.hiddenSize;
      let states: tf.Tensor = p.flat
        ? tensor(p.flat).reshape([P, width])
        : linear(applyActivation(linear(tensor(p.mlp!.wte).expandDims(0) as tf.Tensor3D, linearOf(p.mlp!.first)), p.mlp!.act), linearOf(p.mlp!.second)).reshape([P, width]);
      // The library expands the prefix over the batch before its dropout, so each sequence gets its own mask.
      if (state.training && p.config.dropout > 0) states = dropout(tf.tile(states.expandDims(0), [x.shape[0], 1, 1]), p.config.dropout);
      prefixCache = { states, lastLayer: layer };
    }
    prefixCache.lastLayer = layer;
    const { states } = prefixCache;
    const hidden = encoderConfig.hiddenSize;
    const block = (which: number) => (states.rank === 2
      ? states.slice([0, which * hidden], [-1, hidden]) as tf.Tensor2D
      : states.slice([0, 0, which * hidden], [-1, -1, hidden]) as tf.Tensor3D);
    let key = block(2 * index);
    let value = block(2 * index + 1);
    const gate = p.gates.get(layer);
    if (gate) {
      const g = gateOf(gate, x);
      const outputs = g.shape[2];
      key = key.mul(g.slice([0, 0, 0], [-1, -1, 1])) as tf.Tensor3D;
      value = value.mul(g.slice([0, 0, outputs - 1], [-1, -1, 1])) as tf.Tensor3D;
    }
    return { key, value };
  }

  const bottleneckAt = new Map(plan.bottlenecks.map((m) => [`${m.layer}:${m.location}`, m]));
  const loraAt = new Map(plan.loras.map((m) => [`${m.layer}:${m.target}`, m]));
  const closeWith = (location: 'mh_adapter' | 'output_adapter') => (layer: number, h: tf.Tensor3D, x: tf.Tensor3D, ln: LayerNormFn) => {
    const m = bottleneckAt.get(`${layer}:${location}`);
    return m && active(layer) ? bottleneck(m, h, x, ln) : ln(h.add(x));
  };
  const hooks: EncoderHooks = {};
  if (plan.loras.length) {
    hooks.projection = (layer, projection, x, weights) => {
      const target = PROJECTION_TARGET[projection];
      const m = target && loraAt.get(`${layer}:${target}`);
      return m && active(layer) ? lora(m, x, weights) : linear(x, weights);
    };
  }
  if (plan.bottlenecks.some((m) => m.location === 'mh_adapter')) hooks.attentionOutput = closeWith('mh_adapter');
  if (plan.bottlenecks.some((m) => m.location === 'output_adapter')) hooks.ffnOutput = closeWith('output_adapter');
  const prefix = plan.prefix;
  if (prefix) hooks.attentionPrefix = (layer, x) => prefixFor(prefix, layer, x);
  const prompt = plan.prompt;
  if (prompt) {
    hooks.embeddingsOutput = (e) => {
      const [batch] = e.shape;
      const tiled = tf.tile(tensor(prompt.embedding).expandDims(0), [batch, 1, 1]) as tf.Tensor3D;
      if (prompt.config.combine === 'prefix') return tf.concat([tiled, e], 1);
      return tf.concat([e.slice([0, 0, 0], [-1, 1, -1]), tiled, e.slice([0, 1, 0], [-1, -1, -1])], 1);
    };
  }

  function encode(weights: EncoderWeights, batch: EncodedBatch, options: ForwardOptions = {}): EncoderOutput {
    if (weights.config.hiddenSize !== encoderConfig.hiddenSize || weights.config.numLayers !== encoderConfig.numLayers || weights.config.family !== encoderConfig.family) {
      throw new AdapterConfigError(`Adapter "${name}" was built for ${encoderConfig.family} with ${encoderConfig.numLayers} layers of width ${encoderConfig.hiddenSize}, not for "${weights.config.repoId}".`);
    }
    const previous = state;
    state = { training: options.training ?? false, skip: new Set(options.skipLayers ?? []) };
    prefixCache = undefined;
    try {
      return encoderForward(weights, batch, hooks);
    } finally {
      state = previous;
      prefixCache = undefined;
    }
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
  const stateDict = (list: ParamSpec[]) => {
    const out = new Map<string, HostTensor>();
    for (const spec of list) {
      const host = hostCopy(spec);
      for (const key of [spec.key, ...spec.aliases]) out.set(key, { shape: host.shape, data: host.data.slice() });
    }
    return out;
  };

  return {
    name, config, encoderConfig, plan, head, hooks,
    trainableVariables: () => specs.filter((s) => s.trainable).map((s) => variables.get(s.key)!),
    encode,
    forward,
    loss: (weights, batch, labels, options = {}) => tf.tidy(() => headLoss(requireHead(), forward(weights, batch, options), labels)),
    adapterStateDict: () => stateDict(plan.params),
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

/** prompt_init "from_string": the prompt text's token ids (special tokens included), repeated to prompt_length, looked up in the word embeddings. */
function promptFromString(plan: AdapterPlan, spec: ParamSpec, source: CreateAdapterOptions['promptInit']): Float32Array {
  const prompt = plan.prompt!.config;
  if (!source) throw new AdapterConfigError(`Adapter config field "prompt_init" is "from_string": pass promptInit { tokenizer, weights } to createAdapter so the prompt can start from the word embeddings of "${prompt.prompt_init_text}".`, 'prompt_init');
  const encoded = source.tokenizer.encode([prompt.prompt_init_text!]);
  const ids = Array.from(encoded.inputIds.subarray(0, encoded.attentionMask.reduce((a, b) => a + b, 0)));
  const repeated = Array.from({ length: prompt.prompt_length }, (_, i) => ids[i % ids.length]);
  return tf.tidy(() => tf.gather(source.weights.wordEmbeddings, tf.tensor1d(repeated, 'int32')).dataSync() as Float32Array).slice(0, elementCount(spec.shape));
}
