import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileDownloadInfo } from '@huggingface/hub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY_BERT_REFS, startTestHub } from './test-hub.ts';

let hub: Awaited<ReturnType<typeof startTestHub>>;
beforeAll(async () => {
  hub = await startTestHub();
});
afterAll(() => hub.stop());

const modelFile = (id: string, path: string) => readFileSync(join(hub.root, 'models', ...id.split('/'), 'files', path));

/** A request with the path sent exactly as written (fetch would normalise "..", this does not). */
function rawGet(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: hub.port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('resolve', () => {
  it('serves a whole file with the Hub metadata headers', async () => {
    const expected = modelFile('acme/tiny-bert', 'model.safetensors');
    const res = await fetch(`${hub.url}/acme/tiny-bert/resolve/main/model.safetensors`);
    expect(res.status).toBe(200);
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.equals(expected)).toBe(true);
    // Big files are LFS files: the ETag is their sha256, as on the Hub.
    const sha256 = createHash('sha256').update(expected).digest('hex');
    expect(res.headers.get('etag')).toBe(`"${sha256}"`);
    expect(res.headers.get('x-linked-etag')).toBe(`"${sha256}"`);
    expect(res.headers.get('x-linked-size')).toBe(String(expected.byteLength));
    expect(res.headers.get('content-length')).toBe(String(expected.byteLength));
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('x-repo-commit')).toMatch(/^[0-9a-f]{40}$/);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
  });

  it('gives small files the git blob sha1 as ETag', async () => {
    const content = modelFile('acme/tiny-bert', 'config.json');
    const res = await fetch(`${hub.url}/acme/tiny-bert/resolve/main/config.json`);
    const gitOid = createHash('sha1').update(`blob ${content.byteLength}\0`).update(content).digest('hex');
    expect(res.headers.get('etag')).toBe(`"${gitOid}"`);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual(JSON.parse(content.toString()));
  });

  it('answers byte ranges with 206 and Content-Range, and 416 when unsatisfiable', async () => {
    const whole = modelFile('acme/tiny-bert', 'model.safetensors');
    const url = `${hub.url}/acme/tiny-bert/resolve/main/model.safetensors`;
    const cases: [string, number, number][] = [
      ['bytes=0-0', 0, 0],
      ['bytes=8-23', 8, 23],
      [`bytes=${whole.byteLength - 10}-`, whole.byteLength - 10, whole.byteLength - 1],
      ['bytes=-16', whole.byteLength - 16, whole.byteLength - 1],
      [`bytes=100-${whole.byteLength + 500}`, 100, whole.byteLength - 1],
    ];
    for (const [range, start, end] of cases) {
      const res = await fetch(url, { headers: { Range: range } });
      expect(res.status, range).toBe(206);
      expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/${whole.byteLength}`);
      expect(res.headers.get('content-length')).toBe(String(end - start + 1));
      expect(Buffer.from(await res.arrayBuffer()).equals(whole.subarray(start, end + 1))).toBe(true);
    }
    const unsatisfiable = await fetch(url, { headers: { Range: `bytes=${whole.byteLength}-` } });
    expect(unsatisfiable.status).toBe(416);
    expect(unsatisfiable.headers.get('content-range')).toBe(`bytes */${whole.byteLength}`);
  });

  it('answers HEAD with the headers only, and a commit id works as revision', async () => {
    const head = await fetch(`${hub.url}/acme/tiny-bert/resolve/main/config.json`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const sha = head.headers.get('x-repo-commit')!;
    const bySha = await fetch(`${hub.url}/acme/tiny-bert/resolve/${sha}/config.json`);
    expect(bySha.status).toBe(200);
  });

  it('serves branches, tags and pull requests by full ref (encoded or not), short name and commit id', async () => {
    const main = await fetch(`${hub.url}/acme/tiny-bert/resolve/main/config.json`);
    const mainSha = main.headers.get('x-repo-commit');
    const names: [string, string[]][] = [
      ['refs/pr/1', ['refs%2Fpr%2F1', 'refs/pr/1']],
      ['refs/heads/dev', ['dev', 'refs%2Fheads%2Fdev', 'refs/heads/dev']],
      ['refs/tags/v1.0', ['v1.0', 'refs%2Ftags%2Fv1.0']],
    ];
    for (const [ref, spellings] of names) {
      const shas = new Set<string | null>();
      for (const rev of spellings) {
        const res = await fetch(`${hub.url}/acme/tiny-bert/resolve/${rev}/config.json`);
        expect(res.status, rev).toBe(200);
        expect(await res.json(), rev).toEqual(JSON.parse(TINY_BERT_REFS[ref]['config.json']));
        shas.add(res.headers.get('x-repo-commit'));
      }
      expect(shas.size, ref).toBe(1);
      const [sha] = shas;
      expect(sha).toMatch(/^[0-9a-f]{40}$/);
      expect(sha).not.toBe(mainSha);
      expect((await fetch(`${hub.url}/acme/tiny-bert/resolve/${sha}/config.json`)).status).toBe(200);
    }
    // Each ref has only its own files, and the API describes it.
    expect((await fetch(`${hub.url}/acme/tiny-bert/resolve/refs%2Fpr%2F1/pr-only.txt`)).status).toBe(200);
    expect((await fetch(`${hub.url}/acme/tiny-bert/resolve/main/pr-only.txt`)).status).toBe(404);
    expect((await fetch(`${hub.url}/acme/tiny-bert/resolve/dev/model.safetensors`)).status).toBe(404);
    const info = await (await fetch(`${hub.url}/api/models/acme/tiny-bert/revision/refs%2Fpr%2F1`)).json() as { siblings: { rfilename: string }[] };
    expect(info.siblings.map((s) => s.rfilename)).toEqual(['config.json', 'pr-only.txt']);
    // A PR has no short name; an unknown ref lists the ones there are.
    const missing = await fetch(`${hub.url}/acme/tiny-bert/resolve/1/config.json`);
    expect(missing.status).toBe(404);
    expect((await missing.json() as { error: string }).error).toContain('"refs/pr/1"');
  });

  it('serves one-part legacy ids and derives a stable commit id without repo.json', async () => {
    const a = await fetch(`${hub.url}/legacy-distilbert/resolve/main/config.json`);
    const b = await fetch(`${hub.url}/legacy-distilbert/resolve/main/config.json`, { method: 'HEAD' });
    expect(a.status).toBe(200);
    expect(a.headers.get('x-repo-commit')).toMatch(/^[0-9a-f]{40}$/);
    expect(b.headers.get('x-repo-commit')).toBe(a.headers.get('x-repo-commit'));
  });

  it('serves dataset files on main and on refs/convert/parquet', async () => {
    const readme = await fetch(`${hub.url}/datasets/acme/reviews/resolve/main/README.md`);
    expect(await readme.text()).toContain('# Reviews');
    const parquet = await fetch(`${hub.url}/datasets/acme/reviews/resolve/refs%2Fconvert%2Fparquet/default/train/0000.parquet`, { headers: { Range: 'bytes=0-3' } });
    expect(parquet.status).toBe(206);
    expect(await parquet.text()).toBe('PAR1');
    const parquetSha = parquet.headers.get('x-repo-commit')!;
    const mainSha = readme.headers.get('x-repo-commit')!;
    expect(parquetSha).not.toBe(mainSha);
    expect((await fetch(`${hub.url}/datasets/acme/reviews/resolve/${parquetSha}/default/test/0000.parquet`)).status).toBe(200);
  });

  it('serves the git blob under /raw/: an LFS pointer for big files, the content for small ones', async () => {
    const weights = modelFile('acme/tiny-bert', 'model.safetensors');
    const pointer = await fetch(`${hub.url}/acme/tiny-bert/raw/main/model.safetensors`);
    const sha256 = createHash('sha256').update(weights).digest('hex');
    expect(await pointer.text()).toBe(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${weights.byteLength}\n`);
    const config = await fetch(`${hub.url}/acme/tiny-bert/raw/main/config.json`);
    expect(Buffer.from(await config.arrayBuffer()).equals(modelFile('acme/tiny-bert', 'config.json'))).toBe(true);
  });

  it('works with @huggingface/hub fileDownloadInfo (Range probe + ETag)', async () => {
    const info = await fileDownloadInfo({ repo: 'acme/tiny-bert', path: 'model.safetensors', hubUrl: hub.url });
    expect(info?.size).toBe(modelFile('acme/tiny-bert', 'model.safetensors').byteLength);
    expect(info?.etag).toMatch(/^"[0-9a-f]{64}"$/);
    expect(await fileDownloadInfo({ repo: 'acme/tiny-bert', path: 'missing.bin', hubUrl: hub.url })).toBeNull();
  });
});

describe('errors', () => {
  const expectError = async (res: Response, status: number, code: string | null) => {
    expect(res.status).toBe(status);
    expect(res.headers.get('x-error-code')).toBe(code);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const body = await res.json() as { error: string };
    expect(body.error).toBeTruthy();
    expect(res.headers.get('x-error-message')).toBeTruthy();
    return body.error;
  };

  it('names missing repos, revisions and entries', async () => {
    await expectError(await fetch(`${hub.url}/acme/nope/resolve/main/config.json`), 401, 'RepoNotFound');
    await expectError(await fetch(`${hub.url}/acme/nope/resolve/main/config.json`, { headers: { Authorization: 'Bearer hf_test' } }), 404, 'RepoNotFound');
    await expectError(await fetch(`${hub.url}/acme/tiny-bert/resolve/v9/config.json`), 404, 'RevisionNotFound');
    // Models have no parquet branch.
    await expectError(await fetch(`${hub.url}/acme/tiny-bert/resolve/refs%2Fconvert%2Fparquet/config.json`), 404, 'RevisionNotFound');
    const message = await expectError(await fetch(`${hub.url}/acme/tiny-bert/resolve/main/nope.json`), 404, 'EntryNotFound');
    expect(message).toContain('nope.json');
  });

  it('asks for a token on gated and private repos, and accepts any hf_ token', async () => {
    await expectError(await fetch(`${hub.url}/acme/gated-bert/resolve/main/config.json`), 401, 'GatedRepo');
    const gated = await fetch(`${hub.url}/acme/gated-bert/resolve/main/config.json`, { headers: { Authorization: 'Bearer hf_anything' } });
    expect(gated.status).toBe(200);
    await expectError(await fetch(`${hub.url}/acme/private-bert/resolve/main/config.json`), 401, 'RepoNotFound');
    const priv = await fetch(`${hub.url}/acme/private-bert/resolve/main/config.json`, { headers: { Authorization: 'Bearer hf_anything' } });
    expect(priv.status).toBe(200);
  });

  it('refuses the bad token hf_invalid and tokens without hf_', async () => {
    for (const token of ['hf_invalid', 'abc']) {
      const res = await fetch(`${hub.url}/acme/tiny-bert/resolve/main/config.json`, { headers: { Authorization: `Bearer ${token}` } });
      expect(await expectError(res, 401, null)).toBe('Invalid credentials in Authorization header');
    }
  });

  it('rejects path traversal with 400', async () => {
    for (const path of [
      '/acme/tiny-bert/resolve/main/../../repo.json',
      '/acme/tiny-bert/resolve/main/..%2F..%2Frepo.json',
      '/acme/tiny-bert/resolve/main/%2Fetc%2Fpasswd',
      '/acme/tiny-bert/resolve/main/onnx%5C..%5Cconfig.json',
      '/datasets/acme/reviews/resolve/refs%2Fconvert%2Fparquet/default/../../repo.json',
    ]) {
      const res = await rawGet(path);
      expect(res.status, path).toBe(400);
      expect(JSON.parse(res.body).error).toBeTruthy();
    }
  });
});

describe('CORS', () => {
  it('answers preflights with the allowed methods and the requested headers', async () => {
    const res = await fetch(`${hub.url}/acme/tiny-bert/resolve/main/config.json`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://example.test', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'range, authorization, x-custom' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')).toBe('GET, HEAD, POST, PUT, OPTIONS');
    const allowed = res.headers.get('access-control-allow-headers')!.toLowerCase().split(', ');
    expect(allowed).toEqual(expect.arrayContaining(['range', 'authorization', 'content-type', 'x-custom']));
  });

  it('exposes the headers clients read', async () => {
    const res = await fetch(`${hub.url}/acme/tiny-bert/resolve/main/config.json`, { headers: { Range: 'bytes=0-0' } });
    const exposed = res.headers.get('access-control-expose-headers')!.toLowerCase().split(', ');
    expect(exposed).toEqual(expect.arrayContaining([
      'content-range', 'content-length', 'etag', 'x-linked-etag', 'x-linked-size', 'x-repo-commit',
      'x-error-code', 'x-error-message', 'link', 'retry-after',
    ]));
  });
});
