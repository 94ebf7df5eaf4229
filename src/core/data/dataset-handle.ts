import type { ColumnInfo, Row } from './columns.ts';
import type { RowSource } from './row-source.ts';

export interface SplitSummary {
  name: string;
  /** Rows in the split when known. */
  numRows?: number;
}

/** A dataset whose splits can be sampled and streamed: a Hub dataset (one config of it) or a parsed local file. */
export interface DatasetHandle {
  /** Hub id (`owner/name`) or file name. */
  readonly name: string;
  /** Config being read (Hub datasets). */
  readonly config?: string;
  /** All configs of the dataset (empty for files). */
  readonly configs: string[];
  readonly splits: SplitSummary[];
  readonly columns: ColumnInfo[];
  /** What reading met that the user should know: lines of a file left out or joined, with counts. */
  readonly warnings?: readonly string[];
  /** Names the dataset (and a split) in messages: `Dataset "x/y" config "c" split "s"` or `File "a.csv"`. */
  target(split?: string): string;
  /** The rows of a split. */
  open(split: string): Promise<RowSource>;
  /** Up to `count` first rows of a split, as cheaply as the source allows (the viewer's `/first-rows` for the Hub). */
  sample(split: string, count: number): Promise<Row[]>;
}
