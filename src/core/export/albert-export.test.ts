// ALBERT exports. Key tables by hand from the adapters library's models/albert/mixin_albert.py (AlbertAttention:
// query/key/value LoRA, attention_adapters, prefix_tuning at location "self" + "_prefix"; AlbertLayer: ffn /
// ffn_output LoRA, output_adapters), model_mixin.py's iter_layers (modules numbered group by group) and
// models/albert/adapter_model.py (AlbertAdapterModel, base "albert"); PEFT's suffix matching (peft-format.md) on
// transformers' AlbertForSequenceClassification (albert.pooler, classifier). Export → import must give every method
// back bit for bit, and the adapters module must load it strictly.
import { describe, expect, it } from 'vitest';
import { createAdapter } from '../adapters/adapter.ts';
import { resolveAdapterConfig } from '../adapters/config.ts';
import { parseEncoderConfig } from '../model/config.ts';
import { readSafetensors } from '../model/safetensors.ts';
import { ADAPTERHUB_FILE, adapterHubFiles } from './adapterhub.ts';
import { headOptionsFromConfig, importAdapter, importedStateDict } from './import.ts';
import { PEFT_FILE, peftFiles, peftSupport } from './peft.ts';
import { METHODS, type MethodName, TRAINING, expectSameTensors, randomExport } from './test-support.ts';
import type { AdapterFiles } from './types.ts';
import { unzipAdapterFiles, zipAdapterFiles } from './zip.ts';

/** Hidden 16, intermediate 24, embeddings 8; 3 layers over 2 groups of 2 modules (4 layer modules). */
const ALBERT = parseEncoderConfig({
  model_type: 'albert', hidden_size: 16, embedding_size: 8, num_hidden_layers: 3, num_hidden_groups: 2, inner_group_num: 2,
  num_attention_heads: 4, intermediate_size: 24, max_position_embeddings: 40, vocab_size: 50,
}, 'acme/albert-small');
const N = 'sst2';
const H = 16;
const MODULES = [0, 1, 2, 3];
const layer = (m: number) => `albert.encoder.albert_layer_groups.${Math.floor(m / 2)}.albert_layers.${m % 2}`;
const text = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);

/** Expected adapter keys and shapes of each method on ALBERT. */
function expectedKeys(method: MethodName): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  const bottleneck = (location: string, d: number, extra: (p: string) => void = () => {}) => {
    for (const m of MODULES) {
      const p = `${layer(m)}.${location}.adapters.${N}`;
      Object.assign(out, { [`${p}.adapter_down.0.weight`]: [d, H], [`${p}.adapter_down.0.bias`]: [d], [`${p}.adapter_up.weight`]: [H, d], [`${p}.adapter_up.bias`]: [H] });
      extra(p);
    }
  };
  const lora = (module: string, inputs: number, outputs: number, r: number, gated = false) => {
    for (const m of MODULES) {
      const p = `${layer(m)}.${module}.loras.${N}`;
      Object.assign(out, { [`${p}.lora_A`]: [r, inputs], [`${p}.lora_B`]: [outputs, r] });
      if (gated) Object.assign(out, { [`${p}.gate.weight`]: [1, inputs], [`${p}.gate.bias`]: [1] });
    }
  };
  // The prefix pool serves the 4 modules: 4 · 2 · hidden outputs. Each module's PrefixTuningLayer holds the pool
  // (prefix_tuning.py set_pool), so save_adapter writes it again under every module.
  const prefix = (length: number, width: number) => {
    for (const p of [...MODULES.map((m) => `${layer(m)}.attention.prefix_tuning.pool.prefix_tunings.${N}.self_prefix`), `albert.prefix_tuning.prefix_tunings.${N}.self_prefix`]) {
      Object.assign(out, {
        [`${p}.wte.weight`]: [length, H], [`${p}.control_trans.0.weight`]: [width, H], [`${p}.control_trans.0.bias`]: [width],
        [`${p}.control_trans.2.weight`]: [4 * 2 * H, width], [`${p}.control_trans.2.bias`]: [4 * 2 * H],
      });
    }
  };
  switch (method) {
    case 'seq_bn': bottleneck('output_adapters', 4); break;
    case 'double_seq_bn': bottleneck('attention.attention_adapters', 2); bottleneck('output_adapters', 2); break;
    case 'par_bn': bottleneck('output_adapters', 8); break;
    case 'scaled_par_bn': bottleneck('output_adapters', 8, (p) => { out[`${p}.scaling`] = [1]; }); break;
    case 'compacter':
      for (const location of ['attention.attention_adapters', 'output_adapters']) {
        for (const m of MODULES) {
          const p = `${layer(m)}.${location}.adapters.${N}`;
          Object.assign(out, {
            [`${p}.adapter_down.0.W_left`]: [4, 4, 1], [`${p}.adapter_down.0.W_right`]: [4, 1, 2], [`${p}.adapter_down.0.b`]: [8],
            [`${p}.adapter_up.W_left`]: [4, 2, 1], [`${p}.adapter_up.W_right`]: [4, 1, 4], [`${p}.adapter_up.b`]: [16],
          });
        }
      }
      out[`albert.shared_parameters.${N}.phm_rule`] = [4, 4, 4];
      break;
    case 'lora': lora('attention.query', H, H, 4); lora('attention.value', H, H, 4); break;
    case 'ia3':
      for (const m of MODULES) {
        Object.assign(out, {
          [`${layer(m)}.attention.key.loras.${N}.lora_B`]: [H, 1], [`${layer(m)}.attention.value.loras.${N}.lora_B`]: [H, 1], [`${layer(m)}.ffn.loras.${N}.lora_B`]: [24, 1],
        });
      }
      break;
    case 'prefix_tuning': prefix(3, 5); break;
    case 'prefix_tuning_flat':
      for (const m of MODULES) out[`${layer(m)}.attention.prefix_tuning.pool.prefix_tunings.${N}.self_prefix.control_trans`] = [3 * 4 * 2 * H];
      out[`albert.prefix_tuning.prefix_tunings.${N}.self_prefix.control_trans`] = [3 * 4 * 2 * H];
      break;
    case 'prompt_tuning': out[`albert.prompt_tuning.prompt_tunings.${N}.prompt_embedding.weight`] = [4, 8]; break;
    case 'union': prefix(2, 6); bottleneck('output_adapters', 4); break;
    case 'unipelt':
      prefix(10, 512);
      for (const m of MODULES) Object.assign(out, { [`${layer(m)}.attention.prefix_tuning.prefix_gates.${N}.weight`]: [1, H], [`${layer(m)}.attention.prefix_tuning.prefix_gates.${N}.bias`]: [1] });
      bottleneck('output_adapters', 1, (p) => { Object.assign(out, { [`${p}.gate.weight`]: [1, H], [`${p}.gate.bias`]: [1] }); });
      lora('attention.query', H, H, 8, true);
      lora('attention.value', H, H, 8, true);
      break;
  }
  return out;
}

const without = (files: AdapterFiles, ...names: string[]) => new Map([...files].filter(([name]) => !names.includes(name)));

describe('ALBERT AdapterHub export', () => {
  it.each(Object.keys(METHODS) as MethodName[])('%s: the library\'s keys on the 4 shared modules; back bit for bit from safetensors, .bin and zip; loaded strictly', (method) => {
    const exp = randomExport(ALBERT, METHODS[method], { labels: ['bad', 'ok', 'good'], training: TRAINING, seed: 13 });
    const files = adapterHubFiles(exp);
    const shapes = Object.fromEntries([...readSafetensors(files.get(ADAPTERHUB_FILE.safeWeights)!, 'adapter.safetensors')].map(([k, t]) => [k, t.shape]));
    expect(shapes).toEqual(expectedKeys(method));
    const config = JSON.parse(text(files.get(ADAPTERHUB_FILE.config)));
    expect([config.model_class, config.model_type, config.hidden_size]).toEqual(['AlbertAdapterModel', 'albert', 16]);

    for (const source of [files, without(files, ADAPTERHUB_FILE.safeWeights, ADAPTERHUB_FILE.safeHeadWeights), unzipAdapterFiles(zipAdapterFiles(files), 'export.zip')]) {
      const imported = importAdapter(source, { encoder: ALBERT });
      expect(imported.adapterConfig).toEqual(resolveAdapterConfig(exp.adapterConfig));
      expectSameTensors(imported.adapterTensors, exp.adapterTensors);
      expectSameTensors(imported.head!.tensors, exp.head!.tensors);
      expect(imported.training).toEqual(TRAINING);
    }
    const imported = importAdapter(files, { encoder: ALBERT });
    for (const [name, bytes] of adapterHubFiles(imported)) expect(Buffer.from(bytes).equals(Buffer.from(files.get(name)!)), name).toBe(true);
    const adapter = createAdapter(ALBERT, resolveAdapterConfig(imported.adapterConfig), { name: imported.name, head: headOptionsFromConfig(imported.head!.config) });
    try {
      expect(adapter.loadAdapterStateDict(importedStateDict(imported))).toEqual({ missing: [], unexpected: [] });
      expectSameTensors(adapter.adapterStateDict(), exp.adapterTensors);
    } finally {
      adapter.dispose();
    }
  });
});

describe('ALBERT PEFT export', () => {
  const config = (files: AdapterFiles) => JSON.parse(text(files.get(PEFT_FILE.config)));
  const keys = (files: AdapterFiles) => [...readSafetensors(files.get(PEFT_FILE.weights)!, 'adapter_model.safetensors').keys()].sort();

  it('LoRA: PEFT\'s short names query / value, the albert_layer_groups keys, the 2-layer head as albert.pooler + classifier', () => {
    const exp = randomExport(ALBERT, 'lora[r=4,alpha=8]', { labels: ['bad', 'ok', 'good'] });
    const files = peftFiles(exp);
    expect(config(files)).toMatchObject({ target_modules: ['query', 'value'], modules_to_save: ['pooler', 'classifier', 'score'], task_type: 'SEQ_CLS', r: 4 });
    expect(keys(files)).toEqual([
      ...MODULES.flatMap((m) => ['query', 'value'].flatMap((t) => ['A', 'B'].map((p) => `base_model.model.${layer(m)}.attention.${t}.lora_${p}.weight`))),
      'base_model.model.albert.pooler.bias', 'base_model.model.albert.pooler.weight', 'base_model.model.classifier.bias', 'base_model.model.classifier.weight',
    ].sort());
    const back = importAdapter(files, { encoder: ALBERT, name: N });
    expect(back.sourceFormat).toBe('peft');
    expectSameTensors(back.adapterTensors, exp.adapterTensors);
    expectSameTensors(back.head!.tensors, exp.head!.tensors);
  });

  it('LoRA with leave_out: one "albert_layer_groups.G.albert_layers.J.…" suffix per module, read back with the same leave_out', () => {
    const exp = randomExport(ALBERT, "lora[r=2, leave_out=[1, 2], intermediate_lora=True, output_lora=True]");
    const files = peftFiles(exp);
    const targets = [0, 3].flatMap((m) => ['attention.query', 'attention.value', 'ffn', 'ffn_output'].map((t) => `albert_layer_groups.${Math.floor(m / 2)}.albert_layers.${m % 2}.${t}`));
    expect(config(files).target_modules).toEqual(targets.sort());
    // No head: PEFT wraps the bare AlbertModel, so the keys drop "albert.".
    expect(keys(files)[0]).toBe('base_model.model.encoder.albert_layer_groups.0.albert_layers.0.attention.query.lora_A.weight');
    const back = importAdapter(files, { encoder: ALBERT, name: N });
    expect(resolveAdapterConfig(back.adapterConfig)).toMatchObject({ leave_out: [1, 2], intermediate_lora: true, output_lora: true });
    expectSameTensors(back.adapterTensors, exp.adapterTensors);
  });

  it('(IA)³ on key, value and ffn; a 1-layer head on the pooler output is the classifier alone', () => {
    const files = peftFiles(randomExport(ALBERT, 'ia3', { headOptions: { numLabels: 2, layers: 1, usePooler: true } }));
    expect(config(files)).toMatchObject({ peft_type: 'IA3', target_modules: ['ffn', 'key', 'value'], modules_to_save: ['classifier', 'score'] });
    expect(keys(files).filter((k) => !k.includes('.ia3_l'))).toEqual(['base_model.model.classifier.bias', 'base_model.model.classifier.weight']);
    expect(peftSupport({ architecture: 'lora' }, { modelType: 'albert', head: { head_type: 'classification', layers: 2, activation_function: 'relu', use_pooler: false } }).ok).toBe(false);
  });
});
