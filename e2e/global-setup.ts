import type { TestProject } from 'vitest/node';
import { defaultFixturesDir, ensureFixtures } from '../src/fixtures/index.ts';
import { buildAppIfStale, distDir } from '../src/server/app-build.ts';
import { startStudioServer } from '../src/server/studio-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The studio under test, e.g. http://127.0.0.1:40123 (the offline Hub is at `${studioUrl}/hub`). */
    studioUrl: string;
  }
}

/** Builds the app if its sources changed, writes the demo Hub fixtures, and serves both for the specs. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = (line: string) => console.log(`[e2e setup] ${line}`);
  await buildAppIfStale(log);
  const { root } = await ensureFixtures(defaultFixturesDir(), { log });
  const server = await startStudioServer({ port: 0, distDir: distDir(), hubRoot: root });
  log(`studio at ${server.url}`);
  project.provide('studioUrl', server.url);
  return () => server.close();
}
