import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

describe('adapter-studio data', () => {
  it('prints columns, label names, split sizes and the first rows as mapped (--json)', async () => {
    const { code, out } = await runCli(['data', '--dataset', 'adapter-studio/tiny-sentiment', '--hub', server.url, '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(out);
    expect(report).toMatchObject({
      dataset: 'adapter-studio/tiny-sentiment',
      config: 'default',
      hub: server.url,
      mapping: { text: 'text', label: 'label', task: 'classification' },
      labelNames: ['negative', 'positive'],
    });
    expect(report.columns.map((c: { name: string; kind: string }) => `${c.name}:${c.kind}`)).toEqual(['text:string', 'label:classLabel']);
    expect(report.splits.map((s: { name: string; numRows: number }) => [s.name, s.numRows])).toEqual([['train', 1200], ['validation', 200], ['test', 200]]);
    expect(report.rows).toHaveLength(5);
    for (const [i, row] of report.rows.entries()) {
      expect(row.row).toBe(i);
      expect(typeof row.text).toBe('string');
      expect(row.labelName).toBe(report.labelNames[row.label]);
    }
  });

  it('applies column flags and --rows, and reads local files', async () => {
    const pairs = JSON.parse((await runCli(['data', '--dataset', 'adapter-studio/tiny-pairs', '--hub', server.url, '--text-column', 'sentence2', '--text-pair-column', 'sentence1', '--rows', '2', '--json'])).out);
    expect(pairs.mapping).toMatchObject({ text: 'sentence2', textPair: 'sentence1' });
    expect(pairs.rows).toHaveLength(2);

    const dir = mkdtempSync(join(tmpdir(), 'adapter-studio-cli-data-'));
    try {
      const file = join(dir, 'mini.csv');
      writeFileSync(file, 'comment,verdict\nnice film,good\nawful film,bad\nfine film,good\n');
      const local = await runCli(['data', '--file', file, '--label-column', 'verdict']);
      expect(local.code).toBe(0);
      expect(local.out).toContain('Text: comment');
      expect(local.out).toContain('classification into bad, good');

      // GLUE's MRPC TSV read with CSV quoting: the joined lines are reported, in text and in JSON.
      const mrpc = join(dir, 'mrpc.csv');
      copyFileSync(join(process.cwd(), 'src/core/data/testdata/real/mrpc-train.tsv'), mrpc);
      const joined = await runCli(['data', '--file', mrpc, '--text-column', '#1 String', '--label-column', 'Quality']);
      expect(joined.out.split('\n')[0]).toBe('Warning: File "mrpc.csv": its 6 lines after the header gave 1 row: quoted cells took in 5 line breaks. If the file does not quote cells with ", a stray " joined those lines: remove it, or save the file as .tsv if it is tab-separated.');
      expect(JSON.parse((await runCli(['data', '--file', mrpc, '--text-column', '#1 String', '--label-column', 'Quality', '--json'])).out).warnings).toEqual([
        expect.stringMatching(/^File "mrpc\.csv": its 6 lines after the header gave 1 row/),
        expect.stringMatching(/^"train" has 1 row and none falls in the 10% hold-out/),
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails with the data error, and never prints the token', async () => {
    const noText = await runCli(['data', '--dataset', 'adapter-studio/numbers-only', '--hub', server.url, '--json']);
    expect(noText.code).toBe(1);
    expect(JSON.parse(noText.out).error).toMatchObject({ name: 'DataError', message: expect.stringContaining('has no text column; columns are: x, y') });

    const token = 'hf_cli_secret_token_123';
    const previous = process.env.HF_TOKEN;
    try {
      delete process.env.HF_TOKEN;
      const gated = await runCli(['data', '--dataset', 'adapter-studio/gated-sentiment', '--hub', server.url]);
      expect(gated.code).toBe(1);
      expect(gated.err).toContain('needs an access token');
      process.env.HF_TOKEN = token;
      const allowed = await runCli(['data', '--dataset', 'adapter-studio/gated-sentiment', '--hub', server.url, '--json']);
      expect(allowed.code).toBe(0);
      expect(allowed.out + allowed.err).not.toContain(token);
    } finally {
      if (previous === undefined) delete process.env.HF_TOKEN;
      else process.env.HF_TOKEN = previous;
    }
    expect((await runCli(['data', '--hub', server.url])).code).toBe(2);
  });
});
