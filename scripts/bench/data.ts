// Figure 4: padding efficiency of training batches with and without length bucketing (tiny-sentiment, tiny-bert's
// WordPiece tokenizer, one shuffled epoch, batch 16, max length 128), and streaming rows/s of the first 5,000 rows
// of large-sentiment's train split from parquet HTTP ranges vs the dataset viewer's /rows pages, both through the
// offline Hub on localhost (so network latency is not part of it).
import { inspectDataset, openHubDataset, batchExamples, PaddingMeter } from '../../src/core/data/index.ts';
import { loadTokenizer } from '../../src/core/model/tokenizer.ts';
import { tokenizeWith } from '../../src/core/train/dataset-batches.ts';
import { partStream } from '../../src/core/train/dataset-run.ts';
import type { HubStats } from '../../src/hub-server/index.ts';
import { emit, progress } from './figure-io.ts';
import { DEMO_DATASET, DEMO_MODEL, startBenchHub } from './offline-hub.ts';

const STREAM_ROWS = 5000;
const log = (line: string) => progress('data', line);
const hub = await startBenchHub(log);
try {
  const tokenizer = await loadTokenizer(hub.endpoint, DEMO_MODEL);
  const handle = await openHubDataset(hub.endpoint, DEMO_DATASET);
  const report = await inspectDataset(handle);
  const padding = async (bucketing: boolean) => {
    const stream = await partStream(handle, report, report.plan.train);
    const meter = new PaddingMeter();
    let batches = 0;
    for await (const batch of batchExamples(stream.epoch(0, { seed: 42 }), tokenizeWith(tokenizer), { batchSize: 16, maxLength: 128, task: report.mapping.task, seed: 42, bucketing })) {
      meter.add(batch);
      batches++;
    }
    log(`bucketing ${bucketing}: ${batches} batches, efficiency ${meter.efficiency.toFixed(3)}`);
    return { batches, realTokens: meter.realTokens, slots: meter.slots, efficiency: meter.efficiency };
  };
  const bucketed = await padding(true);
  const unbucketed = await padding(false);

  const stream = async (source: 'parquet' | 'rows') => {
    const large = await openHubDataset(hub.endpoint, 'adapter-studio/large-sentiment', { source });
    const rowSource = await large.open('train');
    await fetch(`${hub.server.url}/__stats/reset`, { method: 'POST' });
    const start = performance.now();
    let rows = 0;
    for await (const chunk of rowSource.chunks(0, { toRow: STREAM_ROWS })) rows += chunk.rows.length;
    const ms = performance.now() - start;
    const stats = await (await fetch(`${hub.server.url}/__stats`)).json() as HubStats;
    log(`${source}: ${rows} rows in ${ms.toFixed(0)} ms (${rowSource.kind})`);
    return { kind: rowSource.kind, rows, ms, rowsPerSecond: rows / (ms / 1e3), requests: stats.requests, bytesServed: stats.bytesServed };
  };
  emit({
    dataset: DEMO_DATASET, tokenizer: DEMO_MODEL, batchSize: 16, maxLength: 128,
    padding: { bucketed, unbucketed },
    streaming: { dataset: 'adapter-studio/large-sentiment', split: 'train', parquet: await stream('parquet'), rows: await stream('rows') },
  });
} finally {
  await hub.server.close();
}
