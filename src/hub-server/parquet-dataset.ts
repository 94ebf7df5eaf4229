import { type FileMetaData, type SchemaTree, asyncBufferFromFile, parquetMetadataAsync, parquetSchema } from 'hyparquet';
import { readParquetRows } from '../core/data/parquet-codecs.ts';
import type { RepoFile, RepoMeta } from './repo-store.ts';

/** One parquet file of a split (`<config>/<split>/0000.parquet` on refs/convert/parquet). */
export interface ParquetShard {
  file: RepoFile;
  /** File name, e.g. `0000.parquet`. */
  filename: string;
  /** Rows in this file. */
  numRows: number;
  /** Uncompressed size of its row groups (the viewer's "memory" size). */
  numBytesMemory: number;
  metadata: FileMetaData;
}

export interface ParquetSplit {
  config: string;
  split: string;
  /** Files in name order; rows are numbered across them. */
  shards: ParquetShard[];
  numRows: number;
}

export interface ParquetConfig {
  config: string;
  splits: ParquetSplit[];
}

/** A dataset row as read, with its index in the split. */
export interface IndexedRow {
  rowIdx: number;
  row: Record<string, unknown>;
}

/** Splits the Hub lists first; others follow alphabetically. */
const SPLIT_ORDER = ['train', 'validation', 'test'];

const metadataCache = new Map<string, { key: string; metadata: Promise<FileMetaData> }>();

/** The parquet footer (schema, row groups), read once per file version. */
function metadataOf(file: RepoFile): Promise<FileMetaData> {
  const key = `${file.size}:${file.mtimeMs}`;
  const cached = metadataCache.get(file.abs);
  if (cached?.key === key) return cached.metadata;
  const metadata = asyncBufferFromFile(file.abs)
    .then((buffer) => parquetMetadataAsync(buffer))
    .catch((err: Error) => {
      metadataCache.delete(file.abs);
      throw new Error(`Cannot read the parquet footer of ${file.abs}: ${err.message}`, { cause: err });
    });
  metadataCache.set(file.abs, { key, metadata });
  return metadata;
}

function splitRank(split: string): number {
  const i = SPLIT_ORDER.indexOf(split);
  return i === -1 ? SPLIT_ORDER.length : i;
}

/** Groups the files of refs/convert/parquet into configs and splits; other files are ignored. */
export async function parquetLayout(files: RepoFile[]): Promise<ParquetConfig[]> {
  const configs = new Map<string, Map<string, RepoFile[]>>();
  for (const file of files) {
    const parts = file.path.split('/');
    if (parts.length !== 3 || !parts[2].endsWith('.parquet')) continue;
    const [config, split] = parts;
    const splits = configs.get(config) ?? new Map<string, RepoFile[]>();
    configs.set(config, splits);
    splits.set(split, [...(splits.get(split) ?? []), file]);
  }
  const out: ParquetConfig[] = [];
  for (const config of [...configs.keys()].sort()) {
    const splitNames = [...configs.get(config)!.keys()].sort((a, b) => splitRank(a) - splitRank(b) || (a < b ? -1 : 1));
    const splits: ParquetSplit[] = [];
    for (const split of splitNames) {
      const shards = await Promise.all(configs.get(config)!.get(split)!.map(async (file): Promise<ParquetShard> => {
        const metadata = await metadataOf(file);
        return {
          file,
          filename: file.path.split('/')[2],
          numRows: Number(metadata.num_rows),
          numBytesMemory: metadata.row_groups.reduce((sum, g) => sum + Number(g.total_byte_size), 0),
          metadata,
        };
      }));
      splits.push({ config, split, shards, numRows: shards.reduce((sum, s) => sum + s.numRows, 0) });
    }
    out.push({ config, splits });
  }
  return out;
}

/** HF `datasets` feature type of a parquet column (used when neither repo.json nor the file says). */
function featureOfColumn(node: SchemaTree): unknown {
  const { element } = node;
  const isList = element.converted_type === 'LIST' || element.logical_type?.type === 'LIST';
  if (isList) {
    const item = node.children[0]?.children[0] ?? node.children[0];
    return { feature: item ? featureOfColumn(item) : { dtype: 'null', _type: 'Value' }, _type: 'List' };
  }
  if (node.children.length > 0) {
    return Object.fromEntries(node.children.map((c) => [c.element.name, featureOfColumn(c)]));
  }
  return { dtype: dtypeOf(node), _type: 'Value' };
}

function dtypeOf({ element }: SchemaTree): string {
  const converted = element.converted_type;
  switch (element.type) {
    case 'BOOLEAN': return 'bool';
    case 'INT32':
      return converted === 'INT_8' ? 'int8' : converted === 'INT_16' ? 'int16' : converted === 'UINT_8' ? 'uint8'
        : converted === 'UINT_16' ? 'uint16' : converted === 'UINT_32' ? 'uint32' : converted === 'DATE' ? 'date32' : 'int32';
    case 'INT64':
      return converted === 'UINT_64' ? 'uint64' : converted === 'TIMESTAMP_MILLIS' ? 'timestamp[ms]'
        : converted === 'TIMESTAMP_MICROS' ? 'timestamp[us]' : 'int64';
    case 'FLOAT': return 'float32';
    case 'DOUBLE': return 'float64';
    case 'BYTE_ARRAY':
      return converted === 'UTF8' || converted === 'JSON' || element.logical_type?.type === 'STRING' ? 'string' : 'binary';
    case 'FIXED_LEN_BYTE_ARRAY':
      return element.logical_type?.type === 'FLOAT16' ? 'float16' : 'binary';
    default: return 'binary';
  }
}

/** Features written by the `datasets` library into the parquet key-value metadata ("huggingface"). */
function featuresFromFileMetadata(metadata: FileMetaData): Record<string, unknown> | undefined {
  const entry = metadata.key_value_metadata?.find((kv) => kv.key === 'huggingface');
  if (!entry?.value) return undefined;
  try {
    return (JSON.parse(entry.value) as { info?: { features?: Record<string, unknown> } }).info?.features;
  } catch {
    return undefined;
  }
}

/**
 * The features of a config in column order: repo.json's `dataset_info[config].features` when given,
 * else the `datasets` metadata inside the parquet file, else types derived from the parquet schema.
 */
export function featuresOf(meta: RepoMeta, config: ParquetConfig): [string, unknown][] {
  const metadata = config.splits[0]?.shards[0]?.metadata;
  const given = meta.dataset_info?.[config.config]?.features ?? (metadata && featuresFromFileMetadata(metadata));
  if (given) return Object.entries(given);
  if (!metadata) return [];
  return parquetSchema(metadata).children.map((c) => [c.element.name, featureOfColumn(c)]);
}

/** A parquet value as the viewer sends it: bigints become numbers, binary becomes null, dates ISO strings. */
export function toCell(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Uint8Array) return null;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(toCell);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toCell(v)]));
  }
  return value;
}

/** Rows `[offset, offset + length)` of a split, reading only the files and row groups that hold them. */
export async function readRows(split: ParquetSplit, offset: number, length: number): Promise<IndexedRow[]> {
  const out: IndexedRow[] = [];
  const end = Math.min(offset + length, split.numRows);
  let shardStart = 0;
  for (const shard of split.shards) {
    const shardEnd = shardStart + shard.numRows;
    if (shardEnd > offset && shardStart < end) {
      const rowStart = Math.max(offset, shardStart) - shardStart;
      const rowEnd = Math.min(end, shardEnd) - shardStart;
      const rows = await readParquetRows({
        file: await asyncBufferFromFile(shard.file.abs),
        metadata: shard.metadata,
        rowStart,
        rowEnd,
      });
      rows.forEach((row, i) => out.push({ rowIdx: shardStart + rowStart + i, row: toCell(row) as Record<string, unknown> }));
    }
    shardStart = shardEnd;
    if (shardStart >= end) break;
  }
  return out;
}
