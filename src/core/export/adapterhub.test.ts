// References: the `adapters` library v1.2 source (loading.py save_weights_config / save_weights, build_full_config,
// the bert / distilbert mixins, methods/*.py module names), read through the fetch tool; Python's own json module
// (json.dumps(indent=2, sort_keys=True) of the parsed text must give the text back, floats must load as float);
// torch 1.13's torch.load(weights_only=True) for the .bin files; Python's zipfile for the zip. Expected JSON texts
// and key tables below are written by hand from those sources, not produced by the code under test.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors } from '../model/safetensors.ts';
import { ADAPTERHUB_FILE, adapterHubFiles } from './adapterhub.ts';
import { AdapterExportError } from './errors.ts';
import { ENCODERS, METHODS, type MethodName, TRAINING, findTorchPython, randomExport, runPython } from './test-support.ts';
import type { AdapterExport } from './types.ts';
import { zipAdapterFiles } from './zip.ts';

const python = findTorchPython();
const MISSING = 'python3 with torch is missing: install it with `apt-get install -y python3-torch` (torch.load is the reference reader).';
if (!python && process.env.CI) throw new Error(`${MISSING} CI requires it.`);
if (!python) console.warn(`[adapterhub.test] SKIPPED the Python checks: ${MISSING}`);

const text = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);
const N = 'sst2';

// ---------------------------------------------------------------------------------------------------------
// Golden JSON: what save_adapter writes for a seq_bn / lora adapter and a classification head.

const SEQ_BN_CONFIG_JSON = `{
  "config": {
    "adapter_residual_before_ln": false,
    "cross_adapter": false,
    "dropout": 0.0,
    "factorized_phm_W": true,
    "factorized_phm_rule": false,
    "hypercomplex_nonlinearity": "glorot-uniform",
    "init_weights": "bert",
    "init_weights_seed": null,
    "inv_adapter": null,
    "inv_adapter_reduction_factor": null,
    "is_parallel": false,
    "learn_phm": true,
    "leave_out": [],
    "ln_after": false,
    "ln_before": false,
    "mh_adapter": false,
    "non_linearity": "relu",
    "original_ln_after": true,
    "original_ln_before": true,
    "output_adapter": true,
    "phm_bias": true,
    "phm_c_init": "normal",
    "phm_dim": 4,
    "phm_init_range": 0.0001,
    "phm_layer": false,
    "phm_rank": 1,
    "reduction_factor": 16,
    "residual_before_ln": true,
    "scaling": 1.0,
    "shared_W_phm": false,
    "shared_phm_rule": true,
    "stochastic_depth": 0.0,
    "use_gating": false
  },
  "hidden_size": 16,
  "model_class": "BertAdapterModel",
  "model_name": "acme/bert-small",
  "model_type": "bert",
  "name": "sst2",
  "version": "adapters.1.2.0"
}`;

const LORA_CONFIG_JSON = `{
  "config": {
    "alpha": 8,
    "architecture": "lora",
    "attn_matrices": [
      "q",
      "v"
    ],
    "composition_mode": "add",
    "dropout": 0.0,
    "dtype": null,
    "init_weights": "lora",
    "init_weights_seed": null,
    "intermediate_lora": false,
    "leave_out": [],
    "output_lora": false,
    "r": 8,
    "selfattn_lora": true,
    "use_dora": false,
    "use_gating": false,
    "vera_b": null,
    "vera_d": null
  },
  "hidden_size": 16,
  "model_class": "RobertaAdapterModel",
  "model_name": "acme/roberta-small",
  "model_type": "roberta",
  "name": "sst2",
  "version": "adapters.1.2.0"
}`;

const HEAD_CONFIG_JSON = `{
  "config": {
    "activation_function": "tanh",
    "bias": true,
    "dropout_prob": 0.0,
    "head_type": "classification",
    "label2id": {
      "negative": 0,
      "positive": 1
    },
    "layers": 2,
    "num_labels": 2,
    "use_pooler": false
  },
  "hidden_size": 16,
  "model_class": "BertAdapterModel",
  "model_name": "acme/bert-small",
  "model_type": "bert",
  "name": "sst2",
  "version": "adapters.1.2.0"
}`;

describe('adapter_config.json and head_config.json', () => {
  it('are the text json.dump(indent=2, sort_keys=True) writes, with floats as floats (seq_bn, lora, head)', () => {
    const seqBn = adapterHubFiles(randomExport(ENCODERS.bert, 'seq_bn', { headOptions: { numLabels: 2, id2label: ['negative', 'positive'], dropoutProb: 0 } }));
    expect(text(seqBn.get(ADAPTERHUB_FILE.config))).toBe(SEQ_BN_CONFIG_JSON);
    expect(text(seqBn.get(ADAPTERHUB_FILE.headConfig))).toBe(HEAD_CONFIG_JSON);
    const lora = adapterHubFiles(randomExport(ENCODERS.roberta, 'lora'));
    expect(text(lora.get(ADAPTERHUB_FILE.config))).toBe(LORA_CONFIG_JSON);
    expect(lora.has(ADAPTERHUB_FILE.headConfig)).toBe(false);
  });

  it('names the library\'s AdapterModel class for every model type, and writes a constant scaling of 4 as 4.0', () => {
    const classes = Object.fromEntries(Object.entries(ENCODERS).map(([type, encoder]) => [type, JSON.parse(text(adapterHubFiles(randomExport(encoder, 'par_bn')).get(ADAPTERHUB_FILE.config))).model_class]));
    expect(classes).toEqual({ bert: 'BertAdapterModel', roberta: 'RobertaAdapterModel', 'xlm-roberta': 'XLMRobertaAdapterModel', distilbert: 'DistilBertAdapterModel', electra: 'ElectraAdapterModel' });
    expect(text(adapterHubFiles(randomExport(ENCODERS.bert, 'par_bn')).get(ADAPTERHUB_FILE.config))).toContain('"scaling": 4.0,');
  });
});

// ---------------------------------------------------------------------------------------------------------
// Key tables, by hand from the library's module names (models/bert/mixin_bert.py, models/distilbert/mixin_distilbert.py,
// methods/bottleneck.py, lora.py, prefix_tuning.py, prompt_tuning.py, modeling.py PHMLayer / init_shared_parameters).

interface Layout {
  base: string;
  layer: (i: number) => string;
  /** BottleneckLayer of the mh_adapter / output_adapter. */
  mh: string;
  out: string;
  q: string;
  k: string;
  v: string;
  ffnIn: string;
  /** PrefixTuningLayer location key and module. */
  prefixLocation: string;
  prefixLayer: string;
}

const bertLike = (base: string): Layout => ({
  base, layer: (i) => `${base}.encoder.layer.${i}`, mh: 'attention.output', out: 'output',
  q: 'attention.self.query', k: 'attention.self.key', v: 'attention.self.value', ffnIn: 'intermediate.dense',
  prefixLocation: 'self_prefix', prefixLayer: 'attention.self.prefix_tuning',
});

const LAYOUTS: Record<keyof typeof ENCODERS, Layout> = {
  bert: bertLike('bert'),
  roberta: bertLike('roberta'),
  'xlm-roberta': bertLike('roberta'),
  electra: bertLike('electra'),
  distilbert: {
    base: 'distilbert', layer: (i) => `distilbert.transformer.layer.${i}`, mh: 'attention_adapters', out: 'output_adapters',
    q: 'attention.q_lin', k: 'attention.k_lin', v: 'attention.v_lin', ffnIn: 'ffn.lin1', prefixLocation: 'self', prefixLayer: 'attention.prefix_tuning',
  },
};

/** Expected adapter keys and shapes on the small encoders: hidden H 16, intermediate 24, 2 layers, ELECTRA embeddings 8. */
function expectedKeys(type: keyof typeof ENCODERS, method: MethodName): Record<string, number[]> {
  const f = LAYOUTS[type];
  const H = 16;
  const L = 2;
  const E = type === 'electra' ? 8 : 16;
  const out: Record<string, number[]> = {};
  const layers = [0, 1];
  const bottleneck = (location: string, d: number, extra: (prefix: string) => void = () => {}) => {
    for (const i of layers) {
      const p = `${f.layer(i)}.${location}.adapters.${N}`;
      out[`${p}.adapter_down.0.weight`] = [d, H];
      out[`${p}.adapter_down.0.bias`] = [d];
      out[`${p}.adapter_up.weight`] = [H, d];
      out[`${p}.adapter_up.bias`] = [H];
      extra(p);
    }
  };
  const lora = (module: string, inputs: number, outputs: number, r: number, gated = false) => {
    for (const i of layers) {
      const p = `${f.layer(i)}.${module}.loras.${N}`;
      out[`${p}.lora_A`] = [r, inputs];
      out[`${p}.lora_B`] = [outputs, r];
      if (gated) { out[`${p}.gate.weight`] = [1, inputs]; out[`${p}.gate.bias`] = [1]; }
    }
  };
  // The prefix pool's tensors at the base model, and again under every layer's PrefixTuningLayer, which holds the pool
  // as a submodule (methods/prefix_tuning.py line 349, set_pool; model_mixin.py line 489 links every layer).
  const pool = (local: string, shape: number[]) => {
    for (const owner of [`${f.base}.prefix_tuning`, ...layers.map((i) => `${f.layer(i)}.${f.prefixLayer}.pool`)]) out[`${owner}.prefix_tunings.${N}.${f.prefixLocation}.${local}`] = shape;
  };
  const prefix = (length: number, width: number) => {
    pool('wte.weight', [length, H]);
    pool('control_trans.0.weight', [width, H]);
    pool('control_trans.0.bias', [width]);
    pool('control_trans.2.weight', [L * 2 * H, width]);
    pool('control_trans.2.bias', [L * 2 * H]);
  };
  switch (method) {
    case 'seq_bn': bottleneck(f.out, 4); break;
    case 'double_seq_bn': bottleneck(f.mh, 2); bottleneck(f.out, 2); break;
    case 'par_bn': bottleneck(f.out, 8); break;
    case 'scaled_par_bn': bottleneck(f.out, 8, (p) => { out[`${p}.scaling`] = [1]; }); break;
    case 'compacter':
      // PHM layers (phm_dim 4, rank 1, factorized W) instead of Linears; the phm rule is shared per adapter.
      for (const location of [f.mh, f.out]) {
        for (const i of layers) {
          const p = `${f.layer(i)}.${location}.adapters.${N}`;
          out[`${p}.adapter_down.0.W_left`] = [4, 4, 1];
          out[`${p}.adapter_down.0.W_right`] = [4, 1, 2];
          out[`${p}.adapter_down.0.b`] = [8];
          out[`${p}.adapter_up.W_left`] = [4, 2, 1];
          out[`${p}.adapter_up.W_right`] = [4, 1, 4];
          out[`${p}.adapter_up.b`] = [16];
        }
      }
      out[`${f.base}.shared_parameters.${N}.phm_rule`] = [4, 4, 4];
      break;
    case 'lora': lora(f.q, H, H, 4); lora(f.v, H, H, 4); break;
    case 'ia3':
      for (const i of layers) {
        out[`${f.layer(i)}.${f.k}.loras.${N}.lora_B`] = [H, 1];
        out[`${f.layer(i)}.${f.v}.loras.${N}.lora_B`] = [H, 1];
        out[`${f.layer(i)}.${f.ffnIn}.loras.${N}.lora_B`] = [24, 1];
      }
      break;
    case 'prefix_tuning': prefix(3, 5); break;
    case 'prefix_tuning_flat': pool('control_trans', [3 * L * 2 * H]); break;
    case 'prompt_tuning': out[`${f.base}.prompt_tuning.prompt_tunings.${N}.prompt_embedding.weight`] = [4, E]; break;
    case 'union': prefix(2, 6); bottleneck(f.out, 4); break;
    case 'unipelt':
      prefix(10, 512);
      for (const i of layers) {
        out[`${f.layer(i)}.${f.prefixLayer}.prefix_gates.${N}.weight`] = [1, H];
        out[`${f.layer(i)}.${f.prefixLayer}.prefix_gates.${N}.bias`] = [1];
      }
      bottleneck(f.out, 1, (p) => { out[`${p}.gate.weight`] = [1, H]; out[`${p}.gate.bias`] = [1]; });
      lora(f.q, H, H, 8, true);
      lora(f.v, H, H, 8, true);
      break;
  }
  return out;
}

const HEAD_KEYS = { [`heads.${N}.1.weight`]: [16, 16], [`heads.${N}.1.bias`]: [16], [`heads.${N}.4.weight`]: [3, 16], [`heads.${N}.4.bias`]: [3] };

const cases = Object.keys(ENCODERS).flatMap((type) => (Object.keys(METHODS) as MethodName[]).map((method) => ({ type: type as keyof typeof ENCODERS, method })));
const exports = new Map<string, AdapterExport>(cases.map(({ type, method }) => [`${type}-${method}`, randomExport(ENCODERS[type], METHODS[method], { labels: ['bad', 'ok', 'good'], training: TRAINING })]));
const written = new Map([...exports].map(([id, exp]) => [id, adapterHubFiles(exp)]));

describe('the AdapterHub folder', () => {
  it.each(cases)('$type $method: the library\'s key names and torch shapes, in both weight files', ({ type, method }) => {
    const files = written.get(`${type}-${method}`)!;
    expect([...files.keys()].sort()).toEqual(['README.md', 'adapter.safetensors', 'adapter_config.json', 'head_config.json', 'model_head.safetensors', 'pytorch_adapter.bin', 'pytorch_model_head.bin']);
    const shapes = (bytes: Uint8Array | undefined, file: string) => Object.fromEntries([...readSafetensors(bytes!, file)].map(([k, t]) => [k, t.shape]));
    expect(shapes(files.get(ADAPTERHUB_FILE.safeWeights), 'adapter.safetensors')).toEqual(expectedKeys(type, method));
    expect(shapes(files.get(ADAPTERHUB_FILE.safeHeadWeights), 'model_head.safetensors')).toEqual(HEAD_KEYS);
  });

  it('writes safetensors as save_file does without metadata (no __metadata__ entry)', () => {
    const bytes = written.get('bert-seq_bn')!.get(ADAPTERHUB_FILE.safeWeights)!;
    const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    expect(Object.keys(JSON.parse(text(bytes.subarray(8, 8 + length))))).not.toContain('__metadata__');
  });

  it('refuses tensors Python would silently ignore, and model types the library has no AdapterModel for', () => {
    const exp = randomExport(ENCODERS.bert, 'lora');
    const renamed = { ...exp, adapterTensors: new Map([...exp.adapterTensors].map(([k, t]) => [k.replace('.loras.sst2.', '.loras.other.'), t])) };
    expect(() => adapterHubFiles(renamed)).toThrow(/would not load into a BertAdapterModel.*loras\.other/);
    const noPrefix = { ...exp, adapterTensors: new Map([...exp.adapterTensors].map(([k, t]) => [k.replace(/^bert\./, ''), t])) };
    expect(() => adapterHubFiles(noPrefix)).toThrow(AdapterExportError);
    expect(() => adapterHubFiles({ ...exp, modelType: 'camembert' })).toThrow(/no AdapterModel class for model type "camembert"/);
    expect(() => adapterHubFiles({ ...exp, adapterConfig: { architecture: 'reft', r: 1 } })).toThrow(/cannot export/);
  });

  it('has a model card with Hub metadata, the usage snippet, the config and the training record', () => {
    const card = text(written.get('roberta-seq_bn')!.get(ADAPTERHUB_FILE.card));
    expect(card.startsWith('---\nbase_model: acme/roberta-small\nlibrary_name: adapter-transformers\ntags:\n- adapter-transformers\n- adapters\n- roberta\n- bottleneck\ndatasets:\n- acme/reviews\n---\n')).toBe(true);
    expect(card).toContain('model = AutoAdapterModel.from_pretrained("acme/roberta-small")');
    expect(card).toContain('name = model.load_adapter("path/to/this/folder")');
    expect(card).toContain('model.set_active_adapters(name)');
    expect(card).toContain('| Learning rate | 0.0001 |');
    expect(card).toContain('| accuracy | 0.8125 |');
    expect(card).toContain('10% of `train` held out (seed 42)');
    expect(card).toContain('"reduction_factor": 4,');
    expect(text(adapterHubFiles(randomExport(ENCODERS.bert, 'seq_bn')).get(ADAPTERHUB_FILE.card))).toContain('tags:\n- adapter-transformers\n- adapters\n- bert\n- seq_bn\n');
  });
});

describe.skipIf(!python)('read by Python', () => {
  const work = mkdtempSync(join(tmpdir(), 'adapterhub-export-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  type Loaded = Record<string, { type: string; tensors: Record<string, { dtype: string; shape: number[]; values: number[] }> }>;
  type JsonCheck = { roundtrip: boolean; floats: Record<string, string> };
  let report: Record<string, Loaded & Record<string, JsonCheck>>;

  beforeAll(() => {
    for (const [id, files] of written) {
      mkdirSync(join(work, id));
      for (const [name, bytes] of files) writeFileSync(join(work, id, name), bytes);
    }
    const script = `
import json, os, sys, torch
FLOATS = {"scaling", "dropout", "phm_init_range", "stochastic_depth", "dropout_prob"}
def float_types(node, found):
    if isinstance(node, dict):
        for k, v in node.items():
            if k in FLOATS and isinstance(v, (int, float)) and not isinstance(v, bool):
                found[k] = type(v).__name__
            float_types(v, found)
    elif isinstance(node, list):
        for v in node:
            float_types(v, found)
    return found
out = {}
root = sys.argv[1]
for d in sorted(os.listdir(root)):
    entry = {}
    for f in ("pytorch_adapter.bin", "pytorch_model_head.bin"):
        sd = torch.load(os.path.join(root, d, f), weights_only=True)
        entry[f] = {"type": type(sd).__name__, "tensors": {k: {"dtype": str(v.dtype), "shape": list(v.shape), "values": v.flatten().tolist()} for k, v in sd.items()}}
    for f in ("adapter_config.json", "head_config.json"):
        with open(os.path.join(root, d, f), encoding="utf-8") as fh:
            text = fh.read()
        parsed = json.loads(text)
        entry[f] = {"roundtrip": json.dumps(parsed, indent=2, sort_keys=True) == text, "floats": float_types(parsed["config"], {})}
    out[d] = entry
print(json.dumps(out))
`;
    report = runPython(python!, script, [work]);
  }, 60_000);

  it.each(cases)('$type $method: torch.load(weights_only=True) gives the same names, shapes and values (adapter and head)', ({ type, method }) => {
    const id = `${type}-${method}`;
    const exp = exports.get(id)!;
    for (const [file, tensors] of [['pytorch_adapter.bin', exp.adapterTensors], ['pytorch_model_head.bin', exp.head!.tensors]] as const) {
      const loaded = report[id][file];
      expect(loaded.type).toBe('OrderedDict');
      expect(Object.keys(loaded.tensors)).toEqual([...tensors.keys()]);
      for (const [key, t] of tensors) {
        expect(loaded.tensors[key].dtype).toBe('torch.float32');
        expect(loaded.tensors[key].shape, key).toEqual(t.shape);
        expect(loaded.tensors[key].values, key).toEqual(Array.from(t.data));
      }
    }
  });

  it.each(cases)('$type $method: Python\'s json re-dumps both config files to the same text and reads every float field as float', ({ type, method }) => {
    const entry = report[`${type}-${method}`];
    for (const file of ['adapter_config.json', 'head_config.json']) {
      expect(entry[file].roundtrip, file).toBe(true);
      for (const [field, kind] of Object.entries(entry[file].floats)) expect(kind, `${file} ${field}`).toBe('float');
    }
    // Prompt tuning has no float fields; every other method has at least dropout or scaling.
    if (method !== 'prompt_tuning') expect(Object.keys(entry['adapter_config.json'].floats).length).toBeGreaterThan(0);
  });

  it('zips the folder so that Python\'s zipfile reads every file back byte for byte', () => {
    const files = written.get('distilbert-ia3')!;
    const path = join(work, 'export.zip');
    writeFileSync(path, zipAdapterFiles(files));
    const listed = runPython<{ bad: string | null; files: Record<string, string> }>(python!, `
import hashlib, json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    print(json.dumps({"bad": z.testzip(), "files": {n: hashlib.sha256(z.read(n)).hexdigest() for n in z.namelist()}}))
`, [path]);
    expect(listed.bad).toBeNull();
    expect(listed.files).toEqual(Object.fromEntries([...files].map(([name, bytes]) => [name, createHash('sha256').update(bytes).digest('hex')])));
  });
});
