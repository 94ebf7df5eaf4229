import { readFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type HubEndpoint, offlineHub } from '../../hub/endpoint.ts';
import { openHubDataset } from './hub-dataset.ts';
import { rejectedDataError } from './test-support.ts';

const REAL = join(dirname(fileURLToPath(import.meta.url)), 'testdata', 'real');
interface ViewerAnswer { status: number; xErrorCode?: string; body: unknown }
/** Error bodies and codes from the dataset viewer's OpenAPI description (testdata/real/README.md). */
const ERRORS = JSON.parse(readFileSync(join(REAL, 'dataset-viewer-errors.json'), 'utf8')) as Record<string, ViewerAnswer>;
const EXAMPLES = JSON.parse(readFileSync(join(REAL, 'dataset-viewer-examples.json'), 'utf8')) as { info: Record<string, unknown> };

/** glue's "ax" config as the OpenAPI example of /info describes it: premise/hypothesis, a ClassLabel, one test split. */
const GLUE_AX_INFO = EXAMPLES.info['config metadata'];
const ok = (body: unknown): ViewerAnswer => ({ status: 200, body });

/** A stand-in for datasets-server (and the Hub API's parquet listing) that answers each path as scripted. */
let answers: Record<string, ViewerAnswer> = {};
const requests: string[] = [];
let server: Server;
let hub: HubEndpoint;

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push(path);
    const answer = answers[path] ?? { status: 404, body: { error: 'Not found.' } };
    res.writeHead(answer.status, { 'Content-Type': 'application/json', ...(answer.xErrorCode ? { 'X-Error-Code': answer.xErrorCode } : {}) });
    res.end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hub = offlineHub(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
afterAll(() => server?.close());
beforeEach(() => {
  requests.length = 0;
  answers = {
    '/is-valid': ok({ viewer: true, preview: true, search: false, filter: false, statistics: false }),
    '/splits': ok({ splits: [{ dataset: 'nyu-mll/glue', config: 'ax', split: 'test' }], pending: [], failed: [] }),
    '/info': ok(GLUE_AX_INFO),
  };
});

describe('dataset viewer 501: permanent, not retried', () => {
  it('/splits "too many configs": one request, and the message says it is permanent and what to do', async () => {
    answers['/splits'] = ERRORS.splits_501_too_many_configs;
    // The default retry policy: a retried 501 would wait 0.5 s, 1 s, 2 s, 4 s.
    const started = Date.now();
    const err = await rejectedDataError(openHubDataset(hub, 'nyu-mll/glue'));
    expect(Date.now() - started).toBeLessThan(400);
    expect(requests.filter((p) => p === '/splits')).toHaveLength(1);
    expect(err.code).toBe('NotViewable');
    expect(err.message).toBe('Dataset "nyu-mll/glue" cannot be read through the Hub\'s dataset viewer, and that is permanent (HTTP 501: The maximum number of configs allowed is 3000, dataset has 41617 configs.); retrying will not help. Pick another dataset, or download the dataset\'s own data files (parquet, CSV, JSONL) from its Files tab on the Hub and open them as local files.');
  });

  it('/info of a blocked dataset: one request, the viewer\'s reason kept', async () => {
    answers['/info'] = ERRORS.info_501_blocked;
    const err = await rejectedDataError(openHubDataset(hub, 'nyu-mll/glue'));
    expect(requests.filter((p) => p === '/info')).toHaveLength(1);
    expect(err.code).toBe('NotViewable');
    expect(err.message).toMatch(/^Dataset "nyu-mll\/glue" config "ax" cannot be read through the Hub's dataset viewer, and that is permanent \(HTTP 501: The parquet conversion has been disabled for this dataset for now\. Please open an issue in https:\/\/github\.com\/huggingface\/dataset-viewer if you want this dataset to be supported\.\); retrying will not help\./);
  });
});

describe('/first-rows not ready, and the rows cannot be read either', () => {
  it('the error names both failures, the first one\'s reason included', async () => {
    answers['/first-rows'] = ERRORS.first_rows_500_not_ready;
    answers['/rows'] = ERRORS.rows_404_dataset_error;
    const dataset = await openHubDataset(hub, 'nyu-mll/glue', { fetch: { retry: { retries: 1, baseDelayMs: 5, maxDelayMs: 5 } } });
    expect(dataset.columns.map((c) => c.name)).toEqual(['premise', 'hypothesis', 'label', 'idx']);
    const err = await rejectedDataError(dataset.sample('test', 100));
    // /first-rows was retried (a 500 may pass), then the parquet listing and /rows were asked.
    expect(requests.filter((p) => p === '/first-rows')).toHaveLength(2);
    expect(requests).toContain('/api/datasets/nyu-mll/glue/parquet');
    expect(requests).toContain('/rows');
    // The viewer's 404 says ResponseNotFound: the dataset exists (its /info answered), the viewer has no rows of it.
    expect(err.code).toBe('NotViewable');
    expect(err.message).toMatch(/^The Hub's dataset viewer has no rows of Dataset "nyu-mll\/glue" config "ax" split "test" \(ResponseNotFound: Not found\.\): it has not processed this config and split, or cannot\./);
    expect(err.message).toMatch(/ Before that, the viewer's \/first-rows had failed: The server is busier than usual and the response is not ready yet\. Please retry later\.$/);
  });
});
