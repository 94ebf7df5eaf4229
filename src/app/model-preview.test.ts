/** The page's pre-download model facts, read from the offline Hub over HTTP and checked against the repo files. */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { estimateMemoryBytes, estimateParameters, parseEncoderConfig } from '../core/model/config.ts';
import { type HubEndpoint, offlineHub, withToken } from '../hub/endpoint.ts';
import { type RunningHubServer, startHubServer } from '../hub-server/index.ts';
import { ESTIMATE_BATCH, fetchModelPreview } from './model-preview.ts';

const fixtures = process.env.ADAPTER_STUDIO_FIXTURES!;
const repoFile = (id: string, file: string) => join(fixtures, 'models', id, 'files', file);
let server: RunningHubServer;
let hub: HubEndpoint;

beforeAll(async () => {
  server = await startHubServer({ root: fixtures, port: 0 });
  hub = offlineHub(server.url);
});
afterAll(() => server?.close());

const preview = (id: string, endpoint = hub, revision?: string) => fetchModelPreview(endpoint, id, new AbortController().signal, revision);

describe('model preview before download', () => {
  it('gives architecture, parameters, download size and memory from config.json and the listing', async () => {
    const got = await preview('adapter-studio/tiny-bert');
    const config = parseEncoderConfig(JSON.parse(readFileSync(repoFile('adapter-studio/tiny-bert', 'config.json'), 'utf8')), 'adapter-studio/tiny-bert');
    expect(got.config).toEqual(config);
    expect(got.config).toMatchObject({ modelType: 'bert', numLayers: 2, hiddenSize: 64 });
    expect(got.parameters).toBe(estimateParameters(config));
    expect(got.weights).toEqual({ files: ['model.safetensors'], bytes: statSync(repoFile('adapter-studio/tiny-bert', 'model.safetensors')).size });
    expect(got.inferenceBytes).toBe(estimateMemoryBytes(config));
    expect(got.trainingBytes).toBe(estimateMemoryBytes(config, { batchSize: ESTIMATE_BATCH, training: true }));
    // A 64-wide model fits the wasm heap at batch 16: nothing to say.
    expect(got.wasmNote).toBeUndefined();
    expect(got).toMatchObject({ gated: false, pipelineTag: 'fill-mask' });
  });

  it('sums the shards an index names, and finds a .bin', async () => {
    const id = 'adapter-studio/tiny-bert-sharded';
    const index = JSON.parse(readFileSync(repoFile(id, 'model.safetensors.index.json'), 'utf8')) as { weight_map: Record<string, string> };
    const shards = [...new Set(Object.values(index.weight_map))].sort();
    expect(shards.length).toBeGreaterThan(1);
    expect((await preview(id)).weights).toEqual({ files: shards, bytes: shards.reduce((sum, s) => sum + statSync(repoFile(id, s)).size, 0) });
    expect((await preview('adapter-studio/tiny-bert-bin')).weights?.files).toEqual(['pytorch_model.bin']);
  });

  it('reads another revision: refs/pr/1 of tiny-bert-bin holds model.safetensors, with its own commit', async () => {
    const id = 'adapter-studio/tiny-bert-bin';
    const main = await preview(id);
    const pr = await preview(id, hub, 'refs/pr/1');
    const prFile = join(fixtures, 'models', id, 'revisions', encodeURIComponent('refs/pr/1'), 'model.safetensors');
    expect(pr.weights).toEqual({ files: ['model.safetensors'], bytes: statSync(prFile).size });
    expect(pr.revision).toBe('refs/pr/1');
    expect(main.revision).toBeUndefined();
    const infoOf = async (path: string) => (await (await fetch(`${server.url}/api/models/${id}${path}`)).json()) as { sha: string };
    expect(main.commit).toBe((await infoOf('')).sha);
    expect(pr.commit).toBe((await infoOf('/revision/refs%2Fpr%2F1')).sha);
    expect(pr.commit).not.toBe(main.commit);
    await expect(preview(id, hub, 'no-such-branch')).rejects.toMatchObject({ message: expect.stringContaining('no-such-branch') });
  });

  it('says a missing model was not found and a gated one needs a token, then reads it with one', async () => {
    await expect(preview('adapter-studio/missing')).rejects.toMatchObject({ reason: 'RepoNotFound', message: expect.stringContaining('was not found on') });
    await expect(preview('adapter-studio/tiny-bert-gated')).rejects.toMatchObject({ reason: 'NeedsToken', message: expect.stringContaining('needs an access token') });
    const gated = await preview('adapter-studio/tiny-bert-gated', withToken(hub, 'hf_test'));
    expect(gated).toMatchObject({ gated: 'manual', config: { modelType: 'bert' } });
  });
});
