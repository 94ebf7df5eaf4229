import type { Row } from './columns.ts';

/** Consecutive rows of a split. */
export interface RowChunk {
  /** Index in the split of `rows[0]`. */
  start: number;
  rows: Row[];
}

export interface ReadOptions {
  /** Columns needed; sources that can (parquet) read only these. */
  columns?: string[];
  /** Row to stop before (default: the end of the split); sources read no further than it needs. */
  toRow?: number;
  signal?: AbortSignal;
}

/** The rows of one split, streamed in order a chunk (a parquet row group, a viewer page, a slice of a file) at a time. */
export interface RowSource {
  /** Names the split in messages, e.g. `Dataset "x/y" config "default" split "train"`. */
  readonly target: string;
  /** How the rows are read: parquet row groups over HTTP ranges, dataset viewer `/rows` pages, or a local file. */
  readonly kind: 'parquet' | 'rows' | 'file';
  /** Rows in the split when known. */
  readonly numRows?: number;
  /**
   * Streams rows from `fromRow` on. A failed read throws a DataError whose `resumeFromRow` is the first row not
   * delivered: calling `chunks(resumeFromRow)` continues without losing or repeating rows.
   */
  chunks(fromRow?: number, options?: ReadOptions): AsyncGenerator<RowChunk>;
}

/** Rows already in memory (a parsed local file), served in chunks of `chunkSize`. */
export function memoryRowSource(target: string, rows: Row[], chunkSize = 1000): RowSource {
  return {
    target,
    kind: 'file',
    numRows: rows.length,
    async *chunks(fromRow = 0, { toRow = rows.length }: ReadOptions = {}) {
      const end = Math.min(toRow, rows.length);
      for (let start = fromRow; start < end; start += chunkSize) {
        yield { start, rows: rows.slice(start, Math.min(start + chunkSize, end)) };
      }
    },
  };
}

/** The first `count` rows of a source (fewer when the split is shorter), reading only the chunks that hold them. */
export async function firstRows(source: RowSource, count: number, options?: Omit<ReadOptions, 'toRow'>): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const chunk of source.chunks(0, { ...options, toRow: count })) rows.push(...chunk.rows);
  return rows;
}
