/**
 * The multiple-choice head's files as the adapters library writes them (save_head after add_multiple_choice_head):
 * head_config.json's config {activation_function, dropout_prob, head_type "multiple_choice", label2id null, layers,
 * num_choices, use_pooler} (no num_labels: build() then makes the last Linear(H, 1)), heads.NAME.{1,4}.{weight,bias}
 * (read back by real torch where it is installed); the folder imports back into the same head; a head config
 * whose weights do not fit is refused; PEFT refuses it with the reason; the card shows how to rank choices.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planHead } from '../../adapters/head.ts';
import { ADAPTERHUB_FILE, adapterHubFiles } from '../../export/adapterhub.ts';
import { importAdapter } from '../../export/import.ts';
import { peftSupport } from '../../export/peft.ts';
import { ENCODERS, TRAINING, expectSameTensors, findTorchPython, randomExport, runPython } from '../../export/test-support.ts';

const encoder = ENCODERS.bert;
const H = encoder.hiddenSize;
const exp = randomExport(encoder, 'seq_bn[reduction_factor=4]', {
  name: 'swag',
  headOptions: { kind: 'multipleChoice', numChoices: 4 },
  training: { ...TRAINING, dataset: 'allenai/swag', config: 'regular', textColumns: ['sent1', 'sent2'], choiceColumns: ['ending0', 'ending1', 'ending2', 'ending3'], labelColumn: 'label', labelKind: 'classLabel', bestMetrics: { accuracy: 0.9, loss: 0.3 } },
});
const files = adapterHubFiles(exp);
const text = (name: string) => new TextDecoder().decode(files.get(name));

describe('multiple-choice head files', () => {
  it('writes head_config.json as save_head does for add_multiple_choice_head(num_choices=4)', () => {
    // json.dump(indent=2, sort_keys=True) of MultipleChoiceHead.config.
    expect(text(ADAPTERHUB_FILE.headConfig)).toContain([
      '  "config": {',
      '    "activation_function": "tanh",',
      '    "dropout_prob": null,',
      '    "head_type": "multiple_choice",',
      '    "label2id": null,',
      '    "layers": 2,',
      '    "num_choices": 4,',
      '    "use_pooler": false',
      '  },',
    ].join('\n'));
    expect([...exp.head!.tensors].map(([k, t]) => [k, t.shape])).toEqual([
      ['heads.swag.1.weight', [H, H]], ['heads.swag.1.bias', [H]], ['heads.swag.4.weight', [1, H]], ['heads.swag.4.bias', [1]],
    ]);
  });

  it('imports back into the same head and weights, and refuses weights that do not fit the config', () => {
    const imported = importAdapter(files, { encoder });
    expect(imported.head?.config).toEqual(exp.head!.config);
    expectSameTensors(imported.head!.tensors, exp.head!.tensors);
    expect(imported.training?.choiceColumns).toEqual(['ending0', 'ending1', 'ending2', 'ending3']);
    const plan = planHead(encoder, 'swag', { kind: 'multipleChoice', numChoices: 4 });
    expect([...imported.head!.tensors.keys()]).toEqual(plan.params.map((p) => p.key));
    // A classification head's weights (last Linear of 4 rows) under a multiple-choice config.
    const classifier = adapterHubFiles(randomExport(encoder, 'seq_bn[reduction_factor=4]', { name: 'swag', labels: ['a', 'b', 'c', 'd'] }));
    const mixed = new Map(files);
    mixed.set(ADAPTERHUB_FILE.headWeights, classifier.get(ADAPTERHUB_FILE.headWeights)!);
    mixed.delete(ADAPTERHUB_FILE.safeHeadWeights);
    expect(() => importAdapter(mixed, { encoder })).toThrow(/is a multiple-choice head \(one score per pair\), but the last layer's weight heads\.swag\.4\.weight has 4 rows/);
    const oneChoice = new Map(files);
    oneChoice.set(ADAPTERHUB_FILE.headConfig, new TextEncoder().encode(text(ADAPTERHUB_FILE.headConfig).replace('"num_choices": 4', '"num_choices": 1')));
    expect(() => importAdapter(oneChoice, { encoder })).toThrow(/num_choices = 1, not a whole number of at least 2/);
  });

  it('has no PEFT form: PEFT has no multiple-choice task type', () => {
    const lora = randomExport(encoder, 'lora', { name: 'swag', headOptions: { kind: 'multipleChoice', numChoices: 4 } });
    expect(peftSupport(lora.adapterConfig, { modelType: encoder.modelType, head: lora.head!.config })).toEqual({
      ok: false,
      reason: expect.stringMatching(/^PEFT has no multiple-choice task type .* Export for AdapterHub instead\.$/),
    });
  });

  it('has a card that ranks a context\'s choices and names the choice columns', () => {
    const card = text(ADAPTERHUB_FILE.card);
    expect(card).toContain('with a multiple choice head (4 choices: a score for each (context, choice) pair');
    expect(card).toContain('choices = ["ending 0", "ending 1", "ending 2", "ending 3"]  # num_choices = 4 endings');
    expect(card).toContain('logits = model(**{k: v.unsqueeze(0) for k, v in inputs.items()}).logits  # [1, num_choices]');
    expect(card).toContain('| Head | multiple choice, 4 choices (1 score per pair), 2 layer(s), tanh activation |');
    expect(card).toContain("| Choice columns | `ending0`, `ending1`, `ending2`, `ending3` (the label is the right one's index) |");
  });

  const python = findTorchPython();
  it.skipIf(!python)('pytorch_model_head.bin loads with torch.load(weights_only=True) with the same values', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-head-'));
    try {
      writeFileSync(join(dir, 'head.bin'), files.get(ADAPTERHUB_FILE.headWeights)!);
      const got = runPython<Record<string, { shape: number[]; data: number[] }>>(python!, [
        'import json, sys, torch',
        'state = torch.load(sys.argv[1], weights_only=True)',
        'print(json.dumps({k: {"shape": list(v.shape), "data": v.flatten().tolist()} for k, v in state.items()}))',
      ].join('\n'), [join(dir, 'head.bin')]);
      expect(Object.keys(got)).toEqual(['heads.swag.1.weight', 'heads.swag.1.bias', 'heads.swag.4.weight', 'heads.swag.4.bias']);
      for (const [key, t] of exp.head!.tensors) {
        expect(got[key].shape).toEqual(t.shape);
        got[key].data.forEach((v, i) => expect(v).toBe(Math.fround(t.data[i])));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
