/**
 * The words the page and the worker share about training data: how a dataset is read, and what its inspection found.
 * Types only: importing this file pulls in no tensors.
 */
import type { ColumnOverrides } from '../data/column-mapping.ts';
import type { ColumnInfo } from '../data/columns.ts';
import type { SplitSummary } from '../data/dataset-handle.ts';
import type { DatasetReport } from '../data/dataset-report.ts';

/** How a dataset is read: split, columns, row caps (both dataset inspections and every run that reads one). */
export interface InspectRequest {
  /** Split to train on (default `train`, else the first). */
  split?: string;
  /** Columns the user chose instead of the detected ones. */
  overrides?: ColumnOverrides;
  /** Most training examples (a row cap for quick classroom runs). */
  maxTrainExamples?: number;
  /** Most validation examples; default with a training cap: a fifth of it, at least 200 (`defaultValidationCap`). */
  maxValidationExamples?: number;
}

/** Which data a run reads: the Hub dataset or the local file last sent, and how it is read. */
export type DataRef = ({ kind: 'hub'; dataset: string; config?: string } | { kind: 'local'; name: string }) & InspectRequest;

/** What a dataset is, known as soon as it opened (even when mapping its columns failed). */
export interface DatasetSummary {
  /** Hub id or file name. */
  name: string;
  /** Config read (Hub datasets). */
  config?: string;
  /** Every config of the dataset (empty for files). */
  configs: string[];
  splits: SplitSummary[];
  columns: ColumnInfo[];
  /** Lines or records of a local file that could not be parsed and were left out. */
  badRows?: number;
  /** Lines of a local file left out or joined while reading, one sentence each with the counts. */
  warnings?: string[];
}

/** The inspection's result: the report, or why the columns could not be mapped (a DataError's message and code). */
export type Inspection =
  | { status: 'ok'; report: DatasetReport }
  | { status: 'problem'; message: string; code: string };
