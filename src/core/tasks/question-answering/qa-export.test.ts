/**
 * The QA head's files as the adapters library writes them (save_head after add_qa_head): head_config.json's config
 * {activation_function, dropout_prob, head_type "question_answering", label2id null, layers 1, num_labels 2},
 * heads.NAME.1.{weight,bias} in pytorch_model_head.bin (read back by real torch) and model_head.safetensors; the
 * folder imports back into the same head; PEFT says why it does not take it; the card shows how to get the span.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planHead } from '../../adapters/head.ts';
import { ADAPTERHUB_FILE, adapterHubFiles } from '../../export/adapterhub.ts';
import { importAdapter } from '../../export/import.ts';
import { peftSupport } from '../../export/peft.ts';
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

  it('is refused by PEFT with the reason (the adapter method itself would be fine)', () => {
    const lora = randomExport(encoder, 'lora', { name: 'squad', headOptions: { kind: 'questionAnswering' } });
    expect(peftSupport(lora.adapterConfig, { modelType: encoder.modelType, head: lora.head!.config })).toMatchObject({ ok: false, reason: expect.stringMatching(/question_answering/) });
    expect(peftSupport(lora.adapterConfig, { modelType: encoder.modelType })).toMatchObject({ ok: true });
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
