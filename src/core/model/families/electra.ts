/** ELECTRA (modeling_electra.py): BERT's layers behind narrower embeddings and an embeddings_project Linear. */
import { BERT_INSERTION_POINTS, BERT_SPECIAL_TOKENS, readBertLikeConfig, unsharedLayers } from './bert.ts';
import { int } from './config-fields.ts';
import type { EncoderFamilyDefinition } from './types.ts';

export const electra: EncoderFamilyDefinition = {
  modelTypes: {
    electra: {
      architecturePrefix: 'Electra',
      tokenizerClass: 'ElectraTokenizer',
      slowTokenizer: 'wordpiece',
      adapterModel: { adapterModelClass: 'ElectraAdapterModel', baseModelClass: 'ElectraModel', transformersModule: 'transformers.models.electra.modeling_electra' },
    },
  },
  weightPrefix: 'electra',
  readConfig: (c, repoId) => ({
    ...readBertLikeConfig(c, repoId, { hiddenSize: 256, numHeads: 4, intermediateSize: 1024, padTokenId: 0 }),
    embeddingSize: int(c, 'embedding_size', 128, repoId),
  }),
  checkpointRenames: [],
  layerModules: unsharedLayers('encoder.layer'),
  alwaysProjectsEmbeddings: false,
  checkpointMayHavePooler: true,
  // ElectraModel has no pooler.
  adapterModelHasPooler: false,
  headDropout: 0.1,
  adapterInsertionPoints: BERT_INSERTION_POINTS,
  specialTokens: BERT_SPECIAL_TOKENS,
  sequenceClassifier: {
    layouts: [{ layers: 2, activation: 'gelu', usePooler: false, first: 'classifier.dense', last: 'classifier.out_proj', extraModules: [] }],
    description: 'a 2-layer gelu head on the first token (→ classifier.dense + classifier.out_proj)',
  },
};
