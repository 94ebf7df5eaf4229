import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HubApiError, createRepo, deleteFile, downloadFile, uploadFiles, whoAmI } from '@huggingface/hub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub } from './test-hub.ts';

let hub: Awaited<ReturnType<typeof startTestHub>>;
beforeAll(async () => {
  hub = await startTestHub();
});
afterAll(() => hub.stop());

const TOKEN = 'hf_test';
const auth = { Authorization: `Bearer ${TOKEN}` };

/** 20 KB of bytes that are not all alike (an "LFS-sized" file). */
const weights = Uint8Array.from({ length: 20_000 }, (_, i) => (i * 7 + 3) % 256);
const adapterConfig = JSON.stringify({ adapter_type: 'bottleneck', reduction_factor: 16 });

/** POSTs an NDJSON commit by hand (what @huggingface/hub's commit sends). */
function postCommit(repo: string, lines: unknown[], headers: Record<string, string> = auth, branch = 'main') {
  return fetch(`${hub.url}/api/models/${repo}/commit/${branch}`, {
    method: 'POST',
    headers: { ...headers, 'Content-Type': 'application/x-ndjson' },
    body: lines.map((l) => JSON.stringify(l)).join('\n'),
  });
}

describe('uploads through @huggingface/hub', () => {
  it('whoami-v2 names the offline user for any valid token', async () => {
    const me = await whoAmI({ accessToken: TOKEN, hubUrl: hub.url });
    expect(me.name).toBe('offline-user');
    expect((await fetch(`${hub.url}/api/whoami-v2`)).status).toBe(401);
  });

  it('creates a repo, uploads files, and serves them back', async () => {
    const created = await createRepo({ repo: 'acme/new-adapter', accessToken: TOKEN, hubUrl: hub.url });
    expect(created.repoUrl).toBe(`${hub.url}/acme/new-adapter`);
    await expect(createRepo({ repo: 'acme/new-adapter', accessToken: TOKEN, hubUrl: hub.url }))
      .rejects.toSatisfy((err) => err instanceof HubApiError && err.statusCode === 409);

    const output = await uploadFiles({
      repo: 'acme/new-adapter',
      accessToken: TOKEN,
      hubUrl: hub.url,
      files: [
        { path: 'adapter_config.json', content: new Blob([adapterConfig]) },
        { path: 'weights/adapter_model.safetensors', content: new Blob([weights]) },
      ],
      commitTitle: 'Add adapter',
    });
    const oid = output?.commit.oid;
    expect(oid).toMatch(/^[0-9a-f]{40}$/);

    const res = await fetch(`${hub.url}/acme/new-adapter/resolve/main/weights/adapter_model.safetensors`);
    expect(res.headers.get('x-repo-commit')).toBe(oid);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(weights);
    const config = await downloadFile({ repo: 'acme/new-adapter', path: 'adapter_config.json', hubUrl: hub.url });
    expect(await config?.text()).toBe(adapterConfig);
    const onDisk = readFileSync(join(hub.root, 'models', 'acme', 'new-adapter', 'files', 'weights', 'adapter_model.safetensors'));
    expect(new Uint8Array(onDisk)).toEqual(weights);
    const info = await (await fetch(`${hub.url}/api/models/acme/new-adapter`)).json() as { sha: string; siblings: { rfilename: string }[] };
    expect(info.sha).toBe(oid);
    expect(info.siblings.map((s) => s.rfilename)).toEqual(['adapter_config.json', 'weights/adapter_model.safetensors']);
  });

  it('each commit moves the commit id; deletes remove files', async () => {
    const before = (await (await fetch(`${hub.url}/api/models/acme/new-adapter`)).json() as { sha: string }).sha;
    const output = await deleteFile({ repo: 'acme/new-adapter', path: 'weights/adapter_model.safetensors', accessToken: TOKEN, hubUrl: hub.url });
    expect(output?.commit.oid).not.toBe(before);
    const gone = await fetch(`${hub.url}/acme/new-adapter/resolve/main/weights/adapter_model.safetensors`);
    expect(gone.status).toBe(404);
    expect(gone.headers.get('x-error-code')).toBe('EntryNotFound');
    expect(existsSync(join(hub.root, 'models', 'acme', 'new-adapter', 'files', 'weights'))).toBe(false);
  });

  it('creates private dataset repos with initial files', async () => {
    await createRepo({
      repo: { type: 'dataset', name: 'acme/my-data' }, accessToken: TOKEN, hubUrl: hub.url, visibility: 'private',
      files: [{ path: 'README.md', content: new Blob(['# my data\n']) }],
    });
    expect((await fetch(`${hub.url}/datasets/acme/my-data/resolve/main/README.md`)).status).toBe(401);
    const res = await fetch(`${hub.url}/datasets/acme/my-data/resolve/main/README.md`, { headers: auth });
    expect(await res.text()).toBe('# my data\n');
    await uploadFiles({
      repo: 'datasets/acme/my-data', accessToken: TOKEN, hubUrl: hub.url,
      files: [{ path: 'data/train.csv', content: new Blob(['text,label\nhi,1\n']) }],
    });
    const tree = await (await fetch(`${hub.url}/api/datasets/acme/my-data/tree/main?recursive=true`, { headers: auth })).json() as { path: string }[];
    expect(tree.map((e) => e.path)).toEqual(['README.md', 'data', 'data/train.csv']);
  });
});

describe('upload refusals', () => {
  it('needs a valid token for every write', async () => {
    const create = (headers: Record<string, string>) => fetch(`${hub.url}/api/repos/create`, {
      method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'x', organization: 'acme' }),
    });
    expect((await create({})).status).toBe(401);
    expect((await create({ Authorization: 'Bearer hf_invalid' })).status).toBe(401);
    const preupload = await fetch(`${hub.url}/api/models/acme/tiny-bert/preupload/main`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ files: [] }),
    });
    expect(preupload.status).toBe(401);
    const commit = await postCommit('acme/tiny-bert', [{ key: 'header', value: { summary: 'x' } }], {});
    expect(commit.status).toBe(401);
  });

  it('answers preupload with "regular" for every file', async () => {
    const res = await fetch(`${hub.url}/api/models/acme/tiny-bert/preupload/main`, {
      method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ files: [{ path: 'big.bin', size: 10 ** 9, sample: '' }] }),
    });
    expect(await res.json()).toEqual({ files: [{ path: 'big.bin', uploadMode: 'regular', shouldIgnore: false }] });
  });

  it('rejects path traversal in commits and writes nothing', async () => {
    for (const path of ['../evil.txt', '/abs.txt', 'a/../../evil.txt', 'dir\\evil.txt', 'ok/./x']) {
      const res = await postCommit('acme/tiny-bert', [
        { key: 'header', value: { summary: 'evil' } },
        { key: 'file', value: { path, content: Buffer.from('x').toString('base64'), encoding: 'base64' } },
      ]);
      expect(res.status, path).toBe(400);
    }
    expect(existsSync(join(hub.root, 'models', 'acme', 'evil.txt'))).toBe(false);
    expect(existsSync(join(hub.root, 'models', 'acme', 'tiny-bert', 'evil.txt'))).toBe(false);
  });

  it('refuses stale parent commits (412), other branches (404) and LFS lines (400)', async () => {
    const stale = await postCommit('acme/tiny-bert', [{ key: 'header', value: { summary: 'x', parentCommit: '0'.repeat(40) } }]);
    expect(stale.status).toBe(412);
    const branch = await postCommit('acme/tiny-bert', [{ key: 'header', value: { summary: 'x' } }], auth, 'dev');
    expect(branch.status).toBe(404);
    expect(branch.headers.get('x-error-code')).toBe('RevisionNotFound');
    const lfs = await postCommit('acme/tiny-bert', [
      { key: 'header', value: { summary: 'x' } },
      { key: 'lfsFile', value: { path: 'a.bin', algo: 'sha256', size: 3, oid: 'f'.repeat(64) } },
    ]);
    expect(lfs.status).toBe(400);
  });
});
