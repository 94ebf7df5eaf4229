import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { listFiles, modelInfo, parseSafetensorsMetadata } from '@huggingface/hub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { offlineHub } from '../hub/endpoint.ts';
import { listDatasets, listModels, modelInfo as studioModelInfo } from '../hub/client.ts';
import { createHubHandler } from './index.ts';
import { SHARDED_TENSORS, TINY_BERT_TENSORS, type TensorSpec, startTestHub } from './test-hub.ts';

let hub: Awaited<ReturnType<typeof startTestHub>>;
beforeAll(async () => {
  hub = await startTestHub();
});
afterAll(() => hub.stop());

const getJson = async <T = any>(path: string, token?: string): Promise<T> => {
  const res = await fetch(`${hub.url}${path}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  expect(res.status, path).toBe(200);
  return await res.json() as T;
};

/** Reference: parameters per dtype = sum over tensors of the product of the shape. */
function expectedParameters(tensors: TensorSpec[]) {
  const parameters: Record<string, number> = {};
  for (const t of tensors) parameters[t.dtype] = (parameters[t.dtype] ?? 0) + t.shape.reduce((a, b) => a * b, 1);
  return { parameters, total: Object.values(parameters).reduce((a, b) => a + b, 0) };
}

describe('listings', () => {
  it('lists models with the Hub fields, hiding private ones without a token', async () => {
    const models = await getJson<any[]>('/api/models');
    expect(models.map((m) => m.id)).toEqual(['acme/corrupt-bert', 'acme/gated-bert', 'acme/sharded-roberta', 'acme/tiny-bert', 'legacy-distilbert']);
    const tiny = models.find((m) => m.id === 'acme/tiny-bert');
    expect(tiny).toMatchObject({
      modelId: 'acme/tiny-bert', pipeline_tag: 'fill-mask', library_name: 'transformers', downloads: 42, likes: 3,
      private: false, gated: false,
    });
    expect(tiny._id).toMatch(/^[0-9a-f]{24}$/);
    expect(tiny.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(Date.parse(tiny.createdAt)).not.toBeNaN();
    expect(Date.parse(tiny.lastModified)).not.toBeNaN();
    // Tags: the repo's own plus library, weights format, model type and task.
    expect(tiny.tags).toEqual(['en', 'transformers', 'safetensors', 'bert', 'fill-mask']);
    const withToken = await getJson<any[]>('/api/models', 'hf_test');
    expect(withToken.map((m) => m.id)).toContain('acme/private-bert');
  });

  it('searches ids case-insensitively, filters by tag and author, sorts and limits', async () => {
    expect((await getJson<any[]>('/api/models?search=BERT')).map((m) => m.id))
      .toEqual(['acme/corrupt-bert', 'acme/gated-bert', 'acme/sharded-roberta', 'acme/tiny-bert', 'legacy-distilbert']);
    expect((await getJson<any[]>('/api/models?filter=roberta')).map((m) => m.id)).toEqual(['acme/sharded-roberta']);
    expect((await getJson<any[]>('/api/models?filter=bert&filter=safetensors')).map((m) => m.id)).toEqual(['acme/corrupt-bert', 'acme/tiny-bert']);
    expect((await getJson<any[]>('/api/models?author=legacy-distilbert')).map((m) => m.id)).toEqual([]);
    expect((await getJson<any[]>('/api/models?author=acme&sort=downloads&direction=-1&limit=2')).map((m) => m.id))
      .toEqual(['acme/gated-bert', 'acme/tiny-bert']);
    expect((await getJson<any[]>('/api/models?pipeline_tag=fill-mask&sort=downloads&direction=1')).map((m) => m.downloads))
      .toEqual([7, 42, 100]);
  });

  it('lists datasets', async () => {
    const datasets = await getJson<any[]>('/api/datasets?search=review');
    expect(datasets.map((d) => d.id)).toEqual(['acme/gated-reviews', 'acme/reviews']);
    expect(datasets[1]).toMatchObject({ tags: ['task_categories:text-classification'], downloads: 9, gated: false, private: false });
    expect(datasets[0].gated).toBe('auto');
  });

  it('feeds the studio client (listModels / listDatasets)', async () => {
    const ep = offlineHub(hub.url);
    expect((await listModels(ep, { search: 'tiny' })).map((m) => m.id)).toEqual(['acme/tiny-bert']);
    expect((await listDatasets(ep, { search: 'raw' })).map((d) => d.id)).toEqual(['acme/raw-only']);
  });
});

describe('model info', () => {
  it('answers config, siblings with blobs, and safetensors parameter counts', async () => {
    const info = await getJson('/api/models/acme/tiny-bert?blobs=true');
    expect(info.id).toBe('acme/tiny-bert');
    expect(info.config).toEqual({
      architectures: ['BertForMaskedLM'], model_type: 'bert', tokenizer_config: { mask_token: '[MASK]', pad_token: '[PAD]' },
    });
    expect(info.cardData).toEqual({ license: 'apache-2.0' });
    expect(info.safetensors).toEqual(expectedParameters(TINY_BERT_TENSORS));
    const dir = join(hub.root, 'models', 'acme', 'tiny-bert', 'files');
    const weights = readFileSync(join(dir, 'model.safetensors'));
    const sibling = info.siblings.find((s: any) => s.rfilename === 'model.safetensors');
    expect(sibling.size).toBe(weights.byteLength);
    expect(sibling.lfs).toMatchObject({ size: weights.byteLength, sha256: createHash('sha256').update(weights).digest('hex') });
    const config = info.siblings.find((s: any) => s.rfilename === 'config.json');
    expect(config.size).toBe(statSync(join(dir, 'config.json')).size);
    expect(config.lfs).toBeUndefined();
    expect(info.siblings.map((s: any) => s.rfilename)).toContain('onnx/extra/notes.txt');
  });

  it('leaves out the safetensors block when a header is unreadable, as the Hub does', async () => {
    const info = await getJson('/api/models/acme/corrupt-bert');
    expect(info.id).toBe('acme/corrupt-bert');
    expect(info.safetensors).toBeUndefined();
  });

  it('adds up the parameters of sharded checkpoints', async () => {
    const info = await getJson('/api/models/acme/sharded-roberta');
    expect(info.safetensors).toEqual(expectedParameters(SHARDED_TENSORS.flat()));
    expect(info.siblings[0]).toEqual({ rfilename: 'config.json' });
  });

  it('agrees with @huggingface/hub parseSafetensorsMetadata (which reads the header through Range requests)', async () => {
    const info = await getJson('/api/models/acme/sharded-roberta');
    const parsed = await parseSafetensorsMetadata({ repo: 'acme/sharded-roberta', hubUrl: hub.url, computeParametersCount: true });
    expect(parsed.sharded).toBe(true);
    expect(Object.fromEntries(Object.entries(parsed.parameterCount ?? {}).map(([k, v]) => [k, Number(v)]))).toEqual(info.safetensors.parameters);
  });

  it('serves /revision/{rev}, expand, and the @huggingface/hub and studio clients', async () => {
    const main = await getJson('/api/models/acme/tiny-bert');
    const byRev = await getJson(`/api/models/acme/tiny-bert/revision/${main.sha}`);
    expect(byRev.sha).toBe(main.sha);
    const expanded = await getJson('/api/models/acme/tiny-bert?expand=pipeline_tag&expand=safetensors');
    expect(Object.keys(expanded).sort()).toEqual(['_id', 'id', 'pipeline_tag', 'safetensors']);
    const viaLib = await modelInfo({ name: 'acme/tiny-bert', hubUrl: hub.url, additionalFields: ['sha'] });
    expect(viaLib).toMatchObject({ name: 'acme/tiny-bert', task: 'fill-mask', downloads: 42, sha: main.sha });
    const viaStudio = await studioModelInfo(offlineHub(hub.url), 'acme/tiny-bert');
    expect(viaStudio.safetensors?.total).toBe(expectedParameters(TINY_BERT_TENSORS).total);
  });

  it('shows gated repos metadata without a token, and private ones only with a token', async () => {
    expect((await getJson('/api/models/acme/gated-bert')).gated).toBe('manual');
    const priv = await fetch(`${hub.url}/api/models/acme/private-bert`);
    expect(priv.status).toBe(401);
    expect(priv.headers.get('x-error-code')).toBe('RepoNotFound');
    expect((await getJson('/api/models/acme/private-bert', 'hf_x')).private).toBe(true);
  });

  it('answers dataset info with siblings and cardData', async () => {
    const info = await getJson('/api/datasets/acme/reviews');
    expect(info).toMatchObject({ id: 'acme/reviews', cardData: { license: 'mit' }, tags: ['task_categories:text-classification'] });
    expect(info.siblings.map((s: any) => s.rfilename)).toEqual(['README.md', 'data/train.csv']);
  });
});

describe('tree', () => {
  it('lists one level, or everything with recursive=true', async () => {
    const top = await getJson<any[]>('/api/models/acme/tiny-bert/tree/main');
    expect(top.map((e) => [e.type, e.path])).toEqual([
      ['file', 'config.json'], ['file', 'model.safetensors'], ['directory', 'onnx'], ['file', 'tokenizer_config.json'],
    ]);
    const onnx = await getJson<any[]>('/api/models/acme/tiny-bert/tree/main/onnx');
    expect(onnx.map((e) => e.path)).toEqual(['onnx/extra', 'onnx/model.onnx']);
    const all = await getJson<any[]>('/api/models/acme/tiny-bert/tree/main?recursive=true');
    expect(all.map((e) => e.path)).toEqual([
      'config.json', 'model.safetensors', 'onnx', 'onnx/extra', 'onnx/extra/notes.txt', 'onnx/model.onnx', 'tokenizer_config.json',
    ]);
    const config = readFileSync(join(hub.root, 'models', 'acme', 'tiny-bert', 'files', 'config.json'));
    expect(all[0]).toEqual({
      type: 'file', path: 'config.json', size: config.byteLength,
      oid: createHash('sha1').update(`blob ${config.byteLength}\0`).update(config).digest('hex'),
    });
    const weights = all[1];
    // An LFS file's oid is the git blob of its pointer file.
    const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${weights.lfs.oid}\nsize ${weights.size}\n`;
    expect(weights.oid).toBe(createHash('sha1').update(`blob ${pointer.length}\0${pointer}`).digest('hex'));
    expect(weights.lfs.pointerSize).toBe(pointer.length);
  });

  it('lists the parquet branch of a dataset and works with @huggingface/hub listFiles', async () => {
    const tree = await getJson<any[]>('/api/datasets/acme/reviews/tree/refs%2Fconvert%2Fparquet/default?recursive=1');
    expect(tree.filter((e) => e.type === 'file').map((e) => e.path))
      .toEqual(['default/test/0000.parquet', 'default/train/0000.parquet', 'default/train/0001.parquet']);
    const paths: string[] = [];
    for await (const f of listFiles({ repo: 'datasets/acme/reviews', hubUrl: hub.url, recursive: true })) paths.push(f.path);
    expect(paths).toEqual(['README.md', 'data', 'data/train.csv']);
  });

  it('says EntryNotFound for missing folders', async () => {
    const res = await fetch(`${hub.url}/api/models/acme/tiny-bert/tree/main/nope`);
    expect(res.status).toBe(404);
    expect(res.headers.get('x-error-code')).toBe('EntryNotFound');
  });
});

describe('parquet API', () => {
  const base = () => `${hub.url}/api/datasets/acme/reviews/parquet`;

  it('lists the parquet files per config and split with absolute URLs', async () => {
    const all = await getJson('/api/datasets/acme/reviews/parquet');
    expect(all).toEqual({
      default: {
        train: [`${base()}/default/train/0.parquet`, `${base()}/default/train/1.parquet`],
        test: [`${base()}/default/test/0.parquet`],
      },
    });
    expect(await getJson('/api/datasets/acme/reviews/parquet/default')).toEqual(all.default);
    expect(await getJson('/api/datasets/acme/reviews/parquet/default/train')).toEqual(all.default.train);
  });

  it('redirects a numbered file to its resolve URL on refs/convert/parquet', async () => {
    const res = await fetch(`${base()}/default/train/1.parquet`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`${hub.url}/datasets/acme/reviews/resolve/refs%2Fconvert%2Fparquet/default/train/0001.parquet`);
    const followed = await fetch(`${base()}/default/train/1.parquet`);
    const onDisk = readFileSync(join(hub.root, 'datasets', 'acme', 'reviews', 'parquet', 'default', 'train', '0001.parquet'));
    expect(Buffer.from(await followed.arrayBuffer()).equals(onDisk)).toBe(true);
  });

  it('answers 404 for unknown configs, splits and files, and asks for a token on gated datasets', async () => {
    for (const path of ['/nope', '/default/nope', '/default/train/7.parquet']) {
      expect((await fetch(base() + path)).status, path).toBe(404);
    }
    const gated = await fetch(`${hub.url}/api/datasets/acme/gated-reviews/parquet`);
    expect(gated.status).toBe(401);
    expect(gated.headers.get('x-error-code')).toBe('GatedRepo');
  });
});

describe('root and mounting', () => {
  it('describes the offline Hub at /', async () => {
    const root = await getJson('/');
    expect(root.models).toContain('acme/tiny-bert');
    expect(root.hubUrl).toBe(hub.url);
  });

  it('builds absolute URLs with the mount prefix, or with publicBaseUrl', async () => {
    const mounted = createHubHandler({ root: hub.root, mountPath: '/hub' });
    const proxied = createHubHandler({ root: hub.root, publicBaseUrl: 'https://hub.example.test/mirror/' });
    const server = createServer((req, res) => {
      const url = req.url ?? '/';
      const handler = url.startsWith('/hub/') ? mounted : proxied;
      void handler(req, res, url.replace(/^\/(hub|other)/, ''));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const viaMount = await (await fetch(`${origin}/hub/api/datasets/acme/reviews/parquet/default/test`)).json();
      expect(viaMount).toEqual([`${origin}/hub/api/datasets/acme/reviews/parquet/default/test/0.parquet`]);
      const redirect = await fetch(`${origin}/hub/api/datasets/acme/reviews/parquet/default/test/0.parquet`, { redirect: 'manual' });
      expect(redirect.headers.get('location')).toBe(`${origin}/hub/datasets/acme/reviews/resolve/refs%2Fconvert%2Fparquet/default/test/0000.parquet`);
      const viaProxy = await (await fetch(`${origin}/other/api/datasets/acme/reviews/parquet/default/test`)).json();
      expect(viaProxy).toEqual(['https://hub.example.test/mirror/api/datasets/acme/reviews/parquet/default/test/0.parquet']);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
