/**
 * DeBERTa v1 (transformers' models/deberta/modeling_deberta.py, e.g. microsoft/deberta-base): BERT's post-LN layers
 * with disentangled attention: one fused, bias-free `in_proj` (q, k, v interleaved per head) plus `q_bias` and
 * `v_bias`, relative attention through `pos_proj` (c2p, no bias) and `pos_q_proj` (p2c, with bias) on
 * `encoder.rel_embeddings`, no position buckets, no rel_embeddings LayerNorm. GPT-2 byte-level BPE with
 * [CLS] A [SEP] B [SEP]. The ContextPooler (pooler.dense, gelu) lives in DebertaForSequenceClassification, outside
 * the base model.
 */
import { specialToken, unsharedLayers } from './bert.ts';
import { activation, badConfig, int, num } from './config-fields.ts';
import type { DisentangledAttentionConfig, EncoderFamilyDefinition, FamilyConfigFields } from './types.ts';

type Json = Record<string, unknown>;

/** pos_att_type: null (none), a list, or the older "c2p|p2c" string that DebertaConfig splits on "|". */
export function readPosAttTypes(c: Json, repoId: string): ('c2p' | 'p2c')[] {
  const raw = c.pos_att_type ?? null;
  if (raw === null) return [];
  const list = typeof raw === 'string' ? raw.toLowerCase().split('|').map((t) => t.trim()) : raw;
  if (!Array.isArray(list) || !list.every((t) => t === 'c2p' || t === 'p2c')) {
    throw badConfig(repoId, `has pos_att_type ${JSON.stringify(raw)}, expected "c2p", "p2c" or both (a list or "c2p|p2c")`);
  }
  return [...new Set(list as ('c2p' | 'p2c')[])];
}

/** DebertaConfig's disentangled-attention keys (max_relative_positions below 1 means max_position_embeddings). */
function readDisentangled(c: Json, repoId: string, maxPositions: number): DisentangledAttentionConfig {
  if (c.talking_head === true) throw badConfig(repoId, 'has talking_head true, which no released DeBERTa uses and the studio does not implement');
  const relative = c.max_relative_positions ?? -1;
  if (typeof relative !== 'number' || !Number.isInteger(relative)) throw badConfig(repoId, `has max_relative_positions ${JSON.stringify(relative)}, expected an integer`);
  const maxRelativePositions = relative < 1 ? maxPositions : relative;
  return {
    positionBiasedInput: c.position_biased_input !== false,
    relativeAttention: c.relative_attention === true,
    posAttTypes: readPosAttTypes(c, repoId),
    tableSpan: maxRelativePositions,
    positionBuckets: 0,
    maxRelativePositions,
    spanFromSequence: true,
    shareAttKey: false,
    normRelEmbeddings: false,
    positionProjectionBias: { key: false, query: true },
    inProj: true,
  };
}

function readDebertaConfig(c: Json, repoId: string): FamilyConfigFields {
  const hiddenSize = int(c, 'hidden_size', 768, repoId);
  const maxPositionEmbeddings = int(c, 'max_position_embeddings', 512, repoId);
  return {
    hiddenSize,
    numLayers: int(c, 'num_hidden_layers', 12, repoId),
    numHeads: int(c, 'num_attention_heads', 12, repoId),
    intermediateSize: int(c, 'intermediate_size', 3072, repoId),
    hiddenAct: activation(c, 'hidden_act', repoId),
    layerNormEps: num(c, 'layer_norm_eps', 1e-7, repoId),
    maxPositionEmbeddings,
    typeVocabSize: int(c, 'type_vocab_size', 0, repoId, true),
    vocabSize: int(c, 'vocab_size', 50265, repoId),
    padTokenId: int(c, 'pad_token_id', 0, repoId, true),
    positionOffset: 0,
    embeddingSize: int(c, 'embedding_size', hiddenSize, repoId),
    disentangled: readDisentangled(c, repoId, maxPositionEmbeddings),
    hasPooler: false,
  };
}

export const deberta: EncoderFamilyDefinition = {
  modelTypes: {
    deberta: {
      architecturePrefix: 'Deberta',
      tokenizerClass: 'DebertaTokenizer',
      slowTokenizer: 'deberta-byte-level-bpe',
      adapterModel: { adapterModelClass: 'DebertaAdapterModel', baseModelClass: 'DebertaModel', transformersModule: 'transformers.models.deberta.modeling_deberta' },
    },
  },
  weightPrefix: 'deberta',
  readConfig: readDebertaConfig,
  layerModules: unsharedLayers('encoder.layer'),
  // embed_proj exists only when embedding_size differs from hidden_size (config.disentangled routes it).
  alwaysProjectsEmbeddings: false,
  // The v2 names the encoder reads (pos_key_proj / pos_query_proj); in_proj, q_bias and v_bias keep theirs.
  checkpointRenames: [
    [/\.attention\.self\.pos_proj\./, '.attention.self.pos_key_proj.'],
    [/\.attention\.self\.pos_q_proj\./, '.attention.self.pos_query_proj.'],
  ],
  // DebertaForSequenceClassification's top-level pooler.dense is the ContextPooler (gelu), not BERT's tanh pooler.
  checkpointMayHavePooler: false,
  adapterModelHasPooler: false,
  // DebertaConfig.hidden_dropout_prob.
  headDropout: 0.1,
  // models/deberta/mixin_deberta.py: LoRAMergedLinear.wrap(self.in_proj, "selfattn"); prefix_tuning on the
  // attention.self module ("self_prefix"); the BERT mixins for the bottleneck layers and intermediate/output LoRA.
  adapterInsertionPoints: {
    bottleneck: { mh_adapter: 'attention.output', output_adapter: 'output' },
    linear: { q: 'attention.self.in_proj', k: 'attention.self.in_proj', v: 'attention.self.in_proj', intermediate: 'intermediate.dense', output: 'output.dense' },
    fusedQkv: 'attention.self.in_proj',
    prefixLayer: 'attention.self.prefix_tuning',
    prefixLocation: 'self_prefix',
    // DebertaLayer: attention.self (in_proj, prefix_tuning), attention.output (adapters), intermediate.dense, output.
    slots: ['qkv', 'prefix_gate', 'mh_adapter', 'intermediate', 'output', 'output_adapter'],
  },
  // DebertaTokenizer's defaults (tokenization_deberta.py): bos/cls [CLS], eos/sep [SEP], mask with lstrip.
  specialTokens: {
    bos_token: specialToken('[CLS]'), eos_token: specialToken('[SEP]'), sep_token: specialToken('[SEP]'), cls_token: specialToken('[CLS]'),
    unk_token: specialToken('[UNK]'), pad_token: specialToken('[PAD]'), mask_token: specialToken('[MASK]', true),
  },
  sequenceClassifier: {
    // head_utils.py DebertaForSequenceClassification: [None, "pooler.dense", None, None, "classifier"], gelu.
    layouts: [{ layers: 2, activation: 'gelu', usePooler: false, first: 'pooler.dense', last: 'classifier', extraModules: ['pooler'] }],
    description: 'a 2-layer gelu head on the first token (→ pooler.dense, the ContextPooler, + classifier)',
  },
};
