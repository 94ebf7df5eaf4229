import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXPORTABLE_MODEL_TYPES, modelTypeInfo } from '../../export/model-types.ts';
import { inferModelType, parseEncoderConfig } from '../config.ts';
import { type EncoderFamily, SUPPORTED_MODEL_TYPES, familyDefinition, modelTypeEntries } from './index.ts';

/** model type → AdapterModel class, from the adapters library's own table (testdata/real/README.md). */
function adapterModelMapping(): Map<string, string> {
  const source = readFileSync(new URL('./testdata/real/adapter_model.py', import.meta.url), 'utf8');
  const table = /ADAPTER_MODEL_MAPPING_NAMES = OrderedDict\(\s*\[([\s\S]*?)\]\s*\)/.exec(source);
  if (!table) throw new Error('ADAPTER_MODEL_MAPPING_NAMES not found in adapter_model.py');
  return new Map([...table[1].matchAll(/\("([^"]+)",\s*"([^"]+)"\)/g)].map((m) => [m[1], m[2]]));
}

describe('encoder family registry', () => {
  it('names the AdapterModel class the adapters library maps each model type to, and none where it has none', () => {
    const mapping = adapterModelMapping();
    expect(mapping.size).toBeGreaterThan(20);
    for (const { modelType, definition } of modelTypeEntries()) {
      expect([modelType, definition.adapterModel?.adapterModelClass]).toEqual([modelType, mapping.get(modelType)]);
    }
    expect(EXPORTABLE_MODEL_TYPES).toEqual(SUPPORTED_MODEL_TYPES.filter((t) => mapping.has(t)));
    expect(SUPPORTED_MODEL_TYPES).toEqual(['bert', 'roberta', 'xlm-roberta', 'camembert', 'distilbert', 'electra', 'deberta-v2', 'albert', 'deberta']);
  });

  it('reads every model type into its family, with the family prefix as the exporters\' base_model_prefix', () => {
    for (const { modelType, family } of modelTypeEntries()) {
      const config = parseEncoderConfig({ model_type: modelType }, `acme/${modelType}`);
      expect([modelType, config.family, config.weightPrefix]).toEqual([modelType, family, familyDefinition(family).weightPrefix]);
      if (EXPORTABLE_MODEL_TYPES.includes(modelType)) expect(modelTypeInfo(modelType).basePrefix).toBe(config.weightPrefix);
    }
  });

  it('infers each model type from its transformers class names, and only from its own', () => {
    for (const { modelType, definition } of modelTypeEntries()) {
      for (const suffix of ['Model', 'ForMaskedLM', 'ForSequenceClassification']) {
        expect(inferModelType({ architectures: [`${definition.architecturePrefix}${suffix}`] }, 'acme/x')).toMatchObject({ modelType, from: 'architectures' });
      }
    }
    expect(inferModelType({ architectures: ['MobileBertModel'] }, 'acme/x')).toHaveProperty('unsupported');
  });

  it('throws, naming the registry, for a family outside it', () => {
    expect(() => familyDefinition('gpt2' as EncoderFamily)).toThrow(/"gpt2" is not one of bert, roberta, distilbert, electra, deberta-v2/);
  });
});
