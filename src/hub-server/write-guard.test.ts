import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStudioServer } from '../server/studio-server.ts';
import { startHubServer } from './server.ts';
import { buildTestRoot, startTestHub } from './test-hub.ts';

const FOREIGN = 'http://evil.example';
const auth = { Authorization: 'Bearer hf_test' };

/** Each endpoint that writes or changes the test controls, with a body it would accept. */
const WRITES: { path: string; body: string; type?: string }[] = [
  { path: '/api/repos/create', body: JSON.stringify({ name: 'planted', organization: 'acme', type: 'model' }), type: 'application/json' },
  { path: '/api/models/acme/tiny-bert/preupload/main', body: JSON.stringify({ files: [{ path: 'x.txt', size: 1, sample: 'eA==' }] }), type: 'application/json' },
  {
    path: '/api/models/acme/tiny-bert/commit/main',
    body: [{ key: 'header', value: { summary: 'plant' } }, { key: 'file', value: { path: 'planted.txt', content: 'eA==', encoding: 'base64' } }].map((l) => JSON.stringify(l)).join('\n'),
    type: 'application/x-ndjson',
  },
  // A "simple" request (text/plain, no custom header) that a page can send without a CORS preflight.
  { path: '/__faults', body: JSON.stringify({ failEveryN: 1, failStatus: 503 }), type: 'text/plain' },
  { path: '/__stats/reset', body: '' },
];

describe('offline Hub writes from other origins', () => {
  let hub: Awaited<ReturnType<typeof startTestHub>>;
  beforeAll(async () => {
    hub = await startTestHub();
  });
  afterAll(() => hub.stop());

  it('refuses every write and fault endpoint for a foreign Origin (403) and changes nothing', async () => {
    await fetch(`${hub.url}/api/models`);
    const statsBefore = await (await fetch(`${hub.url}/__stats`)).json() as { requests: number };
    expect(statsBefore.requests).toBeGreaterThan(0);
    for (const origin of [FOREIGN, 'null', `http://localhost.evil.example:${hub.port}`]) {
      for (const write of WRITES) {
        const res = await fetch(`${hub.url}${write.path}`, {
          method: 'POST', body: write.body, headers: { ...auth, Origin: origin, ...(write.type ? { 'Content-Type': write.type } : {}) },
        });
        expect(res.status, `${origin} POST ${write.path}`).toBe(403);
        expect((await res.json() as { error: string }).error).toContain('nothing was changed');
      }
    }
    expect(existsSync(join(hub.root, 'models', 'acme', 'planted'))).toBe(false);
    expect(existsSync(join(hub.root, 'models', 'acme', 'tiny-bert', 'files', 'planted.txt'))).toBe(false);
    expect(await (await fetch(`${hub.url}/__faults`)).json()).toEqual({});
    // A reset would have brought the count back to 0.
    expect((await (await fetch(`${hub.url}/__stats`)).json() as { requests: number }).requests).toBeGreaterThanOrEqual(statsBefore.requests);
  });

  it('keeps reads open to any page, like the real Hub', async () => {
    const res = await fetch(`${hub.url}/acme/tiny-bert/resolve/main/config.json`, { headers: { Origin: FOREIGN } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('takes writes from its own origin and from programs (no Origin)', async () => {
    const own = await fetch(`${hub.url}/__faults`, { method: 'POST', body: JSON.stringify({ latencyMs: 1 }), headers: { Origin: hub.url } });
    expect(own.status).toBe(200);
    const program = await fetch(`${hub.url}/__faults`, { method: 'POST', body: '{}' });
    expect(await program.json()).toEqual({});
  });
});

describe('the studio server', () => {
  it('takes writes from the studio page and refuses them from other pages', async () => {
    const root = buildTestRoot();
    const dist = mkdtempSync(join(tmpdir(), 'studio-dist-'));
    const studio = await startStudioServer({ distDir: dist, hubRoot: root });
    try {
      const post = (origin: string) => fetch(`${studio.hubUrl}/__faults`, { method: 'POST', body: JSON.stringify({ latencyMs: 5 }), headers: { Origin: origin } });
      expect((await post(FOREIGN)).status).toBe(403);
      expect(await (await fetch(`${studio.hubUrl}/__faults`)).json()).toEqual({});
      expect((await post(studio.url)).status).toBe(200);
      expect((await post(studio.url.replace('127.0.0.1', 'localhost'))).status).toBe(200);
      expect(await (await fetch(`${studio.hubUrl}/__faults`)).json()).toEqual({ latencyMs: 5 });
    } finally {
      await studio.close();
      rmSync(root, { recursive: true, force: true });
      rmSync(dist, { recursive: true, force: true });
    }
  });
});

describe('a studio served from elsewhere', () => {
  it('may write when the Hub was started with its origin (hub --allow-origin); other pages still may not', async () => {
    const root = buildTestRoot();
    const studioOrigin = 'http://127.0.0.1:5173';
    const server = await startHubServer({ root, port: 0, writeOrigins: [studioOrigin] });
    try {
      const post = (origin: string) => fetch(`${server.url}/__faults`, { method: 'POST', body: JSON.stringify({ latencyMs: 2 }), headers: { Origin: origin } });
      expect((await post(FOREIGN)).status).toBe(403);
      expect((await post(studioOrigin)).status).toBe(200);
    } finally {
      await server.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
