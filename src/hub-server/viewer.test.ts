import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REVIEWS, SENTIMENT_FEATURES, reviewRow, startTestHub } from './test-hub.ts';

let hub: Awaited<ReturnType<typeof startTestHub>>;
beforeAll(async () => {
  hub = await startTestHub();
});
afterAll(() => hub.stop());

const TRAIN_ROWS = REVIEWS.trainFiles[0] + REVIEWS.trainFiles[1];

async function viewer(path: string, token?: string): Promise<{ status: number; code: string | null; body: any }> {
  const res = await fetch(`${hub.url}${path}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  return { status: res.status, code: res.headers.get('x-error-code'), body: await res.json() };
}

const ok = async (path: string, token?: string) => {
  const res = await viewer(path, token);
  expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(200);
  return res.body;
};

/** Reference rows: what `reviewRow` wrote, i.e. the train split is rows 0..249, test is rows 1000..1019. */
const expectedRow = (i: number) => reviewRow(i);

const parquetSize = (split: string, file: string) =>
  statSync(join(hub.root, 'datasets', 'acme', 'reviews', 'parquet', 'default', split, file)).size;

describe('dataset viewer', () => {
  it('/is-valid', async () => {
    expect(await ok('/is-valid?dataset=acme/reviews')).toEqual({ viewer: true, preview: true, search: false, filter: false, statistics: false });
    expect(await ok('/is-valid?dataset=acme/raw-only')).toEqual({ viewer: false, preview: false, search: false, filter: false, statistics: false });
  });

  it('/splits lists configs and splits in the Hub order (train, validation, test)', async () => {
    const all = await ok('/splits?dataset=acme/reviews');
    expect(all).toEqual({
      splits: [
        { dataset: 'acme/reviews', config: 'default', split: 'train' },
        { dataset: 'acme/reviews', config: 'default', split: 'test' },
      ],
      pending: [], failed: [],
    });
    expect(await ok('/splits?dataset=acme/reviews&config=default')).toEqual({ splits: all.splits });
  });

  it('/info gives features and split sizes from the parquet metadata', async () => {
    const { dataset_info: info, partial } = await ok('/info?dataset=acme/reviews&config=default');
    expect(partial).toBe(false);
    expect(info).toMatchObject({
      description: 'Tiny reviews', license: 'mit', features: SENTIMENT_FEATURES, builder_name: 'parquet',
      dataset_name: 'reviews', config_name: 'default',
    });
    expect(info.splits.train).toMatchObject({ name: 'train', num_examples: TRAIN_ROWS });
    expect(info.splits.test).toMatchObject({ name: 'test', num_examples: REVIEWS.test });
    expect(info.download_size).toBe(parquetSize('train', '0000.parquet') + parquetSize('train', '0001.parquet') + parquetSize('test', '0000.parquet'));
    const all = await ok('/info?dataset=acme/reviews');
    expect(all).toEqual({ dataset_info: { default: info }, pending: [], failed: [], partial: false });
  });

  it('/info derives features from the parquet schema when repo.json has none', async () => {
    const { dataset_info: info } = await ok('/info?dataset=acme/gated-reviews&config=default', 'hf_test');
    expect(info.features).toEqual({
      text: { dtype: 'string', _type: 'Value' },
      label: { dtype: 'int64', _type: 'Value' },
      score: { dtype: 'float64', _type: 'Value' },
      note: { dtype: 'string', _type: 'Value' },
    });
  });

  it('/first-rows returns up to 100 rows with features and converted cells', async () => {
    const body = await ok('/first-rows?dataset=acme/reviews&config=default&split=train');
    expect(body.dataset).toBe('acme/reviews');
    expect(body.features).toEqual(Object.entries(SENTIMENT_FEATURES).map(([name, type], i) => ({ feature_idx: i, name, type })));
    expect(body.rows).toHaveLength(100);
    expect(body.truncated).toBe(false);
    for (const item of body.rows) {
      expect(item).toEqual({ row_idx: item.row_idx, row: expectedRow(item.row_idx), truncated_cells: [] });
    }
    expect(body.rows.map((r: any) => r.row_idx)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    // int64 cells arrive as JSON numbers, nulls stay null.
    expect(typeof body.rows[1].row.label).toBe('number');
    expect(body.rows[0].row.note).toBeNull();
    const test = await ok('/first-rows?dataset=acme/reviews&config=default&split=test');
    expect(test.rows.map((r: any) => r.row)).toEqual(Array.from({ length: REVIEWS.test }, (_, i) => expectedRow(1000 + i)));
  });

  it('/rows pages across row groups and files', async () => {
    // 130..229 spans the last row group of file 0 (rows 100-149) and the first two of file 1 (rows 150-189, 190-229).
    const page = await ok('/rows?dataset=acme/reviews&config=default&split=train&offset=130&length=100');
    expect(page.num_rows_total).toBe(TRAIN_ROWS);
    expect(page.num_rows_per_page).toBe(100);
    expect(page.partial).toBe(false);
    expect(page.features.map((f: any) => f.name)).toEqual(['text', 'label', 'score', 'note']);
    expect(page.rows.map((r: any) => r.row_idx)).toEqual(Array.from({ length: 100 }, (_, i) => 130 + i));
    expect(page.rows.map((r: any) => r.row)).toEqual(Array.from({ length: 100 }, (_, i) => expectedRow(130 + i)));
    const tail = await ok(`/rows?dataset=acme/reviews&config=default&split=train&offset=${TRAIN_ROWS - 3}&length=10`);
    expect(tail.rows.map((r: any) => r.row_idx)).toEqual([TRAIN_ROWS - 3, TRAIN_ROWS - 2, TRAIN_ROWS - 1]);
    const past = await ok(`/rows?dataset=acme/reviews&config=default&split=train&offset=${TRAIN_ROWS + 5}`);
    expect(past.rows).toEqual([]);
    const defaults = await ok('/rows?dataset=acme/reviews&config=default&split=test');
    expect(defaults.rows).toHaveLength(REVIEWS.test);
  });

  it('/size adds up rows and bytes per split, config and dataset', async () => {
    const body = await ok('/size?dataset=acme/reviews');
    expect(body.partial).toBe(false);
    expect(body.size.dataset).toMatchObject({ dataset: 'acme/reviews', num_rows: TRAIN_ROWS + REVIEWS.test });
    expect(body.size.configs).toEqual([expect.objectContaining({ config: 'default', num_rows: TRAIN_ROWS + REVIEWS.test, num_columns: 4 })]);
    expect(body.size.splits.map((s: any) => [s.split, s.num_rows, s.num_bytes_parquet_files])).toEqual([
      ['train', TRAIN_ROWS, parquetSize('train', '0000.parquet') + parquetSize('train', '0001.parquet')],
      ['test', REVIEWS.test, parquetSize('test', '0000.parquet')],
    ]);
    const config = await ok('/size?dataset=acme/reviews&config=default');
    expect(config).toEqual({ size: { config: body.size.configs[0], splits: body.size.splits }, partial: false });
  });

  it('/parquet lists the files with resolve URLs', async () => {
    const body = await ok('/parquet?dataset=acme/reviews');
    expect(body.parquet_files).toEqual([
      { dataset: 'acme/reviews', config: 'default', split: 'train', filename: '0000.parquet', size: parquetSize('train', '0000.parquet'), url: `${hub.url}/datasets/acme/reviews/resolve/refs%2Fconvert%2Fparquet/default/train/0000.parquet` },
      { dataset: 'acme/reviews', config: 'default', split: 'train', filename: '0001.parquet', size: parquetSize('train', '0001.parquet'), url: `${hub.url}/datasets/acme/reviews/resolve/refs%2Fconvert%2Fparquet/default/train/0001.parquet` },
      { dataset: 'acme/reviews', config: 'default', split: 'test', filename: '0000.parquet', size: parquetSize('test', '0000.parquet'), url: `${hub.url}/datasets/acme/reviews/resolve/refs%2Fconvert%2Fparquet/default/test/0000.parquet` },
    ]);
    expect(body).toMatchObject({ pending: [], failed: [], partial: false });
    const first = await fetch(body.parquet_files[0].url);
    expect(first.status).toBe(200);
  });
});

describe('dataset viewer errors', () => {
  it('422 MissingRequiredParameter with the viewer messages', async () => {
    const cases: [string, string][] = [
      ['/splits', "Parameter 'dataset' is required"],
      ['/is-valid?dataset=', "Parameter 'dataset' is required"],
      ['/first-rows?dataset=acme/reviews&config=default', "Parameters 'dataset', 'config' and 'split' are required"],
      ['/rows?config=default&split=train', "Parameter 'dataset' is required"],
      ['/rows?dataset=acme/reviews&split=train', "Parameter 'config' is required"],
      ['/rows?dataset=acme/reviews&config=default', "Parameter 'split' is required"],
    ];
    for (const [path, message] of cases) {
      expect(await viewer(path), path).toEqual({ status: 422, code: 'MissingRequiredParameter', body: { error: message } });
    }
  });

  it('422 InvalidParameter for bad offset and length (not clamped)', async () => {
    const base = '/rows?dataset=acme/reviews&config=default&split=train';
    const cases: [string, string][] = [
      ['&length=101', "Parameter 'length' must not be greater than 100"],
      ['&length=-1', "Parameter 'length' must be positive"],
      ['&length=ten', "Parameter 'length' must be integer"],
      ['&offset=-5', "Parameter 'offset' must be positive"],
      ['&offset=1.5', "Parameter 'offset' must be integer"],
    ];
    for (const [query, message] of cases) {
      expect(await viewer(base + query), query).toEqual({ status: 422, code: 'InvalidParameter', body: { error: message } });
    }
  });

  it('401 / 404 for missing, gated and private datasets, as the viewer words them', async () => {
    const anonymous = await viewer('/splits?dataset=acme/gated-reviews');
    expect(anonymous.status).toBe(401);
    expect(anonymous.code).toBe('ExternalUnauthenticatedError');
    expect(anonymous.body.error).toBe('The dataset does not exist, or is not accessible without authentication (private or gated). Please check the spelling of the dataset name or retry with authentication.');
    expect((await viewer('/splits?dataset=acme/nope')).status).toBe(401);
    const withToken = await viewer('/splits?dataset=acme/nope', 'hf_test');
    expect(withToken.status).toBe(404);
    expect(withToken.code).toBe('ExternalAuthenticatedError');
    expect((await ok('/first-rows?dataset=acme/gated-reviews&config=default&split=train', 'hf_test')).rows).toHaveLength(5);
  });

  it('404 ResponseNotFound "Not found." for unknown configs and splits', async () => {
    for (const path of [
      '/splits?dataset=acme/reviews&config=nope',
      '/first-rows?dataset=acme/reviews&config=default&split=nope',
      '/rows?dataset=acme/reviews&config=nope&split=train',
      '/info?dataset=acme/reviews&config=nope',
    ]) {
      expect(await viewer(path), path).toEqual({ status: 404, code: 'ResponseNotFound', body: { error: 'Not found.' } });
    }
  });

  it('says when a dataset has no parquet export', async () => {
    const res = await viewer('/splits?dataset=acme/raw-only');
    expect(res.status).toBe(501);
    expect(res.body.error).toContain('no parquet export');
  });
});
