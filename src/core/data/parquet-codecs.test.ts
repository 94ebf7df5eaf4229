import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubEndpoint, offlineHub } from '../../hub/endpoint.ts';
import { type RunningHubServer, startHubServer } from '../../hub-server/index.ts';
import type { Row } from './columns.ts';
import { openHubDataset } from './hub-dataset.ts';
import { parseLocalFile } from './local-files.ts';
import { firstRows } from './row-source.ts';
import { rejectedDataError } from './test-support.ts';

const REAL = join(dirname(fileURLToPath(import.meta.url)), 'testdata', 'real');

/**
 * The 4 rows parquet-testing's three LZ4 files hold (Hadoop-framed LZ4, bare-block LZ4, LZ4_RAW), as arrow-rs's
 * `test_read_lz4_raw` / `test_read_lz4_hadoop_fallback` and parquet-cpp's reader tests state them.
 */
const LZ4_ROWS: Row[] = [
  { c0: 1593604800, c1: 'abc', v11: 42 },
  { c0: 1593604800, c1: 'def', v11: 7.7 },
  { c0: 1593604801, c1: 'abc', v11: 42.125 },
  { c0: 1593604801, c1: 'def', v11: 7.7 },
];

/**
 * parquet-testing's README: `byte_stream_split.zstd.parquet` is pyarrow's write of these numpy draws (ZSTD level
 * 22). The float32 column must match exactly; the float64 draws go through libm's log and sqrt, which differ by
 * an ulp between the machine that wrote the file and this one, so they match to 1e-14.
 */
function numpyNormals(): Row[] {
  const script = [
    'import json, numpy as np',
    'np.random.seed(0)',
    'f32 = np.random.normal(size=300).astype(np.float32)',
    'f64 = np.random.normal(size=300).astype(np.float64)',
    'print(json.dumps([[float(a), float(b)] for a, b in zip(f32, f64)]))',
  ].join('\n');
  const run = spawnSync('python3', ['-c', script], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`python3 with numpy is needed as the reference: ${run.stderr}`);
  return (JSON.parse(run.stdout) as [number, number][]).map(([f32, f64]) => ({ f32, f64: expect.closeTo(f64, 14) }));
}

/** Real files from apache/parquet-testing (see testdata/real/README.md) and what each is documented to hold. */
const REAL_FILES: { file: string; codec: string; rows: () => Row[] }[] = [
  { file: 'byte_stream_split.zstd.parquet', codec: 'ZSTD', rows: numpyNormals },
  // parquet-cpp TestTextDeltaLengthByteArray and Spark's ParquetIOSuite: "apple_banana_mango" + i*i.
  { file: 'delta_length_byte_array.parquet', codec: 'ZSTD', rows: () => Array.from({ length: 1000 }, (_, i) => ({ FRUIT: `apple_banana_mango${i * i}` })) },
  // parquet-testing README: "513 UINT64 numbers compressed using 2 concatenated gzip members"; 1..513 per the readers' tests.
  { file: 'concatenated_gzip_members.parquet', codec: 'GZIP', rows: () => Array.from({ length: 513 }, (_, i) => ({ long_col: i + 1 })) },
  { file: 'hadoop_lz4_compressed.parquet', codec: 'LZ4', rows: () => LZ4_ROWS },
  { file: 'non_hadoop_lz4_compressed.parquet', codec: 'LZ4', rows: () => LZ4_ROWS },
  { file: 'lz4_raw_compressed.parquet', codec: 'LZ4_RAW', rows: () => LZ4_ROWS },
];

const realBytes = (file: string) => readFileSync(join(REAL, file));
const repoOf = (file: string) => `real/${file.replace(/\.parquet$/, '').replace(/\./g, '-')}`;

/** The same rows as UNCOMPRESSED, SNAPPY (hyparquet-writer's), GZIP and BROTLI (Node's zlib, an independent encoder). */
const MRPC_LINES = readFileSync(join(REAL, 'mrpc-train.tsv'), 'utf8').trim().split('\n');
const PAIRS = Array.from({ length: 40 }, (_, i) => ({ sentence: `${MRPC_LINES[i % MRPC_LINES.length]} #${i}`, label: i % 2 }));
function writtenWith(codec: 'UNCOMPRESSED' | 'SNAPPY' | 'GZIP' | 'BROTLI' | 'LZO'): Uint8Array {
  const compressors = {
    GZIP: (bytes: Uint8Array) => new Uint8Array(gzipSync(bytes)),
    BROTLI: (bytes: Uint8Array) => new Uint8Array(brotliCompressSync(bytes)),
    // Not real LZO: the reader must refuse the codec from the footer before it looks at any page.
    LZO: (bytes: Uint8Array) => bytes,
  };
  return new Uint8Array(parquetWriteBuffer({
    codec,
    compressors,
    rowGroupSize: 16,
    columnData: [
      { name: 'sentence', data: PAIRS.map((p) => p.sentence), type: 'STRING' },
      { name: 'label', data: PAIRS.map((p) => p.label), type: 'INT32' },
    ],
  }));
}

let root: string;
let server: RunningHubServer;
let hub: HubEndpoint;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'adapter-studio-codecs-'));
  const addDataset = (id: string, write: (path: string) => void) => {
    const dir = join(root, 'datasets', ...id.split('/'), 'parquet', 'default', 'train');
    mkdirSync(dir, { recursive: true });
    write(join(dir, '0000.parquet'));
  };
  for (const { file } of REAL_FILES) addDataset(repoOf(file), (path) => copyFileSync(join(REAL, file), path));
  addDataset('real/large-string-map-brotli', (path) => copyFileSync(join(REAL, 'large_string_map.brotli.parquet'), path));
  addDataset('made/lzo', (path) => writeFileSync(path, writtenWith('LZO')));
  server = await startHubServer({ root, port: 0 });
  hub = offlineHub(server.url);
});
afterAll(() => {
  server?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('parquet codecs on real files from apache/parquet-testing', () => {
  it.each(REAL_FILES)('$file ($codec) read as a local file holds the documented values', async ({ file, rows }) => {
    const table = await parseLocalFile(realBytes(file), file);
    expect(table.badRows).toBe(0);
    expect(table.rows).toEqual(rows());
  });

  it.each(REAL_FILES)('$file ($codec) streamed from the offline Hub by range requests: the same values', async ({ file, rows }) => {
    const dataset = await openHubDataset(hub, repoOf(file), { source: 'parquet' });
    const source = await dataset.open('train');
    expect(source.kind).toBe('parquet');
    const expected = rows();
    expect(await firstRows(source, 10_000)).toEqual(expected);
    // The offline Hub's own /first-rows reads the file with the same decompressors.
    expect(await dataset.sample('train', 3)).toEqual(expected.slice(0, 3));
  });

  it('the same rows under UNCOMPRESSED, SNAPPY, GZIP and BROTLI decode identically', async () => {
    for (const codec of ['UNCOMPRESSED', 'SNAPPY', 'GZIP', 'BROTLI'] as const) {
      const table = await parseLocalFile(writtenWith(codec), `pairs-${codec}.parquet`);
      expect(table.rows, codec).toEqual(PAIRS);
    }
  });
});

describe('parquet files we cannot read are refused with the codec and the file named', () => {
  it('LZO, as a local file', async () => {
    const err = await rejectedDataError(parseLocalFile(writtenWith('LZO'), 'old.parquet'));
    expect(err.code).toBe('UnsupportedFile');
    expect(err.message).toBe('File "old.parquet" is compressed with LZO (column "sentence"), which Adapter Studio cannot decompress; it reads UNCOMPRESSED, SNAPPY, GZIP, BROTLI, ZSTD, LZ4, LZ4_RAW. Rewrite the file with another codec, e.g. pyarrow.parquet.write_table(table, path, compression="zstd").');
  });

  it('LZO, streamed from the Hub: the dataset, split and parquet file are named', async () => {
    const source = await (await openHubDataset(hub, 'made/lzo', { source: 'parquet' })).open('train');
    const err = await rejectedDataError(firstRows(source, 5));
    expect(err.code).toBe('UnsupportedFile');
    expect(err.message).toMatch(/^Dataset "made\/lzo" config "default" split "train": parquet file default\/train\/0\.parquet is compressed with LZO \(column "sentence"\), which Adapter Studio cannot decompress/);
  });

  it('a page declaring 1 GiB uncompressed (large_string_map.brotli.parquet) is refused before it is allocated', async () => {
    const err = await rejectedDataError(parseLocalFile(realBytes('large_string_map.brotli.parquet'), 'large_string_map.brotli.parquet'));
    expect(err.code).toBe('UnreadableFile');
    expect(err.message).toMatch(/^File "large_string_map\.brotli\.parquet" could not be read as parquet: a BROTLI page declares 1,073,741,\d{3} bytes uncompressed, more than the 256 MiB a page may have here/);

    const source = await (await openHubDataset(hub, 'real/large-string-map-brotli', { source: 'parquet' })).open('train');
    const streamed = await rejectedDataError(firstRows(source, 1));
    expect(streamed.message).toMatch(/^Dataset "real\/large-string-map-brotli" config "default" split "train" could not be read: a BROTLI page declares/);
  });
});
