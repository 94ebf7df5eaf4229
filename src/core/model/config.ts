import { ModelLoadError, UnsupportedModelError } from './errors.ts';

/** Architectures the encoder runs; xlm-roberta and camembert are RoBERTa with another tokenizer. */
export type EncoderFamily = 'bert' | 'roberta' | 'distilbert' | 'electra';

/** Feed-forward activation, named as in transformers' ACT2FN. */
export type HiddenAct = 'gelu' | 'gelu_new' | 'quick_gelu' | 'relu' | 'silu';

/** The model_type values of config.json that `parseEncoderConfig` accepts. */
export const SUPPORTED_MODEL_TYPES = ['bert', 'roberta', 'xlm-roberta', 'camembert', 'distilbert', 'electra'] as const;

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
  /** Width of the embedding tables; differs from hiddenSize only in ELECTRA (then a projection follows). */
  embeddingSize: number;
  /** Whether a pooler (tanh(dense(first token))) is expected; BERT checkpoints usually have one. */
  hasPooler: boolean;
  /** Longest input in tokens the position table allows (maxPositionEmbeddings - positionOffset). */
  maxSequenceLength: number;
}

type Json = Record<string, unknown>;

const ACTIVATIONS: Record<string, HiddenAct> = {
  gelu: 'gelu',
  gelu_python: 'gelu',
  gelu_new: 'gelu_new',
  gelu_pytorch_tanh: 'gelu_new',
  gelu_fast: 'gelu_new',
  quick_gelu: 'quick_gelu',
  relu: 'relu',
  silu: 'silu',
  swish: 'silu',
};

function badConfig(repoId: string, message: string): ModelLoadError {
  return new ModelLoadError(`config.json of "${repoId}" ${message}. Check that the repository holds a complete transformers config.`, 'BadConfig', repoId);
}

/** Reads a positive (or, with `allowZero`, non-negative) integer, falling back to transformers' class default. */
function int(json: Json, key: string, fallback: number, repoId: string, allowZero = false): number {
  const value = json[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || (value === 0 && !allowZero)) {
    throw badConfig(repoId, `has ${key} = ${JSON.stringify(value)}, expected a ${allowZero ? 'non-negative' : 'positive'} integer`);
  }
  return value;
}

function num(json: Json, key: string, fallback: number, repoId: string): number {
  const value = json[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw badConfig(repoId, `has ${key} = ${JSON.stringify(value)}, expected a positive number`);
  }
  return value;
}

function activation(json: Json, key: string, repoId: string): HiddenAct {
  const name = json[key] ?? 'gelu';
  const act = typeof name === 'string' ? ACTIVATIONS[name] : undefined;
  if (!act) {
    throw new UnsupportedModelError(
      `Model "${repoId}" uses activation ${JSON.stringify(name)}, which the studio's encoder does not implement; supported: ${Object.keys(ACTIVATIONS).join(', ')}.`,
      repoId,
    );
  }
  return act;
}

/**
 * Model classes of the supported types, as transformers names them in `architectures`: the type's class prefix
 * followed by Model, LMHeadModel or For<Task>. Anchored, so RobertaPreLayerNormModel, XLMRobertaXLModel,
 * BertGenerationEncoder or AlbertModel (other architectures) do not match.
 */
const ARCHITECTURE_PREFIXES: [prefix: string, modelType: string][] = [
  ['Bert', 'bert'], ['Roberta', 'roberta'], ['XLMRoberta', 'xlm-roberta'], ['Camembert', 'camembert'], ['DistilBert', 'distilbert'], ['Electra', 'electra'],
];

/**
 * transformers model types whose names contain a supported one ("albert" contains "bert"), so the repo-name
 * rule below, like AutoConfig's, prefers the longest match and does not read "albert-base-v2" as BERT.
 */
const LOOKALIKE_MODEL_TYPES = [
  'albert', 'bert-generation', 'convbert', 'deberta', 'deberta-v2', 'flaubert', 'ibert', 'megatron-bert', 'mobilebert', 'modernbert',
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
      const match = ARCHITECTURE_PREFIXES.find(([prefix]) => new RegExp(`^${prefix}(Model|LMHeadModel|For[A-Z]\\w*)$`).test(name));
      if (match) return { modelType: match[1], from: 'architectures', evidence: architectures };
    }
    return { unsupported: `its architectures ${JSON.stringify(architectures)} are of no type the studio can train` };
  }
  const candidates = [...SUPPORTED_MODEL_TYPES, ...LOOKALIKE_MODEL_TYPES].sort((a, b) => b.length - a.length);
  const found = candidates.find((type) => repoId.includes(type));
  if (!found) return undefined;
  return (SUPPORTED_MODEL_TYPES as readonly string[]).includes(found)
    ? { modelType: found, from: 'repo name', evidence: repoId }
    : { unsupported: `its repository name suggests "${found}", which the studio cannot train` };
}

/** One line for the Model step and the CLI saying what was inferred, e.g. for a config.json without model_type. */
export function describeInferredModelType(inferred: InferredModelType): string {
  const source = inferred.from === 'architectures' ? `architectures ${JSON.stringify(inferred.evidence)}` : `the repository name "${String(inferred.evidence)}"`;
  return `model_type missing from config.json; read as "${inferred.modelType}" from ${source}`;
}

function familyOf(modelType: string): EncoderFamily | undefined {
  switch (modelType) {
    case 'bert': return 'bert';
    case 'roberta': case 'xlm-roberta': case 'camembert': return 'roberta';
    case 'distilbert': return 'distilbert';
    case 'electra': return 'electra';
    default: return undefined;
  }
}

/**
 * Normalises a transformers config.json (BERT, RoBERTa, XLM-RoBERTa, CamemBERT, DistilBERT, ELECTRA) into an
 * `EncoderConfig`. Missing keys take the transformers class defaults, as `from_pretrained` does.
 */
export function parseEncoderConfig(json: unknown, repoId: string): EncoderConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw badConfig(repoId, 'is not a JSON object');
  const c = json as Json;
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
  const family = familyOf(modelType);
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

  let config: Omit<EncoderConfig, 'maxSequenceLength'>;
  if (family === 'distilbert') {
    const c = withDistilBertAliases(json as Json);
    config = {
      repoId, modelType, family, weightPrefix: 'distilbert',
      hiddenSize: int(c, 'dim', 768, repoId),
      numLayers: int(c, 'n_layers', 6, repoId),
      numHeads: int(c, 'n_heads', 12, repoId),
      intermediateSize: int(c, 'hidden_dim', 3072, repoId),
      hiddenAct: activation(c, 'activation', repoId),
      // DistilBERT's LayerNorms are built with a fixed eps=1e-12 (modeling_distilbert.py).
      layerNormEps: 1e-12,
      maxPositionEmbeddings: int(c, 'max_position_embeddings', 512, repoId),
      typeVocabSize: 0,
      vocabSize: int(c, 'vocab_size', 30522, repoId),
      padTokenId: int(c, 'pad_token_id', 0, repoId, true),
      positionOffset: 0,
      embeddingSize: int(c, 'dim', 768, repoId),
      hasPooler: false,
    };
  } else {
    const isRoberta = family === 'roberta';
    const isElectra = family === 'electra';
    const hiddenSize = int(c, 'hidden_size', isElectra ? 256 : 768, repoId);
    const padTokenId = int(c, 'pad_token_id', isRoberta ? 1 : 0, repoId, true);
    config = {
      repoId, modelType, family, weightPrefix: family,
      hiddenSize,
      numLayers: int(c, 'num_hidden_layers', 12, repoId),
      numHeads: int(c, 'num_attention_heads', isElectra ? 4 : 12, repoId),
      intermediateSize: int(c, 'intermediate_size', isElectra ? 1024 : 3072, repoId),
      hiddenAct: activation(c, 'hidden_act', repoId),
      layerNormEps: num(c, 'layer_norm_eps', 1e-12, repoId),
      maxPositionEmbeddings: int(c, 'max_position_embeddings', 512, repoId),
      typeVocabSize: int(c, 'type_vocab_size', 2, repoId, true),
      vocabSize: int(c, 'vocab_size', 30522, repoId),
      padTokenId,
      positionOffset: isRoberta ? padTokenId + 1 : 0,
      embeddingSize: isElectra ? int(c, 'embedding_size', 128, repoId) : hiddenSize,
      hasPooler: family === 'bert',
    };
  }
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

/**
 * DistilBERT's config keys under the generic names its `attribute_map` also accepts (hidden_size for dim,
 * num_attention_heads for n_heads, num_hidden_layers for n_layers), as some converted repos write them.
 */
function withDistilBertAliases(c: Json): Json {
  const out = { ...c };
  for (const [key, alias] of [['dim', 'hidden_size'], ['n_heads', 'num_attention_heads'], ['n_layers', 'num_hidden_layers']]) {
    if (out[key] === undefined && out[alias] !== undefined) out[key] = out[alias];
  }
  return out;
}

/** Parameters of the base model (embeddings, layers, pooler if any), without task heads. */
export function estimateParameters(config: EncoderConfig): number {
  const { hiddenSize: h, embeddingSize: e, intermediateSize: i } = config;
  const linear = (inputs: number, outputs: number) => inputs * outputs + outputs;
  const layerNorm = (width: number) => 2 * width;
  const embeddings = (config.vocabSize + config.maxPositionEmbeddings + config.typeVocabSize) * e
    + layerNorm(e)
    + (e !== h ? linear(e, h) : 0);
  const layer = 4 * linear(h, h) + linear(h, i) + linear(i, h) + 2 * layerNorm(h);
  const pooler = config.hasPooler ? linear(h, h) : 0;
  return embeddings + config.numLayers * layer + pooler;
}

export interface MemoryEstimateOptions {
  /** Sequences per forward pass. */
  batchSize?: number;
  /** Tokens per sequence; defaults to min(128, the model's longest input). */
  seqLength?: number;
  /** Keep every layer's activations for a backward pass (training adapters) instead of one layer's at a time. */
  training?: boolean;
}

/**
 * Bytes of device memory the encoder needs, from the config alone: float32 weights plus the float32
 * activations of a forward pass (the widest intermediates of one layer, or of all layers when training).
 */
export function estimateMemoryBytes(config: EncoderConfig, options: MemoryEstimateOptions = {}): number {
  const batch = options.batchSize ?? 1;
  const seq = options.seqLength ?? Math.min(128, config.maxSequenceLength);
  const tokens = batch * seq;
  const weights = estimateParameters(config) * 4;
  // Per layer: q, k, v, context, attention output, residual + LayerNorm (~7 × hidden), two feed-forward
  // intermediates (before/after activation), and attention scores + probabilities per head.
  const perLayer = tokens * (7 * config.hiddenSize + 2 * config.intermediateSize) + 2 * batch * config.numHeads * seq * seq;
  const layersHeld = options.training ? config.numLayers : 1;
  const embeddings = tokens * 3 * Math.max(config.embeddingSize, config.hiddenSize);
  return weights + 4 * (embeddings + layersHeld * perLayer);
}
