/**
 * DeBERTa-v2 exports (kept out of ENCODERS, whose every family × method is pinned by export-bytes.golden.json):
 * AdapterHub folder round trips per method through safetensors, .bin and zip; the key names of the adapters
 * library's module tree (src/adapters/models/deberta_v2/mixin_deberta_v2.py: LoRALinear on query_proj /
 * key_proj / value_proj, PrefixTuningLayer in attention.self; models/__init__.py: DebertaV2Layer →
 * BertLayerAdaptersMixin for attention.output / output / intermediate.dense); DebertaV2AdapterModel; PEFT
 * target modules and DebertaV2ForSequenceClassification's pooler.dense + classifier head.
 */
import { describe, expect, it } from 'vitest';
import { createAdapter } from '../adapters/adapter.ts';
import { resolveAdapterConfig } from '../adapters/config.ts';
import { parseEncoderConfig } from '../model/config.ts';
import { ADAPTERHUB_FILE, adapterHubFiles } from './adapterhub.ts';
import { headOptionsFromConfig, importAdapter, importedStateDict } from './import.ts';
import { PEFT_FILE, peftFiles } from './peft.ts';
import { METHODS, type MethodName, TRAINING, expectSameAdapter, expectSameTensors, randomExport } from './test-support.ts';
import { unzipAdapterFiles, zipAdapterFiles } from './zip.ts';

const DEBERTA = parseEncoderConfig({
  model_type: 'deberta-v2', hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 24, max_position_embeddings: 40, vocab_size: 50,
  relative_attention: true, pos_att_type: ['p2c', 'c2p'], position_buckets: 8, share_att_key: true, norm_rel_ebd: 'layer_norm', position_biased_input: false,
}, 'acme/deberta-v3-small');
const text = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);

describe('DeBERTa-v2 export → import (AdapterHub folder)', () => {
  it.each(Object.keys(METHODS) as MethodName[])('%s: identical config, tensors, head and training record from safetensors, .bin and zip; the module loads it strictly', (method) => {
    const exp = randomExport(DEBERTA, METHODS[method], { labels: ['bad', 'ok', 'good'], training: TRAINING, seed: 13 });
    const files = adapterHubFiles(exp);
    expect(JSON.parse(text(files.get(ADAPTERHUB_FILE.config)))).toMatchObject({ model_class: 'DebertaV2AdapterModel', model_type: 'deberta-v2', hidden_size: 16 });
    const imported = importAdapter(files, { encoder: DEBERTA });
    expectSameAdapter(imported, exp);
    const binOnly = new Map([...files].filter(([name]) => name !== ADAPTERHUB_FILE.safeWeights && name !== ADAPTERHUB_FILE.safeHeadWeights));
    expectSameAdapter(importAdapter(binOnly, { encoder: DEBERTA }), exp);
    expectSameAdapter(importAdapter(unzipAdapterFiles(zipAdapterFiles(files), 'export.zip'), { encoder: DEBERTA }), exp);
    for (const [name, bytes] of adapterHubFiles(imported)) expect(Buffer.from(bytes).equals(Buffer.from(files.get(name)!)), name).toBe(true);
    const adapter = createAdapter(DEBERTA, resolveAdapterConfig(imported.adapterConfig), { name: imported.name, head: headOptionsFromConfig(imported.head!.config) });
    try {
      expect(adapter.loadAdapterStateDict(importedStateDict(imported))).toEqual({ missing: [], unexpected: [] });
      expectSameTensors(adapter.adapterStateDict(), exp.adapterTensors);
    } finally {
      adapter.dispose();
    }
  });

  it('names the library modules: deberta.encoder.layer.N.{attention.output,output}.adapters, attention.self.{query,value}_proj.loras', () => {
    const keys = (spec: string) => [...randomExport(DEBERTA, spec).adapterTensors.keys()];
    expect(keys('seq_bn[reduction_factor=4]')).toContain('deberta.encoder.layer.1.output.adapters.sst2.adapter_up.weight');
    expect(keys('double_seq_bn')).toContain('deberta.encoder.layer.0.attention.output.adapters.sst2.adapter_down.0.weight');
    expect(keys('lora').filter((k) => k.endsWith('lora_A'))).toEqual([
      'deberta.encoder.layer.0.attention.self.query_proj.loras.sst2.lora_A', 'deberta.encoder.layer.0.attention.self.value_proj.loras.sst2.lora_A',
      'deberta.encoder.layer.1.attention.self.query_proj.loras.sst2.lora_A', 'deberta.encoder.layer.1.attention.self.value_proj.loras.sst2.lora_A',
    ]);
    // Each layer's PrefixTuningLayer lists the pool again (prefix_tuning.py set_pool), then the pool itself follows.
    const prefixKeys = keys('prefix_tuning[prefix_length=3, bottleneck_size=5]');
    expect(prefixKeys[0]).toBe('deberta.encoder.layer.0.attention.self.prefix_tuning.pool.prefix_tunings.sst2.self_prefix.wte.weight');
    expect(prefixKeys).toContain('deberta.prefix_tuning.prefix_tunings.sst2.self_prefix.wte.weight');
    expect(keys('prompt_tuning')).toEqual(['deberta.prompt_tuning.prompt_tunings.sst2.prompt_embedding.weight']);
  });
});

describe('DeBERTa-v2 PEFT export', () => {
  it('LoRA: target_modules query_proj / value_proj; the head goes to DebertaV2ForSequenceClassification\'s pooler.dense + classifier', () => {
    const exp = randomExport(DEBERTA, 'lora[r=4,alpha=8]', { name: 'sst2', headOptions: { numLabels: 2, activationFunction: 'gelu' } });
    const files = peftFiles(exp);
    const config = JSON.parse(text(files.get(PEFT_FILE.config)));
    expect(config).toMatchObject({ peft_type: 'LORA', target_modules: ['query_proj', 'value_proj'], modules_to_save: expect.arrayContaining(['classifier', 'pooler']) });
    const imported = importAdapter(files, { encoder: DEBERTA, name: 'sst2', source: 'peft' });
    expect(imported.adapterConfig).toEqual(exp.adapterConfig);
    for (const [key, t] of exp.adapterTensors) expect(Array.from(imported.adapterTensors.get(key)!.data), key).toEqual(Array.from(t.data));
    for (const [key, t] of exp.head!.tensors) expect(Array.from(imported.head!.tensors.get(key)!.data), key).toEqual(Array.from(t.data));
    // The ContextPooler's gelu: a tanh head has no place in DebertaV2ForSequenceClassification.
    expect(() => peftFiles(randomExport(DEBERTA, 'lora', { headOptions: { numLabels: 2, activationFunction: 'tanh' } }))).toThrow(/pooler\.dense \+ classifier/);
  });

  it('(IA)³ on key_proj, value_proj and intermediate.dense, headless: auto_mapping DebertaV2Model', () => {
    const exp = randomExport(DEBERTA, 'ia3', { name: 'sst2' });
    const config = JSON.parse(text(peftFiles(exp).get(PEFT_FILE.config)));
    expect(config).toMatchObject({ peft_type: 'IA3', target_modules: ['intermediate.dense', 'key_proj', 'value_proj'], auto_mapping: { base_model_class: 'DebertaV2Model', parent_library: 'transformers.models.deberta_v2.modeling_deberta_v2' } });
    const imported = importAdapter(peftFiles(exp), { encoder: DEBERTA, name: 'sst2', source: 'peft' });
    for (const [key, t] of exp.adapterTensors) expect(Array.from(imported.adapterTensors.get(key)!.data), key).toEqual(Array.from(t.data));
  });
});
