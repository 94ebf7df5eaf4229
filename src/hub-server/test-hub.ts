// Builds a small offline-Hub root for the hub-server tests (independent of src/fixtures).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import type { RepoMeta } from './repo-store.ts';
import { type RunningHubServer, startHubServer } from './index.ts';

/** Bytes per element of the safetensors dtypes used here. */
const DTYPE_BYTES: Record<string, number> = { F32: 4, F16: 2, I64: 8 };

export interface TensorSpec {
  name: string;
  dtype: 'F32' | 'F16' | 'I64';
  shape: number[];
}

/** A safetensors file: 8-byte little-endian header length, JSON header (padded to 8 bytes), then the tensors' bytes. */
export function safetensorsBytes(tensors: TensorSpec[]): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const t of tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[t.dtype];
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const headerBytes = Buffer.from(json);
  const out = Buffer.alloc(8 + headerBytes.byteLength + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.byteLength), 0);
  headerBytes.copy(out, 8);
  for (let i = 0; i < offset; i++) out[8 + headerBytes.byteLength + i] = (i * 31 + 7) % 251;
  return out;
}

/** Rows of the test dataset "acme/reviews": row i has text "review i", label i % 2, score i / 4, note null every 3rd row. */
export function reviewRow(i: number) {
  return { text: `review ${i}`, label: i % 2, score: i / 4, note: i % 3 === 0 ? null : `note ${i}` };
}

function writeReviewParquet(filename: string, from: number, count: number, rowGroupSize: number): void {
  const rows = Array.from({ length: count }, (_, k) => reviewRow(from + k));
  mkdirSync(dirname(filename), { recursive: true });
  parquetWriteFile({
    filename,
    rowGroupSize,
    columnData: [
      { name: 'text', data: rows.map((r) => r.text), type: 'STRING' },
      { name: 'label', data: rows.map((r) => BigInt(r.label)), type: 'INT64' },
      { name: 'score', data: rows.map((r) => r.score), type: 'DOUBLE' },
      { name: 'note', data: rows.map((r) => r.note), type: 'STRING' },
    ],
  });
}

/** Writes `files` into `<repo>/<folder>/`. */
function writeFiles(dir: string, files: Record<string, string | Uint8Array>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

/** Writes one repository (`files` by path, optional repo.json) into an offline-Hub root. */
export function writeRepo(root: string, kind: 'models' | 'datasets', id: string, meta: RepoMeta | undefined, files: Record<string, string | Uint8Array>): void {
  const dir = join(root, kind, ...id.split('/'));
  mkdirSync(join(dir, 'files'), { recursive: true });
  if (meta) writeFileSync(join(dir, 'repo.json'), JSON.stringify(meta));
  writeFiles(join(dir, 'files'), files);
}

/** Files of acme/tiny-bert's other refs: a pull request, a branch and a tag, each with its own config.json. */
export const TINY_BERT_REFS: Record<string, Record<string, string>> = {
  'refs/pr/1': { 'config.json': JSON.stringify({ model_type: 'bert', hidden_size: 64, note: 'pr 1' }), 'pr-only.txt': 'only on the pull request' },
  'refs/heads/dev': { 'config.json': JSON.stringify({ model_type: 'bert', hidden_size: 64, note: 'dev branch' }) },
  'refs/tags/v1.0': { 'config.json': JSON.stringify({ model_type: 'bert', hidden_size: 64, note: 'tag v1.0' }) },
};

/** Tensors of acme/tiny-bert: 64*64 + 64 F32, 16 I64, 8 F16 parameters (file > 10 KiB, so it is an "LFS" file). */
export const TINY_BERT_TENSORS: TensorSpec[] = [
  { name: 'bert.embeddings.word_embeddings.weight', dtype: 'F32', shape: [64, 64] },
  { name: 'bert.embeddings.LayerNorm.gamma', dtype: 'F32', shape: [64] },
  { name: 'bert.embeddings.position_ids', dtype: 'I64', shape: [1, 16] },
  { name: 'half', dtype: 'F16', shape: [8] },
];

/** Shards of acme/sharded-roberta: 10*10 F32 in the first, 3*5 F16 in the second. */
export const SHARDED_TENSORS: TensorSpec[][] = [
  [{ name: 'roberta.a', dtype: 'F32', shape: [10, 10] }],
  [{ name: 'roberta.b', dtype: 'F16', shape: [3, 5] }],
];

/** Row counts of acme/reviews: train = 150 (row groups of 50) + 100 (row groups of 40) rows in two files; test = 20. */
export const REVIEWS = { trainFiles: [150, 100], trainRowGroups: [50, 40], test: 20 };

export const SENTIMENT_FEATURES = {
  text: { dtype: 'string', _type: 'Value' },
  label: { names: ['negative', 'positive'], _type: 'ClassLabel' },
  score: { dtype: 'float64', _type: 'Value' },
  note: { dtype: 'string', _type: 'Value' },
};

/** Writes the test repositories into a fresh temporary folder and returns it. */
export function buildTestRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'hub-server-test-'));
  writeRepo(root, 'models', 'acme/tiny-bert', {
    pipeline_tag: 'fill-mask', library_name: 'transformers', tags: ['en'], downloads: 42, likes: 3, cardData: { license: 'apache-2.0' },
  }, {
    'config.json': JSON.stringify({ architectures: ['BertForMaskedLM'], model_type: 'bert', hidden_size: 64 }),
    'tokenizer_config.json': JSON.stringify({ do_lower_case: true, mask_token: '[MASK]', pad_token: '[PAD]' }),
    'model.safetensors': safetensorsBytes(TINY_BERT_TENSORS),
    'onnx/model.onnx': 'not really onnx',
    'onnx/extra/notes.txt': 'nested',
  });
  for (const [ref, files] of Object.entries(TINY_BERT_REFS)) writeFiles(join(root, 'models', 'acme', 'tiny-bert', 'revisions', encodeURIComponent(ref)), files);
  const [shard1, shard2] = SHARDED_TENSORS.map(safetensorsBytes);
  writeRepo(root, 'models', 'acme/sharded-roberta', { pipeline_tag: 'fill-mask', library_name: 'transformers', downloads: 7 }, {
    'config.json': JSON.stringify({ architectures: ['RobertaForMaskedLM'], model_type: 'roberta' }),
    'model.safetensors.index.json': JSON.stringify({
      metadata: { total_size: 430 },
      weight_map: { 'roberta.a': 'model-00001-of-00002.safetensors', 'roberta.b': 'model-00002-of-00002.safetensors' },
    }),
    'model-00001-of-00002.safetensors': shard1,
    'model-00002-of-00002.safetensors': shard2,
  });
  writeRepo(root, 'models', 'acme/gated-bert', { gated: 'manual', pipeline_tag: 'fill-mask', downloads: 100 }, {
    'config.json': JSON.stringify({ model_type: 'bert' }),
  });
  const corrupt = new Uint8Array(16);
  new DataView(corrupt.buffer).setBigUint64(0, 1n << 40n, true); // header length far past the file
  writeRepo(root, 'models', 'acme/corrupt-bert', undefined, {
    'config.json': JSON.stringify({ model_type: 'bert' }),
    'model.safetensors': corrupt,
  });
  writeRepo(root, 'models', 'acme/private-bert', { private: true }, { 'config.json': JSON.stringify({ model_type: 'bert' }) });
  writeRepo(root, 'models', 'legacy-distilbert', undefined, {
    'config.json': JSON.stringify({ architectures: ['DistilBertForMaskedLM'], model_type: 'distilbert' }),
  });

  writeRepo(root, 'datasets', 'acme/reviews', {
    tags: ['task_categories:text-classification'], downloads: 9, cardData: { license: 'mit' },
    dataset_info: { default: { description: 'Tiny reviews', features: SENTIMENT_FEATURES } },
  }, { 'README.md': '---\nlicense: mit\n---\n# Reviews\n', 'data/train.csv': 'text,label\nreview 0,0\n' });
  const parquet = join(root, 'datasets', 'acme', 'reviews', 'parquet', 'default');
  writeReviewParquet(join(parquet, 'train', '0000.parquet'), 0, REVIEWS.trainFiles[0], REVIEWS.trainRowGroups[0]);
  writeReviewParquet(join(parquet, 'train', '0001.parquet'), REVIEWS.trainFiles[0], REVIEWS.trainFiles[1], REVIEWS.trainRowGroups[1]);
  writeReviewParquet(join(parquet, 'test', '0000.parquet'), 1000, REVIEWS.test, 1000);

  writeRepo(root, 'datasets', 'acme/gated-reviews', { gated: 'auto' }, { 'README.md': '# gated\n' });
  writeReviewParquet(join(root, 'datasets', 'acme', 'gated-reviews', 'parquet', 'default', 'train', '0000.parquet'), 0, 5, 1000);
  writeRepo(root, 'datasets', 'acme/raw-only', {}, { 'data.csv': 'a,b\n1,2\n' });
  return root;
}

/** A test Hub on a random port over a fresh root; `stop` closes it and deletes the root. */
export async function startTestHub(): Promise<RunningHubServer & { root: string; stop(): Promise<void> }> {
  const root = buildTestRoot();
  const server = await startHubServer({ root, port: 0 });
  return {
    ...server,
    root,
    async stop() {
      await server.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
