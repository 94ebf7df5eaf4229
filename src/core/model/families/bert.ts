/** BERT (modeling_bert.py): the layout every other family's canonical tensor names are written in. */
import type { SpecialToken } from '../tokenizers/special-tokens.ts';
import { activation, int, num } from './config-fields.ts';
import type { EncoderConfig } from '../config.ts';
import type { AdapterInsertionPoints, EncoderFamilyDefinition, FamilyConfigFields, LayerModules } from './types.ts';

/** The class defaults that differ between BertConfig and the configs built on it (RoBERTa, ELECTRA). */
export interface BertLikeDefaults {
  hiddenSize: number;
  numHeads: number;
  intermediateSize: number;
  padTokenId: number;
}

/** Reads a BertConfig-shaped config.json (hidden_size, num_hidden_layers, ...) with the given class defaults. */
export function readBertLikeConfig(c: Record<string, unknown>, repoId: string, defaults: BertLikeDefaults): FamilyConfigFields {
  const hiddenSize = int(c, 'hidden_size', defaults.hiddenSize, repoId);
  const padTokenId = int(c, 'pad_token_id', defaults.padTokenId, repoId, true);
  return {
    hiddenSize,
    numLayers: int(c, 'num_hidden_layers', 12, repoId),
    numHeads: int(c, 'num_attention_heads', defaults.numHeads, repoId),
    intermediateSize: int(c, 'intermediate_size', defaults.intermediateSize, repoId),
    hiddenAct: activation(c, 'hidden_act', repoId),
    layerNormEps: num(c, 'layer_norm_eps', 1e-12, repoId),
    maxPositionEmbeddings: int(c, 'max_position_embeddings', 512, repoId),
    typeVocabSize: int(c, 'type_vocab_size', 2, repoId, true),
    vocabSize: int(c, 'vocab_size', 30522, repoId),
    padTokenId,
    positionOffset: 0,
    embeddingSize: hiddenSize,
    hasPooler: false,
  };
}

/** One module a layer, layer l at "<list>.l" (every family without ALBERT's sharing). */
export const unsharedLayers = (list: string) => (config: EncoderConfig): LayerModules => ({
  paths: Array.from({ length: config.numLayers }, (_, l) => `${list}.${l}`),
  runs: Array.from({ length: config.numLayers }, (_, l) => l),
});

/** The `adapters` library's BERT mixins (models/bert/mixin_bert.py), which RoBERTa and ELECTRA reuse. */
export const BERT_INSERTION_POINTS: AdapterInsertionPoints = {
  bottleneck: { mh_adapter: 'attention.output', output_adapter: 'output' },
  linear: { q: 'attention.self.query', k: 'attention.self.key', v: 'attention.self.value', intermediate: 'intermediate.dense', output: 'output.dense' },
  prefixLayer: 'attention.self.prefix_tuning',
  prefixLocation: 'self_prefix',
  slots: ['q', 'k', 'v', 'prefix_gate', 'mh_adapter', 'intermediate', 'output', 'output_adapter'],
};

/** A special token as a tokenizer class wraps a plain string (AddedToken flags). */
export const specialToken = (content: string, lstrip = false): SpecialToken => ({ content, lstrip, rstrip: false, singleWord: false });

/** BertTokenizer's special tokens (DistilBERT's and ELECTRA's tokenizers are BertTokenizer). */
export const BERT_SPECIAL_TOKENS = {
  unk_token: specialToken('[UNK]'), sep_token: specialToken('[SEP]'), pad_token: specialToken('[PAD]'), cls_token: specialToken('[CLS]'), mask_token: specialToken('[MASK]'),
};

export const bert: EncoderFamilyDefinition = {
  modelTypes: {
    bert: {
      architecturePrefix: 'Bert',
      tokenizerClass: 'BertTokenizer',
      slowTokenizer: 'wordpiece',
      adapterModel: { adapterModelClass: 'BertAdapterModel', baseModelClass: 'BertModel', transformersModule: 'transformers.models.bert.modeling_bert' },
    },
  },
  weightPrefix: 'bert',
  readConfig: (c, repoId) => ({
    ...readBertLikeConfig(c, repoId, { hiddenSize: 768, numHeads: 12, intermediateSize: 3072, padTokenId: 0 }),
    hasPooler: true,
  }),
  checkpointRenames: [],
  layerModules: unsharedLayers('encoder.layer'),
  alwaysProjectsEmbeddings: false,
  checkpointMayHavePooler: true,
  // BertModel is built with add_pooling_layer=True.
  adapterModelHasPooler: true,
  // BertConfig.hidden_dropout_prob.
  headDropout: 0.1,
  adapterInsertionPoints: BERT_INSERTION_POINTS,
  specialTokens: BERT_SPECIAL_TOKENS,
  sequenceClassifier: {
    layouts: [
      { layers: 2, activation: 'tanh', usePooler: false, first: 'bert.pooler.dense', last: 'classifier', extraModules: ['pooler'] },
      { layers: 1, usePooler: true, last: 'classifier', extraModules: [] },
    ],
    description: 'a 2-layer tanh head on the first token (→ pooler + classifier) or a 1-layer head on the pooler output (→ classifier)',
  },
};
