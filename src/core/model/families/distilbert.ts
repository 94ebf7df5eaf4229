/**
 * DistilBERT (modeling_distilbert.py): its own config keys and module names (transformer.layer.N with q_lin,
 * ffn.lin1, sa_layer_norm...), no token types, no pooler, no dropout in its config.
 */
import { BERT_SPECIAL_TOKENS, unsharedLayers } from './bert.ts';
import { activation, int } from './config-fields.ts';
import type { EncoderFamilyDefinition } from './types.ts';

type Json = Record<string, unknown>;

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

export const distilbert: EncoderFamilyDefinition = {
  modelTypes: {
    distilbert: {
      architecturePrefix: 'DistilBert',
      tokenizerClass: 'DistilBertTokenizer',
      slowTokenizer: 'wordpiece',
      adapterModel: { adapterModelClass: 'DistilBertAdapterModel', baseModelClass: 'DistilBertModel', transformersModule: 'transformers.models.distilbert.modeling_distilbert' },
    },
  },
  weightPrefix: 'distilbert',
  readConfig: (json, repoId) => {
    const c = withDistilBertAliases(json);
    return {
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
  },
  checkpointRenames: [
    [/^transformer\.layer\./, 'encoder.layer.'],
    [/\.attention\.q_lin\./, '.attention.self.query.'],
    [/\.attention\.k_lin\./, '.attention.self.key.'],
    [/\.attention\.v_lin\./, '.attention.self.value.'],
    [/\.attention\.out_lin\./, '.attention.output.dense.'],
    [/\.sa_layer_norm\./, '.attention.output.LayerNorm.'],
    [/\.ffn\.lin1\./, '.intermediate.dense.'],
    [/\.ffn\.lin2\./, '.output.dense.'],
    [/\.output_layer_norm\./, '.output.LayerNorm.'],
  ],
  layerModules: unsharedLayers('transformer.layer'),
  alwaysProjectsEmbeddings: false,
  checkpointMayHavePooler: false,
  adapterModelHasPooler: false,
  // DistilBertConfig has neither hidden_dropout_prob nor classifier_dropout.
  headDropout: 0,
  // models/distilbert/mixin_distilbert.py.
  adapterInsertionPoints: {
    bottleneck: { mh_adapter: 'attention_adapters', output_adapter: 'output_adapters' },
    linear: { q: 'attention.q_lin', k: 'attention.k_lin', v: 'attention.v_lin', intermediate: 'ffn.lin1', output: 'ffn.lin2' },
    prefixLayer: 'attention.prefix_tuning',
    prefixLocation: 'self',
    // TransformerBlock: attention (q, k, v, prefix), ffn (lin1, lin2), then the adapter layers added by the mixin.
    slots: ['q', 'k', 'v', 'prefix_gate', 'intermediate', 'output', 'mh_adapter', 'output_adapter'],
  },
  specialTokens: BERT_SPECIAL_TOKENS,
  sequenceClassifier: {
    layouts: [{ layers: 2, activation: 'relu', usePooler: false, first: 'pre_classifier', last: 'classifier', extraModules: ['pre_classifier'] }],
    description: 'a 2-layer relu head on the first token (→ pre_classifier + classifier)',
  },
};
