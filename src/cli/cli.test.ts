import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from './main.ts';
import { projectRoot } from '../server/app-build.ts';

const BIN = join(projectRoot(), 'bin', 'adapter-studio.mjs');
const fixtures = () => {
  const root = process.env.ADAPTER_STUDIO_FIXTURES;
  if (!root) throw new Error('ADAPTER_STUDIO_FIXTURES is not set: the vitest globalSetup generates the fixtures');
  return root;
};

/** Runs the CLI in-process and captures what it prints. */
async function runCli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** Starts the real CLI as a process and resolves with its first stdout line (the --json banner). */
function startCli(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const firstLine = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`CLI exited with ${code} before printing`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, firstLine, exited };
}

describe('adapter-studio CLI', () => {
  it('lists its commands and rejects unknown ones with exit code 2', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const name of ['start', 'hub', 'fixtures']) expect(help.out).toContain(name);
    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('Unknown command "frobnicate"');
  });

  it('explains a bad flag value with the command usage', async () => {
    const bad = await runCli(['hub', '--port', 'eighty', '--root', fixtures()]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--port must be a whole number');
    expect(bad.err).toContain('Usage: adapter-studio hub');
    const status = await runCli(['hub', '--fail-status', '404', '--root', fixtures()]);
    expect(status.code).toBe(2);
    expect(status.err).toContain('--fail-status must be 500, 503 or 429');
  });

  it('`hub` serves the demo repositories over HTTP until interrupted', async () => {
    const { child, firstLine, exited } = startCli(['hub', '--port', '0', '--root', fixtures(), '--json']);
    const banner = JSON.parse(await firstLine) as { url: string; root: string };
    expect(banner.root).toBe(fixtures());
    const models = await (await fetch(`${banner.url}/api/models?search=tiny-bert`)).json() as { id: string }[];
    expect(models.map((m) => m.id)).toContain('adapter-studio/tiny-bert');
    const config = await (await fetch(`${banner.url}/adapter-studio/tiny-bert/resolve/main/config.json`)).json() as { model_type: string };
    expect(config.model_type).toBe('bert');
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  it('`hub --fail-every 2` makes every second request fail with 500', async () => {
    const { child, firstLine, exited } = startCli(['hub', '--port', '0', '--root', fixtures(), '--fail-every', '2', '--json']);
    const { url } = JSON.parse(await firstLine) as { url: string };
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await fetch(`${url}/api/models?search=tiny`)).status);
    expect(statuses).toEqual([200, 500, 200, 500]);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('`start` serves the offline Hub under /hub and says where it is', async () => {
    const { child, firstLine, exited } = startCli(['start', '--port', '0', '--root', fixtures(), '--no-build', '--json']);
    const banner = JSON.parse(await firstLine) as { url: string; hubUrl: string };
    expect(banner.hubUrl).toBe(`${banner.url}/hub`);
    const pointer = await fetch(`${banner.url}/offline-hub.json`);
    expect(pointer.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect(await pointer.json()).toEqual({ hubUrl: banner.hubUrl });
    const datasets = await (await fetch(`${banner.hubUrl}/api/datasets?search=sentiment`)).json() as { id: string }[];
    expect(datasets.map((d) => d.id)).toContain('adapter-studio/tiny-sentiment');
    // Absolute URLs the Hub builds (parquet listings) point under the mount.
    const parquet = await (await fetch(`${banner.hubUrl}/api/datasets/adapter-studio/tiny-sentiment/parquet`)).json() as Record<string, Record<string, string[]>>;
    expect(parquet.default.train[0].startsWith(`${banner.hubUrl}/`)).toBe(true);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });
});
