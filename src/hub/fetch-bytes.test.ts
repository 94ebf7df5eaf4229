// Reference: the bytes on disk (and their SHA-256), and the offline Hub's own traffic counters (GET /__stats):
// a download cut mid-way must complete with every byte right while the bytes sent stay close to the file's size.
// The resume protocol is huggingface_hub's http_get: `Range: bytes=<held>-`, keep the bytes on a 206 of the same
// file, start over on a 200. Two hand-written servers play the hosts that ignore Range or change the file mid-way.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Prng } from '../core/random.ts';
import { type HubStats, type RunningHubServer, startHubServer } from '../hub-server/index.ts';
import { HubError, fetchBytes } from './client.ts';
import { offlineHub } from './endpoint.ts';

/** 6 MiB of seeded noise (incompressible, so no layer can shrink it). */
const SIZE = 6 * 1024 * 1024;
const BIG = (() => {
  const rng = new Prng('fetch-bytes big file');
  const bytes = new Uint8Array(SIZE);
  for (let i = 0; i < SIZE; i++) bytes[i] = rng.int(256);
  return bytes;
})();
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const FAST_RETRY = { retries: 3, baseDelayMs: 10, maxDelayMs: 100 };

let root: string;
let hub: RunningHubServer;
const bigUrl = () => `${hub.url}/acme/big-bert/resolve/main/model.safetensors`;

async function stats(): Promise<HubStats['byPath'][string]> {
  const body = await (await fetch(`${hub.url}/__stats`)).json() as HubStats;
  return body.byPath['/acme/big-bert/resolve/main/model.safetensors'] ?? { requests: 0, bytes: 0 };
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'fetch-bytes-'));
  const files = join(root, 'models', 'acme', 'big-bert', 'files');
  mkdirSync(files, { recursive: true });
  writeFileSync(join(files, 'model.safetensors'), BIG);
  hub = await startHubServer({ root, port: 0 });
});

afterAll(async () => {
  await hub.close();
  rmSync(root, { recursive: true, force: true });
});

describe('fetchBytes on a connection that keeps dropping', () => {
  it('resumes a 6 MiB download cut after every 1 MB from the bytes it holds, and gets every byte right', async () => {
    hub.handler.faults = { cutAfterBytes: 1_000_000, pathPattern: 'model\\.safetensors' };
    await fetch(`${hub.url}/__stats/reset`, { method: 'POST' });
    const progress: { loaded: number; total?: number }[] = [];
    const resumes: string[] = [];
    const bytes = await fetchBytes(offlineHub(hub.url), bigUrl(), (p) => progress.push(p), { retry: FAST_RETRY, onRetry: (_, __, reason) => resumes.push(reason) });
    hub.handler.faults = {};

    expect(bytes.byteLength).toBe(SIZE);
    expect(sha256(bytes)).toBe(sha256(BIG));
    // Each attempt brings 1,000,000 new bytes: ceil(6 MiB / 1 MB) = 7 requests, 6 of them resumes.
    const traffic = await stats();
    console.log(`6 MiB cut every 1 MB: ${traffic.requests} requests, ${traffic.bytes} bytes sent for ${SIZE}`);
    expect(traffic.requests).toBe(Math.ceil(SIZE / 1_000_000));
    expect(traffic.bytes).toBeLessThan(SIZE * 1.05);
    expect(resumes).toHaveLength(6);
    expect(resumes[0]).toMatch(/^connection dropped after 1000000 of 6291456 bytes/);
    // Progress only moves forward and ends at the size the server announced.
    expect(progress.every((p, i) => i === 0 || p.loaded >= progress[i - 1].loaded)).toBe(true);
    expect(progress.at(-1)).toEqual({ loaded: SIZE, total: SIZE });
  });

  it('gives up with a NetworkError after `retries` attempts in a row that bring nothing', async () => {
    hub.handler.faults = { cutAfterBytes: 0, pathPattern: 'model\\.safetensors' };
    const failure = await fetchBytes(offlineHub(hub.url), bigUrl(), undefined, { retry: FAST_RETRY }).catch((err: unknown) => err);
    hub.handler.faults = {};
    expect(failure).toBeInstanceOf(HubError);
    expect((failure as HubError).code).toBe('NetworkError');
    expect((failure as HubError).message).toMatch(/kept breaking off: connection dropped after 0 of 6291456 bytes/);
  });
});

/** A plain HTTP server answering `handle` (one call per request, numbered from 0). */
async function server(handle: (req: IncomingMessage, res: ServerResponse, n: number) => void): Promise<{ url: string; ranges: (string | undefined)[]; close(): Promise<void> }> {
  const ranges: (string | undefined)[] = [];
  const s = createServer((req, res) => {
    ranges.push(req.headers.range);
    handle(req, res, ranges.length - 1);
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(s.address() as AddressInfo).port}/file.bin`,
    ranges,
    close: () => new Promise<void>((resolve) => {
      s.closeAllConnections();
      s.close(() => resolve());
    }),
  };
}

/** Sends `bytes` as the whole file (200, with its length and ETag) and drops the connection after `cut` bytes. */
function sendCut(res: ServerResponse, bytes: Uint8Array, etag: string, cut = bytes.byteLength): void {
  res.writeHead(200, { 'Content-Length': bytes.byteLength, ETag: etag });
  if (cut >= bytes.byteLength) {
    res.end(bytes);
    return;
  }
  res.write(bytes.subarray(0, cut), () => res.destroy());
}

describe('fetchBytes resuming against other servers', () => {
  const version1 = BIG.subarray(0, 300_000);
  const version2 = BIG.subarray(300_000, 700_000);

  it('starts over when the server ignores Range (200 with the whole file), without duplicating bytes', async () => {
    const host = await server((_, res, n) => sendCut(res, version1, '"v1"', n === 0 ? 120_000 : undefined));
    try {
      const bytes = await fetchBytes(offlineHub('http://127.0.0.1:1'), host.url, undefined, { retry: FAST_RETRY });
      expect(host.ranges).toEqual([undefined, 'bytes=120000-']);
      expect(sha256(bytes)).toBe(sha256(version1));
    } finally {
      await host.close();
    }
  });

  it('starts over when the file changed between attempts (another ETag), and returns the new file whole', async () => {
    const host = await server((req, res, n) => {
      if (n === 0) return sendCut(res, version1, '"v1"', 100_000);
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      if (!range) return sendCut(res, version2, '"v2"');
      const start = Number(range[1]);
      res.writeHead(206, { 'Content-Length': version2.byteLength - start, 'Content-Range': `bytes ${start}-${version2.byteLength - 1}/${version2.byteLength}`, ETag: '"v2"' });
      res.end(version2.subarray(start));
    });
    try {
      const bytes = await fetchBytes(offlineHub('http://127.0.0.1:1'), host.url, undefined, { retry: FAST_RETRY });
      expect(host.ranges).toEqual([undefined, 'bytes=100000-', undefined]);
      expect(sha256(bytes)).toBe(sha256(version2));
    } finally {
      await host.close();
    }
  });
});
