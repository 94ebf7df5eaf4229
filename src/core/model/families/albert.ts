/**
 * ALBERT (transformers modeling_albert.py, configuration_albert.py): BERT's post-LN layers with factorised
 * embeddings (embedding_size → hidden_size through encoder.embedding_hidden_mapping_in, present even when the
 * widths match) and cross-layer parameter sharing: num_hidden_groups AlbertLayerGroups of inner_group_num
 * AlbertLayers; layer i of num_hidden_layers runs group ⌊i / (num_hidden_layers / num_hidden_groups)⌋, which
 * runs its inner layers in order. Adapter modules live on those shared modules (adapters' mixin_albert.py).
 */
import type { EncoderConfig } from '../config.ts';
import { readBertLikeConfig, specialToken } from './bert.ts';
import { int } from './config-fields.ts';
import type { EncoderFamilyDefinition, LayerModules } from './types.ts';

/** The module path of ALBERT's layer module m: group ⌊m / inner⌋, inner layer m mod inner (iter_layers' order). */
const modulePath = (m: number, inner: number) => `encoder.albert_layer_groups.${Math.floor(m / inner)}.albert_layers.${m % inner}`;

function sharing(config: EncoderConfig): { numHiddenGroups: number; innerGroupNum: number } {
  if (!config.layerSharing) throw new TypeError(`ALBERT config of "${config.repoId}" has no layerSharing; build configs with parseEncoderConfig.`);
  return config.layerSharing;
}

function albertLayerModules(config: EncoderConfig): LayerModules {
  const { numHiddenGroups: groups, innerGroupNum: inner } = sharing(config);
  const layers = config.numLayers;
  const runs: number[] = [];
  for (let i = 0; i < layers; i++) {
    // AlbertTransformer.forward: group_idx = int(i / (num_hidden_layers / num_hidden_groups)), in doubles as Python.
    const group = Math.floor(i / (layers / groups));
    for (let j = 0; j < inner; j++) runs.push(group * inner + j);
  }
  return { paths: Array.from({ length: groups * inner }, (_, m) => modulePath(m, inner)), runs };
}

export const albert: EncoderFamilyDefinition = {
  modelTypes: {
    albert: {
      architecturePrefix: 'Albert',
      tokenizerClass: 'AlbertTokenizer',
      slowTokenizer: 'albert',
      adapterModel: { adapterModelClass: 'AlbertAdapterModel', baseModelClass: 'AlbertModel', transformersModule: 'transformers.models.albert.modeling_albert' },
    },
  },
  weightPrefix: 'albert',
  readConfig: (c, repoId) => {
    // AlbertConfig's defaults are albert-xxlarge's (hidden 4096, 64 heads, ffn 16384), activation gelu_new.
    const fields = readBertLikeConfig({ hidden_act: 'gelu_new', ...c }, repoId, { hiddenSize: 4096, numHeads: 64, intermediateSize: 16384, padTokenId: 0 });
    return {
      ...fields,
      vocabSize: int(c, 'vocab_size', 30000, repoId),
      embeddingSize: int(c, 'embedding_size', 128, repoId),
      layerSharing: { numHiddenGroups: int(c, 'num_hidden_groups', 1, repoId), innerGroupNum: int(c, 'inner_group_num', 1, repoId) },
      hasPooler: true,
    };
  },
  checkpointRenames: [
    [/^encoder\.albert_layer_groups\.(\d+)\.albert_layers\.(\d+)\./, ([group, layer], config) => {
      const inner = sharing(config).innerGroupNum;
      // A layer beyond inner_group_num is no module of this config: left under a name the encoder ignores.
      return Number(layer) < inner ? `encoder.layer.${Number(group) * inner + Number(layer)}.` : `unused.albert_layer_groups.${group}.albert_layers.${layer}.`;
    }],
    [/\.attention\.(query|key|value)\./, '.attention.self.$1.'],
    [/\.attention\.dense\./, '.attention.output.dense.'],
    [/\.attention\.LayerNorm\./, '.attention.output.LayerNorm.'],
    [/\.ffn\./, '.intermediate.dense.'],
    [/\.ffn_output\./, '.output.dense.'],
    [/\.full_layer_layer_norm\./, '.output.LayerNorm.'],
    [/^encoder\.embedding_hidden_mapping_in\./, 'embeddings_project.'],
    [/^pooler\./, 'pooler.dense.'],
  ],
  layerModules: albertLayerModules,
  alwaysProjectsEmbeddings: true,
  checkpointMayHavePooler: true,
  // AlbertModel is built with add_pooling_layer=True (albert.pooler, tanh).
  adapterModelHasPooler: true,
  // AlbertConfig.classifier_dropout_prob, which the library's config wrapper reads as classifier_dropout.
  headDropout: 0.1,
  // models/albert/mixin_albert.py: AlbertAttention gets q/k/v LoRA, attention_adapters and prefix_tuning (location
  // "self" + "_prefix"); AlbertLayer gets ffn / ffn_output LoRA and output_adapters.
  adapterInsertionPoints: {
    bottleneck: { mh_adapter: 'attention.attention_adapters', output_adapter: 'output_adapters' },
    linear: { q: 'attention.query', k: 'attention.key', v: 'attention.value', intermediate: 'ffn', output: 'ffn_output' },
    prefixLayer: 'attention.prefix_tuning',
    prefixLocation: 'self_prefix',
    // AlbertLayer registers full_layer_layer_norm, attention (query, key, value, dense, LayerNorm, then the mixin's
    // attention_adapters and prefix_tuning), ffn, ffn_output; then the mixin adds output_adapters.
    slots: ['q', 'k', 'v', 'mh_adapter', 'prefix_gate', 'intermediate', 'output', 'output_adapter'],
  },
  // tokenization_albert.py: AlbertTokenizer's defaults; the mask token is AddedToken("[MASK]", lstrip=True).
  specialTokens: {
    bos_token: specialToken('[CLS]'), eos_token: specialToken('[SEP]'), unk_token: specialToken('<unk>'), sep_token: specialToken('[SEP]'),
    pad_token: specialToken('<pad>'), cls_token: specialToken('[CLS]'), mask_token: specialToken('[MASK]', true),
  },
  sequenceClassifier: {
    layouts: [
      { layers: 2, activation: 'tanh', usePooler: false, first: 'albert.pooler', last: 'classifier', extraModules: ['pooler'] },
      { layers: 1, usePooler: true, last: 'classifier', extraModules: [] },
    ],
    description: 'a 2-layer tanh head on the first token (→ pooler + classifier) or a 1-layer head on the pooler output (→ classifier)',
  },
};
