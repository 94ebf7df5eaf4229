/**
 * The tagging head's files as the adapters library writes them (save_head after add_tagging_head): head_config.json's
 * config {activation_function, dropout_prob, head_type "tagging", label2id, layers 1, num_labels}, heads.NAME.1.{weight,bias}
 * in pytorch_model_head.bin (read back by real torch) and model_head.safetensors; the folder imports back into the
 * same head; PEFT's TOKEN_CLS form (classifier in modules_to_save) both ways; the card's snippet reads a tag per token.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planHead } from '../../adapters/head.ts';
import { ADAPTERHUB_FILE, adapterHubFiles } from '../../export/adapterhub.ts';
import { headOptionsFromConfig, importAdapter } from '../../export/import.ts';
import { PEFT_FILE, peftFiles, peftSupport } from '../../export/peft.ts';
import { readSafetensors } from '../../model/safetensors.ts';
import { ENCODERS, expectSameTensors, findTorchPython, randomExport, runPython } from '../../export/test-support.ts';

const TAGS = ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC'];
const encoder = ENCODERS.bert;
const headOptions = { kind: 'tagging' as const, numLabels: TAGS.length, id2label: TAGS };
const exp = randomExport(encoder, 'seq_bn[reduction_factor=4]', { name: 'ner', headOptions });
const files = adapterHubFiles(exp);
const text = (name: string) => new TextDecoder().decode(files.get(name));

describe('tagging head files', () => {
  it('writes head_config.json as save_head does for add_tagging_head', () => {
    const head = JSON.parse(text(ADAPTERHUB_FILE.headConfig));
    expect(head.config).toEqual({ activation_function: 'tanh', dropout_prob: null, head_type: 'tagging', label2id: { O: 0, 'B-PER': 1, 'I-PER': 2, 'B-LOC': 3, 'I-LOC': 4 }, layers: 1, num_labels: 5 });
    expect(Object.keys(head.config)).toEqual(['activation_function', 'dropout_prob', 'head_type', 'label2id', 'layers', 'num_labels']);
    const weights = readSafetensors(files.get(ADAPTERHUB_FILE.safeHeadWeights)!, 'model_head.safetensors');
    expect([...weights.keys()]).toEqual(['heads.ner.1.bias', 'heads.ner.1.weight']);
    expect(weights.get('heads.ner.1.weight')!.shape).toEqual([5, encoder.hiddenSize]);
  });

  it('imports back into the same head and weights, and the config into the same plan', () => {
    const imported = importAdapter(files, { encoder });
    expect(imported.head?.config).toEqual(exp.head!.config);
    expectSameTensors(imported.head!.tensors, exp.head!.tensors);
    const plan = planHead(encoder, 'ner', headOptionsFromConfig(imported.head!.config));
    expect(plan).toMatchObject({ kind: 'tagging', id2label: TAGS, config: exp.head!.config });
    expect([...imported.head!.tensors.keys()]).toEqual(plan.params.map((p) => p.key));
  });

  it('goes to PEFT as TOKEN_CLS with classifier (LoRA, IA3), and reads back into the same head (label names as LABEL_i)', () => {
    const lora = randomExport(encoder, 'lora', { name: 'ner', headOptions });
    expect(peftSupport(lora.adapterConfig, { modelType: encoder.modelType, head: lora.head!.config })).toEqual({ ok: true, peftType: 'LORA' });
    const peft = peftFiles(lora);
    const config = JSON.parse(new TextDecoder().decode(peft.get(PEFT_FILE.config)));
    expect(config).toMatchObject({ task_type: 'TOKEN_CLS', modules_to_save: ['classifier', 'score'], peft_type: 'LORA' });
    const stored = readSafetensors(peft.get(PEFT_FILE.weights)!, 'adapter_model.safetensors');
    expect([...stored.keys()].filter((k) => !k.includes('lora_')).sort()).toEqual(['base_model.model.classifier.bias', 'base_model.model.classifier.weight']);
    expect([...stored.get('base_model.model.classifier.weight')!.toFloat32()]).toEqual([...lora.head!.tensors.get('heads.ner.1.weight')!.data]);
    const card = new TextDecoder().decode(peft.get(PEFT_FILE.card));
    expect(card).toContain('base = AutoModelForTokenClassification.from_pretrained(');
    expect(card).toContain('id2label={0: "O", 1: "B-PER", 2: "I-PER", 3: "B-LOC", 4: "I-LOC"}');
    const back = importAdapter(peft, { encoder, name: 'ner' });
    expect(back.head?.config).toEqual({ ...lora.head!.config, label2id: Object.fromEntries(TAGS.map((_, i) => [`LABEL_${i}`, i])) });
    expectSameTensors(back.head!.tensors, lora.head!.tensors);
    const ia3 = randomExport(encoder, 'ia3', { name: 'ner', headOptions });
    expect(importAdapter(peftFiles(ia3), { encoder, name: 'ner' }).head?.config.head_type).toBe('tagging');
    // classifier is one Linear: a 2-layer tagging head has no PEFT form.
    const deep = randomExport(encoder, 'lora', { name: 'ner', headOptions: { ...headOptions, layers: 2 } });
    expect(peftSupport(deep.adapterConfig, { modelType: encoder.modelType, head: deep.head!.config })).toMatchObject({ ok: false, reason: expect.stringMatching(/classifier is one Linear\(hidden, num_labels\)/) });
  });

  it('has a card that names the tagging head and reads a tag per token', () => {
    expect(text(ADAPTERHUB_FILE.card)).toContain('with a tagging head (labels: O, B-PER, I-PER, B-LOC, I-LOC)');
    expect(text(ADAPTERHUB_FILE.card)).toContain('print(model(**inputs).logits.argmax(-1)[0].tolist())  # a tag id per token');
  });

  const python = findTorchPython();
  it.skipIf(!python)('pytorch_model_head.bin loads with torch.load(weights_only=True) with the same values', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tag-head-'));
    try {
      writeFileSync(join(dir, 'head.bin'), files.get(ADAPTERHUB_FILE.headWeights)!);
      const got = runPython<Record<string, { shape: number[]; data: number[] }>>(python!, [
        'import json, sys, torch',
        'state = torch.load(sys.argv[1], weights_only=True)',
        'print(json.dumps({k: {"shape": list(v.shape), "data": v.flatten().tolist()} for k, v in state.items()}))',
      ].join('\n'), [join(dir, 'head.bin')]);
      expect(Object.keys(got)).toEqual(['heads.ner.1.weight', 'heads.ner.1.bias']);
      for (const [key, t] of exp.head!.tensors) {
        expect(got[key].shape).toEqual(t.shape);
        got[key].data.forEach((v, i) => expect(v).toBe(Math.fround(t.data[i])));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
