/**
 * DeBERTa v1 exports: every method round-trips through the AdapterHub folder (safetensors, .bin, zip; re-export
 * byte-identical) with DebertaAdapterModel in adapter_config.json; PEFT takes LoRA / (IA)³ on intermediate / output
 * and the ContextPooler head (pooler.dense + classifier), and refuses anything on the fused in_proj with the reason.
 * Module paths as the adapters library's models/deberta/mixin_deberta.py and head_utils.py name them.
 */
import { describe, expect, it } from 'vitest';
import { createAdapter } from '../adapters/adapter.ts';
import { resolveAdapterConfig } from '../adapters/config.ts';
import { parseEncoderConfig } from '../model/config.ts';
import { ADAPTERHUB_FILE, adapterHubFiles } from './adapterhub.ts';
import { headOptionsFromConfig, importAdapter, importedStateDict } from './import.ts';
import { PEFT_FILE, peftFiles, peftSupport } from './peft.ts';
import { METHODS, type MethodName, TRAINING, expectSameAdapter, expectSameTensors, randomExport } from './test-support.ts';
import { unzipAdapterFiles, zipAdapterFiles } from './zip.ts';

const encoder = parseEncoderConfig({
  model_type: 'deberta', hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 24, max_position_embeddings: 40, vocab_size: 50,
  relative_attention: true, pos_att_type: 'c2p|p2c', position_biased_input: false,
}, 'acme/deberta-small');

const text = (files: Map<string, Uint8Array>, name: string) => JSON.parse(new TextDecoder().decode(files.get(name)!)) as Record<string, unknown>;

describe('DeBERTa v1 → AdapterHub folder → import', () => {
  it.each(Object.keys(METHODS) as MethodName[])('%s: same config, tensors, head and training from safetensors, .bin and zip; re-export identical; loaded strictly', (method) => {
    const exp = randomExport(encoder, METHODS[method], { labels: ['bad', 'ok', 'good'], training: TRAINING, seed: 11 });
    const files = adapterHubFiles(exp);
    expect(text(files, ADAPTERHUB_FILE.config)).toMatchObject({ model_class: 'DebertaAdapterModel', model_type: 'deberta', model_name: 'acme/deberta-small', hidden_size: 16 });
    const binOnly = new Map([...files].filter(([name]) => name !== ADAPTERHUB_FILE.safeWeights && name !== ADAPTERHUB_FILE.safeHeadWeights));
    for (const source of [files, binOnly, unzipAdapterFiles(zipAdapterFiles(files), 'export.zip')]) expectSameAdapter(importAdapter(source, { encoder }), exp);
    const imported = importAdapter(files, { encoder });
    for (const [name, bytes] of adapterHubFiles(imported)) expect(Buffer.from(bytes).equals(Buffer.from(files.get(name)!)), name).toBe(true);
    // The adapters module takes the imported state dict strictly (LoRAMergedLinear's shapes included).
    const adapter = createAdapter(encoder, resolveAdapterConfig(imported.adapterConfig), { name: imported.name, head: headOptionsFromConfig(imported.head!.config) });
    try {
      expect(adapter.loadAdapterStateDict(importedStateDict(imported))).toEqual({ missing: [], unexpected: [] });
      expectSameTensors(adapter.adapterStateDict(), exp.adapterTensors);
    } finally {
      adapter.dispose();
    }
  });

  it('keeps LoRA on in_proj as LoRAMergedLinear does (one module, lora_A [r·2, H] and lora_B [2·H, r] for q and v)', () => {
    const exp = randomExport(encoder, METHODS.lora);
    expect([...exp.adapterTensors].filter(([k]) => k.includes('layer.1.')).map(([k, t]) => `${k} [${t.shape.join(', ')}]`)).toEqual([
      'deberta.encoder.layer.1.attention.self.in_proj.loras.sst2.lora_A [8, 16]',
      'deberta.encoder.layer.1.attention.self.in_proj.loras.sst2.lora_B [32, 4]',
    ]);
  });
});

describe('DeBERTa v1 and PEFT', () => {
  it('refuses LoRA and (IA)³ on the fused in_proj, saying why', () => {
    for (const spec of ['lora[r=4,alpha=8]', 'ia3']) {
      const support = peftSupport(resolveAdapterConfig(spec), { modelType: 'deberta' });
      expect(support.ok).toBe(false);
      expect(!support.ok && support.reason).toMatch(/^Deberta's attention\.self\.in_proj is one fused q\/k\/v Linear: the adapters library's LoRAMergedLinear keeps one .* per enabled third of its output/);
      expect(() => peftFiles(randomExport(encoder, spec))).toThrow(/cannot be exported for PEFT: Deberta's attention\.self\.in_proj is one fused/);
    }
  });

  it.each([
    ['lora[r=2,alpha=4,selfattn_lora=False,intermediate_lora=True,output_lora=True]'],
    ['ia3[selfattn_lora=False]'],
  ])('%s with the ContextPooler head: PEFT files for DebertaForSequenceClassification, and back', (spec) => {
    // head_utils.py's DebertaForSequenceClassification: [None, "pooler.dense", None, None, "classifier"] with gelu.
    const exp = randomExport(encoder, spec, { headOptions: { numLabels: 2, id2label: ['neg', 'pos'], activationFunction: 'gelu' }, name: 'sst2' });
    expect(peftSupport(resolveAdapterConfig(spec), { modelType: 'deberta', head: { ...exp.head!.config, activation_function: 'tanh' } }).ok).toBe(false);
    const files = peftFiles(exp);
    const config = text(files, PEFT_FILE.config);
    expect(config.modules_to_save).toEqual(['pooler', 'classifier', 'score']);
    expect(config.task_type).toBe('SEQ_CLS');
    expect(config.target_modules).toEqual(spec.startsWith('lora') ? ['layer.0.intermediate.dense', 'layer.0.output.dense', 'layer.1.intermediate.dense', 'layer.1.output.dense'] : ['intermediate.dense']);
    const imported = importAdapter(files, { encoder, name: 'sst2', source: 'peft' });
    expect(imported.adapterConfig).toEqual(exp.adapterConfig);
    for (const [key, t] of exp.adapterTensors) expect(Array.from(imported.adapterTensors.get(key)!.data), key).toEqual(Array.from(t.data));
    for (const [key, t] of exp.head!.tensors) expect(Array.from(imported.head!.tensors.get(key)!.data), key).toEqual(Array.from(t.data));
  });
});
