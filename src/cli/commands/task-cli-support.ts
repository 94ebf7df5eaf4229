/** What each task's CLI test sets up: the offline Hub on the fixtures, a scratch folder and `main` run against both. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { type RunningHubServer, startHubServer } from '../../hub-server/index.ts';
import { main } from '../main.ts';

export interface OfflineCli {
  /** The scratch folder, removed after the file's tests. */
  dir: string;
  /** Runs the command line with `--hub` set to the offline Hub; its exit code, output lines and error text. */
  run(argv: string[]): Promise<{ code: number; out: string[]; err: string }>;
}

/** Starts the offline Hub and makes the scratch folder before the file's tests; read `dir` inside tests. */
export function offlineCli(name: string): OfflineCli {
  let server: RunningHubServer | undefined;
  const cli: OfflineCli = {
    dir: '',
    async run(argv) {
      const out: string[] = [];
      const err: string[] = [];
      const code = await main([...argv, '--hub', server!.url], { out: (l) => out.push(l), err: (l) => err.push(l) });
      return { code, out, err: err.join('\n') };
    },
  };
  beforeAll(async () => {
    server = await startHubServer({ root: process.env.ADAPTER_STUDIO_FIXTURES!, port: 0 });
    cli.dir = mkdtempSync(join(tmpdir(), `adapter-studio-cli-${name}-`));
  });
  afterAll(async () => {
    await server?.close();
    if (cli.dir) rmSync(cli.dir, { recursive: true, force: true });
  });
  return cli;
}
