/**
 * DeBERTa-v2 / v3 (transformers' modeling_deberta_v2.py, DebertaV2Config; model_type "deberta-v2"):
 * disentangled attention over relative positions (config.disentangled, attention/disentangled.ts), embeddings
 * without absolute positions in v3, query_proj / key_proj / value_proj, and no pooler in the base model (the
 * ContextPooler lives in DebertaV2ForSequenceClassification as pooler.dense).
 */
import { UnsupportedModelError } from '../errors.ts';
import { BERT_INSERTION_POINTS, specialToken, unsharedLayers } from './bert.ts';
import { activation, badConfig, int, num } from './config-fields.ts';
import type { DisentangledAttentionConfig, EncoderFamilyDefinition, FamilyConfigFields } from './types.ts';

type Json = Record<string, unknown>;

function bool(c: Json, key: string, fallback: boolean, repoId: string): boolean {
  const value = c[key] ?? fallback;
  if (typeof value !== 'boolean') throw badConfig(repoId, `has ${key} = ${JSON.stringify(value)}, expected true or false`);
  return value;
}

/** An integer that may be negative (max_relative_positions and position_buckets use -1 for "none"). */
function signedInt(c: Json, key: string, fallback: number, repoId: string): number {
  const value = c[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw badConfig(repoId, `has ${key} = ${JSON.stringify(value)}, expected an integer`);
  return value;
}

/** pos_att_type: "p2c|c2p", a list, or null; only c2p and p2c count (DisentangledSelfAttention's scale_factor). */
function positionTerms(c: Json, repoId: string): ('c2p' | 'p2c')[] {
  const raw = c.pos_att_type ?? [];
  const entries = typeof raw === 'string' ? raw.toLowerCase().split('|').map((s) => s.trim()) : raw;
  if (!Array.isArray(entries) || entries.some((e) => typeof e !== 'string')) {
    throw badConfig(repoId, `has pos_att_type = ${JSON.stringify(raw)}, expected a "|"-separated string or a list of "c2p" / "p2c"`);
  }
  return (['c2p', 'p2c'] as const).filter((t) => entries.includes(t));
}

/** Keys of DebertaV2Config the encoder does not implement, refused rather than run wrongly. */
function refuseUnsupported(c: Json, hiddenSize: number, numHeads: number, repoId: string): void {
  const refuse = (what: string) => {
    throw new UnsupportedModelError(`Model "${repoId}" uses ${what}, which the studio's DeBERTa-v2 encoder does not implement.`, repoId);
  };
  if (typeof c.conv_kernel_size === 'number' && c.conv_kernel_size > 0) refuse(`a convolution layer after the first layer (conv_kernel_size ${c.conv_kernel_size})`);
  if (c.attention_head_size !== undefined && c.attention_head_size !== hiddenSize / numHeads) refuse(`attention_head_size ${JSON.stringify(c.attention_head_size)} (not hidden_size / num_attention_heads)`);
}

/** DebertaV2Config's keys with its class defaults (and DebertaV2Encoder's getattr defaults for the optional ones). */
export function readDebertaV2Config(c: Json, repoId: string): FamilyConfigFields {
  const hiddenSize = int(c, 'hidden_size', 1536, repoId);
  const numHeads = int(c, 'num_attention_heads', 24, repoId);
  refuseUnsupported(c, hiddenSize, numHeads, repoId);
  const maxPositionEmbeddings = int(c, 'max_position_embeddings', 512, repoId);
  const relativeAttention = bool(c, 'relative_attention', false, repoId);
  const maxRelative = signedInt(c, 'max_relative_positions', -1, repoId);
  const maxRelativePositions = maxRelative < 1 ? maxPositionEmbeddings : maxRelative;
  const positionBuckets = Math.max(0, signedInt(c, 'position_buckets', -1, repoId));
  const norm = c.norm_rel_ebd ?? 'none';
  if (typeof norm !== 'string') throw badConfig(repoId, `has norm_rel_ebd = ${JSON.stringify(norm)}, expected a "|"-separated string`);
  const disentangled: DisentangledAttentionConfig = {
    positionBiasedInput: bool(c, 'position_biased_input', true, repoId),
    relativeAttention,
    posAttTypes: positionTerms(c, repoId),
    tableSpan: positionBuckets > 0 ? positionBuckets : maxRelativePositions,
    positionBuckets,
    maxRelativePositions,
    spanFromSequence: false,
    shareAttKey: bool(c, 'share_att_key', false, repoId),
    normRelEmbeddings: norm.toLowerCase().split('|').map((s) => s.trim()).includes('layer_norm'),
    positionProjectionBias: { key: true, query: true },
  };
  return {
    hiddenSize,
    numLayers: int(c, 'num_hidden_layers', 24, repoId),
    numHeads,
    intermediateSize: int(c, 'intermediate_size', 6144, repoId),
    hiddenAct: activation(c, 'hidden_act', repoId),
    layerNormEps: num(c, 'layer_norm_eps', 1e-7, repoId),
    maxPositionEmbeddings,
    typeVocabSize: int(c, 'type_vocab_size', 0, repoId, true),
    vocabSize: int(c, 'vocab_size', 128100, repoId),
    padTokenId: int(c, 'pad_token_id', 0, repoId, true),
    positionOffset: 0,
    embeddingSize: int(c, 'embedding_size', hiddenSize, repoId),
    hasPooler: false,
    disentangled,
  };
}

export const debertaV2: EncoderFamilyDefinition = {
  modelTypes: {
    'deberta-v2': {
      architecturePrefix: 'DebertaV2',
      tokenizerClass: 'DebertaV2Tokenizer',
      slowTokenizer: 'deberta-v2',
      adapterModel: { adapterModelClass: 'DebertaV2AdapterModel', baseModelClass: 'DebertaV2Model', transformersModule: 'transformers.models.deberta_v2.modeling_deberta_v2' },
    },
  },
  weightPrefix: 'deberta',
  readConfig: readDebertaV2Config,
  checkpointRenames: [
    [/^(encoder\.layer\.\d+\.attention\.self\.)(query|key|value)_proj\./, '$1$2.'],
  ],
  layerModules: unsharedLayers('encoder.layer'),
  // embed_proj exists only when the widths differ (it precedes the LayerNorm; config.disentangled routes it).
  alwaysProjectsEmbeddings: false,
  // DebertaV2Model has no pooler; DebertaV2ForSequenceClassification's ContextPooler (pooler.dense + pooler_hidden_act) is a head.
  checkpointMayHavePooler: false,
  adapterModelHasPooler: false,
  // DebertaV2Config.hidden_dropout_prob.
  headDropout: 0.1,
  // The adapters library's models/deberta_v2/mixin_deberta_v2.py (LoRA on query_proj/key_proj/value_proj, the
  // self-attention prefix) with BERT's layer and output mixins (models/__init__.py: DebertaV2Layer → BertLayerAdaptersMixin).
  adapterInsertionPoints: {
    ...BERT_INSERTION_POINTS,
    linear: { ...BERT_INSERTION_POINTS.linear, q: 'attention.self.query_proj', k: 'attention.self.key_proj', v: 'attention.self.value_proj' },
  },
  // DebertaV2Tokenizer's defaults.
  specialTokens: {
    bos_token: specialToken('[CLS]'), eos_token: specialToken('[SEP]'), unk_token: specialToken('[UNK]'), sep_token: specialToken('[SEP]'),
    pad_token: specialToken('[PAD]'), cls_token: specialToken('[CLS]'), mask_token: specialToken('[MASK]'),
  },
  sequenceClassifier: {
    // DebertaV2ForSequenceClassification: ContextPooler (pooler.dense, then pooler_hidden_act, "gelu" by default) → classifier.
    layouts: [{ layers: 2, activation: 'gelu', usePooler: false, first: 'pooler.dense', last: 'classifier', extraModules: ['pooler'] }],
    description: 'a 2-layer gelu head on the first token (→ pooler.dense + classifier, the ContextPooler with pooler_hidden_act "gelu")',
  },
};
