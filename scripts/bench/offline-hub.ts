/** The fixture Hub (generated on first use) served on a free local port, as the bench's data and model source. */
import { ensureFixtures, defaultFixturesDir } from '../../src/fixtures/index.ts';
import { startHubServer } from '../../src/hub-server/index.ts';
import type { RunningHubServer } from '../../src/hub-server/index.ts';
import { type HubEndpoint, offlineHub } from '../../src/hub/endpoint.ts';

/** The demo model and its data set on the fixture Hub. */
export const DEMO_MODEL = 'adapter-studio/tiny-bert';
export const DEMO_DATASET = 'adapter-studio/tiny-sentiment';

export interface BenchHub {
  server: RunningHubServer;
  endpoint: HubEndpoint;
}

export async function startBenchHub(log: (line: string) => void): Promise<BenchHub> {
  const fixtures = await ensureFixtures(defaultFixturesDir(), { log });
  const server = await startHubServer({ root: fixtures.root, port: 0 });
  return { server, endpoint: offlineHub(server.url) };
}
