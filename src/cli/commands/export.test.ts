// Reference: the files the export module writes for the same adapter (its own tests check those against Python),
// read back from what the command put on disk; the base model's config comes over real HTTP from the fixture Hub.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningHubServer, startHubServer } from '../../hub-server/index.ts';
import { importAdapter } from '../../core/export/import.ts';
import { readAdapterFiles, writeAdapterFiles } from '../../core/export/node-files.ts';
import { adapterHubFiles } from '../../core/export/adapterhub.ts';
import { randomExport, TRAINING } from '../../core/export/test-support.ts';
import { type EncoderConfig, parseEncoderConfig } from '../../core/model/config.ts';
import { main } from '../main.ts';

const MODEL = 'adapter-studio/tiny-bert';
let server: RunningHubServer;
let dir: string;
let encoder: EncoderConfig;

beforeAll(async () => {
  const root = process.env.ADAPTER_STUDIO_FIXTURES;
  if (!root) throw new Error('ADAPTER_STUDIO_FIXTURES is not set: the vitest globalSetup generates the fixtures');
  server = await startHubServer({ root, port: 0 });
  dir = mkdtempSync(join(tmpdir(), 'adapter-studio-cli-export-'));
  encoder = parseEncoderConfig(JSON.parse(readFileSync(join(root, 'models', MODEL, 'files', 'config.json'), 'utf8')), MODEL);
});
afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function runCli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err: err.join('\n') };
}

/** An adapter folder as `train --out` leaves it, with a checkpoints/ folder beside the files. */
async function trainedFolder(name: string, spec: string): Promise<{ path: string; exp: ReturnType<typeof randomExport> }> {
  const exp = randomExport(encoder, spec, { labels: ['negative', 'positive'], training: TRAINING });
  const path = join(dir, name);
  await writeAdapterFiles(path, new Map([...adapterHubFiles(exp), ['checkpoints/latest.json', new TextEncoder().encode('{}')]]));
  return { path, exp };
}

describe('adapter-studio export', () => {
  it('writes a PEFT zip from a trained LoRA folder; it imports back to the same tensors', async () => {
    const { path, exp } = await trainedFolder('lora', 'lora[r=4,alpha=8]');
    const out = join(dir, 'lora-peft.zip');
    const run = await runCli(['export', '--model', MODEL, '--adapter', path, '--format', 'peft', '--out', out, '--hub', server.url, '--json']);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.out[0]);
    expect(result).toMatchObject({ format: 'peft', out, kind: 'zip', adapter: 'sst2', sourceFormat: 'studio' });
    expect(result.files.map((f: { path: string }) => f.path)).toEqual(['adapter_config.json', 'adapter_model.safetensors', 'README.md']);
    const back = importAdapter(await readAdapterFiles(out), { encoder, name: 'sst2' });
    for (const [key, t] of exp.adapterTensors) expect(Array.from(back.adapterTensors.get(key)!.data), key).toEqual(Array.from(t.data));
  });

  it('writes the AdapterHub folder and the Python project from a folder or a zip, in human form', async () => {
    const { path, exp } = await trainedFolder('seq-bn', 'seq_bn[reduction_factor=8]');
    const out = join(dir, 'seq-bn-hub');
    const run = await runCli(['export', '--model', MODEL, '--adapter', path, '--format', 'adapterhub', '--out', out, '--hub', server.url]);
    expect(run.code).toBe(0);
    expect(run.out[0]).toBe(`Exported adapter "sst2" (read as studio files) as AdapterHub (save_adapter's files) to ${out}:`);
    expect(readdirSync(out).sort()).toEqual(['README.md', 'adapter.safetensors', 'adapter_config.json', 'head_config.json', 'model_head.safetensors', 'pytorch_adapter.bin', 'pytorch_model_head.bin']);
    for (const [name, bytes] of adapterHubFiles(exp)) expect(Buffer.from(readFileSync(join(out, name))).equals(Buffer.from(bytes)), name).toBe(true);

    const zip = join(dir, 'seq-bn.zip');
    await writeAdapterFiles(zip, adapterHubFiles(exp));
    const project = join(dir, 'seq-bn-python');
    expect((await runCli(['export', '--model', MODEL, '--adapter', zip, '--format', 'python', '--out', project, '--hub', server.url])).code).toBe(0);
    expect(readFileSync(join(project, 'train.py'), 'utf8')).toContain('BASE_MODEL = "adapter-studio/tiny-bert"');
    expect(readdirSync(join(project, 'adapter'))).toContain('pytorch_adapter.bin');
  });

  it('says why it cannot: PEFT for a bottleneck adapter, another base model, missing flags', async () => {
    const { path } = await trainedFolder('seq-bn-2', 'seq_bn');
    const peft = await runCli(['export', '--model', MODEL, '--adapter', path, '--format', 'peft', '--out', join(dir, 'x'), '--hub', server.url]);
    expect(peft.code).toBe(1);
    expect(peft.err).toMatch(/cannot be exported for PEFT: PEFT has no bottleneck adapters/);
    const other = await runCli(['export', '--model', 'adapter-studio/tiny-roberta', '--adapter', path, '--format', 'adapterhub', '--out', join(dir, 'y'), '--hub', server.url, '--json']);
    expect(other.code).toBe(1);
    expect(JSON.parse(other.out[0]).error).toMatchObject({ name: 'AdapterImportError', message: expect.stringMatching(/trained on "adapter-studio\/tiny-bert" \(bert\), not on "adapter-studio\/tiny-roberta"/) });
    expect((await runCli(['export', '--model', MODEL, '--adapter', path, '--out', join(dir, 'z')])).code).toBe(2);
    expect((await runCli(['export', '--model', MODEL, '--adapter', path, '--format', 'onnx', '--out', join(dir, 'z')])).err).toMatch(/--format must be one of adapterhub, peft, python/);
  });
});
