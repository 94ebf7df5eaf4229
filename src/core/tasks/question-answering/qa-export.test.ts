/**
 * The QA head's files as the adapters library writes them (save_head after add_qa_head): head_config.json's config
 * {activation_function, dropout_prob, head_type "question_answering", label2id null, layers 1, num_labels 2},
 * heads.NAME.1.{weight,bias} in pytorch_model_head.bin (read back by real torch) and model_head.safetensors; the
 * folder imports back into the same head; PEFT's QUESTION_ANS form (qa_outputs) both ways; the card shows how to get the span.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planHead } from '../../adapters/head.ts';
import { ADAPTERHUB_FILE, adapterHubFiles } from '../../export/adapterhub.ts';
import { importAdapter } from '../../export/import.ts';
import { PEFT_FILE, peftFiles, peftSupport } from '../../export/peft.ts';
import { readSafetensors } from '../../model/safetensors.ts';
import { ENCODERS, expectSameTensors, findTorchPython, randomExport, runPython } from '../../export/test-support.ts';

const encoder = ENCODERS.bert;
const exp = randomExport(encoder, 'seq_bn[reduction_factor=4]', { name: 'squad', headOptions: { kind: 'questionAnswering' } });
const files = adapterHubFiles(exp);
const text = (name: string) => new TextDecoder().decode(files.get(name));

describe('question-answering head files', () => {
  it('writes head_config.json as save_head does for add_qa_head', () => {
    const head = JSON.parse(text(ADAPTERHUB_FILE.headConfig));
    expect(head.config).toEqual({ activation_function: 'tanh', dropout_prob: null, head_type: 'question_answering', label2id: null, layers: 1, num_labels: 2 });
    expect(text(ADAPTERHUB_FILE.headConfig)).toContain('"label2id": null,\n    "layers": 1,');
    expect(Object.keys(head.config)).toEqual(['activation_function', 'dropout_prob', 'head_type', 'label2id', 'layers', 'num_labels']);
  });

  it('imports back into the same head and weights', () => {
    const imported = importAdapter(files, { encoder });
    expect(imported.head?.config).toEqual(exp.head!.config);
    expectSameTensors(imported.head!.tensors, exp.head!.tensors);
    // The options rebuild the plan the export came from.
    const plan = planHead(encoder, 'squad', { kind: 'questionAnswering' });
    expect([...imported.head!.tensors.keys()]).toEqual(plan.params.map((p) => p.key));
  });

  it('goes to PEFT as QUESTION_ANS with qa_outputs (LoRA, IA3), and reads back into the same head', () => {
    const lora = randomExport(encoder, 'lora', { name: 'squad', headOptions: { kind: 'questionAnswering' } });
    expect(peftSupport(lora.adapterConfig, { modelType: encoder.modelType, head: lora.head!.config })).toEqual({ ok: true, peftType: 'LORA' });
    const peft = peftFiles(lora);
    const config = JSON.parse(new TextDecoder().decode(peft.get(PEFT_FILE.config)));
    expect(config).toMatchObject({ task_type: 'QUESTION_ANS', modules_to_save: ['qa_outputs'], peft_type: 'LORA' });
    const stored = readSafetensors(peft.get(PEFT_FILE.weights)!, 'adapter_model.safetensors');
    expect([...stored.keys()].filter((k) => !k.includes('lora_')).sort()).toEqual(['base_model.model.qa_outputs.bias', 'base_model.model.qa_outputs.weight']);
    expect([...stored.get('base_model.model.qa_outputs.weight')!.toFloat32()]).toEqual([...lora.head!.tensors.get('heads.squad.1.weight')!.data]);
    expect(new TextDecoder().decode(peft.get(PEFT_FILE.card))).toContain('base = AutoModelForQuestionAnswering.from_pretrained(');
    const back = importAdapter(peft, { encoder, name: 'squad' });
    expect(back.head?.config).toEqual(lora.head!.config);
    expectSameTensors(back.head!.tensors, lora.head!.tensors);
    const ia3 = randomExport(encoder, 'ia3', { name: 'squad', headOptions: { kind: 'questionAnswering' } });
    expect(importAdapter(peftFiles(ia3), { encoder, name: 'squad' }).head?.config.head_type).toBe('question_answering');
    // qa_outputs is one Linear: a 2-layer QA head has no PEFT form.
    const deep = randomExport(encoder, 'lora', { name: 'squad', headOptions: { kind: 'questionAnswering', layers: 2 } });
    expect(peftSupport(deep.adapterConfig, { modelType: encoder.modelType, head: deep.head!.config })).toMatchObject({ ok: false, reason: expect.stringMatching(/qa_outputs is one Linear/) });
  });

  it('has a card whose snippet reads start_logits / end_logits', () => {
    expect(text(ADAPTERHUB_FILE.card)).toContain('outputs.start_logits.argmax(-1).item(), outputs.end_logits.argmax(-1).item()');
    expect(text(ADAPTERHUB_FILE.card)).toContain('question answering head (start and end logits');
  });

  const python = findTorchPython();
  it.skipIf(!python)('pytorch_model_head.bin loads with torch.load(weights_only=True) with the same values', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qa-head-'));
    try {
      writeFileSync(join(dir, 'head.bin'), files.get(ADAPTERHUB_FILE.headWeights)!);
      const got = runPython<Record<string, { shape: number[]; data: number[] }>>(python!, [
        'import json, sys, torch',
        'state = torch.load(sys.argv[1], weights_only=True)',
        'print(json.dumps({k: {"shape": list(v.shape), "data": v.flatten().tolist()} for k, v in state.items()}))',
      ].join('\n'), [join(dir, 'head.bin')]);
      expect(Object.keys(got)).toEqual(['heads.squad.1.weight', 'heads.squad.1.bias']);
      for (const [key, t] of exp.head!.tensors) {
        expect(got[key].shape).toEqual(t.shape);
        got[key].data.forEach((v, i) => expect(v).toBe(Math.fround(t.data[i])));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
