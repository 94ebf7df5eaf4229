/**
 * What the exporters need to know per base-model type: the `adapters` library's flex-head class
 * (models/auto/adapter_model.py ADAPTER_MODEL_MAPPING_NAMES), its base_model_prefix (the attribute holding
 * the encoder in models/<type>/adapter_model.py), and the transformers classes PEFT names.
 */
import type { EncoderFamily } from '../model/config.ts';
import { AdapterExportError } from './errors.ts';

export interface ModelTypeInfo {
  /** Which forward-pass and module layout applies. */
  family: EncoderFamily;
  /** The library's AdapterModel class, written as "model_class" (head auto-restore compares it). */
  adapterModelClass: string;
  /** base_model_prefix: the first part of every adapter key ("bert", "roberta"...). */
  basePrefix: string;
  /** transformers' bare encoder class and its module (PEFT's auto_mapping when there is no head). */
  baseModelClass: string;
  transformersModule: string;
}

const MODEL_TYPES: Record<string, ModelTypeInfo> = {
  bert: { family: 'bert', adapterModelClass: 'BertAdapterModel', basePrefix: 'bert', baseModelClass: 'BertModel', transformersModule: 'transformers.models.bert.modeling_bert' },
  roberta: { family: 'roberta', adapterModelClass: 'RobertaAdapterModel', basePrefix: 'roberta', baseModelClass: 'RobertaModel', transformersModule: 'transformers.models.roberta.modeling_roberta' },
  'xlm-roberta': { family: 'roberta', adapterModelClass: 'XLMRobertaAdapterModel', basePrefix: 'roberta', baseModelClass: 'XLMRobertaModel', transformersModule: 'transformers.models.xlm_roberta.modeling_xlm_roberta' },
  distilbert: { family: 'distilbert', adapterModelClass: 'DistilBertAdapterModel', basePrefix: 'distilbert', baseModelClass: 'DistilBertModel', transformersModule: 'transformers.models.distilbert.modeling_distilbert' },
  electra: { family: 'electra', adapterModelClass: 'ElectraAdapterModel', basePrefix: 'electra', baseModelClass: 'ElectraModel', transformersModule: 'transformers.models.electra.modeling_electra' },
};

/** The model types an export can target. */
export const EXPORTABLE_MODEL_TYPES = Object.keys(MODEL_TYPES);

/** The info for `modelType`; throws AdapterExportError for types the `adapters` library has no AdapterModel for. */
export function modelTypeInfo(modelType: string): ModelTypeInfo {
  const info = MODEL_TYPES[modelType];
  if (!info) {
    throw new AdapterExportError(`The adapters library has no AdapterModel class for model type "${modelType}", so Python could not load the adapter; exportable model types: ${EXPORTABLE_MODEL_TYPES.join(', ')}.`);
  }
  return info;
}
