import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type HubEndpoint, offlineHub } from '../../hub/endpoint.ts';
import { type HubStats, type RunningHubServer, startHubServer } from '../../hub-server/index.ts';
import { type EncoderTokenizer, loadTokenizer } from '../model/tokenizer.ts';
import { type Batch, PaddingMeter, type Tokenize, batchExamples } from './batching.ts';
import { inspectDataset } from './dataset-report.ts';
import { ExampleStream } from './example-stream.ts';
import type { Example } from './examples.ts';
import { openHubDataset } from './hub-dataset.ts';
import { prefetch } from './prefetch.ts';
import type { RowSource } from './row-source.ts';
import { shuffleBuffer } from './shuffle.ts';

let server: RunningHubServer;
let hub: HubEndpoint;
let tokenizer: EncoderTokenizer;
let tokenize: Tokenize;

beforeAll(async () => {
  const root = process.env.ADAPTER_STUDIO_FIXTURES;
  if (!root) throw new Error('ADAPTER_STUDIO_FIXTURES is not set: the vitest globalSetup generates the fixtures');
  server = await startHubServer({ root, port: 0 });
  hub = offlineHub(server.url);
  tokenizer = await loadTokenizer(hub, 'adapter-studio/tiny-bert');
  tokenize = (texts, pairs, options) => tokenizer.encode(texts, pairs, options);
});
afterAll(() => server?.close());

async function* items<T>(list: T[]): AsyncGenerator<T> {
  yield* list;
}
async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}
async function stats(): Promise<HubStats> {
  return (await fetch(`${server.url}/__stats`)).json() as Promise<HubStats>;
}

/** The train part of a fixture dataset as the studio plans it, with its source. */
async function trainPart(id: string) {
  const dataset = await openHubDataset(hub, id);
  const report = await inspectDataset(dataset);
  return { source: await dataset.open(report.plan.train.split), report };
}

describe('shuffleBuffer', () => {
  const numbers = Array.from({ length: 1000 }, (_, i) => i);

  it('gives every item once, the same order for the same seed, another for another seed', async () => {
    const a = await collect(shuffleBuffer(items(numbers), 100, 1));
    const b = await collect(shuffleBuffer(items(numbers), 100, 1));
    const c = await collect(shuffleBuffer(items(numbers), 100, 2));
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
    expect([...a].sort((x, y) => x - y)).toEqual(numbers);
    expect(a).not.toEqual(numbers);
  });

  it('moves items at most a buffer ahead of their turn, and shuffles fully when the stream fits', async () => {
    const out = await collect(shuffleBuffer(items(numbers), 50, 3));
    // An item leaves the buffer no sooner than when it enters it: output position >= input position - buffer size.
    out.forEach((value, position) => expect(position).toBeGreaterThanOrEqual(value - 50));
    const full = await collect(shuffleBuffer(items(numbers), 2000, 3));
    expect(full.slice(0, 100).some((v) => v > 900)).toBe(true);
  });
});

describe('batchExamples', () => {
  it('cuts batches equal to tokenising each example alone, right-padded with the pad id', async () => {
    const { source, report } = await trainPart('adapter-studio/tiny-pairs');
    const examples = (await new ExampleStream(source, report.plan.train, report.mapping).collect()).slice(0, 70);
    const batches = await collect(batchExamples(items(examples), tokenize, { batchSize: 8, maxLength: 64, task: 'classification', poolBatches: 4, seed: 5 }));
    expect(batches.reduce((n, b) => n + b.batch, 0)).toBe(70);
    const byRow = new Map(examples.map((e) => [e.row, e]));
    for (const batch of batches) {
      expect(batch.labels).toBeInstanceOf(Int32Array);
      for (let b = 0; b < batch.batch; b++) {
        const example = byRow.get(batch.rows[b])!;
        expect(batch.labels[b]).toBe(example.label);
        const alone = tokenizer.encode([example.text], [example.textPair!], { maxLength: 64 });
        const span = (a: Int32Array) => [...a.subarray(b * batch.seq, (b + 1) * batch.seq)];
        const pad = batch.seq - alone.seq;
        expect(span(batch.inputIds)).toEqual([...alone.inputIds, ...Array(pad).fill(tokenizer.padTokenId)]);
        expect(span(batch.attentionMask)).toEqual([...alone.attentionMask, ...Array(pad).fill(0)]);
        expect(span(batch.tokenTypeIds)).toEqual([...alone.tokenTypeIds, ...Array(pad).fill(0)]);
      }
      expect(batch.realTokens).toBe(batch.attentionMask.reduce((a, v) => a + v, 0));
      expect(Math.max(...Array.from({ length: batch.batch }, (_, b) => batch.attentionMask.subarray(b * batch.seq, (b + 1) * batch.seq).reduce((a, v) => a + v, 0)))).toBe(batch.seq);
    }
  });

  it('bucketing by length pads far less on tiny-sentiment', async () => {
    const { source, report } = await trainPart('adapter-studio/tiny-sentiment');
    const examples = await new ExampleStream(source, report.plan.train, report.mapping).collect();
    const shuffled = await collect(shuffleBuffer(items(examples), 10_000, 9));
    const efficiency = async (bucketing: boolean) => {
      const meter = new PaddingMeter();
      const options = { batchSize: 16, maxLength: 128, task: 'classification' as const, bucketing, seed: 1 };
      for await (const batch of batchExamples(items(shuffled), tokenize, options)) meter.add(batch);
      return meter.efficiency;
    };
    const bucketed = await efficiency(true);
    const plain = await efficiency(false);
    console.log(`padding efficiency on tiny-sentiment (batch 16): bucketed ${(100 * bucketed).toFixed(1)}%, unbucketed ${(100 * plain).toFixed(1)}%`);
    expect(bucketed).toBeGreaterThanOrEqual(0.85);
    expect(bucketed).toBeGreaterThan(plain);
  });

  it('gives regression targets as floats', async () => {
    const { source, report } = await trainPart('adapter-studio/tiny-regression');
    const examples = (await new ExampleStream(source, report.plan.train, report.mapping).collect()).slice(0, 10);
    const [batch] = await collect(batchExamples(items(examples), tokenize, { batchSize: 10, maxLength: 64, task: 'regression' }));
    expect(batch.labels).toBeInstanceOf(Float32Array);
    expect([...batch.labels].sort()).toEqual([...new Float32Array(examples.map((e) => e.label))].sort());
  });
});

describe('epochs over a stream', () => {
  it('every row once per epoch, a new order each epoch, later epochs from the cache', async () => {
    const { source, report } = await trainPart('adapter-studio/tiny-sentiment');
    const stream = new ExampleStream(source, report.plan.train, report.mapping);
    const epochs: Example[][] = [];
    await fetch(`${server.url}/__stats/reset`, { method: 'POST' });
    epochs.push(await collect(stream.epoch(0, { seed: 4, shuffleBuffer: 256 })));
    const firstEpochRequests = (await stats()).requests;
    epochs.push(await collect(stream.epoch(1, { seed: 4, shuffleBuffer: 256 })));
    epochs.push(await collect(stream.epoch(2, { seed: 4, shuffleBuffer: 256 })));
    expect(firstEpochRequests).toBeGreaterThan(0);
    expect((await stats()).requests).toBe(firstEpochRequests);

    const rows = (await new ExampleStream(source, report.plan.train, report.mapping).collect()).map((e) => e.row);
    expect(rows).toHaveLength(1200);
    for (const epoch of epochs) expect(epoch.map((e) => e.row).sort((a, b) => a - b)).toEqual(rows);
    expect(epochs[1].map((e) => e.row)).not.toEqual(epochs[0].map((e) => e.row));
    expect(epochs[2].map((e) => e.row)).not.toEqual(epochs[1].map((e) => e.row));
    // The same seed and epoch give the same order; skip continues an interrupted epoch exactly.
    expect((await collect(stream.epoch(1, { seed: 4, shuffleBuffer: 256 }))).map((e) => e.row)).toEqual(epochs[1].map((e) => e.row));
    expect((await collect(stream.epoch(1, { seed: 4, shuffleBuffer: 256, skip: 500 }))).map((e) => e.row)).toEqual(epochs[1].slice(500).map((e) => e.row));
    expect(stream.stats).toMatchObject({ rows: 1200, kept: 1200 });
  });

  it('beyond the cache limit, later epochs stream the uncached rows again, still every row once', async () => {
    const { source, report } = await trainPart('adapter-studio/tiny-sentiment');
    const stream = new ExampleStream(source, report.plan.train, report.mapping, { cacheLimit: 1000 });
    const first = await collect(stream.epoch(0, { seed: 1 }));
    expect(stream.cached).toBe(1000);
    await fetch(`${server.url}/__stats/reset`, { method: 'POST' });
    const second = await collect(stream.epoch(1, { seed: 1 }));
    expect((await stats()).requests).toBeGreaterThan(0);
    expect(second.map((e) => e.row).sort((a, b) => a - b)).toEqual(first.map((e) => e.row).sort((a, b) => a - b));
    // Rows are counted once however often they are streamed.
    expect(stream.stats.rows).toBe(1200);
  });

  it('caps the examples of a part for quick runs', async () => {
    const { source, report } = await trainPart('adapter-studio/tiny-sentiment');
    const stream = new ExampleStream(source, { ...report.plan.train, maxExamples: 300 }, report.mapping);
    const epoch = await collect(stream.epoch(0, { seed: 1 }));
    expect(epoch.map((e) => e.row).sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect((await collect(stream.epoch(1, { seed: 1 })))).toHaveLength(300);
  });
});

describe('prefetch', () => {
  it('reads ahead of the consumer and surfaces errors at the failed item', async () => {
    let pulled = 0;
    async function* slow(): AsyncGenerator<number> {
      for (let i = 0; i < 5; i++) {
        pulled = i + 1;
        if (i === 3) throw new Error('row group 3 failed');
        yield i;
      }
    }
    const it = prefetch(slow(), 2)[Symbol.asyncIterator]();
    expect((await it.next()).value).toBe(0);
    await new Promise((r) => setTimeout(r, 10));
    expect(pulled).toBeGreaterThanOrEqual(2);
    expect((await it.next()).value).toBe(1);
    expect((await it.next()).value).toBe(2);
    await expect(it.next()).rejects.toThrow('row group 3 failed');
  });

  it('keeps the source of a pipeline busy while batches are consumed', async () => {
    const { source, report } = await trainPart('adapter-studio/tiny-sentiment');
    let chunksRead = 0;
    const counting: RowSource = { ...source, chunks: (from, options) => {
      const inner = source.chunks(from, options);
      return (async function* () {
        for await (const chunk of inner) {
          chunksRead += 1;
          yield chunk;
        }
      })();
    } };
    const stream = new ExampleStream(counting, report.plan.train, report.mapping, { prefetchChunks: 2 });
    const batches = prefetch(batchExamples(stream.epoch(0, { seed: 1, shuffleBuffer: 1 }), tokenize, { batchSize: 8, maxLength: 32, task: 'classification', poolBatches: 1 }), 2);
    const first: Batch = (await batches.next()).value as Batch;
    expect(first.batch).toBe(8);
    // tiny-sentiment's train split has two row groups: both get fetched while the first batch is still unused
    // (without prefetch nothing would ask for the second one). Polled, not timed: the machine may be busy.
    await vi.waitFor(() => expect(chunksRead).toBe(2), { timeout: 10_000, interval: 10 });
    await batches.return(undefined);
  });
});
