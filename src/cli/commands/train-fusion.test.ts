/**
 * `train --fuse A,B` end to end on the offline Hub: two adapters trained by `train`, a fusion of them trained with a
 * new head, the folders the adapters library writes (the fused adapters byte for byte as they were given), `predict`
 * on the result, `export` of it, and the refusals.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTorchPython, runPython } from '../../core/export/test-support.ts';
import { unzipAdapterFiles } from '../../core/export/zip.ts';
import { type RunningHubServer, startHubServer } from '../../hub-server/index.ts';
import { main } from '../main.ts';

let server: RunningHubServer;
let dir: string;

beforeAll(async () => {
  const root = process.env.ADAPTER_STUDIO_FIXTURES;
  if (!root) throw new Error('ADAPTER_STUDIO_FIXTURES is not set: the vitest globalSetup generates the fixtures');
  server = await startHubServer({ root, port: 0 });
  dir = mkdtempSync(join(tmpdir(), 'adapter-studio-cli-fusion-'));
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

const MODEL = 'adapter-studio/tiny-bert';
const python = findTorchPython();

describe('adapter-studio train --fuse', () => {
  it('fuses two trained adapters with a new head; writes A/, B/, A,B/ and the head; predict and export read it back', async () => {
    const common = ['--model', MODEL, '--hub', server.url, '--lr', '1e-3', '--json'];
    const a = join(dir, 'sentiment');
    const b = join(dir, 'topics');
    expect((await runCli(['train', ...common, '--dataset', 'adapter-studio/tiny-sentiment', '--name', 'sentiment', '--max-steps', '8', '--out', a])).code).toBe(0);
    expect((await runCli(['train', ...common, '--dataset', 'adapter-studio/tiny-topics', '--name', 'topics', '--max-steps', '8', '--out', b])).code).toBe(0);

    const out = join(dir, 'fused');
    const trained = await runCli(['train', ...common, '--fuse', `${a},${b}`, '--dataset', 'adapter-studio/tiny-sst2', '--max-steps', '6', '--validation-rows', '32', '--out', out]);
    expect(trained.err).toBe('');
    expect(trained.code).toBe(0);
    const lines = trained.out.map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ kind: 'start', method: 'fusion', fusion: 'sentiment,topics', adapters: ['sentiment', 'topics'], head: 'tiny-sst2', fusionConfig: { value: true, regularization: true } });
    // 2 layers × (query 64·64 + 64, key 64·64 + 64, value 64·64) + the head (64·64 + 64 + 2·64 + 2).
    expect(lines[0].trainableParameters).toBe(2 * (3 * 64 * 64 + 2 * 64) + (64 * 64 + 64 + 2 * 64 + 2));
    const result = lines.at(-1);
    expect(result).toMatchObject({ kind: 'result', steps: 6, adapterDir: out, fusionDir: join(out, 'sentiment,topics') });
    expect(readdirSync(out).sort()).toEqual(['README.md', 'checkpoints', 'sentiment', 'sentiment,topics', 'tiny-sst2', 'topics']);
    // The fused adapters are written exactly as they were given.
    for (const [folder, given] of [['sentiment', a], ['topics', b]]) {
      for (const file of ['adapter_config.json', 'pytorch_adapter.bin', 'adapter.safetensors']) expect(readFileSync(join(out, folder, file))).toEqual(readFileSync(join(given, file)));
    }
    const fusionConfig = JSON.parse(readFileSync(join(out, 'sentiment,topics', 'adapter_fusion_config.json'), 'utf8'));
    expect(fusionConfig).toMatchObject({ name: 'sentiment,topics', adapter_names: ['sentiment', 'topics'], model_name: MODEL, model_class: 'BertAdapterModel', config: { value_initialized: true } });
    expect(JSON.parse(readFileSync(join(out, 'tiny-sst2', 'head_config.json'), 'utf8'))).toMatchObject({ name: 'tiny-sst2', config: { num_labels: 2, label2id: { negative: 0, positive: 1 } } });
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toContain(`model.load_adapter_fusion("path/to/this/folder/sentiment,topics")`);
    if (python) {
      const keys = runPython<string[]>(python, 'import json, sys, torch; print(json.dumps(list(torch.load(sys.argv[1], weights_only=True).keys())))', [join(out, 'sentiment,topics', 'pytorch_model_adapter_fusion.bin')]);
      expect(keys).toEqual([0, 1].flatMap((l) => ['query.weight', 'query.bias', 'key.weight', 'key.bias', 'value.weight'].map((k) => `bert.encoder.layer.${l}.output.adapter_fusion_layer.sentiment,topics.${k}`)));
    }

    // predict reads the fusion from its --out or from the fusion's own folder, with the same result.
    const predicted = [];
    for (const path of [out, join(out, 'sentiment,topics')]) {
      const run = await runCli(['predict', '--model', MODEL, '--hub', server.url, '--adapter', path, '--text', 'a wonderful film', '--json']);
      expect(run.code).toBe(0);
      predicted.push(JSON.parse(run.out[0]));
    }
    expect(predicted[0]).toMatchObject({ adapter: 'sentiment,topics' });
    expect(['negative', 'positive']).toContain(predicted[0].label);
    expect(predicted[1].logits).toEqual(predicted[0].logits);

    // export writes the same files again (as a zip); PEFT has no fusion.
    const zip = join(dir, 'fused.zip');
    const exported = await runCli(['export', '--model', MODEL, '--hub', server.url, '--adapter', out, '--format', 'adapterhub', '--out', zip, '--json']);
    expect(exported.code).toBe(0);
    const files = unzipAdapterFiles(new Uint8Array(readFileSync(zip)), zip);
    for (const path of ['sentiment,topics/pytorch_model_adapter_fusion.bin', 'sentiment,topics/model_adapter_fusion.safetensors', 'tiny-sst2/pytorch_model_head.bin', 'topics/pytorch_adapter.bin']) {
      expect(files.get(path)).toEqual(new Uint8Array(readFileSync(join(out, ...path.split('/')))));
    }
    const peft = await runCli(['export', '--model', MODEL, '--hub', server.url, '--adapter', out, '--format', 'peft', '--out', join(dir, 'peft')]);
    expect(peft.code).toBe(2);
    expect(peft.err).toMatch(/is an AdapterFusion/);
    expect(existsSync(join(dir, 'peft'))).toBe(false);
  }, 300_000);

  it('explains wrong fusion flags', async () => {
    const base = ['train', '--model', MODEL, '--hub', server.url, '--dataset', 'adapter-studio/tiny-sst2', '--out', join(dir, 'bad')];
    const one = await runCli([...base, '--fuse', join(dir, 'sentiment')]);
    expect(one.code).toBe(2);
    expect(one.err).toMatch(/--fuse takes two or more adapter folders/);
    const mixed = await runCli([...base, '--fuse', 'a,b', '--method', 'lora']);
    expect(mixed.code).toBe(2);
    expect(mixed.err).toMatch(/leave out --method/);
    const lone = await runCli([...base, '--fusion-config', 'static']);
    expect(lone.code).toBe(2);
    expect(lone.err).toMatch(/--fusion-config goes with --fuse/);
  });
});
