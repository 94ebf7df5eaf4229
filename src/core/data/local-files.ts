import { type FileMetaData, parquetMetadata } from 'hyparquet';
import Papa from 'papaparse';
import { type ColumnInfo, type Feature, type Row, columnsOfFeatures, inferColumns, plainRow } from './columns.ts';
import type { DatasetHandle } from './dataset-handle.ts';
import { DataError } from './errors.ts';
import { checkCodecs, readParquetRows } from './parquet-codecs.ts';
import { memoryRowSource } from './row-source.ts';

export type LocalFormat = 'csv' | 'tsv' | 'jsonl' | 'json' | 'parquet';

const EXTENSIONS: Record<string, LocalFormat> = {
  csv: 'csv',
  tsv: 'tsv',
  tab: 'tsv',
  jsonl: 'jsonl',
  ndjson: 'jsonl',
  json: 'json',
  parquet: 'parquet',
};

/** A local file read into memory. */
export interface LocalTable {
  fileName: string;
  format: LocalFormat;
  columns: ColumnInfo[];
  rows: Row[];
  /** Lines or records that could not be parsed and were left out. */
  badRows: number;
}

/** The format a file name's extension says (`.csv`, `.tsv`, `.jsonl`/`.ndjson`, `.json`, `.parquet`). */
export function formatOfFileName(fileName: string): LocalFormat {
  const ext = /\.([^./]+)$/.exec(fileName.toLowerCase())?.[1] ?? '';
  const format = EXTENSIONS[ext];
  if (!format) {
    throw new DataError(`File "${fileName}" is not a supported format; use .csv, .tsv, .jsonl, .json or .parquet.`, 'UnsupportedFile');
  }
  return format;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Text cells to typed rows: a column whose every non-empty cell is a number becomes numbers; empty cells become null. */
function typeTextColumns(rows: Record<string, string | undefined>[], fields: string[]): Row[] {
  const numeric = fields.filter((f) => rows.every((r) => !r[f]?.trim() || NUMBER.test(r[f]!.trim())));
  return rows.map((r) => {
    const row: Row = {};
    for (const f of fields) {
      const cell = r[f];
      row[f] = cell === undefined || cell === '' ? null : numeric.includes(f) ? Number(cell) : cell;
    }
    return row;
  });
}

function parseDelimited(text: string, fileName: string, format: 'csv' | 'tsv'): Omit<LocalTable, 'fileName' | 'format' | 'columns'> {
  const result = Papa.parse<Record<string, string>>(text, {
    header: true,
    skipEmptyLines: 'greedy',
    delimiter: format === 'tsv' ? '\t' : '',
    dynamicTyping: false,
  });
  const fields = (result.meta.fields ?? []).filter((f) => f !== '');
  const badLines = new Set(result.errors.map((e) => e.row).filter((r): r is number => r !== undefined));
  const fatal = result.errors.find((e) => e.row === undefined);
  if (fields.length === 0 || fatal) {
    throw new DataError(`File "${fileName}" could not be read as ${format.toUpperCase()}${fatal ? `: ${fatal.message}` : ': it has no header row'}. The first line must name the columns.`, 'UnreadableFile');
  }
  const good = result.data.filter((_, i) => !badLines.has(i));
  return { rows: typeTextColumns(good, fields), badRows: badLines.size };
}

function isRecord(value: unknown): value is Row {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJsonLines(text: string): Omit<LocalTable, 'fileName' | 'format' | 'columns'> {
  const rows: Row[] = [];
  let badRows = 0;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    try {
      const value: unknown = JSON.parse(line);
      if (isRecord(value)) rows.push(value);
      else badRows += 1;
    } catch {
      badRows += 1;
    }
  }
  return { rows, badRows };
}

/** Rows of a JSON document: an array of objects, `{data|rows|examples|train: [...]}`, or columns `{col: [...], ...}`. */
function parseJson(text: string, fileName: string): Omit<LocalTable, 'fileName' | 'format' | 'columns'> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new DataError(`File "${fileName}" is not valid JSON: ${(err as Error).message}. For one record per line, name it .jsonl.`, 'UnreadableFile', { cause: err });
  }
  const list = Array.isArray(value) ? value
    : isRecord(value) ? ['data', 'rows', 'examples', 'train'].map((k) => value[k]).find(Array.isArray)
    : undefined;
  if (list) {
    const rows = list.filter(isRecord);
    return { rows, badRows: list.length - rows.length };
  }
  if (isRecord(value)) {
    const columns = Object.entries(value).filter((e): e is [string, unknown[]] => Array.isArray(e[1]));
    const length = columns[0]?.[1].length ?? 0;
    if (columns.length > 0 && columns.every(([, v]) => v.length === length)) {
      return { rows: Array.from({ length }, (_, i) => Object.fromEntries(columns.map(([k, v]) => [k, v[i]]))), badRows: 0 };
    }
  }
  throw new DataError(`File "${fileName}" holds JSON but no records: use an array of objects like [{"text": "...", "label": 0}], or columns like {"text": [...], "label": [...]}.`, 'UnreadableFile');
}

/** ClassLabel names and dtypes that the `datasets` library writes into parquet files ("huggingface" metadata). */
function featuresOfParquet(metadata: FileMetaData): Record<string, Feature> | undefined {
  const entry = metadata.key_value_metadata?.find((kv) => kv.key === 'huggingface');
  if (!entry?.value) return undefined;
  try {
    return (JSON.parse(entry.value) as { info?: { features?: Record<string, Feature> } }).info?.features;
  } catch {
    return undefined;
  }
}

async function parseParquet(buffer: ArrayBuffer, fileName: string): Promise<Omit<LocalTable, 'fileName' | 'format'>> {
  try {
    const metadata = parquetMetadata(buffer);
    checkCodecs(metadata, `File "${fileName}"`);
    const rows = (await readParquetRows({ file: buffer, metadata })).map(plainRow);
    const features = featuresOfParquet(metadata);
    return { rows, badRows: 0, columns: features ? columnsOfFeatures(features) : inferColumns(rows) };
  } catch (err) {
    if (err instanceof DataError) throw err;
    throw new DataError(`File "${fileName}" could not be read as parquet: ${(err as Error).message}.`, 'UnreadableFile', { cause: err });
  }
}

async function bytesOf(data: Blob | ArrayBuffer | Uint8Array): Promise<ArrayBuffer> {
  if (data instanceof ArrayBuffer) return data;
  // A copy: a Node Buffer's `.buffer` is a shared pool holding other bytes too.
  if (data instanceof Uint8Array) return new Uint8Array(data).buffer;
  return data.arrayBuffer();
}

/** Reads a CSV, TSV, JSONL, JSON or parquet file (chosen by its name's extension) into rows and typed columns. */
export async function parseLocalFile(data: Blob | ArrayBuffer | Uint8Array, fileName: string): Promise<LocalTable> {
  const format = formatOfFileName(fileName);
  const buffer = await bytesOf(data);
  if (format === 'parquet') return { fileName, format, ...(await parseParquet(buffer, fileName)) };
  const text = new TextDecoder().decode(buffer);
  const parsed = format === 'csv' || format === 'tsv' ? parseDelimited(text, fileName, format)
    : format === 'jsonl' ? parseJsonLines(text)
    : parseJson(text, fileName);
  if (parsed.rows.length === 0) {
    throw new DataError(`File "${fileName}" has no ${parsed.badRows ? `readable ` : ''}rows${parsed.badRows ? ` (${parsed.badRows} could not be parsed)` : ''}.`, 'EmptySplit');
  }
  return { fileName, format, columns: inferColumns(parsed.rows), ...parsed };
}

/**
 * A parsed file as a dataset with one split, `train` (validation is then held out of it), or, given a second file
 * with the same columns, with `train` and `validation` splits.
 */
export function localDataset(table: LocalTable, validation?: LocalTable): DatasetHandle {
  const tables: Record<string, LocalTable> = validation ? { train: table, validation } : { train: table };
  if (validation) {
    const missing = table.columns.map((c) => c.name).filter((name) => !validation.columns.some((c) => c.name === name));
    if (missing.length) {
      throw new DataError(`Validation file "${validation.fileName}" lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of "${table.fileName}"; give both files the same header.`, 'UnknownColumn');
    }
  }
  const target = (split = 'train') => `File "${(tables[split] ?? table).fileName}"`;
  const sources = new Map(Object.entries(tables).map(([split, t]) => [split, memoryRowSource(target(split), t.rows)]));
  const names = [...sources.keys()].map((s) => `"${s}"`).join(' and ');
  return {
    name: table.fileName,
    configs: [],
    splits: Object.entries(tables).map(([name, t]) => ({ name, numRows: t.rows.length })),
    columns: table.columns,
    target,
    async open(split) {
      const source = sources.get(split);
      if (!source) throw new DataError(`${target()} has ${sources.size > 1 ? `the splits ${names}` : 'only one split, "train"'}, not "${split}".`, 'UnknownSplit');
      return source;
    },
    async sample(split, count) {
      await this.open(split);
      return tables[split].rows.slice(0, count);
    },
  };
}
