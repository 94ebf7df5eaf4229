/**
 * inspectDataset and inspectLocalFile through the real handler over a MessageChannel: Hub datasets from the offline
 * Hub over HTTP (checked against the fixture manifest), a CSV file transferred as bytes, and the failures.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureDataset } from '../fixtures/manifest.ts';
import { type HubEndpoint, offlineHub, withToken } from '../hub/endpoint.ts';
import { type RunningHubServer, startHubServer } from '../hub-server/index.ts';
import { type TestChannel, connectHandler } from './test-channel.ts';

let server: RunningHubServer;
let hub: HubEndpoint;
let channel: TestChannel;

beforeAll(async () => {
  server = await startHubServer({ root: process.env.ADAPTER_STUDIO_FIXTURES!, port: 0 });
  hub = offlineHub(server.url);
  channel = connectHandler();
});

afterAll(async () => {
  channel?.close();
  await server?.close();
});

const inspect = (dataset: string, extra: { config?: string; split?: string; maxTrainExamples?: number; endpoint?: HubEndpoint } = {}) =>
  channel.client.send({ type: 'inspectDataset', dataset, endpoint: hub, ...extra });

describe('inspectDataset', () => {
  it('reports columns, labels, split sizes and roles, and the preview, without init', async () => {
    const { summary, inspection } = await inspect('adapter-studio/tiny-sentiment', { maxTrainExamples: 50 });
    const fixture = fixtureDataset('adapter-studio/tiny-sentiment');
    expect(summary).toMatchObject({ name: fixture.id, config: 'default', configs: ['default'] });
    expect(summary.splits).toEqual(Object.entries(fixture.splits).map(([name, numRows]) => ({ name, numRows })));
    expect(summary.columns.map((c) => c.name)).toEqual(fixture.columns.map((c) => c.name));
    if (inspection.status !== 'ok') throw new Error(inspection.message);
    const { report } = inspection;
    expect(report.mapping).toMatchObject({ text: 'text', label: 'label', task: 'classification', labelNames: ['negative', 'positive'] });
    expect(report.splits.map((s) => [s.name, s.role])).toEqual([['train', 'train'], ['validation', 'validation'], ['test', 'test']]);
    expect(report.plan.train).toEqual({ split: 'train', take: 'all', maxExamples: 50 });
    expect(report.preview.examples.length).toBeGreaterThan(0);
    const counted = report.preview.labelCounts!.reduce((sum, c) => sum + c.count, 0);
    expect(counted).toBe(report.preview.stats.kept);
  });

  it('skips an unlabelled test split (GLUE -1 labels)', async () => {
    const { inspection } = await inspect('adapter-studio/tiny-sst2');
    if (inspection.status !== 'ok') throw new Error(inspection.message);
    const test = inspection.report.splits.find((s) => s.name === 'test');
    expect(test).toMatchObject({ labelled: false, numRows: 200 });
    expect(test?.role).toBeUndefined();
    expect(inspection.report.plan.notes).toContain('Split "test" has no labels (e.g. all −1, as in GLUE): skipped.');
  });

  it('answers a mapping problem with the columns, so the user can pick them', async () => {
    const { summary, inspection } = await inspect('adapter-studio/numbers-only');
    expect(summary.columns.map((c) => c.name)).toEqual(['x', 'y']);
    expect(inspection).toEqual({
      status: 'problem', code: 'NoTextColumn',
      message: 'Dataset "adapter-studio/numbers-only" config "default" split "train" has no text column; columns are: x, y. Choose the text column.',
    });
  });

  it('fails for missing and gated datasets, and reads a gated one with a token', async () => {
    await expect(inspect('adapter-studio/nope')).rejects.toMatchObject({ code: 'DatasetNotFound' });
    await expect(inspect('adapter-studio/gated-sentiment')).rejects.toMatchObject({ code: 'TokenRequired', message: expect.stringContaining('needs an access token') });
    const { inspection } = await inspect('adapter-studio/gated-sentiment', { endpoint: withToken(hub, 'hf_test') });
    expect(inspection.status).toBe('ok');
    await expect(inspect('adapter-studio/tiny-sentiment', { config: 'nope' })).rejects.toMatchObject({ code: 'UnknownConfig' });
  });

  it('does not wait for a model download on the compute queue', async () => {
    const slow = await startHubServer({ root: process.env.ADAPTER_STUDIO_FIXTURES!, port: 0, faults: { pathPattern: 'model\\.safetensors', latencyMs: 1500 } });
    const fresh = connectHandler();
    try {
      await fresh.client.send({ type: 'init', backend: 'cpu' });
      const order: string[] = [];
      const model = fresh.client.send({ type: 'loadModel', repoId: 'adapter-studio/tiny-bert', endpoint: offlineHub(slow.url) }).then(() => order.push('model'));
      const data = fresh.client.send({ type: 'inspectDataset', dataset: 'adapter-studio/tiny-sentiment', endpoint: offlineHub(slow.url) }).then(() => order.push('data'));
      await Promise.all([model, data]);
      expect(order).toEqual(['data', 'model']);
    } finally {
      fresh.close();
      await slow.close();
    }
  });
});

describe('inspectLocalFile', () => {
  const csv = 'comment,sentiment\nnice film,good\nawful film,bad\nfine film,good\n"a ""quoted"" one",bad\n';

  it('reads transferred bytes, then re-inspects the kept file with other columns', async () => {
    const bytes = new TextEncoder().encode(csv).buffer;
    const first = await channel.client.send({ type: 'inspectLocalFile', name: 'mini.csv', bytes }, [bytes]);
    expect(bytes.byteLength).toBe(0); // moved, not copied
    expect(first.summary).toMatchObject({ name: 'mini.csv', configs: [], splits: [{ name: 'train', numRows: 4 }], badRows: 0 });
    if (first.inspection.status !== 'ok') throw new Error(first.inspection.message);
    expect(first.inspection.report.mapping).toMatchObject({ text: 'comment', label: 'sentiment', labelNames: ['bad', 'good'] });
    expect(first.inspection.report.preview.examples.map((e) => e.text)).toEqual(['nice film', 'awful film', 'fine film', 'a "quoted" one']);

    const swapped = await channel.client.send({ type: 'inspectLocalFile', name: 'mini.csv', overrides: { text: 'sentiment', label: 'comment' } });
    if (swapped.inspection.status !== 'ok') throw new Error(swapped.inspection.message);
    expect(swapped.inspection.report.mapping).toMatchObject({ text: 'sentiment', label: 'comment' });

    await expect(channel.client.send({ type: 'inspectLocalFile', name: 'other.csv' })).rejects.toMatchObject({ code: 'NoLocalFile' });
    await expect(channel.client.send({ type: 'inspectLocalFile', name: 'notes.txt', bytes: new ArrayBuffer(4) })).rejects.toMatchObject({
      code: 'UnsupportedFile', message: 'File "notes.txt" is not a supported format; use .csv, .tsv, .jsonl, .json or .parquet.',
    });
  });
});
