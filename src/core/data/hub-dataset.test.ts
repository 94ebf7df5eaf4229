import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubEndpoint, offlineHub, withToken } from '../../hub/endpoint.ts';
import { type RunningHubServer, startHubServer } from '../../hub-server/index.ts';
import { inspectDataset } from './dataset-report.ts';
import { DataError } from './errors.ts';
import { ExampleStream } from './example-stream.ts';
import { openHubDataset } from './hub-dataset.ts';
import { DEMO_PRESETS } from './presets.ts';
import { firstRows } from './row-source.ts';
import { isHeldOut } from './split-plan.ts';

let server: RunningHubServer;
let hub: HubEndpoint;
const FAST = { retries: 2, baseDelayMs: 5, maxDelayMs: 50 };

beforeAll(async () => {
  const root = process.env.ADAPTER_STUDIO_FIXTURES;
  if (!root) throw new Error('ADAPTER_STUDIO_FIXTURES is not set: the vitest globalSetup generates the fixtures');
  server = await startHubServer({ root, port: 0 });
  hub = offlineHub(server.url);
});
afterAll(() => server?.close());

const inspect = async (id: string, options: Parameters<typeof inspectDataset>[1] = {}, ep = hub) =>
  inspectDataset(await openHubDataset(ep, id, { fetch: { retry: FAST } }), options);

async function dataError(promise: Promise<unknown>): Promise<DataError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(DataError);
  return err as DataError;
}

describe('Hub datasets through the dataset viewer and the parquet export', () => {
  it('tiny-sentiment: ClassLabel names, split sizes, validation and test used as they are', async () => {
    const r = await inspect('adapter-studio/tiny-sentiment');
    expect(r.config).toBe('default');
    expect(r.columns.map((c) => [c.name, c.kind])).toEqual([['text', 'string'], ['label', 'classLabel']]);
    expect(r.mapping).toMatchObject({ text: 'text', label: 'label', task: 'classification', labelNames: ['negative', 'positive'] });
    expect(r.splits).toEqual([
      { name: 'train', numRows: 1200, labelled: true, role: 'train' },
      { name: 'validation', numRows: 200, labelled: true, role: 'validation' },
      { name: 'test', numRows: 200, labelled: true, role: 'test' },
    ]);
    expect(r.plan.validation).toEqual({ split: 'validation', take: 'all' });
    expect(r.preview.examples).toHaveLength(5);
    expect(r.preview.labelCounts!.reduce((n, c) => n + c.count, 0)).toBe(r.preview.stats.kept);
  });

  it('tiny-sst2: config sst2, sentence column, the −1 test split skipped as unlabelled', async () => {
    const r = await inspect('adapter-studio/tiny-sst2');
    expect(r.config).toBe('sst2');
    expect(r.mapping).toMatchObject({ text: 'sentence', label: 'label', labelNames: ['negative', 'positive'] });
    expect(r.splits.find((s) => s.name === 'test')).toEqual({ name: 'test', numRows: 200, labelled: false });
    expect(r.plan.test).toBeUndefined();
    expect(r.plan.notes.join(' ')).toMatch(/"test" has no labels/);
    const test = await (await openHubDataset(hub, 'adapter-studio/tiny-sst2')).open('test');
    expect(new Set((await firstRows(test, 200)).map((row) => row.label))).toEqual(new Set([-1]));
  });

  it('tiny-topics: four classes, validation held out of train with a seed, disjoint from training rows', async () => {
    const r = await inspect('adapter-studio/tiny-topics', { seed: 11, holdOutShare: 0.2 });
    expect(r.mapping.labelNames).toEqual(['World', 'Sports', 'Business', 'Sci/Tech']);
    expect(r.plan.validation).toEqual({ split: 'train', take: 'heldOut', holdOut: { seed: 11, share: 0.2 } });
    expect(r.plan.train).toEqual({ split: 'train', take: 'kept', holdOut: { seed: 11, share: 0.2 } });
    expect(r.plan.test).toEqual({ split: 'test', take: 'all' });

    const source = await (await openHubDataset(hub, 'adapter-studio/tiny-topics')).open('train');
    const validation = await new ExampleStream(source, r.plan.validation, r.mapping).collect();
    const train = await new ExampleStream(source, r.plan.train, r.mapping).collect();
    expect(validation.length + train.length).toBe(1600);
    expect(validation.length / 1600).toBeGreaterThan(0.16);
    expect(validation.length / 1600).toBeLessThan(0.24);
    const trainRows = new Set(train.map((e) => e.row));
    expect(validation.every((e) => !trainRows.has(e.row) && isHeldOut(e.row, { seed: 11, share: 0.2 }))).toBe(true);
    // The same seed picks the same rows; another seed picks others.
    const again = await new ExampleStream(source, r.plan.validation, r.mapping).collect();
    expect(again.map((e) => e.row)).toEqual(validation.map((e) => e.row));
    const other = await new ExampleStream(source, { ...r.plan.validation, holdOut: { seed: 12, share: 0.2 } }, r.mapping).collect();
    expect(other.map((e) => e.row)).not.toEqual(validation.map((e) => e.row));
  });

  it('tiny-pairs: sentence1/sentence2 detected as a pair', async () => {
    const r = await inspect('adapter-studio/tiny-pairs');
    expect(r.config).toBe('mrpc');
    expect(r.mapping).toMatchObject({ text: 'sentence1', textPair: 'sentence2', labelNames: ['not_equivalent', 'equivalent'] });
    expect(r.preview.examples[0].textPair).toEqual(expect.any(String));
  });

  it('tiny-regression: float label read as regression', async () => {
    const r = await inspect('adapter-studio/tiny-regression');
    expect(r.mapping).toMatchObject({ text: 'sentence1', textPair: 'sentence2', task: 'regression', labelKind: 'float', labelNames: [] });
    expect(r.preview.targetRange!.min).toBeGreaterThanOrEqual(0);
    expect(r.preview.targetRange!.max).toBeLessThanOrEqual(5);
    expect(r.preview.labelCounts).toBeUndefined();
    // No test split: validation is used as it is.
    expect(r.plan.validation).toEqual({ split: 'validation', take: 'all' });
  });

  it('tiny-string-labels: string labels become ids with names', async () => {
    const r = await inspect('adapter-studio/tiny-string-labels', { sampleRows: 100 });
    expect(r.mapping).toMatchObject({ labelKind: 'string', labelNames: ['negative', 'neutral', 'positive'] });
    const rows = await firstRows(await (await openHubDataset(hub, 'adapter-studio/tiny-string-labels')).open('train'), 100);
    for (const e of r.preview.examples) expect(r.mapping.labelNames[e.label]).toBe(rows[e.row].label);
  });

  it('large-sentiment: label/title/content maps content as text', async () => {
    const r = await inspect('adapter-studio/large-sentiment');
    expect(r.mapping).toMatchObject({ text: 'content', label: 'label', labelNames: ['negative', 'positive'] });
    expect(r.splits.find((s) => s.name === 'train')?.numRows).toBe(200_000);
  });

  it('numbers-only: the "no text column" error names the columns', async () => {
    const err = await dataError(inspect('adapter-studio/numbers-only'));
    expect(err.code).toBe('NoTextColumn');
    expect(err.message).toBe('Dataset "adapter-studio/numbers-only" config "default" split "train" has no text column; columns are: x, y. Choose the text column.');
  });

  it('gated-sentiment needs a token; with one it reads', async () => {
    const err = await dataError(openHubDataset(hub, 'adapter-studio/gated-sentiment'));
    expect(err.code).toBe('TokenRequired');
    expect(err.message).toContain('Dataset "adapter-studio/gated-sentiment" is gated or private');
    expect(err.cause).toBeDefined();
    const r = await inspect('adapter-studio/gated-sentiment', {}, withToken(hub, 'hf_test_token'));
    expect(r.mapping.labelNames).toEqual(['negative', 'positive']);
    const rejected = await dataError(openHubDataset(withToken(hub, 'hf_invalid'), 'adapter-studio/gated-sentiment'));
    expect(rejected.code).toBe('TokenRejected');
  });

  it('a missing dataset, config or split says so', async () => {
    expect((await dataError(openHubDataset(hub, 'adapter-studio/no-such-set'))).code).toBe('DatasetNotFound');
    const config = await dataError(openHubDataset(hub, 'adapter-studio/tiny-sst2', { config: 'cola' }));
    expect(config.message).toBe('Dataset "adapter-studio/tiny-sst2" has no config "cola"; configs are: sst2. Choose the config.');
    const ds = await openHubDataset(hub, 'adapter-studio/tiny-topics');
    expect((await dataError(ds.open('validation'))).code).toBe('UnknownSplit');
    expect((await dataError(openHubDataset(hub, '../etc'))).code).toBe('DatasetNotFound');
  });
});

describe('presets', () => {
  it.each(DEMO_PRESETS.map((p) => [p.id, p] as const))('demo preset %s matches what the offline Hub serves', async (_id, preset) => {
    const dataset = await openHubDataset(hub, preset.id, { config: preset.config });
    const r = await inspectDataset(dataset, { overrides: preset.columns });
    expect(r.mapping).toMatchObject({ ...preset.columns, task: preset.task, labelNames: preset.labelNames });
    // The preset names the columns detection would pick anyway.
    const detected = await inspectDataset(dataset);
    expect([detected.mapping.text, detected.mapping.textPair, detected.mapping.label]).toEqual([preset.columns.text, preset.columns.textPair, preset.columns.label]);
  });
});

describe('/rows fallback', () => {
  it('pages through /rows 100 rows at a time and gives the same rows as the parquet export', async () => {
    await fetch(`${server.url}/__stats/reset`, { method: 'POST' });
    const viaRows = await (await openHubDataset(hub, 'adapter-studio/tiny-sentiment', { source: 'rows' })).open('train');
    expect(viaRows.kind).toBe('rows');
    const chunks = [];
    for await (const chunk of viaRows.chunks(0, { toRow: 250 })) chunks.push(chunk);
    expect(chunks.map((c) => [c.start, c.rows.length])).toEqual([[0, 100], [100, 100], [200, 50]]);
    const stats = await (await fetch(`${server.url}/__stats`)).json() as { byPath: Record<string, { requests: number }> };
    expect(stats.byPath['/rows'].requests).toBe(3);

    const viaParquet = await (await openHubDataset(hub, 'adapter-studio/tiny-sentiment')).open('train');
    expect(viaParquet.kind).toBe('parquet');
    expect(chunks.flatMap((c) => c.rows)).toEqual(await firstRows(viaParquet, 250));
    // Resuming mid-split starts at the asked row.
    const resumed = await viaRows.chunks(1150).next();
    expect(resumed.value).toMatchObject({ start: 1150 });
    expect(resumed.value!.rows).toHaveLength(50);
  });

  it('falls back to /rows when the parquet listing keeps failing', async () => {
    await fetch(`${server.url}/__faults`, { method: 'POST', body: JSON.stringify({ failStatus: 500, pathPattern: '^/api/datasets/.*/parquet' }) });
    try {
      const source = await (await openHubDataset(hub, 'adapter-studio/tiny-sentiment', { fetch: { retry: FAST } })).open('validation');
      expect(source.kind).toBe('rows');
      expect(await firstRows(source, 120)).toHaveLength(120);
      await expect(openHubDataset(hub, 'adapter-studio/tiny-sentiment', { source: 'parquet', fetch: { retry: FAST } }).then((d) => d.open('train')))
        .rejects.toMatchObject({ code: 'Unreachable' });
    } finally {
      await fetch(`${server.url}/__faults`, { method: 'POST', body: '{}' });
    }
  });
});
