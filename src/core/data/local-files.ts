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
  /** Lines left out or joined while reading, one sentence each naming the file and the counts (shown in the Data step and by `data`). */
  warnings: string[];
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

/** What a text file's parser found: the rows, how many lines or records it left out, and why, in words. */
interface Parsed {
  rows: Row[];
  badRows: number;
  warnings: string[];
}

/** Lines of a text that hold anything but white space (what a reader counts as the file's lines). */
const nonBlankLines = (text: string) => text.split(/\r\n|\n|\r/).filter((line) => line.trim() !== '');

const plural = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

function noHeader(fileName: string, format: 'csv' | 'tsv', detail = 'it has no header row'): DataError {
  return new DataError(`File "${fileName}" could not be read as ${format.toUpperCase()}: ${detail}. The first line must name the columns.`, 'UnreadableFile');
}

/**
 * A TSV as GLUE ships them and Python's `csv.reader(f, delimiter="\t", quotechar=None)` reads them: one row a
 * line, cells split at tabs, no quoting, so a `"` is text (MRPC's sentences hold lone quotes that a CSV reader
 * takes as the start of a quoted cell, swallowing the lines after it). Only when that leaves lines out and a
 * quote-aware read takes every line (pandas' `to_csv(sep="\t")` quotes cells holding tabs or line breaks) is
 * the quote-aware read used.
 */
function parseTsv(text: string, fileName: string): Parsed {
  const [header, ...lines] = nonBlankLines(text);
  if (header === undefined) throw noHeader(fileName, 'tsv');
  const names = header.split('\t');
  if (names.every((n) => n === '')) throw noHeader(fileName, 'tsv');
  const cells: Record<string, string>[] = [];
  let bad = 0;
  let firstBad = 0;
  lines.forEach((line, i) => {
    const values = line.split('\t');
    if (values.length !== names.length) {
      bad += 1;
      firstBad ||= i + 2;
      return;
    }
    cells.push(Object.fromEntries(names.map((n, k) => [n, values[k]])));
  });
  if (bad > 0) {
    const quoted = parseQuoted(text, fileName, 'tsv');
    if (quoted.badRows === 0 && quoted.rows.length >= cells.length) return quoted;
  }
  const warnings = bad
    ? [`File "${fileName}": ${bad.toLocaleString('en-US')} of the ${plural(lines.length, 'line')} after the header ${bad === 1 ? 'does' : 'do'} not have ${names.length} tab-separated fields (the first is line ${firstBad}) and ${bad === 1 ? 'is' : 'are'} left out.`]
    : [];
  return { rows: typeTextColumns(cells, names.filter((n) => n !== '')), badRows: bad, warnings };
}

/**
 * A CSV (or a quoted TSV) with RFC 4180 quoting, by papaparse (a CSV's delimiter is guessed). A quoted cell may
 * hold line breaks, so rows and lines can differ; when they do the warning says by how much, since a stray `"`
 * joins lines the same way.
 */
function parseQuoted(text: string, fileName: string, format: 'csv' | 'tsv'): Parsed {
  const result = Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: 'greedy', delimiter: format === 'tsv' ? '\t' : '', dynamicTyping: false });
  const fields = (result.meta.fields ?? []).filter((f) => f !== '');
  // An error may name a row past the last one (an unclosed quote ran to the end of the file): nothing to leave out there.
  const rowErrors = result.errors.filter((e) => e.row !== undefined && e.row < result.data.length);
  const badLines = new Set(rowErrors.map((e) => e.row!));
  const fatal = result.errors.find((e) => e.row === undefined);
  if (fields.length === 0 || fatal) throw noHeader(fileName, format, fatal?.message);
  const rows = typeTextColumns(result.data.filter((_, i) => !badLines.has(i)), fields);
  const lines = nonBlankLines(text).length - 1;
  const warnings: string[] = [];
  if (badLines.size > 0) {
    warnings.push(`File "${fileName}": ${plural(badLines.size, 'row')} could not be read (${rowErrors[0].message}, row ${rowErrors[0].row! + 1}) and ${badLines.size === 1 ? 'is' : 'are'} left out.`);
  }
  const read = result.data.length;
  if (read < lines) {
    warnings.push(`File "${fileName}": its ${plural(lines, 'line')} after the header gave ${plural(read, 'row')}: quoted cells took in ${plural(lines - read, 'line break')}. If the file does not quote cells with ", a stray " joined those lines: remove it${format === 'csv' ? ', or save the file as .tsv if it is tab-separated' : ''}.`);
  }
  return { rows, badRows: badLines.size, warnings };
}

function isRecord(value: unknown): value is Row {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJsonLines(text: string, fileName: string): Parsed {
  const rows: Row[] = [];
  let badRows = 0;
  let firstBad = 0;
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      value = undefined;
    }
    if (isRecord(value)) rows.push(value);
    else {
      badRows += 1;
      firstBad ||= i + 1;
    }
  });
  const warnings = badRows
    ? [`File "${fileName}": ${badRows.toLocaleString('en-US')} of the ${plural(rows.length + badRows, 'line')} ${badRows === 1 ? 'is not a JSON object' : 'are not JSON objects'} (the first is line ${firstBad}) and ${badRows === 1 ? 'is' : 'are'} left out.`]
    : [];
  return { rows, badRows, warnings };
}

/** Rows of a JSON document: an array of objects, `{data|rows|examples|train: [...]}`, or columns `{col: [...], ...}`. */
function parseJson(text: string, fileName: string): Parsed {
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
    const bad = list.length - rows.length;
    return { rows, badRows: bad, warnings: bad ? [`File "${fileName}": ${bad.toLocaleString('en-US')} of the ${plural(list.length, 'record')} ${bad === 1 ? 'is not an object' : 'are not objects'} and left out.`] : [] };
  }
  if (isRecord(value)) {
    const columns = Object.entries(value).filter((e): e is [string, unknown[]] => Array.isArray(e[1]));
    const length = columns[0]?.[1].length ?? 0;
    if (columns.length > 0 && columns.every(([, v]) => v.length === length)) {
      return { rows: Array.from({ length }, (_, i) => Object.fromEntries(columns.map(([k, v]) => [k, v[i]]))), badRows: 0, warnings: [] };
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
    return { rows, badRows: 0, warnings: [], columns: features ? columnsOfFeatures(features) : inferColumns(rows) };
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
  const parsed = format === 'csv' ? parseQuoted(text, fileName, 'csv')
    : format === 'tsv' ? parseTsv(text, fileName)
    : format === 'jsonl' ? parseJsonLines(text, fileName)
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
    warnings: Object.values(tables).flatMap((t) => t.warnings),
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
