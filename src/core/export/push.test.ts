// Reference: a real HTTP round trip through the offline Hub (src/hub-server: /api/repos/create, preupload, NDJSON
// commit, resolve): what is pushed must download back byte for byte and import back to the same adapter; the token
// must appear nowhere but in Authorization headers (not in any exported byte, any file the server stored, any log
// line of the server or of the process, any error message).
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type RunningHubServer, startHubServer } from '../../hub-server/index.ts';
import { offlineHub, withToken } from '../../hub/endpoint.ts';
import { adapterHubFiles } from './adapterhub.ts';
import { HubPushError } from './errors.ts';
import { importAdapterFromHub } from './hub-import.ts';
import { peftFiles } from './peft.ts';
import { type PushProgress, pushAdapterToHub } from './push.ts';
import { pythonProjectFiles } from './python-project.ts';
import { ENCODERS, TRAINING, randomExport } from './test-support.ts';
import type { AdapterFiles, ExportTensors } from './types.ts';
import { zipAdapterFiles } from './zip.ts';

const TOKEN = 'hf_CanaryToken9f8e7d6c5b4a3210Zz';
const encoder = ENCODERS.bert;
const exp = randomExport(encoder, 'seq_bn[reduction_factor=4]', { labels: ['no', 'yes'], training: TRAINING });
const loraExp = randomExport(encoder, 'lora[r=4,alpha=8]', { labels: ['no', 'yes'] });

let root: string;
let server: RunningHubServer;
const serverLog: string[] = [];
const processLog: string[] = [];
const produced: AdapterFiles[] = [];
const errors: string[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'push-hub-'));
  // The base model PEFT imports look up (config.json only).
  mkdirSync(join(root, 'models', 'acme', 'bert-small', 'files'), { recursive: true });
  writeFileSync(join(root, 'models', 'acme', 'bert-small', 'files', 'config.json'), JSON.stringify({ model_type: 'bert', hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 24, max_position_embeddings: 40, vocab_size: 50 }));
  server = await startHubServer({ root, port: 0, log: (line) => serverLog.push(line) });
  // Everything the process prints while pushing.
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => { processLog.push(args.map(String).join(' ')); });
  }
  const write = (stream: NodeJS.WriteStream) => {
    const original = stream.write.bind(stream);
    vi.spyOn(stream, 'write').mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
      processLog.push(String(chunk));
      return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write);
  };
  write(process.stdout);
  write(process.stderr);
});

afterAll(async () => {
  vi.restoreAllMocks();
  await server?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

const endpoint = () => withToken(offlineHub(server.url), TOKEN);

async function download(repo: string, path: string): Promise<Uint8Array> {
  const res = await fetch(`${server.url}/${repo}/resolve/main/${path}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  expect(res.status, path).toBe(200);
  return new Uint8Array(await res.arrayBuffer());
}

function expectSameTensors(got: ExportTensors, want: ExportTensors): void {
  expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
  for (const [key, t] of want) expect(Buffer.from(got.get(key)!.data.buffer, got.get(key)!.data.byteOffset, got.get(key)!.data.byteLength).equals(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)), key).toBe(true);
}

describe('pushAdapterToHub', () => {
  it('creates a private repo, uploads every file, and the Hub serves them back byte for byte', async () => {
    const files = adapterHubFiles(exp, { location: 'acme/sst2-adapter' });
    produced.push(files);
    const progress: PushProgress[] = [];
    const result = await pushAdapterToHub({ endpoint: offlineHub(server.url), token: TOKEN, repo: 'acme/sst2-adapter', files, private: true, onProgress: (p) => progress.push(p) });
    expect(result).toMatchObject({ repoUrl: `${server.url}/acme/sst2-adapter`, created: true, commitOid: expect.stringMatching(/^[0-9a-f]{40}$/) });
    const phases = progress.map((p) => p.phase);
    expect([phases[0], phases.at(-1)]).toEqual(['creating', 'done']);
    expect(phases).toContain('committing');
    for (const [path, bytes] of files) expect(Buffer.from(await download('acme/sst2-adapter', path)).equals(Buffer.from(bytes)), path).toBe(true);
    // Private: nothing without the token.
    expect((await fetch(`${server.url}/acme/sst2-adapter/resolve/main/adapter_config.json`)).status).toBe(401);
  });

  it('pushes again into an existing repo (a new commit), the token coming from the endpoint', async () => {
    const files = pythonProjectFiles(exp);
    produced.push(files);
    const first = await pushAdapterToHub({ endpoint: endpoint(), repo: 'acme/sst2-python', files });
    const second = await pushAdapterToHub({ endpoint: endpoint(), repo: 'acme/sst2-python', files: new Map([['train.py', files.get('train.py')!]]), commitTitle: 'Update train.py' });
    expect([first.created, second.created]).toEqual([true, false]);
    expect(second.commitOid).not.toBe(first.commitOid);
    for (const path of ['train.py', 'adapter/pytorch_adapter.bin']) expect(Buffer.from(await download('acme/sst2-python', path)).equals(Buffer.from(files.get(path)!)), path).toBe(true);
  });

  it('imports the pushed adapter back from the Hub with the same tensors, head and training record', async () => {
    const imported = await importAdapterFromHub(endpoint(), 'acme/sst2-adapter', { encoder });
    expect(imported.sourceFormat).toBe('studio');
    expectSameTensors(imported.adapterTensors, exp.adapterTensors);
    expectSameTensors(imported.head!.tensors, exp.head!.tensors);
    expect(imported.training).toEqual(TRAINING);
  });

  it('imports a pushed PEFT adapter, reading the base model\'s config from the Hub', async () => {
    const files = peftFiles(loraExp);
    produced.push(files);
    await pushAdapterToHub({ endpoint: endpoint(), repo: 'acme/sst2-peft', files });
    const imported = await importAdapterFromHub(endpoint(), 'acme/sst2-peft', { name: 'sst2' });
    expect(imported.sourceFormat).toBe('peft');
    expectSameTensors(imported.adapterTensors, loraExp.adapterTensors);
    await expect(importAdapterFromHub(endpoint(), 'acme/nothing-here')).rejects.toMatchObject({ problem: 'Hub' });
  });

  it('fails with a HubPushError that keeps the status but not the token', async () => {
    server.handler.faults = { pathPattern: '/commit/', failStatus: 500 };
    try {
      const failed = await pushAdapterToHub({ endpoint: endpoint(), repo: 'acme/sst2-adapter', files: adapterHubFiles(exp) }).catch((err: unknown) => err);
      expect(failed).toBeInstanceOf(HubPushError);
      expect((failed as HubPushError).message).toMatch(/Could not upload 7 files to "acme\/sst2-adapter"/);
      errors.push((failed as Error).message, String((failed as Error).cause));
    } finally {
      server.handler.faults = {};
    }
    await expect(pushAdapterToHub({ endpoint: offlineHub(server.url), repo: 'acme/x', files: adapterHubFiles(exp) })).rejects.toThrow(/needs an access token/);
    await expect(pushAdapterToHub({ endpoint: endpoint(), repo: 'no-namespace', files: adapterHubFiles(exp) })).rejects.toThrow(/"owner\/name"/);
  });

  it('never lets the token into an exported byte, a stored file, a log line or an error', () => {
    produced.push(new Map([['export.zip', zipAdapterFiles(produced[0])]]));
    const needle = Buffer.from(TOKEN);
    for (const files of produced) for (const [path, bytes] of files) expect(Buffer.from(bytes).includes(needle), path).toBe(false);
    const stored: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else {
          stored.push(path);
          expect(readFileSync(path).includes(needle), path).toBe(false);
        }
      }
    };
    walk(root);
    expect(stored.some((p) => p.endsWith('train.py'))).toBe(true);
    expect(serverLog.some((line) => line.includes('/commit/main'))).toBe(true);
    for (const line of [...serverLog, ...processLog, ...errors]) expect(line.includes(TOKEN), line).toBe(false);
    // The token did travel, in the Authorization header only: a request without it was refused above.
  });
});
