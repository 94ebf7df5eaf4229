// Reference: the `adapters` library's loading rules (loading.py: legacy weight names, ACTIVATION_RENAME for configs
// without "version", the LoRA alpha fix for versions before 1.1.0, base-model loads without the prefix) and what
// the studio can build (planAdapter / planHead). Each mismatch must fail with its own problem code and a message
// naming the file and the fix.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { ADAPTERHUB_FILE, adapterHubFiles } from './adapterhub.ts';
import { AdapterImportError } from './errors.ts';
import { importAdapter } from './import.ts';
import { writeSafetensors } from './safetensors-writer.ts';
import { ENCODERS, findTorchPython, randomExport, runPython } from './test-support.ts';
import { writeTorchBin } from './torch-bin-writer.ts';
import type { AdapterFiles, ExportTensors } from './types.ts';
import { zipAdapterFiles, unzipAdapterFiles } from './zip.ts';

const encoder = ENCODERS.bert;
const python = findTorchPython();
const exp = randomExport(encoder, 'seq_bn[reduction_factor=4]', { labels: ['no', 'yes'] });
const files = adapterHubFiles(exp);

const json = (files: AdapterFiles, name: string) => JSON.parse(new TextDecoder().decode(files.get(name)));
const withFile = (name: string, bytes: Uint8Array, from: AdapterFiles = files) => new Map([...from, [name, bytes]]);
const withConfig = (meta: Record<string, unknown>, from: AdapterFiles = files) => withFile(ADAPTERHUB_FILE.config, new TextEncoder().encode(JSON.stringify(meta)), from);
/** The folder with only `tensors` as adapter weights (in both files). */
function withTensors(tensors: ExportTensors, from: AdapterFiles = files): AdapterFiles {
  const list = [...tensors].map(([name, t]) => ({ name, shape: t.shape, data: t.data }));
  return withFile(ADAPTERHUB_FILE.safeWeights, writeSafetensors(list.map((t) => ({ ...t, dtype: 'F32' as const })), null),
    withFile(ADAPTERHUB_FILE.weights, writeTorchBin(list.map((t) => ({ ...t, dtype: 'float32' as const }))), from));
}

function problemOf(run: () => unknown): { problem: string; message: string; keys: string[] } {
  try {
    run();
  } catch (err) {
    if (!(err instanceof AdapterImportError)) throw err;
    return { problem: err.problem, message: err.message, keys: err.keys };
  }
  throw new Error('expected an AdapterImportError');
}

describe('importAdapter mismatches', () => {
  it('another base model (type or name) or hidden size', () => {
    expect(problemOf(() => importAdapter(files, { encoder: ENCODERS.roberta }))).toMatchObject({ problem: 'OtherBaseModel', message: expect.stringMatching(/trained on "acme\/bert-small" \(bert\), not on "acme\/roberta-small".*Load acme\/bert-small/) });
    expect(problemOf(() => importAdapter(files, { encoder: { ...encoder, repoId: 'acme/bert-large' } })).problem).toBe('OtherBaseModel');
    // The same model under its namespaced id is fine.
    expect(importAdapter(files, { encoder: { ...encoder, repoId: 'google/bert-small' } }).name).toBe('sst2');
    expect(problemOf(() => importAdapter(files, { encoder: { ...encoder, hiddenSize: 32 } }))).toMatchObject({ problem: 'HiddenSize', message: expect.stringMatching(/hidden size 16; "acme\/bert-small" has 32/) });
  });

  it('a method the studio cannot run', () => {
    const meta = json(files, ADAPTERHUB_FILE.config);
    const reft = withConfig({ ...meta, config: { architecture: 'reft', layers: 'all', r: 1 } });
    expect(problemOf(() => importAdapter(reft))).toMatchObject({ problem: 'UnknownMethod', message: expect.stringMatching(/"reft"/) });
    const invertible = withConfig({ ...meta, config: { ...meta.config, inv_adapter: 'nice' } });
    expect(problemOf(() => importAdapter(invertible)).problem).toBe('UnknownMethod');
  });

  it('missing, unexpected and mis-shaped tensors, with the keys at fault', () => {
    const key = 'bert.encoder.layer.1.output.adapters.sst2.adapter_up.weight';
    const missing = new Map(exp.adapterTensors);
    missing.delete(key);
    expect(problemOf(() => importAdapter(withTensors(missing), { encoder }))).toMatchObject({ problem: 'MissingTensors', keys: [key] });

    const extra = new Map(exp.adapterTensors).set('bert.encoder.layer.5.output.adapters.sst2.adapter_up.weight', exp.adapterTensors.get(key)!);
    expect(problemOf(() => importAdapter(withTensors(extra), { encoder }))).toMatchObject({ problem: 'UnexpectedTensors', keys: ['bert.encoder.layer.5.output.adapters.sst2.adapter_up.weight'] });

    const foreign = new Map(exp.adapterTensors).set('bert.encoder.layer.0.output.adapters.other.adapter_up.weight', exp.adapterTensors.get(key)!);
    expect(problemOf(() => importAdapter(withTensors(foreign)))).toMatchObject({ problem: 'UnexpectedTensors', message: expect.stringMatching(/not adapter "sst2"'s/) });

    const wrong = new Map(exp.adapterTensors).set(key, { shape: [4, 16], data: new Float32Array(64) });
    expect(problemOf(() => importAdapter(withTensors(wrong), { encoder }))).toMatchObject({ problem: 'WrongShape', message: expect.stringMatching(/adapter_up\.weight is \[4, 16\], expected \[16, 4\]/) });

    const badHead = withFile(ADAPTERHUB_FILE.safeHeadWeights, writeSafetensors([{ name: 'heads.sst2.4.weight', dtype: 'F32', shape: [2, 16], data: new Float32Array(32) }], null));
    expect(problemOf(() => importAdapter(badHead, { encoder }))).toMatchObject({ problem: 'MissingTensors', message: expect.stringMatching(/^Head "sst2"/) });
  });

  it('files that are not an adapter, broken JSON, a pickle that calls anything but a tensor rebuild', () => {
    expect(problemOf(() => importAdapter(new Map([['model.safetensors', new Uint8Array(8)]]))).problem).toBe('NotAnAdapter');
    expect(problemOf(() => importAdapter(withConfig({ hello: 'world' }))).problem).toBe('NotAnAdapter');
    expect(problemOf(() => importAdapter(withFile(ADAPTERHUB_FILE.config, new TextEncoder().encode('{"config": ')))).problem).toBe('CorruptFile');
    // PROTO 2, GLOBAL os.system, STOP: torch.load(weights_only=True) refuses it, and so must we.
    const evil = zipSync({ 'archive/data.pkl': Uint8Array.of(0x80, 2, 0x63, ...new TextEncoder().encode('os\nsystem\n'), 0x2e), 'archive/version': new TextEncoder().encode('3\n') });
    const binOnly = new Map([...withFile(ADAPTERHUB_FILE.weights, evil)].filter(([name]) => name !== ADAPTERHUB_FILE.safeWeights));
    const refused = problemOf(() => importAdapter(binOnly));
    expect(refused).toMatchObject({ problem: 'CorruptFile', message: expect.stringMatching(/Refused to load .*os\.system/) });
    const zipped = unzipAdapterFiles(zipSync({ 'a/adapter_config.json': files.get(ADAPTERHUB_FILE.config)!, 'b/adapter_config.json': files.get(ADAPTERHUB_FILE.config)! }), 'two.zip');
    expect(problemOf(() => importAdapter(zipped, { source: 'two.zip' }))).toMatchObject({ problem: 'NotAnAdapter', message: expect.stringMatching(/several adapters \(a, b\)/) });
  });
});

describe('importAdapter of older files, as the library loads them', () => {
  it('renames legacy activations when "version" is missing, and fixes LoRA alpha written before adapters 1.1.0', () => {
    const meta = json(files, ADAPTERHUB_FILE.config);
    const { version: _, ...unversioned } = { ...meta, config: { ...meta.config, non_linearity: 'gelu' } };
    const legacy = importAdapter(withConfig(unversioned), { encoder });
    expect(legacy.adapterConfig.non_linearity).toBe('gelu_new');
    expect(legacy.notes[0]).toMatch(/no "version".*"gelu" read as "gelu_new"/);

    const lora = adapterHubFiles(randomExport(encoder, 'lora[r=4,alpha=16]'));
    const loraMeta = json(lora, ADAPTERHUB_FILE.config);
    expect(importAdapter(withConfig({ ...loraMeta, version: 'adapters.1.0.1' }, lora)).adapterConfig.alpha).toBe(4);
    expect(importAdapter(withConfig({ ...loraMeta, version: 'adapters.1.1.0' }, lora)).adapterConfig.alpha).toBe(16);
  });

  it('reads legacy module names and keys saved without the model prefix', () => {
    const legacy: ExportTensors = new Map([...exp.adapterTensors].map(([k, t]) => [k.replace(/^bert\./, '').replace('output.adapters', 'output.layer_text_task_adapters'), t]));
    const imported = importAdapter(withTensors(legacy), { encoder });
    expect([...imported.adapterTensors.keys()].sort()).toEqual([...exp.adapterTensors.keys()].sort());
    expect(imported.notes.join(' ')).toMatch(/prefix, legacy module names/);
  });

  it('finds the adapter inside a zip\'s sub-folder', () => {
    const nested = unzipAdapterFiles(zipAdapterFiles(new Map([...files].map(([name, bytes]) => [`my-adapter/${name}`, bytes]))), 'nested.zip');
    expect(importAdapter(nested, { encoder }).adapterTensors.size).toBe(exp.adapterTensors.size);
  });
});

describe('the prefix pool\'s per-layer copies', () => {
  // save_adapter lists the pool under each layer's PrefixTuningLayer too (methods/prefix_tuning.py line 349, set_pool;
  // model_mixin.py line 489), so the library's prefix-tuning folders carry "…attention.self.prefix_tuning.pool.prefix_tunings.NAME.*".
  const prefix = randomExport(encoder, 'prefix_tuning[prefix_length=3, bottleneck_size=5]', { labels: ['no', 'yes'] });
  const copyKey = 'bert.encoder.layer.1.attention.self.prefix_tuning.pool.prefix_tunings.sst2.self_prefix.control_trans.0.weight';
  const poolKey = 'bert.prefix_tuning.prefix_tunings.sst2.self_prefix.control_trans.0.weight';

  it('are written on export and accepted on import, and files without them (older exports) still import', () => {
    expect(prefix.adapterTensors.has(copyKey)).toBe(true);
    const imported = importAdapter(adapterHubFiles(prefix), { encoder });
    expect([...imported.adapterTensors.keys()]).toEqual([...prefix.adapterTensors.keys()]);
    const poolOnly = new Map([...prefix.adapterTensors].filter(([key]) => !key.includes('.pool.')));
    expect(poolOnly.size).toBe(5);
    const older = importAdapter(withTensors(poolOnly, adapterHubFiles(prefix)), { encoder });
    expect(older.adapterTensors.get(poolKey)!.data).toEqual(prefix.adapterTensors.get(poolKey)!.data);
  });

  it('that differ from the pool are refused, naming both keys', () => {
    const edited = new Map(prefix.adapterTensors);
    const copy = edited.get(copyKey)!;
    const data = copy.data.slice();
    data[3] += 1;
    edited.set(copyKey, { shape: copy.shape, data });
    expect(problemOf(() => importAdapter(withTensors(edited, adapterHubFiles(prefix)), { encoder }))).toMatchObject({
      problem: 'UnequalCopies',
      message: expect.stringMatching(/holds bert\.prefix_tuning\.prefix_tunings\.sst2\.self_prefix\.control_trans\.0\.weight and bert\.encoder\.layer\.1\.attention\.self\.prefix_tuning\.pool\..*with different values/),
    });
  });

  it.skipIf(!python)('a pytorch_adapter.bin that torch.save wrote with one storage shared by the pool and its copies imports', () => {
    const work = mkdtempSync(join(tmpdir(), 'prefix-copies-'));
    try {
      // The state dict as save_adapter builds it: the copies are the pool's tensors themselves (one storage each).
      const names = [...prefix.adapterTensors.keys()];
      const pool = names.filter((k) => k.startsWith('bert.prefix_tuning.'));
      writeFileSync(join(work, 'pool.json'), JSON.stringify(Object.fromEntries(pool.map((k) => [k, { shape: prefix.adapterTensors.get(k)!.shape, values: [...prefix.adapterTensors.get(k)!.data] }]))));
      writeFileSync(join(work, 'order.json'), JSON.stringify(names));
      const storages = runPython<number>(python!, `
import collections, json, sys, torch
root = sys.argv[1]
pool = {k: torch.tensor(v["values"], dtype=torch.float32).reshape(v["shape"]) for k, v in json.load(open(root + "/pool.json")).items()}
suffix = lambda k: k.split(".prefix_tunings.")[1]
by_suffix = {suffix(k): t for k, t in pool.items()}
sd = collections.OrderedDict((k, by_suffix[suffix(k)]) for k in json.load(open(root + "/order.json")))
torch.save(sd, root + "/pytorch_adapter.bin")
print(json.dumps(len({t.data_ptr() for t in sd.values()})))
`, [work]);
      expect(storages).toBe(pool.length);
      const bin = new Uint8Array(readFileSync(join(work, 'pytorch_adapter.bin')));
      const folder = new Map([...adapterHubFiles(prefix)].filter(([name]) => name !== ADAPTERHUB_FILE.safeWeights));
      folder.set(ADAPTERHUB_FILE.weights, bin);
      const imported = importAdapter(folder, { encoder });
      expect([...imported.adapterTensors.keys()]).toEqual(names);
      for (const key of names) expect(imported.adapterTensors.get(key)!.data, key).toEqual(prefix.adapterTensors.get(key)!.data);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
