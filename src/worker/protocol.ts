/**
 * Every message between the page and the compute worker, in one place. Commands go page → worker and carry a
 * request `id`; the worker answers each with exactly one event whose `replyTo` is that id (the reply kind listed in
 * `ReplyKind`, or `error`). Other events (log, deviceLost, modelProgress, later metrics) arrive unasked.
 * Types only: the page imports this file without pulling in tfjs.
 */
import type { BackendInfo, BackendName, DeviceLostInfo } from '../core/backend/backend-info.ts';
import type { ColumnOverrides } from '../core/data/column-mapping.ts';
import type { ColumnInfo } from '../core/data/columns.ts';
import type { SplitSummary } from '../core/data/dataset-handle.ts';
import type { DatasetReport } from '../core/data/dataset-report.ts';
import type { SelfTestReport } from '../core/kernels/self-test-report.ts';
import type { LoadProgress } from '../core/model/load-encoder.ts';
import type { WeightFormat } from '../core/model/weights.ts';
import type { HubEndpoint } from '../hub/endpoint.ts';

// ---- page → worker ----

/** Start (or restart) the compute backend; the worker answers `ready`. */
export interface InitCommand {
  type: 'init';
  id: number;
  /** Backend to try first; slower ones follow if it cannot start. Default webgpu. */
  backend?: BackendName;
  /** Honour debug commands (the page URL has `?debug=1`). */
  debug?: boolean;
}

/** Check our kernels and tfjs ops on the active backend against the cpu backend; answered by `selfTestResult`. */
export interface SelfTestCommand {
  type: 'selfTest';
  id: number;
}

/** Debug only: destroy the WebGPU device as a driver reset would, so the page's device-lost path can be tested. */
export interface DebugLoseDeviceCommand {
  type: 'debugLoseDevice';
  id: number;
}

/**
 * Download (or take from Cache Storage) a Hub encoder and upload it to the active backend; answered by
 * `modelReady` after `modelProgress` events. A newer loadModel cancels one still running.
 */
export interface LoadModelCommand {
  type: 'loadModel';
  id: number;
  /** Hub model id, e.g. "google-bert/bert-base-uncased". */
  repoId: string;
  /** The Hub to read from; its token (if any) only ever travels inside this payload and is never logged. */
  endpoint: HubEndpoint;
}

/** Run the loaded encoder on texts; answered by `embedded`. */
export interface EmbedCommand {
  type: 'embed';
  id: number;
  /** One sequence per text. */
  texts: string[];
  /** Second segment of each text (sentence pairs); same length as `texts`. */
  pairs?: string[];
  /** Longest sequence in tokens, special tokens included; default the model's limit. */
  maxLength?: number;
}

/** Options both dataset inspections share. */
export interface InspectRequest {
  /** Split to train on (default `train`, else the first). */
  split?: string;
  /** Columns the user chose instead of the detected ones. */
  overrides?: ColumnOverrides;
  /** Most training examples (a row cap for quick classroom runs). */
  maxTrainExamples?: number;
}

/** Open a Hub dataset and inspect it (columns, labels, splits, preview); answered by `datasetReport`. */
export interface InspectDatasetCommand extends InspectRequest {
  type: 'inspectDataset';
  id: number;
  /** Hub dataset id, e.g. "nyu-mll/glue". */
  dataset: string;
  /** Config to read; default `default` or the first. */
  config?: string;
  /** The Hub and dataset viewer to read from; the token travels only here. */
  endpoint: HubEndpoint;
}

/**
 * Parse a local file (CSV, TSV, JSONL, JSON, parquet) and inspect it; answered by `datasetReport`. Send the bytes
 * once (transferred, not copied); later inspections of the same file (other columns, cap) omit them.
 */
export interface InspectLocalFileCommand extends InspectRequest {
  type: 'inspectLocalFile';
  id: number;
  /** The file's name; its extension picks the format. */
  name: string;
  /** The file's contents; absent to re-inspect the file sent last under this name. */
  bytes?: ArrayBuffer;
}

export type Command =
  | InitCommand | SelfTestCommand | DebugLoseDeviceCommand
  | LoadModelCommand | EmbedCommand | InspectDatasetCommand | InspectLocalFileCommand;

// ---- worker → page ----

export interface ReadyEvent {
  type: 'ready';
  replyTo: number;
  backend: BackendInfo;
}

export interface SelfTestResultEvent {
  type: 'selfTestResult';
  replyTo: number;
  report: SelfTestReport;
}

/** A command that returns nothing finished. */
export interface AckEvent {
  type: 'ack';
  replyTo: number;
}

export interface LogEvent {
  type: 'log';
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
}

/** A command failed (`replyTo` set), or something failed outside any command. */
export interface WorkerErrorEvent {
  type: 'error';
  replyTo?: number;
  /** What failed, for which input, and what to do. */
  message: string;
  /** The underlying error's message, when there was one. */
  cause?: string;
  /** Machine-readable kind, e.g. the error class name ("BackendError") or a HubError code. */
  code?: string;
}

/** The WebGPU device stopped working; the worker's backend is unusable until it is restarted. */
export interface DeviceLostEvent extends DeviceLostInfo {
  type: 'deviceLost';
}

/** How far a `loadModel` got. */
export interface ModelProgressEvent {
  type: 'modelProgress';
  /** Model being loaded. */
  repoId: string;
  /** config → tokenizer → weights (download or cache) → upload to the backend → ready. */
  stage: LoadProgress['stage'];
  /** Weight bytes read so far (during 'weights'). */
  loaded?: number;
  /** Weight bytes in all, when the Hub listed the file sizes. */
  total?: number;
  /** Weight file being read. */
  file?: string;
}

/** What the page shows about a loaded encoder. */
export interface LoadedModelInfo {
  repoId: string;
  /** config.json's model_type, e.g. "bert". */
  modelType: string;
  /** Transformer layers. */
  layers: number;
  /** Width of the residual stream. */
  hidden: number;
  /** Longest input in tokens. */
  maxLength: number;
  /** Parameters of the base model, counted from its tensors. */
  parameters: number;
  /** Bytes of the weight files. */
  downloadBytes: number;
  /** Bytes fetched from the network this time (0 when Cache Storage had every file). */
  networkBytes: number;
  /** Checkpoint layout read. */
  format: WeightFormat;
  /** Stored dtypes of the weights, e.g. ["F32"]. */
  dtypes: string[];
  /** tfjs backend the weights live on ("webgpu", "wasm", "cpu"). */
  backend: string;
}

export interface ModelReadyEvent {
  type: 'modelReady';
  replyTo: number;
  info: LoadedModelInfo;
}

/** The encoder's output for each text of an `embed` command. */
export interface EmbeddedEvent {
  type: 'embedded';
  replyTo: number;
  /** Per text: token ids, padded to the longest text of the command. */
  inputIds: number[][];
  /** Per text: 1 for real tokens, 0 for padding. */
  attentionMask: number[][];
  /** Per text: segment ids (0 first text, 1 pair text; all 0 for models without segments). */
  tokenTypeIds: number[][];
  /** Per text: the tokens behind `inputIds` (special tokens included, padding left out). */
  tokens: string[][];
  /** Per text: [hidden] last layer's hidden state of the first token ([CLS] / <s>). */
  firstToken: number[][];
}

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
}

/** The inspection's result: the report, or why the columns could not be mapped (a DataError's message and code). */
export type Inspection =
  | { status: 'ok'; report: DatasetReport }
  | { status: 'problem'; message: string; code: string };

export interface DatasetReportEvent {
  type: 'datasetReport';
  replyTo: number;
  summary: DatasetSummary;
  inspection: Inspection;
}

export type WorkerEvent =
  | ReadyEvent | SelfTestResultEvent | AckEvent | LogEvent | WorkerErrorEvent | DeviceLostEvent
  | ModelProgressEvent | ModelReadyEvent | EmbeddedEvent | DatasetReportEvent;

// ---- pairing commands with replies ----

/** The event kind that answers each command kind. */
export interface ReplyKind {
  init: 'ready';
  selfTest: 'selfTestResult';
  debugLoseDevice: 'ack';
  loadModel: 'modelReady';
  embed: 'embedded';
  inspectDataset: 'datasetReport';
  inspectLocalFile: 'datasetReport';
}

export type CommandType = Command['type'];
export type EventType = WorkerEvent['type'];
export type EventOf<T extends EventType> = Extract<WorkerEvent, { type: T }>;
/** A command as the caller writes it; the client assigns the id. */
export type CommandRequest = Command extends infer C ? C extends Command ? Omit<C, 'id'> : never : never;
export type ReplyTo<T extends CommandType> = EventOf<ReplyKind[T]>;
