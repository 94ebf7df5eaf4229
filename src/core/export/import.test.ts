// Reference: the `adapters` library's loading rules (loading.py: legacy weight names, ACTIVATION_RENAME for configs
// without "version", the LoRA alpha fix for versions before 1.1.0, base-model loads without the prefix) and what
// the studio can build (planAdapter / planHead). Each mismatch must fail with its own problem code and a message
// naming the file and the fix.
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { ADAPTERHUB_FILE, adapterHubFiles } from './adapterhub.ts';
import { AdapterImportError } from './errors.ts';
import { importAdapter } from './import.ts';
import { writeSafetensors } from './safetensors-writer.ts';
import { ENCODERS, randomExport } from './test-support.ts';
import { writeTorchBin } from './torch-bin-writer.ts';
import type { AdapterFiles, ExportTensors } from './types.ts';
import { zipAdapterFiles, unzipAdapterFiles } from './zip.ts';

const encoder = ENCODERS.bert;
const exp = randomExport(encoder, 'seq_bn[reduction_factor=4]', { labels: ['no', 'yes'] });
const files = adapterHubFiles(exp);

const json = (files: AdapterFiles, name: string) => JSON.parse(new TextDecoder().decode(files.get(name)));
const withFile = (name: string, bytes: Uint8Array, from: AdapterFiles = files) => new Map([...from, [name, bytes]]);
const withConfig = (meta: Record<string, unknown>, from: AdapterFiles = files) => withFile(ADAPTERHUB_FILE.config, new TextEncoder().encode(JSON.stringify(meta)), from);
/** The folder with only `tensors` as adapter weights (in both files). */
function withTensors(tensors: ExportTensors): AdapterFiles {
  const list = [...tensors].map(([name, t]) => ({ name, shape: t.shape, data: t.data }));
  return withFile(ADAPTERHUB_FILE.safeWeights, writeSafetensors(list.map((t) => ({ ...t, dtype: 'F32' as const })), null),
    withFile(ADAPTERHUB_FILE.weights, writeTorchBin(list.map((t) => ({ ...t, dtype: 'float32' as const })))));
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
