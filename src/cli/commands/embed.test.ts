import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEncoder } from '../../core/model/load-encoder.ts';
import { offlineHub } from '../../hub/endpoint.ts';
import { type RunningHubServer, startHubServer } from '../../hub-server/index.ts';
import { main } from '../main.ts';

let server: RunningHubServer;

beforeAll(async () => {
  const root = process.env.ADAPTER_STUDIO_FIXTURES;
  if (!root) throw new Error('ADAPTER_STUDIO_FIXTURES is not set: the vitest globalSetup generates the fixtures');
  server = await startHubServer({ root, port: 0 });
});
afterAll(() => server?.close());

async function runCli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** What loadEncoder's own forward gives for the same input, on the backend the CLI used. */
async function reference(model: string, backend: string, text: string, pair?: string, maxLength?: number) {
  const encoder = await loadEncoder(offlineHub(server.url), model, { backend });
  try {
    const batch = encoder.tokenizer.encode([text], pair === undefined ? undefined : [pair], { maxLength });
    const output = encoder.forward(batch);
    const firstToken = Array.from(await output.firstToken.data());
    tf.dispose(output as unknown as tf.TensorContainer);
    return { inputIds: Array.from(batch.inputIds), tokenTypeIds: Array.from(batch.tokenTypeIds), firstToken };
  } finally {
    encoder.dispose();
  }
}

describe('adapter-studio embed', () => {
  it('prints token ids and the first-token vector that loadEncoder(...).forward computes (--json)', async () => {
    const text = 'the film was superb';
    const pair = 'the cast was dull';
    const { code, out } = await runCli(['embed', '--model', 'adapter-studio/tiny-bert', '--text', text, '--text-pair', pair, '--hub', server.url, '--json']);
    expect(code).toBe(0);
    const result = JSON.parse(out);
    expect(Object.keys(result)).toEqual(['model', 'backend', 'tokenizer_source', 'input_ids', 'attention_mask', 'token_type_ids', 'first_token']);
    expect(result.model).toBe('adapter-studio/tiny-bert');
    expect(result.tokenizer_source).toBe('tokenizer.json');
    const want = await reference('adapter-studio/tiny-bert', result.backend, text, pair);
    expect(result.input_ids).toEqual(want.inputIds);
    expect(result.token_type_ids).toEqual(want.tokenTypeIds);
    expect(result.attention_mask).toEqual(want.inputIds.map(() => 1));
    expect(result.first_token).toHaveLength(64);
    expect(result.first_token).toEqual(want.firstToken);
  });

  it('truncates to --max-length on a RoBERTa-family model', async () => {
    const text = 'a long sentence about a film that goes on and on and on';
    const { code, out } = await runCli(['embed', '--model', 'adapter-studio/tiny-roberta', '--text', text, '--hub', server.url, '--max-length', '6', '--backend', 'cpu', '--json']);
    expect(code).toBe(0);
    const result = JSON.parse(out);
    expect(result.backend).toBe('cpu');
    const want = await reference('adapter-studio/tiny-roberta', 'cpu', text, undefined, 6);
    expect(result.input_ids).toHaveLength(6);
    expect(result.input_ids).toEqual(want.inputIds);
    expect(result.first_token).toEqual(want.firstToken);
  });

  it('fails with the clear error and exit code 1 for bad ids, 2 for bad flags', async () => {
    const missing = await runCli(['embed', '--model', 'adapter-studio/no-such-model', '--text', 'x', '--hub', server.url, '--json']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.out).error).toMatchObject({ name: 'ModelLoadError', message: expect.stringMatching(/^Model "adapter-studio\/no-such-model" was not found on http:\/\/127\.0\.0\.1:\d+\. Check the spelling of the id\./) });

    const malformed = await runCli(['embed', '--model', '../etc/passwd', '--text', 'x', '--hub', server.url]);
    expect(malformed.code).toBe(1);
    expect(malformed.err).toContain('"../etc/passwd" is not a Hub repository id');

    const token = process.env.HF_TOKEN;
    delete process.env.HF_TOKEN;
    try {
      const gated = await runCli(['embed', '--model', 'adapter-studio/tiny-bert-gated', '--text', 'x', '--hub', server.url]);
      expect(gated.code).toBe(1);
      expect(gated.err).toContain('is gated or private, so config.json needs an access token');
      process.env.HF_TOKEN = 'hf_cli_embed_secret';
      const allowed = await runCli(['embed', '--model', 'adapter-studio/tiny-bert-gated', '--text', 'x', '--hub', server.url, '--json']);
      expect(allowed.code).toBe(0);
      expect(allowed.out + allowed.err).not.toContain('hf_cli_embed_secret');
    } finally {
      if (token === undefined) delete process.env.HF_TOKEN;
      else process.env.HF_TOKEN = token;
    }

    expect((await runCli(['embed', '--text', 'x'])).code).toBe(2);
    expect((await runCli(['embed', '--model', 'a/b', '--text', 'x', '--backend', 'webgl'])).code).toBe(2);
  });

  it('--revision reads the model at a pull request, a commit id or main; an unknown one fails by name', async () => {
    const text = 'a gripping, magnificent screenplay';
    const base = JSON.parse((await runCli(['embed', '--model', 'adapter-studio/tiny-bert', '--text', text, '--hub', server.url, '--backend', 'cpu', '--json'])).out);
    // tiny-bert-bin has tiny-bert's tensors: pytorch_model.bin on main, model.safetensors added in refs/pr/1.
    const weightsRead = async (revision: string[]) => {
      await fetch(`${server.url}/__stats/reset`, { method: 'POST' });
      const run = await runCli(['embed', '--model', 'adapter-studio/tiny-bert-bin', ...revision, '--text', text, '--hub', server.url, '--backend', 'cpu', '--json']);
      expect(run.code, run.out + run.err).toBe(0);
      const stats = (await (await fetch(`${server.url}/__stats`)).json()) as { byPath: Record<string, unknown> };
      const files = Object.keys(stats.byPath).filter((path) => /\/resolve\/.*(model\.safetensors|pytorch_model\.bin)$/.test(path)).map(decodeURIComponent);
      return { result: JSON.parse(run.out), files };
    };
    const pr = await weightsRead(['--revision', 'refs/pr/1']);
    expect(pr.files).toEqual(['/adapter-studio/tiny-bert-bin/resolve/refs/pr/1/model.safetensors']);
    expect(pr.result).toMatchObject({ model: 'adapter-studio/tiny-bert-bin', revision: 'refs/pr/1', input_ids: base.input_ids });
    pr.result.first_token.forEach((v: number, i: number) => expect(v).toBeCloseTo(base.first_token[i], 6));
    const main = await weightsRead([]);
    expect(main.files).toEqual(['/adapter-studio/tiny-bert-bin/resolve/main/pytorch_model.bin']);
    expect(main.result.revision).toBeUndefined();

    const sha = (await (await fetch(`${server.url}/api/models/adapter-studio/tiny-bert`)).json() as { sha: string }).sha;
    const pinned = JSON.parse((await runCli(['embed', '--model', 'adapter-studio/tiny-bert', '--revision', sha, '--text', text, '--hub', server.url, '--backend', 'cpu', '--json'])).out);
    expect(pinned).toMatchObject({ revision: sha, input_ids: base.input_ids, first_token: base.first_token });

    const unknown = await runCli(['embed', '--model', 'adapter-studio/tiny-bert', '--revision', 'no-such-branch', '--text', text, '--hub', server.url, '--json']);
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.out).error.message).toContain('no-such-branch');
    expect((await runCli(['embed', '--model', 'adapter-studio/tiny-bert', '--revision', ' ', '--text', text])).code).toBe(2);
  });

  it('reads repos without tokenizer.json: vocab.txt (tiny-bert-vocab-only) and vocab.json + merges.txt (tiny-roberta-vocab-only)', async () => {
    const text = 'An unwatchable, clumsy sequel; the heist was superb though.';
    for (const [slow, fast] of [['adapter-studio/tiny-bert-vocab-only', 'adapter-studio/tiny-bert'], ['adapter-studio/tiny-roberta-vocab-only', 'adapter-studio/tiny-roberta']]) {
      const want = JSON.parse((await runCli(['embed', '--model', fast, '--text', text, '--text-pair', 'a dull cast', '--hub', server.url, '--backend', 'cpu', '--json'])).out);
      const got = await runCli(['embed', '--model', slow, '--text', text, '--text-pair', 'a dull cast', '--hub', server.url, '--backend', 'cpu', '--json']);
      expect(got.code, `${slow}: ${got.out}${got.err}`).toBe(0);
      const result = JSON.parse(got.out);
      // Same vocabulary and tensors as the fast-tokenizer twin, so the same ids and (within float rounding) the same vector.
      expect(result.input_ids, slow).toEqual(want.input_ids);
      expect(result.token_type_ids, slow).toEqual(want.token_type_ids);
      result.first_token.forEach((v: number, i: number) => expect(v).toBeCloseTo(want.first_token[i], 6));
    }
  });
});

describe('adapter-studio embed on a config.json without model_type', () => {
  let legacy: RunningHubServer;
  let root: string;
  beforeAll(async () => {
    // tiny-bert with its config as configs written before transformers 2.x were: no model_type.
    root = mkdtempSync(join(tmpdir(), 'adapter-studio-embed-legacy-'));
    const source = join(process.env.ADAPTER_STUDIO_FIXTURES!, 'models', 'adapter-studio', 'tiny-bert');
    const target = join(root, 'models', 'old', 'tiny-bert');
    cpSync(source, target, { recursive: true });
    const configPath = join(target, 'files', 'config.json');
    const { model_type: _, ...config } = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(configPath, JSON.stringify(config));
    legacy = await startHubServer({ root, port: 0 });
  });
  afterAll(async () => {
    await legacy?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('says what it read the model as, in the text and in --json', async () => {
    const args = ['embed', '--model', 'old/tiny-bert', '--text', 'superb', '--hub', legacy.url, '--backend', 'cpu'];
    const text = await runCli(args);
    expect(text.code, text.err).toBe(0);
    expect(text.out).toContain('old/tiny-bert: bert, 2 layers, hidden 64');
    expect(text.out).toContain('model_type missing from config.json; read as "bert" from architectures ["BertForMaskedLM"]');
    const json = JSON.parse((await runCli([...args, '--json'])).out);
    expect(json.inferred_model_type).toEqual({ model_type: 'bert', from: 'architectures' });
  });
});
