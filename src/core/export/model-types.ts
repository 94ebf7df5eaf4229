/**
 * What the exporters need to know per base-model type, from the family registry (src/core/model/families/):
 * the `adapters` library's flex-head class, its base_model_prefix (the attribute holding the encoder in
 * models/<type>/adapter_model.py), and the transformers classes PEFT names.
 */
import type { EncoderFamily } from '../model/config.ts';
import { familyDefinition, modelTypeEntries } from '../model/families/index.ts';
import type { AdapterModelNames } from '../model/families/types.ts';
import { AdapterExportError } from './errors.ts';

export interface ModelTypeInfo extends AdapterModelNames {
  /** Which forward-pass and module layout applies. */
  family: EncoderFamily;
  /** base_model_prefix: the first part of every adapter key ("bert", "roberta"...). */
  basePrefix: string;
}

const MODEL_TYPES = new Map<string, ModelTypeInfo>(modelTypeEntries().flatMap(({ modelType, family, definition }) =>
  definition.adapterModel ? [[modelType, { family, ...definition.adapterModel, basePrefix: familyDefinition(family).weightPrefix }] as const] : []));

/** The model types an export can target. */
export const EXPORTABLE_MODEL_TYPES = [...MODEL_TYPES.keys()];

/** The info for `modelType`; throws AdapterExportError for types the `adapters` library has no AdapterModel for. */
export function modelTypeInfo(modelType: string): ModelTypeInfo {
  const info = MODEL_TYPES.get(modelType);
  if (!info) {
    throw new AdapterExportError(`The adapters library has no AdapterModel class for model type "${modelType}", so Python could not load the adapter; exportable model types: ${EXPORTABLE_MODEL_TYPES.join(', ')}.`);
  }
  return info;
}
