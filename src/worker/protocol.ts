/**
 * Every message between the page and the compute worker, in one place. Commands go page → worker and carry a
 * request `id`; the worker answers each with exactly one event whose `replyTo` is that id (the reply kind listed in
 * `ReplyKind`, or `error`). Other events (log, deviceLost, modelProgress, training, pushProgress) arrive unasked.
 * Types only: the page imports this file without pulling in tfjs.
 */
import type { SummaryRow } from '../core/adapters/summary.ts';
import type { BackendInfo, BackendName, DeviceLostInfo } from '../core/backend/backend-info.ts';
import type { ColumnOverrides } from '../core/data/column-mapping.ts';
import type { ColumnInfo } from '../core/data/columns.ts';
import type { SplitSummary } from '../core/data/dataset-handle.ts';
import type { DatasetReport } from '../core/data/dataset-report.ts';
import type { PeftSupport } from '../core/export/peft.ts';
import type { PushProgress } from '../core/export/push.ts';
import type { AdapterSourceFormat, TrainingRecord } from '../core/export/types.ts';
import type { SelfTestReport } from '../core/kernels/self-test-report.ts';
import type { EncoderConfig } from '../core/model/config.ts';
import type { LoadProgress } from '../core/model/load-encoder.ts';
import type { TokenizerSource } from '../core/model/tokenizer.ts';
import type { TrainEvent, TrainResult } from '../core/train/events.ts';
import type { EvalMetrics } from '../core/train/metrics.ts';
import type { TrainingSettings } from '../core/train/training-settings.ts';
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
  /** Branch, tag, commit id or pull request (`refs/pr/N`) to read; absent means main. */
  revision?: string;
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
  /** Most validation examples; default with a training cap: a fifth of it, at least 200 (`defaultValidationCap`). */
  maxValidationExamples?: number;
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

// ---- adapters, training, prediction, export ----

/** The `adapters` library presets the Adapter step offers. */
export type AdapterMethod =
  | 'seq_bn' | 'double_seq_bn' | 'par_bn' | 'compacter' | 'lora' | 'ia3' | 'prefix_tuning' | 'prompt_tuning' | 'mam' | 'unipelt';

/**
 * The adapter the user picked: a preset and the knobs the Adapter step shows. An unset knob keeps the preset's value;
 * a knob applies to every member of the method it exists in (MAM's reduction factor goes to its parallel adapter).
 */
export interface AdapterChoice {
  method: AdapterMethod;
  /** Bottleneck adapters: hidden size / bottleneck width. */
  reductionFactor?: number;
  /** LoRA: rank of the update. */
  r?: number;
  /** LoRA: the update is scaled by alpha / r; (IA)³: the vector by alpha. */
  alpha?: number;
  /** Prefix tuning: prefix positions per layer. */
  prefixLength?: number;
  /** Prompt tuning: prompt embeddings. */
  promptLength?: number;
  /** Activation inside bottleneck adapters. */
  nonLinearity?: string;
  /** Dropout on the adapter output (bottleneck), input (LoRA) or prefix (prefix tuning) while training. */
  dropout?: number;
  /** Layers without the adapter (static AdapterDrop). */
  leaveOut?: number[];
  /** Dynamic AdapterDrop: each training step skips the adapters of a random number of first layers. */
  adapterDrop?: boolean;
}

/** The knobs' values after the preset filled in the unset ones; a knob is present when the method has it. */
export interface AdapterKnobs {
  reductionFactor?: number;
  r?: number;
  alpha?: number;
  prefixLength?: number;
  promptLength?: number;
  nonLinearity?: string;
  dropout?: number;
  leaveOut: number[];
}

/** The prediction head a dataset's label column asks for. */
export interface HeadSpec {
  task: 'classification' | 'regression';
  /** Class names by id; empty for regression. */
  labels: string[];
}

/** Resolve an adapter choice into its config and, given the model's config.json, its adapter_summary; answered by `adapterDescription`. */
export interface DescribeAdapterCommand {
  type: 'describeAdapter';
  id: number;
  choice: AdapterChoice;
  /** The base model's config (fetched before any weights): without it there is no summary. */
  encoder?: EncoderConfig;
  /** The head, counted in the trainable parameters. */
  head?: HeadSpec;
  /** Adapter name in the summary (default "adapter"). */
  name?: string;
}

/** Which data a run reads: the Hub dataset or the local file last sent, and how it is read. */
export type DataRef = ({ kind: 'hub'; dataset: string; config?: string } | { kind: 'local'; name: string }) & InspectRequest;

/** Everything that defines a training run, so that the same setup continues it exactly. JSON-safe and token-free: the page keeps it to offer a resume after a reload. */
export interface TrainSetup {
  /** Names the run's checkpoints (IndexedDB). */
  runId: string;
  /** Hub id of the base model, which must be the loaded one. */
  model: string;
  data: DataRef;
  /** A new adapter of this choice, or the active one (imported or trained before) trained further. */
  adapter: { kind: 'new'; choice: AdapterChoice; name: string } | { kind: 'active' };
  settings: TrainingSettings;
}

/**
 * Train an adapter and head on the loaded model; answered by `trained` when the run ends (completed, early-stopped
 * or cancelled), after `training` events. Runs on the compute queue; pause, resume and cancel reach it at once.
 */
export interface TrainCommand {
  type: 'train';
  id: number;
  setup: TrainSetup;
  /** The Hub of a Hub dataset; its token travels only here. */
  endpoint?: HubEndpoint;
  /** Continue from the run's latest checkpoint (same setup) instead of starting afresh. */
  resume?: boolean;
  /** Debug only (init with debug): make the loss NaN for `steps` optimizer steps from step `fromStep` (1-based). */
  debugNonFinite?: { fromStep: number; steps: number };
}

/** Pause the running training after its current step (it checkpoints first); answered by `ack`. */
export interface PauseCommand {
  type: 'pause';
  id: number;
}

/** Continue a paused training; answered by `ack`. */
export interface ResumeCommand {
  type: 'resume';
  id: number;
}

/** Stop the running or paused training after its current step; answered by `ack`, the train command by `trained`. */
export interface CancelCommand {
  type: 'cancel';
  id: number;
}

/** Delete a run's checkpoints; answered by `ack`. */
export interface DiscardRunCommand {
  type: 'discardRun';
  id: number;
  runId: string;
}

/** Run the active adapter, and the same adapter as initialised when its training started, on texts; answered by `predicted`. */
export interface PredictCommand {
  type: 'predict';
  id: number;
  texts: string[];
  /** Second segment of each text (sentence-pair tasks); same length as `texts`. */
  pairs?: string[];
}

/** Evaluate the active adapter on the data's validation part; answered by `evaluated`. */
export interface EvaluateCommand {
  type: 'evaluate';
  id: number;
  data: DataRef;
  endpoint?: HubEndpoint;
  /** Examples per batch and most tokens per example (defaults as training's). */
  batchSize?: number;
  maxLength?: number;
}

/** The files the studio writes: the `adapters` library's save_adapter folder, PEFT's save_pretrained folder, or a Python project. */
export type ExportFormat = 'adapterhub' | 'peft' | 'python';

/** Write the active adapter's files; answered by `exported`. */
export interface ExportAdapterCommand {
  type: 'exportAdapter';
  id: number;
  format: ExportFormat;
}

/** One file of an export, its path relative to the folder ('/'-separated). */
export interface ExportedFile {
  path: string;
  bytes: Uint8Array;
}

/** Where an imported adapter comes from. */
export type AdapterSource =
  /** The files of a dropped folder, paths relative to it. */
  | { kind: 'files'; name: string; files: ExportedFile[] }
  /** A zip archive of a folder. */
  | { kind: 'zip'; name: string; bytes: ArrayBuffer }
  /** A Hub model repo; the token travels only in the endpoint. */
  | { kind: 'hub'; repoId: string; endpoint: HubEndpoint };

/** Read an adapter (AdapterHub, PEFT or studio export) and make it the active adapter on the loaded model; answered by `adapterReady`. */
export interface ImportAdapterCommand {
  type: 'importAdapter';
  id: number;
  source: AdapterSource;
}

/** Describe the active adapter (e.g. after a training stopped on an error); answered by `adapterReady`, or the error NoAdapter. */
export interface ActiveAdapterCommand {
  type: 'activeAdapter';
  id: number;
}

/** Push the active adapter's files to a Hub model repo (created when missing); answered by `pushed` after `pushProgress` events. */
export interface PushAdapterCommand {
  type: 'pushAdapter';
  id: number;
  /** "owner/name". */
  repo: string;
  /** Create the repo private. */
  private: boolean;
  format: 'adapterhub' | 'peft';
  /** The Hub to push to, with a write token that travels only here. */
  endpoint: HubEndpoint;
}

export type Command =
  | InitCommand | SelfTestCommand | DebugLoseDeviceCommand
  | LoadModelCommand | EmbedCommand | InspectDatasetCommand | InspectLocalFileCommand
  | DescribeAdapterCommand | TrainCommand | PauseCommand | ResumeCommand | CancelCommand | DiscardRunCommand
  | PredictCommand | EvaluateCommand | ExportAdapterCommand | ImportAdapterCommand | ActiveAdapterCommand | PushAdapterCommand;

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
  /** The branch, tag, commit id or pull request loaded; absent for main. */
  revision?: string;
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
  /** The repo file(s) the tokenizer was built from (tokenizer.json, or slow files converted in memory). */
  tokenizerSource: TokenizerSource;
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
  /** Lines of a local file left out or joined while reading, one sentence each with the counts. */
  warnings?: string[];
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

/** An adapter's `adapter_summary()` on the chosen model, computed from the configs alone. */
export interface AdapterSummaryInfo {
  /** The table's rows: the adapter, then "Full model". */
  rows: SummaryRow[];
  /** The table as the library prints it. */
  text: string;
  /** Parameters of the prediction head (not in the library's table). */
  headParameters?: number;
}

export interface AdapterDescriptionEvent {
  type: 'adapterDescription';
  replyTo: number;
  /** The full config dict, as adapter_config.json's "config". */
  config: Record<string, unknown>;
  knobs: AdapterKnobs;
  /** Present when the command gave the model's config. */
  summary?: AdapterSummaryInfo;
  /** Whether the PEFT export can hold this method. */
  peft: PeftSupport;
}

/** The adapter the worker holds, which Try it, Export and further training use. */
export interface ActiveAdapterInfo {
  name: string;
  /** The method in words, e.g. "`seq_bn` (bottleneck adapter)". */
  method: string;
  /** The config dict. */
  config: Record<string, unknown>;
  /** Trained in this session, or imported from files or the Hub. */
  origin: 'trained' | 'imported';
  /** For imported adapters: whose files they were. */
  sourceFormat?: AdapterSourceFormat;
  /** What the import adjusted, for the user to see. */
  notes: string[];
  /** Hub id of the base model. */
  modelName: string;
  head?: HeadSpec;
  /** Trainable parameters (adapter and head). */
  parameters: number;
  /** Whether the PEFT export can hold it (method and head). */
  peft: PeftSupport;
  /** How it was trained (studio adapters). */
  training?: TrainingRecord;
}

/** What a training run reports, forwarded from the trainer unchanged. */
export interface TrainingEvent {
  type: 'training';
  runId: string;
  event: TrainEvent;
}

export interface TrainedEvent {
  type: 'trained';
  replyTo: number;
  result: TrainResult;
  /** The adapter now active: the run's best (or last) weights. */
  adapter: ActiveAdapterInfo;
}

export interface PredictedEvent {
  type: 'predicted';
  replyTo: number;
  task: 'classification' | 'regression';
  /** Class names (classification) or ["value"] (regression). */
  labels: string[];
  /** Per text: the active adapter's class probabilities, or its one predicted value. */
  trained: number[][];
  /** Per text: the same for the adapter and head as initialised at the start of its training. */
  untrained: number[][];
}

export interface EvaluatedEvent {
  type: 'evaluated';
  replyTo: number;
  /** Split the examples came from. */
  split: string;
  metrics: EvalMetrics;
}

export interface ExportedEvent {
  type: 'exported';
  replyTo: number;
  format: ExportFormat;
  /** Adapter name, for file names. */
  name: string;
  files: ExportedFile[];
}

export interface AdapterReadyEvent {
  type: 'adapterReady';
  replyTo: number;
  adapter: ActiveAdapterInfo;
}

/** How far a push got (never carries the token). */
export interface PushProgressEvent {
  type: 'pushProgress';
  repo: string;
  progress: PushProgress;
}

export interface PushedEvent {
  type: 'pushed';
  replyTo: number;
  /** The repo's page. */
  repoUrl: string;
  /** Whether this push created the repo. */
  created: boolean;
}

export type WorkerEvent =
  | ReadyEvent | SelfTestResultEvent | AckEvent | LogEvent | WorkerErrorEvent | DeviceLostEvent
  | ModelProgressEvent | ModelReadyEvent | EmbeddedEvent | DatasetReportEvent
  | AdapterDescriptionEvent | TrainingEvent | TrainedEvent | PredictedEvent | EvaluatedEvent | ExportedEvent | AdapterReadyEvent
  | PushProgressEvent | PushedEvent;

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
  describeAdapter: 'adapterDescription';
  train: 'trained';
  pause: 'ack';
  resume: 'ack';
  cancel: 'ack';
  discardRun: 'ack';
  predict: 'predicted';
  evaluate: 'evaluated';
  exportAdapter: 'exported';
  importAdapter: 'adapterReady';
  activeAdapter: 'adapterReady';
  pushAdapter: 'pushed';
}

export type CommandType = Command['type'];
export type EventType = WorkerEvent['type'];
export type EventOf<T extends EventType> = Extract<WorkerEvent, { type: T }>;
/** A command as the caller writes it; the client assigns the id. */
export type CommandRequest = Command extends infer C ? C extends Command ? Omit<C, 'id'> : never : never;
export type ReplyTo<T extends CommandType> = EventOf<ReplyKind[T]>;
