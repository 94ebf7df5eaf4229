/**
 * RoBERTa (modeling_roberta.py) and the model types that reuse its modules under the "roberta" prefix with
 * another tokenizer: XLM-RoBERTa and CamemBERT. Positions start after the padding id.
 */
import { BERT_INSERTION_POINTS, readBertLikeConfig, specialToken, unsharedLayers } from './bert.ts';
import type { EncoderFamilyDefinition } from './types.ts';

export const roberta: EncoderFamilyDefinition = {
  modelTypes: {
    roberta: {
      architecturePrefix: 'Roberta',
      tokenizerClass: 'RobertaTokenizer',
      slowTokenizer: 'byte-level-bpe',
      adapterModel: { adapterModelClass: 'RobertaAdapterModel', baseModelClass: 'RobertaModel', transformersModule: 'transformers.models.roberta.modeling_roberta' },
    },
    'xlm-roberta': {
      architecturePrefix: 'XLMRoberta',
      tokenizerClass: 'XLMRobertaTokenizer',
      slowTokenizer: 'xlm-roberta',
      adapterModel: { adapterModelClass: 'XLMRobertaAdapterModel', baseModelClass: 'XLMRobertaModel', transformersModule: 'transformers.models.xlm_roberta.modeling_xlm_roberta' },
    },
    // The adapters library has no CamembertAdapterModel.
    camembert: { architecturePrefix: 'Camembert', tokenizerClass: 'CamembertTokenizer', slowTokenizer: 'camembert', adapterModel: null },
  },
  weightPrefix: 'roberta',
  readConfig: (c, repoId) => {
    const fields = readBertLikeConfig(c, repoId, { hiddenSize: 768, numHeads: 12, intermediateSize: 3072, padTokenId: 1 });
    // create_position_ids_from_input_ids: the first real token gets position padding_idx + 1.
    return { ...fields, positionOffset: fields.padTokenId + 1 };
  },
  checkpointRenames: [],
  layerModules: unsharedLayers('encoder.layer'),
  alwaysProjectsEmbeddings: false,
  checkpointMayHavePooler: true,
  // RobertaModel is built with add_pooling_layer=True, though RoBERTa checkpoints rarely hold one.
  adapterModelHasPooler: true,
  headDropout: 0.1,
  adapterInsertionPoints: BERT_INSERTION_POINTS,
  // RoBERTa, XLM-R and CamemBERT wrap a string mask token as AddedToken(mask, lstrip=True).
  specialTokens: {
    bos_token: specialToken('<s>'), eos_token: specialToken('</s>'), sep_token: specialToken('</s>'), cls_token: specialToken('<s>'),
    unk_token: specialToken('<unk>'), pad_token: specialToken('<pad>'), mask_token: specialToken('<mask>', true),
  },
  sequenceClassifier: {
    layouts: [{ layers: 2, activation: 'tanh', usePooler: false, first: 'classifier.dense', last: 'classifier.out_proj', extraModules: [] }],
    description: 'a 2-layer tanh head on the first token (→ classifier.dense + classifier.out_proj)',
  },
};
