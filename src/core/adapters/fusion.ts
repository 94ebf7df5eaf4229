/**
 * A live AdapterFusion on a frozen encoder: trained fusion layers (methods/fusion.ts, methods/fusion.forward.ts) over
 * two or more frozen bottleneck adapters, with a new prediction head, as model.add_adapter_fusion(Fuse(A, B)) +
 * add_classification_head + train_adapter_fusion set it up. Only the fusion layers and the head train; the fused
 * adapters' variables are read, never written.
 */
import * as tf from '@tensorflow/tfjs';
import type { EncoderConfig } from '../model/config.ts';
import type { EncoderOutput, EncoderWeights } from '../model/encoder.ts';
import { familyDefinition } from '../model/families/index.ts';
import type { EncodedBatch } from '../model/tokenizer.ts';
import type { HostTensor } from '../model/weights.ts';
import { seededRandom } from '../random.ts';
import { type AdapterModel, checkBuiltFor, createForwardContext } from './adapter.ts';
import { AdapterConfigError } from './errors.ts';
import { type HeadOptions, type HeadPlan, headForward, headLoss, planHead, requireHead } from './head.ts';
import { createLiveParameters } from './live-parameters.ts';
import type { ForwardContext } from './methods/forward-context.ts';
import { composedEncode } from './compose.ts';
import type { CompositionSetup } from './composition.ts';
import { type FusedAdapterShape, type FusionConfig, type FusionLayer, type FusionPlan, DEFAULT_FUSION_CONFIG, planFusion, resolveFusionConfig } from './methods/fusion.ts';
import { type FusionCall, fuseLayerOf } from './methods/fusion.forward.ts';

/** BertFusion's temperature: T starts at 50 (temperature) or 1 and falls by T₀ / 1000 each forward pass, to no less than 1. */
const TEMPERATURE_START = 50;

export interface CreateFusionOptions {
  /** AdapterFusionConfig: "dynamic" (default), "static", a config string or a full config. */
  config?: FusionConfig | string;
  /** Seed of the fusion layers' and the head's initial values; default 0. */
  seed?: number;
  /** The new head: its name (heads.{name}.*) and options. */
  head?: HeadOptions & { name: string };
}

export interface FusionForwardOptions {
  /** Training mode: dropout on the attention scores and in the head; stochastic depth of the fused adapters. */
  training?: boolean;
  /** Seed of this pass's dropout masks (a resumed run then draws the same ones); default 0. */
  seed?: number;
}

/** One fusion layer's attention over the adapters for one sequence: [token][adapter] probabilities. */
export interface FusionAttention {
  layer: number;
  location: FusionLayer['location'];
  weights: number[][];
}

export interface FusionModel {
  /** The fused adapters' names joined by "," (the library's fusion name). */
  readonly name: string;
  readonly adapterNames: readonly string[];
  readonly config: FusionConfig;
  readonly plan: FusionPlan;
  readonly encoderConfig: EncoderConfig;
  readonly head?: HeadPlan;
  /** Fusion and head variables (the fused adapters' are frozen), in state-dict order. */
  trainableVariables(): tf.Variable[];
  /** The encoder outputs with the fusion applied; the caller disposes them. */
  encode(weights: EncoderWeights, batch: EncodedBatch, options?: FusionForwardOptions): EncoderOutput;
  /** Head logits [batch, num_labels]. */
  forward(weights: EncoderWeights, batch: EncodedBatch, options?: FusionForwardOptions): tf.Tensor2D;
  /** The head's loss for `labels`, averaged over the batch. */
  loss(weights: EncoderWeights, batch: EncodedBatch, labels: ArrayLike<number>, options?: FusionForwardOptions): tf.Scalar;
  /**
   * get_fusion_regularization_loss: Σ over fusion layers of 0.01 · ‖I − value.weight‖², when the config asks for
   * regularization and has a value matrix (undefined otherwise).
   */
  regularizationLoss(): tf.Scalar | undefined;
  /** Whether regularizationLoss gives a term (regularization asked for, and value matrices to pull). */
  readonly regularized: boolean;
  /** Every fusion layer's attention over the adapters for sequence 0 of `batch` (inference mode). */
  attention(weights: EncoderWeights, batch: EncodedBatch): FusionAttention[];
  /** The softmax temperature the next forward pass uses. */
  readonly temperature: number;
  /** The fusion layers' weights under the library's keys (`...adapter_fusion_layer.A,B.query.weight`). */
  fusionStateDict(): Map<string, HostTensor>;
  /** The head's weights ("heads.{name}.{i}.weight"...). */
  headStateDict(): Map<string, HostTensor>;
  /** Sets fusion and/or head weights; strict (default): exactly the declared keys, shapes checked. */
  loadStateDict(tensors: ReadonlyMap<string, HostTensor>, options?: { strict?: boolean }): { missing: string[]; unexpected: string[] };
  /** Frees the fusion's and the head's variables (the fused adapters stay live). */
  dispose(): void;
}

/** Checks that `adapters` can be fused (bottleneck adapters only, on the same encoder); their names and locations. */
function bottlenecksOf(adapters: readonly AdapterModel[], encoder: EncoderConfig): FusedAdapterShape[] {
  return adapters.map((adapter) => {
    const families = Object.keys(adapter.plan.modules);
    if (families.some((f) => f !== 'bottleneck') || !adapter.plan.modules.bottleneck) {
      throw new AdapterConfigError(`Adapter "${adapter.name}" is not a bottleneck adapter (it uses ${families.join(', ')}); AdapterFusion fuses bottleneck adapters (seq_bn, double_seq_bn, par_bn, compacter...).`);
    }
    const e = adapter.encoderConfig;
    if (e.family !== encoder.family || e.hiddenSize !== encoder.hiddenSize || e.numLayers !== encoder.numLayers) {
      throw new AdapterConfigError(`Adapter "${adapter.name}" was built for another encoder (${e.repoId}) than the fusion's (${encoder.repoId}).`);
    }
    const config = adapter.plan.modules.bottleneck[0]?.config;
    return { name: adapter.name, mh_adapter: config?.mh_adapter ?? false, output_adapter: config?.output_adapter ?? false };
  });
}

export function createFusion(encoderConfig: EncoderConfig, adapters: readonly AdapterModel[], options: CreateFusionOptions = {}): FusionModel {
  const spec = options.config ?? DEFAULT_FUSION_CONFIG;
  const config = typeof spec === 'string' ? resolveFusionConfig(spec) : resolveFusionConfig(spec as unknown as Record<string, unknown>);
  const plan = planFusion(encoderConfig, bottlenecksOf(adapters, encoderConfig), config);
  if (options.head && plan.adapterNames.includes(options.head.name)) {
    throw new AdapterConfigError(`The fusion's head cannot be named "${options.head.name}" like a fused adapter: loading it in Python would replace that adapter's own head. Pick another name.`);
  }
  const head = options.head ? planHead(encoderConfig, options.head.name, options.head) : undefined;
  const specs = [...plan.params, ...(head?.params ?? [])];
  const seed = options.seed ?? 0;
  const live = createLiveParameters(specs, seed, `AdapterFusion "${plan.name}"`);

  let call = { training: false, nextSeed: () => 0 };
  const dropout = <T extends tf.Tensor>(x: T, rate: number, noiseShape?: number[]): T =>
    call.training && rate > 0 ? tf.dropout(x, rate, noiseShape, call.nextSeed()) as T : x;
  const ctx: ForwardContext = createForwardContext(encoderConfig, live.tensor, { active: () => true, training: () => call.training, dropout });

  let temperature = config.temperature ? TEMPERATURE_START : 1;
  const reduction = temperature / 1000;
  let record: ((layer: FusionLayer, probs: tf.Tensor3D) => void) | undefined;
  const fusionCall: FusionCall = {
    temperature: () => temperature,
    // add_fusion_layer: fusion_config.dropout_prob or the model's attention_probs_dropout_prob (the config classes'
    // default, like hidden_dropout_prob: 0.1; DistilBertConfig has none, so 0).
    dropoutRate: config.dropout_prob || familyDefinition(encoderConfig.family).headDropout,
    record: (layer, probs) => (record ? record(layer, probs) : probs.dispose()),
  };
  const layers = new Map(plan.layers.map((l) => [`${l.layer}:${l.location}`, fuseLayerOf(ctx, config, l, fusionCall)]));
  const setup: CompositionSetup = { block: 'Fuse', adapters: [...plan.adapterNames] };
  const fused = [...adapters];

  function encode(weights: EncoderWeights, batch: EncodedBatch, options: FusionForwardOptions = {}): EncoderOutput {
    checkBuiltFor(`AdapterFusion "${plan.name}"`, encoderConfig, weights);
    const random = seededRandom(options.seed ?? 0);
    const previous = call;
    call = { training: options.training ?? false, nextSeed: () => Math.floor(random() * 2 ** 31) };
    try {
      return composedEncode(weights, batch, setup, fused, { fuse: (layer, location) => layers.get(`${layer}:${location}`) });
    } finally {
      call = previous;
      // Every BertFusion.forward lowers its T once (in training and evaluation alike).
      temperature = Math.max(temperature - reduction, 1);
    }
  }


  function forward(weights: EncoderWeights, batch: EncodedBatch, options: FusionForwardOptions = {}): tf.Tensor2D {
    const headPlan = requireHead(head, `AdapterFusion "${plan.name}"`);
    return tf.tidy(() => {
      const encoded = encode(weights, batch, options);
      const random = seededRandom((options.seed ?? 0) ^ 0x4ead);
      return headForward(headPlan, encoded, live.tensor, options.training ? () => Math.floor(random() * 2 ** 31) : undefined);
    });
  }

  const values = plan.layers.flatMap((l) => (l.value ? [l.value] : []));
  return {
    name: plan.name,
    adapterNames: plan.adapterNames,
    config, plan, encoderConfig, head,
    trainableVariables: () => specs.filter((s) => s.trainable).map((s) => live.tensor(s)),
    encode,
    forward,
    loss: (weights, batch, labels, options = {}) => tf.tidy(() => headLoss(requireHead(head, `AdapterFusion "${plan.name}"`), forward(weights, batch, options), labels)),
    regularized: config.regularization && values.length > 0,
    regularizationLoss() {
      if (!config.regularization || !values.length) return undefined;
      return tf.tidy(() => {
        const identity = tf.eye(encoderConfig.hiddenSize);
        return tf.addN(values.map((v) => identity.sub(live.tensor(v)).square().sum().mul(0.01))) as tf.Scalar;
      });
    },
    attention(weights, batch) {
      const out: FusionAttention[] = [];
      record = (layer, probs) => {
        const [, T, N] = probs.shape;
        const data = probs.dataSync();
        probs.dispose();
        out.push({ layer: layer.layer, location: layer.location, weights: Array.from({ length: T }, (_, t) => Array.from(data.subarray(t * N, (t + 1) * N))) });
      };
      try {
        tf.tidy(() => { encode(weights, batch); });
      } finally {
        record = undefined;
      }
      return out;
    },
    get temperature() { return temperature; },
    fusionStateDict: () => live.stateDict(plan.params),
    headStateDict: () => live.stateDict(head?.params ?? []),
    loadStateDict: (tensors, { strict = true } = {}) => live.load(tensors, strict),
    dispose: () => live.dispose(),
  };
}
