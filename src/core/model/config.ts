import { badConfig } from './families/config-fields.ts';
import type { DisentangledAttentionConfig } from './families/types.ts';
import { type EncoderFamily, SUPPORTED_MODEL_TYPES, familyDefinition, hasEmbeddingProjection, layerModules, modelTypeEntries, modelTypeEntry } from './families/index.ts';
import { UnsupportedModelError } from './errors.ts';

export { type EncoderFamily, SUPPORTED_MODEL_TYPES };

/** Feed-forward activation, named as in transformers' ACT2FN. */
export type HiddenAct = 'gelu' | 'gelu_new' | 'quick_gelu' | 'relu' | 'silu';

/** How the model type of a config.json without `model_type` was worked out. */
export interface InferredModelType {
  modelType: string;
  /** `architectures`: from the model class names it lists; `repo name`: from the repository id, as transformers' AutoConfig does. */
  from: 'architectures' | 'repo name';
  /** What it was read from: the architectures list, or the repository id. */
  evidence: string[] | string;
}

/** One normalised shape for every supported encoder's config.json. */
export interface EncoderConfig {
  /** Hub repo the config came from (for messages). */
  repoId: string;
  /** config.json's model_type, e.g. "xlm-roberta" (or, for old configs without one, what it was inferred to be). */
  modelType: string;
  /** Set when config.json has no model_type and `modelType` was inferred. */
  inferredModelType?: InferredModelType;
  /** Which forward-pass and weight-name layout applies. */
  family: EncoderFamily;
  /** Prefix of the base model's tensor names in checkpoints of task models, without the dot ("bert", "roberta"...). */
  weightPrefix: string;
  /** Width of the residual stream. */
  hiddenSize: number;
  /** Number of transformer layers. */
  numLayers: number;
  /** Attention heads per layer; hiddenSize / numHeads is the head width. */
  numHeads: number;
  /** Width of the feed-forward hidden layer. */
  intermediateSize: number;
  /** Activation between the two feed-forward projections. */
  hiddenAct: HiddenAct;
  /** Epsilon inside every LayerNorm's square root. */
  layerNormEps: number;
  /** Rows of the position embedding table. */
  maxPositionEmbeddings: number;
  /** Rows of the token type (segment) embedding table; 0 when the model has none (DistilBERT). */
  typeVocabSize: number;
  /** Rows of the word embedding table. */
  vocabSize: number;
  /** Id of the padding token. */
  padTokenId: number;
  /**
   * 0: token i gets position i. Above 0 (RoBERTa family, `create_position_ids_from_input_ids`): the k-th
   * non-padding token (k from 0) gets position positionOffset + k, padding tokens get positionOffset - 1
   * (= padding_idx = padTokenId).
   */
  positionOffset: number;
  /**
   * Width of the embedding tables; differs from hiddenSize in ELECTRA and ALBERT (a projection follows the
   * LayerNorm) and DeBERTa (embed_proj, without bias, precedes it).
   */
  embeddingSize: number;
  /**
   * ALBERT's parameter sharing: num_hidden_groups groups of inner_group_num layer modules, layer i running group
   * ⌊i / (numLayers / numHiddenGroups)⌋ (families/albert.ts). Absent: every layer has its own module.
   */
  layerSharing?: { numHiddenGroups: number; innerGroupNum: number };
  /** DeBERTa's relative-position attention and embeddings; absent for BERT's absolute positions and plain attention. */
  disentangled?: DisentangledAttentionConfig;
  /** Whether a pooler (tanh(dense(first token))) is expected; BERT checkpoints usually have one. */
  hasPooler: boolean;
  /** Longest input in tokens the position table allows (maxPositionEmbeddings - positionOffset). */
  maxSequenceLength: number;
}

/**
 * A model class of a supported type, as transformers names them in `architectures`: the type's class prefix
 * followed by Model, LMHeadModel or For<Task>. Anchored, so RobertaPreLayerNormModel, XLMRobertaXLModel,
 * BertGenerationEncoder or MobileBertModel (other architectures) do not match.
 */
function modelTypeOfArchitecture(name: string): string | undefined {
  return modelTypeEntries().find(({ definition }) => new RegExp(`^${definition.architecturePrefix}(Model|LMHeadModel|For[A-Z]\\w*)$`).test(name))?.modelType;
}

/**
 * transformers model types whose names contain a supported one ("mobilebert" contains "bert"), so the repo-name
 * rule below, like AutoConfig's, prefers the longest match and does not read "mobilebert-uncased" as BERT.
 */
const LOOKALIKE_MODEL_TYPES = [
  'bert-generation', 'convbert', 'flaubert', 'ibert', 'megatron-bert', 'mobilebert', 'modernbert',
  'qdqbert', 'rembert', 'retribert', 'roberta-prelayernorm', 'roc_bert', 'squeezebert', 'visual_bert', 'xlm-roberta-xl',
];

/**
 * The model type of a config.json that has no `model_type` (configs written before transformers 2.x had none):
 * from the model classes in `architectures` when it lists any; otherwise from the repo id, as transformers'
 * AutoConfig does (the longest model type contained in it). Undefined when neither names a supported type.
 */
export function inferModelType(json: Record<string, unknown>, repoId: string): InferredModelType | { unsupported: string } | undefined {
  const architectures = Array.isArray(json.architectures) ? json.architectures.filter((a): a is string => typeof a === 'string') : [];
  if (architectures.length > 0) {
    for (const name of architectures) {
      const modelType = modelTypeOfArchitecture(name);
      if (modelType) return { modelType, from: 'architectures', evidence: architectures };
    }
    return { unsupported: `its architectures ${JSON.stringify(architectures)} are of no type the studio can train` };
  }
  const candidates = [...SUPPORTED_MODEL_TYPES, ...LOOKALIKE_MODEL_TYPES].sort((a, b) => b.length - a.length);
  const found = candidates.find((type) => repoId.includes(type));
  if (!found) return undefined;
  return SUPPORTED_MODEL_TYPES.includes(found)
    ? { modelType: found, from: 'repo name', evidence: repoId }
    : { unsupported: `its repository name suggests "${found}", which the studio cannot train` };
}

/** One line for the Model step and the CLI saying what was inferred, e.g. for a config.json without model_type. */
export function describeInferredModelType(inferred: InferredModelType): string {
  const source = inferred.from === 'architectures' ? `architectures ${JSON.stringify(inferred.evidence)}` : `the repository name "${String(inferred.evidence)}"`;
  return `model_type missing from config.json; read as "${inferred.modelType}" from ${source}`;
}

/**
 * Normalises a transformers config.json (BERT, RoBERTa, XLM-RoBERTa, CamemBERT, DistilBERT, ELECTRA, ALBERT) into an
 * `EncoderConfig`. Missing keys take the transformers class defaults, as `from_pretrained` does.
 */
export function parseEncoderConfig(json: unknown, repoId: string): EncoderConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw badConfig(repoId, 'is not a JSON object');
  const c = json as Record<string, unknown>;
  let modelType: string;
  let inferredModelType: InferredModelType | undefined;
  if (typeof c.model_type === 'string') {
    modelType = c.model_type;
  } else {
    const inferred = inferModelType(c, repoId);
    if (!inferred || 'unsupported' in inferred) {
      throw new UnsupportedModelError(
        `Model "${repoId}" has no model_type in its config.json, and ${inferred ? inferred.unsupported : 'neither its architectures nor its repository name say which model it is'}; supported model types: ${SUPPORTED_MODEL_TYPES.join(', ')}. If it is one of these, add "model_type" to its config.json.`,
        repoId,
      );
    }
    inferredModelType = inferred;
    modelType = inferred.modelType;
  }
  const family = modelTypeEntry(modelType)?.family;
  if (!family) {
    throw new UnsupportedModelError(
      `Model "${repoId}" has model_type "${modelType}", which the studio cannot train; supported model types: ${SUPPORTED_MODEL_TYPES.join(', ')}. Pick an encoder of one of these types.`,
      repoId,
    );
  }
  const positionType = c.position_embedding_type ?? 'absolute';
  if (positionType !== 'absolute') {
    throw new UnsupportedModelError(
      `Model "${repoId}" uses position_embedding_type "${String(positionType)}"; only "absolute" position embeddings are supported.`,
      repoId,
    );
  }

  const definition = familyDefinition(family);
  const config: Omit<EncoderConfig, 'maxSequenceLength'> = { repoId, modelType, family, weightPrefix: definition.weightPrefix, ...definition.readConfig(c, repoId) };
  if (config.hiddenSize % config.numHeads !== 0) {
    throw badConfig(repoId, `has hidden size ${config.hiddenSize}, which is not a multiple of the ${config.numHeads} attention heads`);
  }
  if (config.padTokenId >= config.vocabSize) {
    throw badConfig(repoId, `has pad_token_id ${config.padTokenId} outside the vocabulary of ${config.vocabSize}`);
  }
  const maxSequenceLength = config.maxPositionEmbeddings - config.positionOffset;
  if (maxSequenceLength < 1) {
    throw badConfig(repoId, `has max_position_embeddings ${config.maxPositionEmbeddings}, too small for position offset ${config.positionOffset}`);
  }
  return { ...config, maxSequenceLength, ...(inferredModelType ? { inferredModelType } : {}) };
}

/** Parameters of the base model (embeddings, layer modules, pooler if any), without task heads. */
export function estimateParameters(config: EncoderConfig): number {
  const { hiddenSize: h, embeddingSize: e, intermediateSize: i } = config;
  const linear = (inputs: number, outputs: number) => inputs * outputs + outputs;
  const layerNorm = (width: number) => 2 * width;
  const deberta = config.disentangled;
  if (deberta) return estimateDebertaParameters(config, deberta);
  const embeddings = (config.vocabSize + config.maxPositionEmbeddings + config.typeVocabSize) * e
    + layerNorm(e)
    + (hasEmbeddingProjection(config) ? linear(e, h) : 0);
  const layer = 4 * linear(h, h) + linear(h, i) + linear(i, h) + 2 * layerNorm(h);
  const pooler = config.hasPooler ? linear(h, h) : 0;
  return embeddings + layerModules(config).paths.length * layer + pooler;
}

/** DeBERTa's parameters: embed_proj without bias, rel_embeddings (+ LayerNorm), pos_key_proj / pos_query_proj without share_att_key. */
function estimateDebertaParameters(config: EncoderConfig, deberta: DisentangledAttentionConfig): number {
  const { hiddenSize: h, embeddingSize: e, intermediateSize: i } = config;
  const positions = deberta.positionBiasedInput ? config.maxPositionEmbeddings : 0;
  const embeddings = (config.vocabSize + positions + config.typeVocabSize) * e + 2 * h + (e !== h ? e * h : 0);
  const relative = deberta.relativeAttention ? 2 * deberta.tableSpan * h + (deberta.normRelEmbeddings ? 2 * h : 0) : 0;
  const own = deberta.relativeAttention && !deberta.shareAttKey ? deberta.posAttTypes.length * h * h
    + (deberta.posAttTypes.includes('c2p') && deberta.positionProjectionBias.key ? h : 0)
    + (deberta.posAttTypes.includes('p2c') && deberta.positionProjectionBias.query ? h : 0) : 0;
  // v1's fused in_proj has no key bias (q_bias and v_bias only).
  const layer = 4 * (h * h + h) - (deberta.inProj ? h : 0) + (h * i + i) + (i * h + h) + 4 * h + own;
  return embeddings + relative + config.numLayers * layer;
}

export interface MemoryEstimateOptions {
  /** Sequences per forward pass. */
  batchSize?: number;
  /** Tokens per sequence; defaults to min(128, the model's longest input). */
  seqLength?: number;
  /** Keep every layer's activations for a backward pass (training adapters) instead of one layer's at a time. */
  training?: boolean;
}

/** The two parts of a memory estimate, in bytes. */
export interface MemoryEstimate {
  /** Frozen weights, held once in their stored layout on every backend (ops.ts, `linear`). */
  weightBytes: number;
  /** Activations (and, training, what the backward pass holds at its peak). */
  activationBytes: number;
}

/**
 * Device memory the encoder needs, from the config alone: float32 weights (each held once, in its stored layout) plus
 * the float32 activations of a forward pass (the widest intermediates of one layer), or, training, what a step holds
 * at its peak. The training figure is fitted to four measured steps (peak tensor bytes of a 2-layer 64-wide model at
 * 8 × 32 and 2 × 128 tokens and of bert-base at 8 × 41 and 8 × 128: 0.21 and 0.66 GB), all within 6%;
 * memory-fit.test.ts holds the small model to 15%. Per token, each layer keeps for backward about 6 × hidden +
 * 2 × intermediate floats (q, k, v, LayerNorm's normalised inputs, GELU's input, the adapter's inputs), and the
 * backward through the top layer needs about 2.5 layers' worth besides; the attention terms ([batch, heads, seq,
 * seq]: probabilities, their gradient, the softmax's backward) weigh about 3 such tensors plus a seventh of one a
 * layer at the peak.
 */
export function estimateMemory(config: EncoderConfig, options: MemoryEstimateOptions = {}): MemoryEstimate {
  const batch = options.batchSize ?? 1;
  const seq = options.seqLength ?? Math.min(128, config.maxSequenceLength);
  const tokens = batch * seq;
  const { hiddenSize: h, intermediateSize: i, numHeads: heads } = config;
  const weightBytes = 4 * estimateParameters(config);
  const embeddings = tokens * 3 * Math.max(config.embeddingSize, h);
  // DeBERTa adds, per position term, the products by distance [seq, 2seq − 1], their reversal and the realigned [seq, seq].
  const layers = layerModules(config).runs.length;
  const relative = config.disentangled?.relativeAttention ? config.disentangled.posAttTypes.length * 5 * batch * heads * seq * seq : 0;
  const activations = options.training
    ? embeddings + (layers + 2.5) * tokens * (6 * h + 2 * i) + (3 + layers / 7) * batch * heads * seq * seq + layers * relative
    // q, k, v, context, attention output, residual + LayerNorm (~7 × hidden), the feed-forward intermediates
    // before and after the activation, and the attention scores and probabilities of one layer.
    : embeddings + tokens * (7 * h + 2 * i) + 2 * batch * heads * seq * seq + relative;
  return { weightBytes, activationBytes: 4 * activations };
}

/** estimateMemory's total, in bytes. */
export function estimateMemoryBytes(config: EncoderConfig, options: MemoryEstimateOptions = {}): number {
  const { weightBytes, activationBytes } = estimateMemory(config, options);
  return weightBytes + activationBytes;
}
