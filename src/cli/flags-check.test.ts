// Flags checked before anything is loaded: --out (a file, a path below /proc, a zip path that is a folder), --hub
// (not a URL, or the studio's page instead of its Hub), and messages that speak of HF_TOKEN, not of the studio's UI.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningHubServer, startHubServer } from '../hub-server/index.ts';
import { type StudioServer, startStudioServer } from '../server/studio-server.ts';
import { main } from './main.ts';

let hub: RunningHubServer;
let studio: StudioServer;
let dist: string;
let scratch: string;

beforeAll(async () => {
  const root = process.env.ADAPTER_STUDIO_FIXTURES;
  if (!root) throw new Error('ADAPTER_STUDIO_FIXTURES is not set: the vitest globalSetup generates the fixtures');
  hub = await startHubServer({ root, port: 0 });
  dist = mkdtempSync(join(tmpdir(), 'studio-dist-'));
  studio = await startStudioServer({ distDir: dist, hubRoot: root });
  scratch = mkdtempSync(join(tmpdir(), 'cli-out-'));
});
afterAll(async () => {
  await hub?.close();
  await studio?.close();
  rmSync(dist, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

async function runCli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const started = performance.now();
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n'), ms: performance.now() - started };
}

/** Paths the Hub answered since the last reset. */
async function hubPaths(): Promise<string[]> {
  return Object.keys((await (await fetch(`${hub.url}/__stats`)).json() as { byPath: Record<string, unknown> }).byPath);
}

const train = (out: string, ...more: string[]) => ['train', '--hub', hub.url, '--model', 'adapter-studio/tiny-bert', '--dataset', 'adapter-studio/tiny-sentiment', '--max-steps', '1', '--out', out, ...more];

describe('--out is checked before anything is loaded', () => {
  it('an existing file, a path below a file and one below /proc are usage errors (exit 2) at once, with no Hub request', async () => {
    for (const [out, message] of [
      ['/etc/passwd', '--out /etc/passwd is an existing file; give a folder'],
      ['/etc/passwd/adapter', '--out /etc/passwd/adapter lies below /etc/passwd, which is a file'],
      ['/proc/x/adapter', '--out /proc/x/adapter is not a folder this process can write in'],
    ] as const) {
      await fetch(`${hub.url}/__stats/reset`, { method: 'POST' });
      const run = await runCli(train(out));
      expect(run.code, out).toBe(2);
      expect(run.err).toContain(message);
      expect(run.ms).toBeLessThan(5000);
      // At most the look for a studio page at --hub (see below); nothing of the model or the data.
      expect((await hubPaths()).filter((path) => path !== '/offline-hub.json')).toEqual([]);
    }
  }, 30_000);

  it('a folder that can be created passes and is left as it was', async () => {
    const { checkOutputFolder, checkOutputPath } = await import('./shared/out-path.ts');
    const target = join(scratch, 'a', 'b', 'adapter');
    await checkOutputFolder(target);
    expect(() => mkdirSync(join(scratch, 'a'))).not.toThrow();
    await checkOutputPath(join(scratch, 'a', 'out.zip'));
    mkdirSync(join(scratch, 'dir.zip'));
    await expect(checkOutputPath(join(scratch, 'dir.zip'))).rejects.toThrow(/is a folder; a path ending in \.zip names the zip file/);
  });

  it('export refuses --out before reading the adapter', async () => {
    const run = await runCli(['export', '--hub', hub.url, '--model', 'adapter-studio/tiny-bert', '--adapter', join(scratch, 'no-such-adapter'), '--format', 'peft', '--out', '/etc/passwd']);
    expect(run.code).toBe(2);
    expect(run.err).toContain('--out /etc/passwd is an existing file');
  });
});

describe('--hub', () => {
  it('something that is not an http(s) URL is a usage error (exit 2)', async () => {
    for (const bad of ['not-a-url', 'ftp://example.com', 'http://', 'huggingface.co']) {
      const run = await runCli(['data', '--hub', bad, '--dataset', 'adapter-studio/tiny-sentiment']);
      expect(run.code, bad).toBe(2);
      expect(run.err).toContain(`--hub must be the http(s) base URL of a Hub-compatible server, such as http://127.0.0.1:8080 or https://huggingface.co; got "${bad}"`);
    }
  });

  it('the studio\'s page is not its Hub: the command says where the Hub is', async () => {
    const run = await runCli(['embed', '--hub', studio.url, '--model', 'adapter-studio/tiny-bert', '--text', 'hi']);
    expect(run.code).toBe(2);
    expect(run.err).toContain(`--hub ${studio.url} is the Adapter Studio page, not a Hub; its Hub is at ${studio.hubUrl}: use --hub ${studio.hubUrl}.`);
    const fine = await runCli(['data', '--hub', studio.hubUrl, '--dataset', 'adapter-studio/tiny-sentiment', '--json']);
    expect(fine.code).toBe(0);
  });
});

describe('hub --allow-origin', () => {
  it('takes only origins (scheme, host, port)', async () => {
    for (const bad of ['127.0.0.1:5173', 'http://127.0.0.1:5173/studio', 'file:///tmp']) {
      const run = await runCli(['hub', '--port', '0', '--allow-origin', bad]);
      expect(run.code, bad).toBe(2);
      expect(run.err).toContain(`--allow-origin must be an origin such as http://127.0.0.1:5173 (no path), got "${bad}"`);
    }
  });
});

describe('messages for the command line', () => {
  it('a gated model without HF_TOKEN says how to give a token here, and names no place in the UI', async () => {
    const saved = process.env.HF_TOKEN;
    delete process.env.HF_TOKEN;
    try {
      const run = await runCli(['embed', '--hub', hub.url, '--model', 'adapter-studio/tiny-bert-gated', '--text', 'hi']);
      expect(run.code).toBe(1);
      expect(run.err).toContain('needs an access token');
      expect(run.err).toContain('the token is read from the HF_TOKEN environment variable');
      expect(run.err).not.toMatch(/Settings/);
    } finally {
      if (saved !== undefined) process.env.HF_TOKEN = saved;
    }
  });

  it('a dataset without a text column names the flag that picks one', async () => {
    const run = await runCli(['data', '--hub', hub.url, '--dataset', 'adapter-studio/numbers-only']);
    expect(run.code).toBe(1);
    expect(run.err).toContain('has no text column; columns are: x, y. Choose the text column. On the command line: --text-column, --text-pair-column and --label-column.');
    expect(run.err).not.toMatch(/Settings/);
  });
});
