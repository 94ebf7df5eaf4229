import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RetryPolicy } from '../../hub/client.ts';
import { type HubEndpoint, offlineHub } from '../../hub/endpoint.ts';
import { type HubFaults, type HubStats, type RunningHubServer, startHubServer } from '../../hub-server/index.ts';
import type { Row } from './columns.ts';
import { detectMapping } from './column-mapping.ts';
import { DataError } from './errors.ts';
import { ExampleStream, resumingChunks } from './example-stream.ts';
import { openHubDataset } from './hub-dataset.ts';
import type { ParquetRowSource } from './parquet-source.ts';
import { type RowChunk, firstRows } from './row-source.ts';

let server: RunningHubServer;
let hub: HubEndpoint;
const FAST: RetryPolicy = { retries: 3, baseDelayMs: 5, maxDelayMs: 5000 };
/** Only parquet file reads get faults (the resolve URLs the Hub API's parquet links redirect to). */
const PARQUET_PATHS = '/resolve/';

beforeAll(async () => {
  const root = process.env.ADAPTER_STUDIO_FIXTURES;
  if (!root) throw new Error('ADAPTER_STUDIO_FIXTURES is not set: the vitest globalSetup generates the fixtures');
  server = await startHubServer({ root, port: 0 });
  hub = offlineHub(server.url);
});
afterAll(() => server?.close());
afterEach(() => setFaults({}));

async function setFaults(faults: HubFaults): Promise<void> {
  const res = await fetch(`${server.url}/__faults`, { method: 'POST', body: JSON.stringify(faults) });
  expect(res.ok).toBe(true);
}
async function stats(): Promise<HubStats> {
  return (await fetch(`${server.url}/__stats`)).json() as Promise<HubStats>;
}
const resetStats = () => fetch(`${server.url}/__stats/reset`, { method: 'POST' });

async function parquetSplit(id: string, split: string, retry = FAST, onRetry?: (attempt: number, waitMs: number, reason: string) => void): Promise<ParquetRowSource> {
  const source = await (await openHubDataset(hub, id, { source: 'parquet', fetch: { retry, onRetry } })).open(split);
  expect(source.kind).toBe('parquet');
  return source as ParquetRowSource;
}

async function allChunks(source: ParquetRowSource, fromRow = 0, toRow?: number): Promise<RowChunk[]> {
  const out: RowChunk[] = [];
  for await (const chunk of source.chunks(fromRow, { toRow })) out.push(chunk);
  return out;
}

/** tiny-sentiment's train split read without faults: the reference every faulty read must reproduce. */
let reference: Row[];

describe('parquet export read with HTTP ranges', () => {
  it('reads the first 1,000 rows of large-sentiment with a fraction of the file', async () => {
    const source = await parquetSplit('adapter-studio/large-sentiment', 'train');
    const [first] = await source.files();
    await resetStats();
    const rows = await firstRows(source, 1000);
    expect(rows).toHaveLength(1000);
    expect(Object.keys(rows[0]).sort()).toEqual(['content', 'label', 'title']);
    const served = (await stats()).bytesServed;
    console.log(`first 1000 rows of large-sentiment: ${served} bytes served of a ${first.byteLength}-byte file (${(100 * served / first.byteLength).toFixed(1)}%)`);
    expect(served).toBeLessThan(0.25 * first.byteLength);

    // Only the needed columns: less again.
    await resetStats();
    await firstRows(source, 1000, { columns: ['content', 'label'] });
    expect((await stats()).bytesServed).toBeLessThan(served);
  });

  it('streams row groups across both files and resumes at any row', async () => {
    const source = await parquetSplit('adapter-studio/large-sentiment', 'train');
    const files = await source.files();
    expect(files).toHaveLength(2);
    const firstFileRows = files[0].numRows;
    const chunks = await allChunks(source, firstFileRows - 5, firstFileRows + 3);
    expect(chunks.map((c) => [c.start, c.rows.length])).toEqual([[firstFileRows - 5, 5], [firstFileRows, 3]]);
    const direct = await allChunks(source, 0, 20);
    const resumed = await allChunks(source, 7, 20);
    expect(resumed[0].rows).toEqual(direct[0].rows.slice(7));
  });

  it('reference read of tiny-sentiment without faults', async () => {
    reference = (await allChunks(await parquetSplit('adapter-studio/tiny-sentiment', 'train'))).flatMap((c) => c.rows);
    expect(reference).toHaveLength(1200);
  });
});

describe('faults', () => {
  it('latency: slower, same rows', async () => {
    await setFaults({ latencyMs: 40, pathPattern: PARQUET_PATHS });
    const started = Date.now();
    const rows = (await allChunks(await parquetSplit('adapter-studio/tiny-sentiment', 'train'))).flatMap((c) => c.rows);
    // Size probe, footer and data are sequential requests: at least three latencies.
    expect(Date.now() - started).toBeGreaterThanOrEqual(120);
    expect(rows).toEqual(reference);
  });

  it('every 3rd request answered 500: retried, same rows', async () => {
    await setFaults({ failEveryN: 3, failStatus: 500, pathPattern: PARQUET_PATHS });
    const retries: string[] = [];
    const rows = (await allChunks(await parquetSplit('adapter-studio/tiny-sentiment', 'train', FAST, (_a, _w, reason) => retries.push(reason)))).flatMap((c) => c.rows);
    expect(retries.length).toBeGreaterThan(0);
    expect(retries[0]).toContain('HTTP 500');
    expect(rows).toEqual(reference);
  });

  it('429 with Retry-After: the announced wait is honoured', async () => {
    await setFaults({ failEveryN: 2, failStatus: 429, retryAfterSeconds: 1, pathPattern: PARQUET_PATHS });
    const waits: number[] = [];
    const started = Date.now();
    const rows = (await allChunks(await parquetSplit('adapter-studio/tiny-sentiment', 'train', FAST, (_a, waitMs) => waits.push(waitMs)))).flatMap((c) => c.rows);
    expect(waits.length).toBeGreaterThan(0);
    expect(waits.every((w) => w === 1000)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000 * waits.length - 50);
    expect(rows).toEqual(reference);
  });

  it('connection cut mid-file: resumed from the byte reached, exactly the same rows', async () => {
    await setFaults({ cutAfterBytes: 4096, pathPattern: PARQUET_PATHS });
    const resumes: string[] = [];
    const rows = (await allChunks(await parquetSplit('adapter-studio/tiny-sentiment', 'train', FAST, (_a, _w, reason) => resumes.push(reason)))).flatMap((c) => c.rows);
    expect(resumes.some((r) => r.includes('connection dropped'))).toBe(true);
    expect(rows).toEqual(reference);
  });

  it('failures beyond the client\'s retries: the stream continues from the failed row group after a backoff', async () => {
    await setFaults({ failEveryN: 3, failStatus: 503, pathPattern: PARQUET_PATHS });
    const source = await parquetSplit('adapter-studio/tiny-sentiment', 'train', { retries: 0, baseDelayMs: 5, maxDelayMs: 50 });
    const resumedAt: number[] = [];
    const rows: Row[] = [];
    for await (const chunk of resumingChunks(source, 0, { attempts: 5, backoffMs: 5 }, { onResume: (row) => resumedAt.push(row) })) rows.push(...chunk.rows);
    expect(resumedAt.length).toBeGreaterThan(0);
    expect(rows).toEqual(reference);
  });

  it('permanent failure: a clear error, the rows read before are kept, and reading continues once the Hub is back', async () => {
    const source = await parquetSplit('adapter-studio/large-sentiment', 'train', { retries: 1, baseDelayMs: 5, maxDelayMs: 50 });
    const mapping = detectMapping('large-sentiment', (await openHubDataset(hub, 'adapter-studio/large-sentiment')).columns, []);
    const part = { split: 'train', take: 'all' as const, maxExamples: 60_000 };
    const stream = new ExampleStream(source, part, mapping, { resume: { attempts: 1, backoffMs: 5 }, prefetchChunks: 1 });
    const seen: number[] = [];
    let failure: unknown;
    try {
      for await (const example of stream.ordered()) {
        if (seen.length === 0) await setFaults({ failStatus: 503, pathPattern: PARQUET_PATHS });
        seen.push(example.row);
      }
    } catch (err) {
      failure = err;
    }
    expect(failure).toBeInstanceOf(DataError);
    const error = failure as DataError;
    expect(error.code).toBe('Unreachable');
    expect(error.cause).toBeDefined();
    expect(error.resumeFromRow).toBeGreaterThanOrEqual(20_000);
    expect(error.message).toContain('Dataset "adapter-studio/large-sentiment" config "default" split "train"');
    expect(error.message).toContain(`rows before row ${error.resumeFromRow} were read and are kept`);
    expect(seen.length).toBe(stream.cached);
    expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => i));

    await setFaults({});
    await resetStats();
    const again = await stream.collect();
    expect(again.map((e) => e.row)).toEqual(Array.from({ length: 60_000 }, (_, i) => i));
    // The kept rows came from the cache: only the row groups after them were downloaded again.
    const downloaded = (await stats()).bytesServed;
    const files = await source.files();
    const groupBytes = (g: number) => files[0].metadata.row_groups[g].columns.reduce((n, c) => n + Number(c.meta_data!.total_compressed_size), 0);
    const keptGroups = Math.round(error.resumeFromRow! / 20_000);
    const restBytes = [0, 1, 2].slice(keptGroups).reduce((n, g) => n + groupBytes(g), 0);
    expect(downloaded).toBeLessThan(restBytes * 1.2);
  });
});
