import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HubError, fetchBytes, hubFetch } from '../hub/client.ts';
import { offlineHub } from '../hub/endpoint.ts';
import type { HubFaults, HubStats } from './index.ts';
import { startTestHub } from './test-hub.ts';

let hub: Awaited<ReturnType<typeof startTestHub>>;
beforeAll(async () => {
  hub = await startTestHub();
});
afterEach(() => {
  hub.handler.faults = {};
});
afterAll(() => hub.stop());

const configUrl = () => `${hub.url}/acme/tiny-bert/resolve/main/config.json`;
const weightsUrl = () => `${hub.url}/acme/tiny-bert/resolve/main/model.safetensors`;
const weightsOnDisk = () => readFileSync(join(hub.root, 'models', 'acme', 'tiny-bert', 'files', 'model.safetensors'));

async function setFaults(faults: HubFaults): Promise<void> {
  const res = await fetch(`${hub.url}/__faults`, { method: 'POST', body: JSON.stringify(faults) });
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual(faults);
}

const statuses = async (url: string, n: number) => {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const res = await fetch(url);
    await res.arrayBuffer();
    out.push(res.status);
  }
  return out;
};

const FAST_RETRY = { retries: 3, baseDelayMs: 20, maxDelayMs: 5000 };

describe('fault injection', () => {
  it('adds latency to matching paths only', async () => {
    await setFaults({ latencyMs: 400, pathPattern: 'config\\.json$' });
    let started = performance.now();
    expect((await fetch(configUrl())).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(395);
    started = performance.now();
    await (await fetch(weightsUrl(), { headers: { Range: 'bytes=0-0' } })).arrayBuffer();
    expect(performance.now() - started).toBeLessThan(400);
  });

  it('fails every Nth request with 500, and GET /__faults shows the faults', async () => {
    await setFaults({ failEveryN: 3 });
    expect(await (await fetch(`${hub.url}/__faults`)).json()).toEqual({ failEveryN: 3 });
    expect(await statuses(configUrl(), 6)).toEqual([200, 200, 500, 200, 200, 500]);
    await setFaults({});
    expect(await statuses(configUrl(), 3)).toEqual([200, 200, 200]);
  });

  it('answers 429 with Retry-After, and 503 with it when asked', async () => {
    hub.handler.faults = { failEveryN: 1, failStatus: 429, retryAfterSeconds: 7 };
    const limited = await fetch(configUrl());
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(limited.headers.get('access-control-allow-origin')).toBe('*');
    hub.handler.faults = { failStatus: 503, retryAfterSeconds: 2 };
    const unavailable = await fetch(configUrl());
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get('retry-after')).toBe('2');
  });

  it('drops the connection after N body bytes although Content-Length announced the whole file', async () => {
    const whole = weightsOnDisk();
    await setFaults({ cutAfterBytes: 1000, pathPattern: 'model\\.safetensors' });
    const res = await fetch(weightsUrl());
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(whole.byteLength));
    await expect(res.arrayBuffer()).rejects.toThrow();
    // Bodies shorter than the cut arrive whole.
    expect((await fetch(weightsUrl(), { headers: { Range: 'bytes=0-99' } })).status).toBe(206);
  });

  it('refuses unknown or malformed faults', async () => {
    for (const body of ['{"latency": 5}', '{"failStatus": 404}', '{"failEveryN": 0}', '{"pathPattern": "("}', '[]']) {
      expect((await fetch(`${hub.url}/__faults`, { method: 'POST', body })).status, body).toBe(400);
    }
  });
});

describe('the studio client against faults', () => {
  it('hubFetch retries past every-Nth 500s', async () => {
    hub.handler.faults = { failEveryN: 2, failStatus: 500 };
    const ep = offlineHub(hub.url);
    const retries: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await hubFetch(ep, configUrl(), { retry: FAST_RETRY, onRetry: (attempt) => retries.push(attempt) });
      expect(await res.json()).toMatchObject({ model_type: 'bert' });
    }
    // Requests 2 and 4 failed; each was retried once.
    expect(retries).toEqual([1, 1]);
  });

  it('hubFetch honours Retry-After on 429', async () => {
    hub.handler.faults = { failEveryN: 2, failStatus: 429, retryAfterSeconds: 1 };
    const ep = offlineHub(hub.url);
    await (await hubFetch(ep, configUrl(), { retry: FAST_RETRY })).arrayBuffer();
    const waits: number[] = [];
    const started = performance.now();
    const res = await hubFetch(ep, configUrl(), { retry: FAST_RETRY, onRetry: (_, waitMs) => waits.push(waitMs) });
    expect(res.status).toBe(200);
    expect(waits).toEqual([1000]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(990);
  });

  it('hubFetch gives up with a typed error when every attempt fails', async () => {
    hub.handler.faults = { failStatus: 503 };
    const attempt = hubFetch(offlineHub(hub.url), configUrl(), { retry: { retries: 2, baseDelayMs: 10, maxDelayMs: 100 } });
    await expect(attempt).rejects.toSatisfy((err) => err instanceof HubError && err.code === 'ServerError' && err.status === 503);
  });

  it('fetchBytes resumes a cut body with Range requests instead of returning a short file', async () => {
    hub.handler.faults = { cutAfterBytes: 5000, pathPattern: 'model\\.safetensors' };
    const resumes: string[] = [];
    const bytes = await fetchBytes(offlineHub(hub.url), weightsUrl(), undefined, { retry: FAST_RETRY, onRetry: (_, __, reason) => resumes.push(reason) });
    expect(Buffer.from(bytes).equals(weightsOnDisk())).toBe(true);
    expect(resumes.length).toBe(Math.ceil(weightsOnDisk().byteLength / 5000) - 1);
  });
});

describe('stats', () => {
  it('counts requests and body bytes per path, and resets', async () => {
    expect((await fetch(`${hub.url}/__stats/reset`, { method: 'POST' })).status).toBe(200);
    const whole = weightsOnDisk();
    await (await fetch(weightsUrl())).arrayBuffer();
    await (await fetch(weightsUrl(), { headers: { Range: 'bytes=0-9' } })).arrayBuffer();
    await (await fetch(configUrl(), { method: 'HEAD' })).arrayBuffer();
    hub.handler.faults = { cutAfterBytes: 300, pathPattern: 'model\\.safetensors' };
    await fetch(weightsUrl()).then((r) => r.arrayBuffer()).catch(() => undefined);
    const stats = await (await fetch(`${hub.url}/__stats`)).json() as HubStats;
    const weightsPath = '/acme/tiny-bert/resolve/main/model.safetensors';
    expect(stats.byPath[weightsPath]).toEqual({ requests: 3, bytes: whole.byteLength + 10 + 300 });
    expect(stats.byPath['/acme/tiny-bert/resolve/main/config.json']).toEqual({ requests: 1, bytes: 0 });
    expect(stats.requests).toBe(4);
    expect(stats.bytesServed).toBe(whole.byteLength + 10 + 300);
    await fetch(`${hub.url}/__stats/reset`, { method: 'POST' });
    expect(await (await fetch(`${hub.url}/__stats`)).json()).toEqual({ requests: 0, bytesServed: 0, byPath: {} });
  });
});
