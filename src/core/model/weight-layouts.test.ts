/**
 * Checkpoint layouts end to end through the offline Hub over HTTP, with files written by real torch.save
 * (Debian python3-torch): tiny-bert's safetensors tensors re-saved as a legacy (torch < 1.6) pytorch_model.bin,
 * and as pytorch_model.bin.index.json with two shards in each layout. The reference is the same tensors read
 * from tiny-bert's model.safetensors. Also revisions: a pull request (refs/pr/1) and a commit id, and the
 * refusals of broken shard indexes.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubEndpoint, offlineHub } from '../../hub/endpoint.ts';
import { type RunningHubServer, startHubServer } from '../../hub-server/index.ts';
import type { HubStats } from '../../hub-server/types.ts';
import { findTorchPython } from '../export/test-support.ts';
import { CorruptWeightsError, ModelLoadError } from './errors.ts';
import { MemoryWeightCache, weightCacheKey } from './weight-cache.ts';
import { type HostWeights, loadEncoderWeights } from './weights.ts';

const python = findTorchPython();
const MISSING = 'python3 with torch is missing: install it with `apt-get install -y python3-torch` (torch.save writes the checkpoints).';
if (!python && process.env.CI) throw new Error(`${MISSING} CI requires it.`);
if (!python) console.warn(`[weight-layouts.test] SKIPPED: ${MISSING}`);

const fixtures = process.env.ADAPTER_STUDIO_FIXTURES!;
const tinyBert = join(fixtures, 'models', 'adapter-studio', 'tiny-bert', 'files');

/**
 * Reads a safetensors file with the standard library (8-byte header length, JSON header, raw data) and
 * re-saves its tensors, plus the int64 position_ids buffer old BERT checkpoints carry, with torch.save.
 */
const SAVE_SCRIPT = `
import collections, json, os, struct, sys, torch
src, out = sys.argv[1], sys.argv[2]
raw = open(src, "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + n])
data = raw[8 + n:]
sd = collections.OrderedDict()
for name, info in header.items():
    if name == "__metadata__":
        continue
    assert info["dtype"] == "F32"
    start, end = info["data_offsets"]
    sd[name] = torch.frombuffer(bytearray(data[start:end]), dtype=torch.float32).reshape(info["shape"])
sd["bert.embeddings.position_ids"] = torch.arange(128).expand((1, -1))
names = list(sd)
first = [k for k in names if ".layer.1." not in k]
for layout in ("legacy", "zip"):
    zip_ = layout == "zip"
    torch.save(sd, os.path.join(out, layout + ".bin"), _use_new_zipfile_serialization=zip_)
    for i, part in enumerate((first, [k for k in names if k not in first])):
        shard = collections.OrderedDict((k, sd[k]) for k in part)
        torch.save(shard, os.path.join(out, "%s-shard%d.bin" % (layout, i + 1)), _use_new_zipfile_serialization=zip_)
json.dump({"first": first, "all": names}, open(os.path.join(out, "names.json"), "w"))
`;

const SHARDS = ['pytorch_model-00001-of-00002.bin', 'pytorch_model-00002-of-00002.bin'];

let root: string;
let server: RunningHubServer;
let ep: HubEndpoint;
let reference: HostWeights;
let names: { first: string[]; all: string[] };

/** A model repo `test/<name>` with tiny-bert's small files plus `files` on main, and `refs` on other revisions. */
function repo(name: string, files: Record<string, string | Uint8Array>, refs: Record<string, Record<string, string | Uint8Array>> = {}): void {
  const base = join(root, 'models', 'test', name);
  const write = (dir: string, extra: Record<string, string | Uint8Array>) => {
    mkdirSync(dir, { recursive: true });
    for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt']) cpSync(join(tinyBert, file), join(dir, file));
    for (const [file, content] of Object.entries(extra)) writeFileSync(join(dir, file), content);
  };
  write(join(base, 'files'), files);
  for (const [ref, extra] of Object.entries(refs)) write(join(base, 'revisions', encodeURIComponent(ref)), extra);
  writeFileSync(join(base, 'repo.json'), '{}');
}

/** `pytorch_model.bin.index.json` as transformers writes it, placing `first` in shard 1 and the rest in shard 2. */
function index(place: (name: string) => string = (n) => SHARDS[names.first.includes(n) ? 0 : 1]): string {
  return JSON.stringify({ metadata: { total_size: 0 }, weight_map: Object.fromEntries(names.all.map((n) => [n, place(n)])) });
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'adapter-studio-layouts-'));
  cpSync(join(fixtures, 'models', 'adapter-studio', 'tiny-bert'), join(root, 'models', 'adapter-studio', 'tiny-bert'), { recursive: true });
  server = await startHubServer({ root, port: 0 });
  ep = offlineHub(server.url);
  reference = (await loadEncoderWeights(ep, 'adapter-studio/tiny-bert', { cache: new MemoryWeightCache() })).tensors;
  if (!python) return;
  const work = join(root, 'torch');
  mkdirSync(work);
  const run = spawnSync(python, ['-c', SAVE_SCRIPT, join(tinyBert, 'model.safetensors'), work], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`torch.save failed: ${run.stderr}`);
  names = JSON.parse(readFileSync(join(work, 'names.json'), 'utf8'));
  const file = (name: string) => readFileSync(join(work, name));
  repo('legacy-bin', { 'pytorch_model.bin': file('legacy.bin') });
  for (const layout of ['legacy', 'zip']) {
    repo(`${layout}-sharded`, { 'pytorch_model.bin.index.json': index(), [SHARDS[0]]: file(`${layout}-shard1.bin`), [SHARDS[1]]: file(`${layout}-shard2.bin`) });
  }
  // main has ONNX only; the converted PyTorch weights wait in a pull request.
  repo('pr-weights', { 'model.onnx': new Uint8Array(8) }, { 'refs/pr/1': { 'pytorch_model.bin': file('legacy.bin') } });
  const shards = { [SHARDS[0]]: file('legacy-shard1.bin'), [SHARDS[1]]: file('legacy-shard2.bin') };
  repo('shard-misplaced', { 'pytorch_model.bin.index.json': index(() => SHARDS[0]), ...shards });
  repo('shard-outside', { 'pytorch_model.bin.index.json': index((n) => (names.first.includes(n) ? SHARDS[0] : '../adapter-studio/tiny-bert/files/model.safetensors')), ...shards });
  repo('shard-no-map', { 'pytorch_model.bin.index.json': JSON.stringify({ metadata: {} }), ...shards });
});

afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

/** The error `load` rejects with. */
async function failure(load: Promise<unknown>): Promise<ModelLoadError> {
  try {
    await load;
  } catch (err) {
    return err as ModelLoadError;
  }
  throw new Error('the load succeeded but should have failed');
}

function expectReferenceTensors(tensors: HostWeights): void {
  expect([...tensors.keys()].sort()).toEqual([...reference.keys()].sort());
  for (const [name, want] of reference) {
    const got = tensors.get(name)!;
    expect(got.shape, name).toEqual(want.shape);
    expect(Buffer.from(got.data.buffer, got.data.byteOffset, got.data.byteLength).equals(Buffer.from(want.data.buffer, want.data.byteOffset, want.data.byteLength)), name).toBe(true);
  }
}

describe.skipIf(!python)('checkpoint layouts written by torch.save, loaded over HTTP', () => {
  it('a legacy (torch < 1.6) pytorch_model.bin gives the safetensors tensors', async () => {
    const loaded = await loadEncoderWeights(ep, 'test/legacy-bin', { cache: new MemoryWeightCache() });
    expect(loaded).toMatchObject({ format: 'pytorch', files: ['pytorch_model.bin'], dtypes: ['F32'] });
    expectReferenceTensors(loaded.tensors);
  });

  for (const layout of ['legacy', 'zip']) {
    it(`pytorch_model.bin.index.json with two ${layout} shards gives the safetensors tensors`, async () => {
      const loaded = await loadEncoderWeights(ep, `test/${layout}-sharded`, { cache: new MemoryWeightCache() });
      expect(loaded).toMatchObject({ format: 'pytorch-sharded', files: ['pytorch_model.bin.index.json', ...SHARDS] });
      expect(loaded.config.hasPooler).toBe(true);
      expectReferenceTensors(loaded.tensors);
    });
  }

  const stats = async () => (await (await fetch(`${server.url}/__stats`)).json()) as HubStats;
  const resetStats = () => fetch(`${server.url}/__stats/reset`, { method: 'POST' });

  it('revision refs/pr/1 lists and downloads that pull request, URL-encoded as the Hub expects', async () => {
    const main = await failure(loadEncoderWeights(ep, 'test/pr-weights', { cache: new MemoryWeightCache() }));
    expect(main.message).toMatch(/^Model "test\/pr-weights" has no weights the studio can read/);
    await resetStats();
    const cache = new MemoryWeightCache();
    const loaded = await loadEncoderWeights(ep, 'test/pr-weights', { revision: 'refs/pr/1', cache });
    expect(loaded.format).toBe('pytorch');
    expectReferenceTensors(loaded.tensors);
    const paths = Object.keys((await stats()).byPath);
    expect(paths).toContain('/api/models/test/pr-weights/revision/refs%2Fpr%2F1');
    expect(paths).toContain('/test/pr-weights/resolve/refs%2Fpr%2F1/pytorch_model.bin');
    // Cached under the commit the pull request resolved to, not under "refs/pr/1".
    const info = await (await fetch(`${server.url}/api/models/test/pr-weights/revision/refs%2Fpr%2F1`)).json() as { sha: string };
    expect(await cache.get(weightCacheKey(ep, 'test/pr-weights', info.sha, 'pytorch_model.bin'))).toBeDefined();
  });

  it('a commit id as revision downloads from that commit and is cached under it', async () => {
    const info = await (await fetch(`${server.url}/api/models/test/legacy-sharded`)).json() as { sha: string };
    await resetStats();
    const cache = new MemoryWeightCache();
    const loaded = await loadEncoderWeights(ep, 'test/legacy-sharded', { revision: info.sha, cache });
    expectReferenceTensors(loaded.tensors);
    const paths = Object.keys((await stats()).byPath);
    for (const shard of SHARDS) expect(paths).toContain(`/test/legacy-sharded/resolve/${info.sha}/${shard}`);
    const again = await loadEncoderWeights(ep, 'test/legacy-sharded', { revision: info.sha, cache });
    expect(again.networkBytes).toBe(0);
  });

  it('a revision that does not exist is named in the error', async () => {
    const err = await failure(loadEncoderWeights(ep, 'test/legacy-bin', { revision: 'refs/pr/7' }));
    expect(err).toBeInstanceOf(ModelLoadError);
    expect(err.reason).toBe('RevisionNotFound');
    expect(err.message).toBe(`Model "test/legacy-bin" on ${server.url} has no revision "refs/pr/7" (needed for the model information). Give an existing branch, tag, commit id or pull request (refs/pr/N), or leave the revision empty for main.`);
  });

  const broken: [string, string][] = [
    ['shard-misplaced', `"pytorch_model.bin.index.json" of "test/shard-misplaced" places tensor "bert.encoder.layer.1.attention.output.LayerNorm.beta" in "${SHARDS[0]}", but that shard does not contain it.`],
    ['shard-outside', '"pytorch_model.bin.index.json" of "test/shard-outside" names shard "../adapter-studio/tiny-bert/files/model.safetensors", which is not a file of the repository.'],
    ['shard-no-map', '"pytorch_model.bin.index.json" of "test/shard-no-map" has no weight_map of tensor names to shard files. The index is damaged; re-upload it.'],
  ];
  for (const [name, message] of broken) {
    it(`refuses an index whose ${name.replace('shard-', '')} shard mapping is broken`, async () => {
      const err = await failure(loadEncoderWeights(ep, `test/${name}`, { cache: new MemoryWeightCache() }));
      expect(err).toBeInstanceOf(CorruptWeightsError);
      expect(err.message).toBe(message);
    });
  }
});
