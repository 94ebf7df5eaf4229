// Reference: shared/reference/peft-format.md (PEFT's save_pretrained: key names without the adapter name,
// base_model.model. prefix, modules_to_save keys, ia3_l shapes, target matching by suffix) and transformers'
// *ForSequenceClassification module names; Python parses the safetensors header by hand (8-byte length + JSON),
// as the `safetensors` package is not installed here. Expected texts and key tables are written by hand.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSafetensors } from '../model/safetensors.ts';
import { AdapterImportError } from './errors.ts';
import { importAdapter } from './import.ts';
import { PEFT_FILE, peftFiles, peftSupport } from './peft.ts';
import { ENCODERS, TRAINING, findTorchPython, randomExport, runPython } from './test-support.ts';
import type { AdapterExport } from './types.ts';

const text = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);
const shapes = (files: Map<string, Uint8Array>) => Object.fromEntries([...readSafetensors(files.get(PEFT_FILE.weights)!, 'adapter_model.safetensors')].map(([k, t]) => [k, t.shape]));
const config = (files: Map<string, Uint8Array>) => JSON.parse(text(files.get(PEFT_FILE.config)));
const labels = ['bad', 'ok', 'good'];

const BERT_LORA_CONFIG = `{
  "alpha_pattern": {},
  "auto_mapping": null,
  "base_model_name_or_path": "acme/bert-small",
  "bias": "none",
  "fan_in_fan_out": false,
  "inference_mode": true,
  "init_lora_weights": true,
  "layer_replication": null,
  "layers_pattern": null,
  "layers_to_transform": null,
  "loftq_config": {},
  "lora_alpha": 8,
  "lora_dropout": 0.0,
  "megatron_config": null,
  "megatron_core": "megatron.core",
  "modules_to_save": [
    "pooler",
    "classifier",
    "score"
  ],
  "peft_type": "LORA",
  "r": 4,
  "rank_pattern": {},
  "revision": null,
  "target_modules": [
    "query",
    "value"
  ],
  "task_type": "SEQ_CLS",
  "use_dora": false,
  "use_rslora": false
}`;

describe('PEFT export', () => {
  it('writes BERT LoRA as PEFT does: config text, base_model.model. keys without the adapter name, pooler + classifier head', () => {
    const files = peftFiles(randomExport(ENCODERS.bert, 'lora[r=4,alpha=8]', { labels }));
    expect([...files.keys()].sort()).toEqual(['README.md', 'adapter_config.json', 'adapter_model.safetensors']);
    expect(text(files.get(PEFT_FILE.config))).toBe(BERT_LORA_CONFIG);
    const layer = (i: number) => `base_model.model.bert.encoder.layer.${i}.attention.self`;
    expect(shapes(files)).toEqual({
      [`${layer(0)}.query.lora_A.weight`]: [4, 16], [`${layer(0)}.query.lora_B.weight`]: [16, 4],
      [`${layer(0)}.value.lora_A.weight`]: [4, 16], [`${layer(0)}.value.lora_B.weight`]: [16, 4],
      [`${layer(1)}.query.lora_A.weight`]: [4, 16], [`${layer(1)}.query.lora_B.weight`]: [16, 4],
      [`${layer(1)}.value.lora_A.weight`]: [4, 16], [`${layer(1)}.value.lora_B.weight`]: [16, 4],
      'base_model.model.bert.pooler.dense.weight': [16, 16], 'base_model.model.bert.pooler.dense.bias': [16],
      'base_model.model.classifier.weight': [3, 16], 'base_model.model.classifier.bias': [3],
    });
    const card = text(files.get(PEFT_FILE.card));
    expect(card).toContain('library_name: peft');
    expect(card).toContain('base = AutoModelForSequenceClassification.from_pretrained("acme/bert-small", num_labels=3, id2label={0: "bad", 1: "ok", 2: "good"}, label2id={"bad": 0, "ok": 1, "good": 2})');
    expect(card).toContain('model = PeftModel.from_pretrained(base, "path/to/this/folder")');
  });

  it('maps each architecture\'s head onto its own classifier, and a headless adapter onto the bare encoder', () => {
    const roberta = peftFiles(randomExport(ENCODERS.roberta, 'lora[r=4,alpha=8]', { labels }));
    expect(Object.keys(shapes(roberta)).filter((k) => !k.includes('lora_'))).toEqual(['base_model.model.classifier.dense.bias', 'base_model.model.classifier.dense.weight', 'base_model.model.classifier.out_proj.bias', 'base_model.model.classifier.out_proj.weight']);
    expect(config(roberta).modules_to_save).toEqual(['classifier', 'score']);

    const distil = peftFiles(randomExport(ENCODERS.distilbert, 'lora[r=4,alpha=8]', { headOptions: { numLabels: 2, activationFunction: 'relu' } }));
    expect(shapes(distil)).toMatchObject({ 'base_model.model.distilbert.transformer.layer.1.attention.v_lin.lora_B.weight': [16, 4], 'base_model.model.pre_classifier.weight': [16, 16], 'base_model.model.classifier.weight': [2, 16] });
    expect(config(distil)).toMatchObject({ target_modules: ['q_lin', 'v_lin'], modules_to_save: ['pre_classifier', 'classifier', 'score'] });

    const pooled = peftFiles(randomExport(ENCODERS.bert, 'lora[r=4,alpha=8]', { headOptions: { numLabels: 2, layers: 1, usePooler: true } }));
    expect(Object.keys(shapes(pooled)).filter((k) => !k.includes('lora_'))).toEqual(['base_model.model.classifier.bias', 'base_model.model.classifier.weight']);
    expect(config(pooled).modules_to_save).toEqual(['classifier', 'score']);

    const bare = peftFiles(randomExport(ENCODERS.bert, 'lora[r=4,alpha=8]'));
    expect(Object.keys(shapes(bare))[0]).toMatch(/^base_model\.model\.encoder\.layer\.\d\.attention\.self\.(query|value)\.lora_[AB]\.weight$/);
    expect(config(bare)).toMatchObject({ task_type: null, modules_to_save: null, auto_mapping: { base_model_class: 'BertModel', parent_library: 'transformers.models.bert.modeling_bert' } });
  });

  it('writes (IA)³ as ia3_l [out, 1] output-scaling vectors, alpha folded in, no feed-forward modules', () => {
    const exp = randomExport(ENCODERS.electra, 'ia3[alpha=2]', { labels: ['x', 'y'], headOptions: { numLabels: 2, activationFunction: 'gelu' } });
    const files = peftFiles(exp);
    const layer = (i: number) => `base_model.model.electra.encoder.layer.${i}`;
    expect(shapes(files)).toEqual({
      [`${layer(0)}.attention.self.key.ia3_l`]: [16, 1], [`${layer(0)}.attention.self.value.ia3_l`]: [16, 1], [`${layer(0)}.intermediate.dense.ia3_l`]: [24, 1],
      [`${layer(1)}.attention.self.key.ia3_l`]: [16, 1], [`${layer(1)}.attention.self.value.ia3_l`]: [16, 1], [`${layer(1)}.intermediate.dense.ia3_l`]: [24, 1],
      'base_model.model.classifier.dense.weight': [16, 16], 'base_model.model.classifier.dense.bias': [16],
      'base_model.model.classifier.out_proj.weight': [2, 16], 'base_model.model.classifier.out_proj.bias': [2],
    });
    expect(config(files)).toEqual({
      auto_mapping: null, base_model_name_or_path: 'acme/electra-small', fan_in_fan_out: false, feedforward_modules: [], inference_mode: true,
      init_ia3_weights: true, modules_to_save: ['classifier', 'score'], peft_type: 'IA3', revision: null, target_modules: ['intermediate.dense', 'key', 'value'], task_type: 'SEQ_CLS',
    });
    const stored = readSafetensors(files.get(PEFT_FILE.weights)!, 'x');
    const source = exp.adapterTensors.get('electra.encoder.layer.1.intermediate.dense.loras.sst2.lora_B')!.data;
    expect(Array.from(stored.get(`${layer(1)}.intermediate.dense.ia3_l`)!.toFloat32())).toEqual(Array.from(source, (v) => Math.fround(2 * v)));
  });

  it('names modules per layer when short names would adapt more than the adapter does (FFN output, leave_out)', () => {
    const output = config(peftFiles(randomExport(ENCODERS.bert, 'lora[r=2,alpha=2,selfattn_lora=False,output_lora=True]')));
    // "output.dense" alone would also match attention.output.dense.
    expect(output.target_modules).toEqual(['layer.0.output.dense', 'layer.1.output.dense']);
    const leftOut = config(peftFiles(randomExport(ENCODERS.roberta, 'lora[r=2,alpha=2,leave_out=[0]]')));
    expect(leftOut.target_modules).toEqual(['layer.1.attention.self.query', 'layer.1.attention.self.value']);
  });

  it('peftSupport says which methods and heads PEFT cannot express', () => {
    for (const [spec, reason] of [
      ['seq_bn', /no bottleneck adapters/], ['par_bn', /no bottleneck adapters/], ['prefix_tuning', /prefix tuning/], ['prompt_tuning', /prompt tuning/],
      ['mam', /ConfigUnion/], ['lora[use_gating=True]', /Gated LoRA/],
    ] as const) {
      const support = peftSupport(resolveSpec(spec));
      expect(support.ok, spec).toBe(false);
      if (!support.ok) expect(support.reason, spec).toMatch(reason);
    }
    expect(peftSupport(resolveSpec('lora'))).toEqual({ ok: true, peftType: 'LORA' });
    expect(peftSupport(resolveSpec('ia3'))).toEqual({ ok: true, peftType: 'IA3' });
    const head = (layers: number, activation: string, usePooler = false) => ({ head_type: 'classification', num_labels: 2, layers, activation_function: activation, use_pooler: usePooler });
    expect(peftSupport(resolveSpec('lora'), { modelType: 'bert', head: head(1, 'tanh') })).toMatchObject({ ok: false, reason: expect.stringMatching(/BertForSequenceClassification/) });
    expect(peftSupport(resolveSpec('lora'), { modelType: 'distilbert', head: head(2, 'tanh') })).toMatchObject({ ok: false, reason: expect.stringMatching(/relu/) });
    expect(peftSupport(resolveSpec('lora'), { modelType: 'xlm-roberta', head: head(2, 'tanh') }).ok).toBe(true);
    expect(() => peftFiles(randomExport(ENCODERS.bert, 'seq_bn'))).toThrow(/cannot be exported for PEFT: PEFT has no bottleneck/);
  });
});

function resolveSpec(spec: string): Record<string, unknown> {
  return randomExport(ENCODERS.bert, spec).adapterConfig;
}

describe('PEFT export → import', () => {
  const cases: [keyof typeof ENCODERS, string, Parameters<typeof randomExport>[2]][] = [
    ['bert', 'lora[r=4,alpha=16,dropout=0.1]', { labels }],
    ['bert', 'ia3', { headOptions: { numLabels: 2, layers: 1, usePooler: true } }],
    ['roberta', 'lora[r=2,alpha=2,intermediate_lora=True,output_lora=True,attn_matrices=["q","k","v"]]', { labels }],
    ['xlm-roberta', 'ia3', { labels }],
    ['distilbert', 'lora[r=3,alpha=6,leave_out=[1]]', { headOptions: { numLabels: 3, activationFunction: 'relu' } }],
    ['electra', 'lora[r=4,alpha=8]', { headOptions: { numLabels: 1, activationFunction: 'gelu', kind: 'regression' } }],
    ['bert', 'lora[r=4,alpha=8]', {}],
  ];
  it.each(cases)('%s %s: the same config, tensors and head come back', (type, spec, options) => {
    const encoder = ENCODERS[type];
    const exp = randomExport(encoder, spec, { ...options, name: 'sst2' });
    const imported = importAdapter(peftFiles(exp), { encoder, name: 'sst2', source: 'peft' });
    expect(imported.sourceFormat).toBe('peft');
    expect(imported.adapterConfig).toEqual(exp.adapterConfig);
    expect([...imported.adapterTensors.keys()].sort()).toEqual([...exp.adapterTensors.keys()].sort());
    for (const [key, t] of exp.adapterTensors) expect(Array.from(imported.adapterTensors.get(key)!.data), key).toEqual(Array.from(t.data));
    if (!exp.head) return expect(imported.head).toBeUndefined();
    const { label2id, dropout_prob, head_type, ...structure } = exp.head.config;
    expect(imported.head!.config).toMatchObject(structure);
    expect(imported.head!.config.label2id).toEqual(Object.fromEntries(Object.values(label2id as object).map((id) => [`LABEL_${id}`, id])));
    for (const [key, t] of exp.head.tensors) expect(Array.from(imported.head!.tensors.get(key)!.data), key).toEqual(Array.from(t.data));
  });

  it('needs the base model, and refuses what the adapters library cannot hold', () => {
    const files = peftFiles(randomExport(ENCODERS.bert, 'lora[r=4,alpha=8]', { labels }));
    expect(() => importAdapter(files)).toThrow(expect.objectContaining({ problem: 'NeedsBaseModel' }));
    const withConfig = (changes: Record<string, unknown>) => new Map([...files, [PEFT_FILE.config, new TextEncoder().encode(JSON.stringify({ ...config(files), ...changes }))]]);
    expect(() => importAdapter(withConfig({ use_rslora: true }), { encoder: ENCODERS.bert })).toThrow(/use_rslora = true/);
    expect(() => importAdapter(withConfig({ peft_type: 'PREFIX_TUNING' }), { encoder: ENCODERS.bert })).toThrow(AdapterImportError);
    expect(() => importAdapter(files, { encoder: ENCODERS.roberta })).toThrow(/outside acme\/roberta-small's LoRA/);
  });
});

describe.skipIf(!findTorchPython())('PEFT files read by Python', () => {
  const work = mkdtempSync(join(tmpdir(), 'peft-export-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('has a safetensors header with format "pt" and the same tensors, and a config json round-trips with lora_dropout a float', () => {
    const exp: AdapterExport = randomExport(ENCODERS.roberta, 'lora[r=4,alpha=8]', { labels, training: TRAINING });
    const files = peftFiles(exp);
    for (const [name, bytes] of files) writeFileSync(join(work, name), bytes);
    const report = runPython<{ metadata: Record<string, string>; tensors: Record<string, { dtype: string; shape: number[]; values: number[] }>; roundtrip: boolean; dropout: string }>(findTorchPython()!, `
import json, os, struct, sys
root = sys.argv[1]
with open(os.path.join(root, "adapter_model.safetensors"), "rb") as f:
    raw = f.read()
(length,) = struct.unpack("<Q", raw[:8])
header = json.loads(raw[8:8 + length])
data = raw[8 + length:]
tensors = {}
for name, entry in header.items():
    if name == "__metadata__":
        continue
    start, end = entry["data_offsets"]
    count = (end - start) // 4
    tensors[name] = {"dtype": entry["dtype"], "shape": entry["shape"], "values": list(struct.unpack("<%df" % count, data[start:end]))}
with open(os.path.join(root, "adapter_config.json")) as f:
    text = f.read()
config = json.loads(text)
print(json.dumps({"metadata": header.get("__metadata__"), "tensors": tensors, "roundtrip": json.dumps(config, indent=2, sort_keys=True) == text, "dropout": type(config["lora_dropout"]).__name__}))
`, [work]);
    expect(report.metadata).toEqual({ format: 'pt' });
    expect(report.roundtrip).toBe(true);
    expect(report.dropout).toBe('float');
    const layer0 = 'base_model.model.roberta.encoder.layer.0.attention.self.query';
    expect(report.tensors[`${layer0}.lora_A.weight`]).toEqual({ dtype: 'F32', shape: [4, 16], values: Array.from(exp.adapterTensors.get('roberta.encoder.layer.0.attention.self.query.loras.sst2.lora_A')!.data) });
    expect(report.tensors['base_model.model.classifier.out_proj.weight'].values).toEqual(Array.from(exp.head!.tensors.get('heads.sst2.4.weight')!.data));
    expect(Object.keys(report.tensors)).toHaveLength(12);
  });
});
