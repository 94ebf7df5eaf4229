/**
 * A training row cap caps validation too: the worker's data session plans a validation cap with it, and a run's
 * validation pass reads only that many held-out rows. Reference: the offline Hub's own byte counters for the parquet
 * files (over HTTP, as the studio reads them), against the files' sizes on disk.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultValidationCap } from '../core/data/split-plan.ts';
import { trainingDataOf } from '../core/train/dataset-run.ts';
import { loadTokenizer } from '../core/model/tokenizer.ts';
import { type HubEndpoint, offlineHub } from '../hub/endpoint.ts';
import { type RunningHubServer, startHubServer } from '../hub-server/index.ts';
import type { HubStats } from '../hub-server/types.ts';
import { DataSession } from './data-session.ts';

const fixtures = process.env.ADAPTER_STUDIO_FIXTURES!;
const DATASET = 'adapter-studio/large-sentiment';
let server: RunningHubServer;
let hub: HubEndpoint;

beforeAll(async () => {
  server = await startHubServer({ root: fixtures, port: 0 });
  hub = offlineHub(server.url);
});
afterAll(() => server?.close());

const stats = async (): Promise<HubStats> => (await fetch(`${server.url}/__stats`)).json() as Promise<HubStats>;
const resetStats = () => fetch(`${server.url}/__stats/reset`, { method: 'POST' });

/** Bytes of large-sentiment's train parquet files on disk. */
function trainFileBytes(): number {
  const dir = join(fixtures, 'datasets', ...DATASET.split('/'), 'files');
  const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
  const files = walk(dir).filter((f) => f.endsWith('.parquet') && f.includes('train'));
  expect(files.length).toBeGreaterThan(0);
  return files.reduce((n, f) => n + statSync(f).size, 0);
}

/** Body bytes served for the train parquet files since the last reset. */
async function trainBytesServed(): Promise<number> {
  return Object.entries((await stats()).byPath).filter(([path]) => path.endsWith('.parquet') && path.includes('train')).reduce((n, [, s]) => n + s.bytes, 0);
}

describe('the validation cap', () => {
  it('is a fifth of the training cap, at least 200', () => {
    expect([160, 500, 1000, 5000].map(defaultValidationCap)).toEqual([200, 200, 200, 1000]);
  });

  it('with a cap of 500 training rows of 200k, validation reads at most 200 held-out rows and a small part of the file', async () => {
    const session = new DataSession();
    const { handle, report } = await session.open({ kind: 'hub', dataset: DATASET, maxTrainExamples: 500 }, hub);
    expect(report.plan.validation).toMatchObject({ split: 'train', take: 'heldOut', maxExamples: 200 });
    const tokenizer = await loadTokenizer(hub, 'adapter-studio/tiny-bert');
    const data = await trainingDataOf(handle, report, tokenizer, { batchSize: 16, maxLength: 32, seed: 42 });
    expect(data.batchesPerEpoch).toBe(Math.ceil(500 / 16));
    expect(data.evalBatchCount).toBe(Math.ceil(200 / 16));
    await resetStats();
    const started = performance.now();
    let examples = 0;
    let batches = 0;
    for await (const batch of data.evalBatches!()) {
      examples += batch.batch;
      batches += 1;
    }
    const seconds = (performance.now() - started) / 1000;
    expect(examples).toBe(200);
    expect(batches).toBe(data.evalBatchCount);
    const share = (await trainBytesServed()) / trainFileBytes();
    console.log(`validation of a 500-row run: ${examples} examples, ${(share * 100).toFixed(1)}% of the train files, ${seconds.toFixed(2)} s`);
    // 200 held-out rows (10%) lie in the first 20k-row group of ten; the stream reads up to two groups ahead. Uncapped,
    // the held-out rows of the whole split were read (92% of the file in the measurement).
    expect(share).toBeLessThan(0.25);

    // An explicit cap wins over the default.
    const explicit = await session.open({ kind: 'hub', dataset: DATASET, maxTrainExamples: 500, maxValidationExamples: 50 }, hub);
    expect(explicit.report.plan.validation.maxExamples).toBe(50);
    // Without a training cap, nothing is capped.
    const whole = await session.open({ kind: 'hub', dataset: DATASET }, hub);
    expect(whole.report.plan.validation.maxExamples).toBeUndefined();
  });
});
