/**
 * What the studio must know about one encoder family (an architecture with one weight and module layout), from
 * config.json to the exported adapter. Each family is one record of this shape in `families/<family>.ts`,
 * listed once in `families/index.ts`; every field is required, so a new family cannot inherit BERT's answers
 * by omission.
 */
import type { EncoderConfig } from '../config.ts';
import type { SentencePieceLayout } from '../tokenizers/sentencepiece-json.ts';
import type { SpecialToken, SpecialTokenKey } from '../tokenizers/special-tokens.ts';

/** The Linear layers LoRA / IA3 may wrap: q/k/v ("selfattn"), intermediate.dense, output.dense. */
export type LoraTarget = 'q' | 'k' | 'v' | 'intermediate' | 'output';

/** Bottleneck locations, named by the config flag that enables them. */
export type BottleneckLocation = 'mh_adapter' | 'output_adapter';

/**
 * The per-layer module slots in the order torch lists them in the state dict. 'qkv': one LoRA / IA3 module on a
 * fused q/k/v Linear (DeBERTa's in_proj) instead of one each on q, k and v.
 */
export type LayerSlot = LoraTarget | 'qkv' | 'prefix_gate' | BottleneckLocation;

/**
 * The slow (pre-tokenizer.json) tokenizer whose files a repo of this type ships; 'deberta-byte-level-bpe' is
 * RoBERTa's files with DeBERTa's [CLS] A [SEP] (B [SEP]) template (transformers' DebertaConverter).
 */
export type SlowTokenizerKind = 'wordpiece' | 'byte-level-bpe' | 'deberta-byte-level-bpe' | SentencePieceLayout;

/**
 * DeBERTa's disentangled attention and embeddings (v2/v3: families/deberta-v2.ts; the math in
 * attention/disentangled.ts), as `EncoderConfig.disentangled`. Without it the encoder is BERT's: absolute
 * positions and softmax(q·kᵀ / sqrt(headDim)).
 */
export interface DisentangledAttentionConfig {
  /** position_biased_input: absolute position embeddings are added to the input as well. */
  positionBiasedInput: boolean;
  /** relative_attention: the encoder has rel_embeddings and adds the pos_att_type terms. */
  relativeAttention: boolean;
  /** pos_att_type: the position terms; each one adds 1 to the score scale factor (even without relative_attention). */
  posAttTypes: ('c2p' | 'p2c')[];
  /** Half the rows of rel_embeddings: position_buckets when above 0, else max_relative_positions. */
  tableSpan: number;
  /** position_buckets; 0 for none (relative positions are not bucketed). */
  positionBuckets: number;
  /** max_relative_positions, resolved (values below 1 mean max_position_embeddings). */
  maxRelativePositions: number;
  /** DeBERTa v1: the span used is min(sequence length, tableSpan) (the middle rows of the table); v2: tableSpan. */
  spanFromSequence: boolean;
  /** share_att_key: the position rows are projected by the layer's key / query Linears instead of pos_key_proj / pos_query_proj. */
  shareAttKey: boolean;
  /** norm_rel_ebd has "layer_norm": encoder.LayerNorm normalises rel_embeddings before every use. */
  normRelEmbeddings: boolean;
  /** Whether pos_key_proj / pos_query_proj have biases (v2: both; v1's pos_proj has none). */
  positionProjectionBias: { key: boolean; query: boolean };
  /**
   * DeBERTa v1: q, k and v come from one bias-free attention.self.in_proj (rows per head [q_h; k_h; v_h]) plus
   * q_bias / v_bias; weights.ts splits them into query / key / value at load time (fused-qkv.ts).
   */
  inProj?: boolean;
}

/** The EncoderConfig fields a family reads from config.json (the rest are the same for every family). */
export type FamilyConfigFields = Omit<EncoderConfig, 'repoId' | 'modelType' | 'inferredModelType' | 'family' | 'weightPrefix' | 'maxSequenceLength'>;

/**
 * The encoder's layer modules as the `adapters` library's iter_layers numbers them: adapter layer indices,
 * leave_out and the prefix pool's layer count are module indices. ALBERT shares modules between layers.
 */
export interface LayerModules {
  /** Module path of each layer module below the base prefix, in iter_layers order ("encoder.layer.3"). */
  paths: string[];
  /** The module each layer of the forward runs, in order: l for every family but ALBERT, whose groups repeat. */
  runs: number[];
}

/** Where the `adapters` library's mixins put adapter modules inside one layer (the state-dict key paths). */
export interface AdapterInsertionPoints {
  /** Module path (inside a layer) of each bottleneck location's BottleneckLayer. */
  bottleneck: Record<BottleneckLocation, string>;
  /** Module path (inside a layer) of each LoRA-wrapped Linear (with `fusedQkv`, q/k/v name the fused Linear). */
  linear: Record<LoraTarget, string>;
  /**
   * Module path of a fused q/k/v Linear that the library wraps as one LoRAMergedLinear ("selfattn"; DeBERTa's
   * in_proj); the layer's slots then hold 'qkv' instead of 'q', 'k', 'v'.
   */
  fusedQkv?: string;
  /** Module path (inside a layer) of the PrefixTuningLayer holding the prefix gates. */
  prefixLayer: string;
  /** PrefixTuningGroup key of the self-attention prefix. */
  prefixLocation: string;
  /** Slots of a layer in state-dict order. */
  slots: LayerSlot[];
}

/** The `adapters` library's and transformers' class names for one model type, as the exporters write them. */
export interface AdapterModelNames {
  /** The library's flex-head class (models/auto/adapter_model.py ADAPTER_MODEL_MAPPING_NAMES), written as "model_class". */
  adapterModelClass: string;
  /** transformers' bare encoder class (PEFT's auto_mapping when there is no head). */
  baseModelClass: string;
  /** The module of `baseModelClass`. */
  transformersModule: string;
}

/** One config.json model_type of a family (RoBERTa's family holds roberta, xlm-roberta and camembert). */
export interface ModelTypeDefinition {
  /** transformers' class-name prefix in `architectures` (followed by Model, LMHeadModel or For<Task>). */
  architecturePrefix: string;
  /** tokenizer_config.json's `tokenizer_class` (without "Fast"). */
  tokenizerClass: string;
  /** The slow tokenizer of this type, used when tokenizer_config names no class the studio knows. */
  slowTokenizer: SlowTokenizerKind;
  /** Null when the `adapters` library has no AdapterModel for the type (exports are refused). */
  adapterModel: AdapterModelNames | null;
}

/** Where a 2-Linear (or 1-Linear) adapters head sits in the family's transformers ForSequenceClassification model. */
export interface SequenceClassifierLayout {
  layers: 1 | 2;
  /** Activation between the Linears that the model applies. */
  activation?: string;
  usePooler: boolean;
  /** Module of heads.NAME.1 (the hidden → hidden Linear) in a 2-layer head. */
  first?: string;
  /** Module of the output Linear. */
  last: string;
  /** PEFT modules_to_save entries besides PEFT's own ["classifier", "score"]. */
  extraModules: string[];
}

export interface EncoderFamilyDefinition {
  /** config.json model_type values of the family, in the order lists show them. */
  modelTypes: Record<string, ModelTypeDefinition>;
  /**
   * Prefix of the base model's tensor names in checkpoints of task models, without the dot; also the
   * `adapters` library's base_model_prefix, the first part of every adapter key.
   */
  weightPrefix: string;
  /** Reads the family's config.json keys, with transformers' class defaults for missing ones. */
  readConfig(json: Record<string, unknown>, repoId: string): FamilyConfigFields;
  /**
   * Renames from the checkpoint's names (prefix stripped, gamma/beta already weight/bias) to the canonical
   * BERT names of weights.ts, applied in order; a function gets the match's groups (ALBERT numbers its modules).
   */
  checkpointRenames: [from: RegExp, to: string | ((groups: string[], config: EncoderConfig) => string)][];
  /** The layer modules and which one each layer of the forward runs (`unsharedLayers` for one module a layer). */
  layerModules(config: EncoderConfig): LayerModules;
  /** Whether the embeddings → hidden Linear exists even when the widths match (ALBERT's embedding_hidden_mapping_in). */
  alwaysProjectsEmbeddings: boolean;
  /** Whether a checkpoint may hold pooler.dense tensors (loaded when present). */
  checkpointMayHavePooler: boolean;
  /** Whether the AdapterModel's base model is built with a pooler (counted by adapter_summary even when unused). */
  adapterModelHasPooler: boolean;
  /** Head dropout when the head config gives none: the config's hidden_dropout_prob default (0 when the class has none). */
  headDropout: number;
  /** Adapter insertion points of the `adapters` library's mixin for this family. */
  adapterInsertionPoints: AdapterInsertionPoints;
  /** The tokenizer class's default special tokens, for files that omit them. */
  specialTokens: Partial<Record<SpecialTokenKey, SpecialToken>>;
  /** The heads transformers' <Family>ForSequenceClassification can hold (PEFT exports the head into it). */
  sequenceClassifier: {
    layouts: SequenceClassifierLayout[];
    /** What those heads are, for messages. */
    description: string;
  };
}
