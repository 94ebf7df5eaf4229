// References: the `adapters` library v1.2 source (git show HEAD:src/adapters/...): loading.py AdapterFusionLoader.save
// (line 712: build_full_config with name and adapter_names at 734-742, save_weights at 748, filter_func
// "adapter_fusion_layer.{name}" at 672), utils.py lines 51-53 (adapter_fusion_config.json,
// pytorch_model_adapter_fusion.bin, model_adapter_fusion.safetensors), configuration/model_adapters_config.py
// build_full_config (line 243), configuration/adapter_fusion_config.py (DynamicAdapterFusionConfig's fields),
// methods/bottleneck.py add_fusion_layer (line 120: one BertFusion per BottleneckLayer, i.e. at
// `<layer>.output.adapter_fusion_layer.<A,B>`), methods/modeling.py BertFusion.__init__ (lines 380-393: query, key,
// value (no bias) registered in that order), model_mixin.py save_all_adapter_fusions (line 1390: the folder is the
// fusion's name, "A,B"). Torch 1.13's torch.load(weights_only=True) reads the .bin; Python's json module the JSON.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FUSION_PRESETS } from '../adapters/methods/fusion.ts';
import { readSafetensors } from '../model/safetensors.ts';
import { AdapterImportError } from './errors.ts';
import { FUSION_FILE, fusionFiles, holdsFusion, importFusion } from './fusion-files.ts';
import { writeAdapterFiles } from './node-files.ts';
import { ENCODERS, TRAINING, findTorchPython, randomFusion, runPython } from './test-support.ts';
import { unzipAdapterFiles, zipAdapterFiles } from './zip.ts';

const python = findTorchPython();
const MISSING = 'python3 with torch is missing: install it with `apt-get install -y python3-torch` (torch.load is the reference reader).';
if (!python && process.env.CI) throw new Error(`${MISSING} CI requires it.`);
if (!python) console.warn(`[fusion-files.test] SKIPPED the Python checks: ${MISSING}`);

const text = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);
const encoder = ENCODERS.bert;
const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

// build_full_config(DynamicAdapterFusionConfig(), model.config, name=..., adapter_names=[...], model_name=..., model_class=...)
// dumped with json.dump(indent=2, sort_keys=True).
const FUSION_CONFIG_JSON = `{
  "adapter_names": [
    "sst2",
    "topics"
  ],
  "config": {
    "dropout_prob": null,
    "key": true,
    "query": true,
    "query_before_ln": false,
    "regularization": true,
    "residual_before": false,
    "temperature": false,
    "value": true,
    "value_before_softmax": true,
    "value_initialized": true
  },
  "hidden_size": 16,
  "model_class": "BertAdapterModel",
  "model_name": "acme/bert-small",
  "model_type": "bert",
  "name": "sst2,topics",
  "version": "adapters.1.2.0"
}`;

const FUSION_KEYS = [0, 1].flatMap((l) => {
  const p = `bert.encoder.layer.${l}.output.adapter_fusion_layer.sst2,topics`;
  return [[`${p}.query.weight`, [16, 16]], [`${p}.query.bias`, [16]], [`${p}.key.weight`, [16, 16]], [`${p}.key.bias`, [16]], [`${p}.value.weight`, [16, 16]]];
});

describe('fusion export: the folders save_all_adapters, save_all_adapter_fusions and save_all_heads write', () => {
  const exp = randomFusion();
  const files = fusionFiles(exp);

  it('one folder per fused adapter, the fusion folder named "A,B", the head folder, and the hand-off README', () => {
    expect([...files.keys()].sort()).toEqual([
      'README.md',
      'mood/head_config.json', 'mood/model_head.safetensors', 'mood/pytorch_model_head.bin',
      'sst2,topics/adapter_fusion_config.json', 'sst2,topics/model_adapter_fusion.safetensors', 'sst2,topics/pytorch_model_adapter_fusion.bin',
      'sst2/README.md', 'sst2/adapter.safetensors', 'sst2/adapter_config.json', 'sst2/head_config.json', 'sst2/model_head.safetensors', 'sst2/pytorch_adapter.bin', 'sst2/pytorch_model_head.bin',
      'topics/README.md', 'topics/adapter.safetensors', 'topics/adapter_config.json', 'topics/pytorch_adapter.bin',
    ]);
    expect(text(files.get(`sst2,topics/${FUSION_FILE.config}`))).toBe(`${FUSION_CONFIG_JSON.replace(/\n$/, '')}`);
    expect(JSON.parse(text(files.get('mood/head_config.json'))).name).toBe('mood');
    const safe = readSafetensors(files.get(`sst2,topics/${FUSION_FILE.safeWeights}`)!, 'fusion');
    // safetensors lists tensors sorted by name (as Python's save_file does); the .bin keeps the state-dict order.
    expect([...safe].map(([k, t]) => [k, t.shape])).toEqual([...FUSION_KEYS].sort(([a], [b]) => (a < b ? -1 : 1)));
  });

  it('the hand-off loads the adapters, load_adapter_fusion and load_head, then activates Fuse(...)', () => {
    const card = text(files.get('README.md'));
    for (const line of [
      'from adapters.composition import Fuse',
      'model.load_adapter("path/to/this/folder/sst2", with_head=False)',
      'model.load_adapter("path/to/this/folder/topics", with_head=False)',
      'model.load_adapter_fusion("path/to/this/folder/sst2,topics")',
      'model.load_head("path/to/this/folder/mood")',
      'model.set_active_adapters(Fuse("sst2", "topics"))',
      'model.active_head = "mood"',
    ]) expect(card).toContain(line);
  });

  it.skipIf(!python)('torch.load(weights_only=True) reads the fusion .bin with the library\'s keys, shapes and values; json round-trips', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fusion-export-'));
    dirs.push(dir);
    return writeAdapterFiles(dir, files).then(() => {
      const got = runPython<{ keys: [string, number[]][]; sums: number[]; json: boolean }>(python!, `
import json, sys, torch
d = sys.argv[1]
sd = torch.load(d + "/sst2,topics/pytorch_model_adapter_fusion.bin", weights_only=True)
text = open(d + "/sst2,topics/adapter_fusion_config.json").read()
print(json.dumps({"keys": [[k, list(v.shape)] for k, v in sd.items()], "sums": [float(v.double().sum()) for v in sd.values()],
  "json": json.dumps(json.loads(text), indent=2, sort_keys=True) == text}))`, [dir]);
      expect(got.keys).toEqual(FUSION_KEYS);
      expect(got.json).toBe(true);
      const sums = [...exp.fusionTensors.values()].map((t) => t.data.reduce((a, b) => a + b, 0));
      got.sums.forEach((s, i) => expect(s).toBeCloseTo(sums[i], 4));
    });
  });

  it('reads back from the folder files and from a zip: the same fusion, adapters and head', () => {
    for (const source of [files, unzipAdapterFiles(zipAdapterFiles(files), 'fusion.zip')]) {
      expect(holdsFusion(source)).toBe(true);
      const back = importFusion(source, { encoder, source: 'fusion' });
      expect(back.name).toBe('sst2,topics');
      expect(back.adapterNames).toEqual(['sst2', 'topics']);
      expect(back.fusionConfig).toEqual(FUSION_PRESETS.dynamic);
      expect([...back.fusionTensors]).toEqual([...exp.fusionTensors]);
      expect(back.head).toEqual(exp.head);
      expect(back.adapters.map((a) => [a.name, [...a.adapterTensors.keys()]])).toEqual(exp.adapters.map((a) => [a.name, [...a.adapterTensors.keys()]]));
      expect(back.training?.bestMetrics).toEqual(TRAINING.bestMetrics);
      // The re-export writes the same bytes.
      const again = fusionFiles(back);
      expect([...again.keys()].sort()).toEqual([...files.keys()].sort());
      for (const [path, bytes] of files) if (!path.endsWith('README.md')) expect(again.get(path)).toEqual(bytes);
    }
  });

  it('a fusion folder whose adapter is missing, or whose tensors do not fit the model, is refused with the reason', () => {
    const without = new Map([...files].filter(([p]) => !p.startsWith('topics/')));
    expect(() => importFusion(without, { encoder, source: 'x' })).toThrow(/no folder "topics\/" with the fused adapter "topics"/);
    const other = ENCODERS.roberta;
    expect(() => importFusion(files, { encoder: other, source: 'x' })).toThrow(AdapterImportError);
    const renamed = { ...exp, head: { ...exp.head!, name: 'sst2' } };
    expect(() => fusionFiles(renamed)).toThrow(/overwrite that adapter's/);
  });
});
