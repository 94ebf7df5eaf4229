/**
 * An adapter trained on a local CSV file through the real handler (wasm, tiny-bert from the offline Hub over HTTP):
 * the Python project carries the file's exact bytes under data/, train.py reads that file, and the model card names
 * the file instead of linking a Hub dataset. References: the bytes sent, and the record the run kept.
 */
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TRAINING_SETTINGS } from '../core/train/training-settings.ts';
import { type HubEndpoint, offlineHub } from '../hub/endpoint.ts';
import { type RunningHubServer, startHubServer } from '../hub-server/index.ts';
import { type TestChannel, connectHandler } from './test-channel.ts';

const MODEL = 'adapter-studio/tiny-bert';
const NAME = 'mini reviews.csv';
const CSV = ['review,label', ...Array.from({ length: 48 }, (_, i) => (i % 2 ? `a dull film number ${i},bad` : `a wonderful film number ${i},good`))].join('\n');

let server: RunningHubServer;
let hub: HubEndpoint;
let channel: TestChannel;

beforeAll(async () => {
  await tf.setBackend('wasm');
  server = await startHubServer({ root: process.env.ADAPTER_STUDIO_FIXTURES!, port: 0 });
  hub = offlineHub(server.url);
  channel = connectHandler();
  await channel.client.send({ type: 'init', backend: 'wasm' });
  await channel.client.send({ type: 'loadModel', repoId: MODEL, endpoint: hub });
});

afterAll(async () => {
  await channel?.close();
  await server?.close();
});

const text = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);

describe('the Python project of an adapter trained on a local file', () => {
  it('carries the file, reads it in train.py, and names it in the model card', async () => {
    const bytes = new TextEncoder().encode(CSV).buffer;
    await channel.client.send({ type: 'inspectLocalFile', name: NAME, bytes }, [bytes]);
    const { adapter } = await channel.client.send({
      type: 'train',
      setup: {
        runId: 'local-run', model: MODEL, data: { kind: 'local', name: NAME },
        adapter: { kind: 'new', choice: { method: 'seq_bn' }, name: 'reviews' },
        settings: { ...DEFAULT_TRAINING_SETTINGS, epochs: 1, batchSize: 16 },
      },
    });
    expect(adapter.training).toMatchObject({ dataset: NAME, localFile: { name: NAME, format: 'csv', rows: 48, bytes: CSV.length } });

    const { files } = await channel.client.send({ type: 'exportAdapter', format: 'python' });
    const project = new Map(files.map((f) => [f.path, f.bytes]));
    expect(text(project.get(`data/${NAME}`))).toBe(CSV);
    const script = text(project.get('train.py'));
    expect(script).toContain(`DATA_FILE = "data/${NAME}"  # the local file the studio trained on (48 rows), included in this project`);
    expect(script).toContain('return load_dataset("csv", data_files=path, keep_default_na=False, na_values=[""])');
    const card = text(project.get('adapter/README.md'));
    expect(card).toContain(`trained with Adapter Studio on a local file \`${NAME}\`, 48 rows`);
    expect(card).not.toMatch(/huggingface\.co\/datasets|^datasets:/m);

    // Once another file replaced it in the worker, the project names the file for the user to copy in.
    const other = new TextEncoder().encode('review,label\nfine,good\n').buffer;
    await channel.client.send({ type: 'inspectLocalFile', name: 'other.csv', bytes: other }, [other]);
    const later = new Map((await channel.client.send({ type: 'exportAdapter', format: 'python' })).files.map((f) => [f.path, f.bytes]));
    expect([...later.keys()].filter((p) => p.startsWith('data/'))).toEqual([]);
    expect(text(later.get('README.md'))).toContain(`copy it to \`data/${NAME}\` before running \`train.py\``);
  });
});
