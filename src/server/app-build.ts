import { stat, readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project folder (this file is src/server/app-build.ts). */
export const projectRoot = (): string => resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const distDir = (): string => join(projectRoot(), 'dist');

const APP_SOURCES = ['src', 'shaders', 'public', 'index.html', 'vite.config.ts', 'package-lock.json'];

async function newestMtime(path: string): Promise<number> {
  const info = await stat(path).catch(() => undefined);
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  const entries = await readdir(path);
  const times = await Promise.all(entries.map((e) => newestMtime(join(path, e))));
  return Math.max(info.mtimeMs, ...times);
}

/** True when dist/ is missing or older than any app source. */
export async function appBuildIsStale(): Promise<boolean> {
  const built = await stat(join(distDir(), 'index.html')).catch(() => undefined);
  if (!built) return true;
  const sources = await Promise.all(APP_SOURCES.map((p) => newestMtime(join(projectRoot(), p))));
  return Math.max(...sources) > built.mtimeMs;
}

/** Runs `vite build` when the app sources changed since the last build. */
export async function buildAppIfStale(log: (line: string) => void = () => {}): Promise<void> {
  if (!(await appBuildIsStale())) return;
  log('Building the studio (vite build)...');
  const { build } = await import('vite');
  await build({ root: projectRoot(), logLevel: 'warn', configFile: join(projectRoot(), 'vite.config.ts') });
}
