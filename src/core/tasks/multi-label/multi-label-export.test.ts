/**
 * The multi-label head's files as the adapters library writes them (save_head after
 * add_multilabel_classification_head): head_config.json's config is a classification head's with head_type
 * "multilabel_classification"; the studio's per-label thresholds ride as a top-level "thresholds" object, which the
 * library's PredictionHeadLoader never reads (it takes "config" and "name"). The folder imports back into the same
 * head, thresholds included; a library-saved file without thresholds gets 0.5 each; PEFT writes SEQ_CLS with
 * problem_type="multi_label_classification" in the card's from_pretrained; train.py trains the same task (its
 * helpers run here in Python).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdapter } from '../../adapters/adapter.ts';
import { ADAPTERHUB_FILE, adapterHubFiles } from '../../export/adapterhub.ts';
import { adapterExportOf } from '../../export/from-adapter.ts';
import { importAdapter } from '../../export/import.ts';
import { PEFT_FILE, peftFiles, peftSupport } from '../../export/peft.ts';
import { pythonProjectFiles } from '../../export/python-project.ts';
import { ENCODERS, TRAINING, expectSameTensors, runPython } from '../../export/test-support.ts';
import { liveAdapter } from '../../train/imported-adapter.ts';

const encoder = ENCODERS.bert;
const LABELS = ['world', 'sports', 'business'];
beforeAll(async () => {
  await tf.setBackend('cpu');
});

function exportOf(method: string, head: Record<string, unknown>) {
  const adapter = createAdapter(encoder, method, { name: 'topics', seed: 3, head });
  try {
    return adapterExportOf(adapter, { ...TRAINING, textColumns: ['text'], labelColumn: 'labels', labelKind: 'labelList', bestMetrics: { microF1: 0.9, macroF1: 0.85, loss: 0.2 } });
  } finally {
    adapter.dispose();
  }
}

const exp = exportOf('seq_bn[reduction_factor=4]', { kind: 'multilabel', numLabels: 3, id2label: LABELS, thresholds: [0.3, 0.5, 0.7] });
const files = adapterHubFiles(exp);
const text = (f: Map<string, Uint8Array>, name: string) => new TextDecoder().decode(f.get(name));

describe('multi-label head files', () => {
  it('writes the library\'s multilabel_classification config, the thresholds beside it', () => {
    const head = JSON.parse(text(files, ADAPTERHUB_FILE.headConfig));
    expect(head.config).toEqual({ activation_function: 'tanh', bias: true, dropout_prob: null, head_type: 'multilabel_classification', label2id: { business: 2, sports: 1, world: 0 }, layers: 2, num_labels: 3, use_pooler: false });
    expect(head.thresholds).toEqual({ business: 0.7, sports: 0.5, world: 0.3 });
    // Everything else is what a classification head's file holds (sorted keys, the same metadata).
    const single = JSON.parse(text(adapterHubFiles(exportOf('seq_bn[reduction_factor=4]', { numLabels: 3, id2label: LABELS })), ADAPTERHUB_FILE.headConfig));
    expect(Object.keys(head)).toEqual(['config', 'hidden_size', 'model_class', 'model_name', 'model_type', 'name', 'thresholds', 'version']);
    const { thresholds: _, ...rest } = head;
    expect({ ...rest, config: { ...rest.config, head_type: 'classification' } }).toEqual(single);
    expect(single.thresholds).toBeUndefined();
  });

  it('has a card whose snippet predicts the labels at or above the thresholds', () => {
    expect(text(files, ADAPTERHUB_FILE.card)).toContain('thresholds = [0.3, 0.5, 0.7]  # head_config.json\'s "thresholds", by label id\nprint([i for i, p in enumerate(');
    expect(text(files, ADAPTERHUB_FILE.card)).toContain('.sigmoid()[0].tolist()) if p >= thresholds[i]])  # the predicted label ids');
  });

  it('imports back into the same head, weights and thresholds', () => {
    const imported = importAdapter(files, { encoder });
    expect(imported.head?.config).toEqual(exp.head!.config);
    expect(imported.head?.thresholds).toEqual({ world: 0.3, sports: 0.5, business: 0.7 });
    expectSameTensors(imported.head!.tensors, exp.head!.tensors);
    expect(imported.training).toMatchObject({ labelKind: 'labelList', bestMetrics: { microF1: 0.9 } });
    const live = liveAdapter(encoder, imported);
    try {
      expect(live.head).toMatchObject({ kind: 'multilabel', id2label: LABELS, thresholds: [0.3, 0.5, 0.7] });
    } finally {
      live.dispose();
    }
  });

  it('gives a library-saved head (no thresholds) 0.5 each, and refuses thresholds that are not probabilities', () => {
    const head = JSON.parse(text(files, ADAPTERHUB_FILE.headConfig));
    const withHead = (json: unknown) => new Map([...files, [ADAPTERHUB_FILE.headConfig, new TextEncoder().encode(JSON.stringify(json))]]);
    const { thresholds: _, ...library } = head;
    const plain = importAdapter(withHead(library), { encoder });
    expect(plain.head?.thresholds).toBeUndefined();
    const live = liveAdapter(encoder, plain);
    try {
      expect(live.head?.thresholds).toEqual([0.5, 0.5, 0.5]);
    } finally {
      live.dispose();
    }
    expect(() => importAdapter(withHead({ ...head, thresholds: { world: 1.5 } }), { encoder })).toThrow(/Threshold 1.5 of label 0 is not a probability/);
    expect(() => importAdapter(withHead({ ...head, thresholds: { joy: 0.5 } }), { encoder })).toThrow(/thresholds for labels the head does not have: joy/);
  });

  it('goes to PEFT as SEQ_CLS, the card loading it with problem_type="multi_label_classification"', () => {
    const lora = exportOf('lora[r=4,alpha=8]', { kind: 'multilabel', numLabels: 3, id2label: LABELS });
    expect(peftSupport(lora.adapterConfig, { modelType: encoder.modelType, head: lora.head!.config })).toEqual({ ok: true, peftType: 'LORA' });
    const peft = peftFiles(lora);
    expect(JSON.parse(text(peft, PEFT_FILE.config))).toMatchObject({ task_type: 'SEQ_CLS', peft_type: 'LORA' });
    expect(text(peft, PEFT_FILE.card)).toContain('num_labels=3, id2label={0: "world", 1: "sports", 2: "business"}, label2id={"world": 0, "sports": 1, "business": 2}, problem_type="multi_label_classification"');
  });
});

const PYTHON = ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['--version']).status === 0);

describe.skipIf(!PYTHON)('the multi-label train.py', () => {
  const work = mkdtempSync(join(tmpdir(), 'python-multilabel-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const binary = exportOf('seq_bn[reduction_factor=4]', { kind: 'multilabel', numLabels: 3, id2label: LABELS, thresholds: [0.3, 0.5, 0.7] });
  binary.training = { ...binary.training!, labelKind: 'binaryColumns', labelColumn: 'world,sports,business', labelColumns: ['world', 'sports', 'business'] };
  const py = <T>(script: string, code: string) => {
    writeFileSync(join(work, 'train.py'), script);
    return runPython<T>(PYTHON!, `import json, sys\nsys.path.insert(0, ${JSON.stringify(work)})\nimport train\n${code}`);
  };

  it('compiles, keeps the best by micro-F1 with the head\'s thresholds, and reads a list-of-labels cell as the studio does', () => {
    const script = text(pythonProjectFiles(exp), 'train.py');
    expect(script).toContain('f1_score(targets, predicted, average="micro", zero_division=0)');
    const got = py<Record<string, unknown>>(script, 'print(json.dumps({n: getattr(train, n) for n in ["LABEL_COLUMN", "LABEL_KIND", "LABELS", "LABEL_COLUMNS", "THRESHOLDS", "METRIC_FOR_BEST", "GREATER_IS_BETTER"]}))');
    expect(got).toEqual({ LABEL_COLUMN: 'labels', LABEL_KIND: 'labelList', LABELS, LABEL_COLUMNS: null, THRESHOLDS: [0.3, 0.5, 0.7], METRIC_FOR_BEST: 'micro_f1', GREATER_IS_BETTER: true });
    const cases = [{ text: 'a b', labels: [0, 2] }, { text: 'a b', labels: ['sports'] }, { text: 'a b', labels: [] }, { text: 'a b', labels: [3] }, { text: 'a b', labels: 1 }, { text: '', labels: [0] }];
    const targets = py<unknown[]>(script, `print(json.dumps([[train.to_targets(r), train.is_usable(r)] for r in ${JSON.stringify(cases)}]))`);
    expect(targets).toEqual([[[1, 0, 1], true], [[0, 1, 0], true], [[0, 0, 0], true], [null, false], [null, false], [[1, 0, 0], false]]);
  });

  it('reads several 0/1 columns in LABEL_COLUMNS order', () => {
    const script = text(pythonProjectFiles(binary), 'train.py');
    const cases = [{ text: 'x y', world: 1, sports: 0, business: true }, { text: 'x y', world: '0', sports: 'true', business: 0 }, { text: 'x y', world: 2, sports: 0, business: 0 }, { text: 'x y', world: null, sports: 0, business: 0 }];
    const got = py<unknown[]>(script, `print(json.dumps([train.to_targets(r) for r in json.loads(${JSON.stringify(JSON.stringify(cases))})]))`);
    expect(got).toEqual([[1, 0, 1], [0, 1, 0], null, null]);
  });
});
