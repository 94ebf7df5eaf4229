/**
 * Every message between the page and the compute worker, in one place. Commands go page → worker and carry a
 * request `id`; the worker answers each with exactly one event whose `replyTo` is that id (the reply kind listed in
 * `ReplyKind`, or `error`). Other events (log, deviceLost, modelProgress, training, pushProgress) arrive unasked.
 * Messages only: the words they carry (adapter choices, data references, setups, infos) are the shared vocabulary in
 * src/core/vocabulary/. Types only: the page imports this file without pulling in tfjs.
 */
import type { BackendInfo, BackendName, DeviceLostInfo } from '../core/backend/backend-info.ts';
import type { PeftSupport } from '../core/export/peft.ts';
import type { PushProgress } from '../core/export/push.ts';
import type { SelfTestReport } from '../core/kernels/self-test-report.ts';
import type { EncoderConfig } from '../core/model/config.ts';
import type { LoadProgress } from '../core/model/load-encoder.ts';
import type { TrainEvent, TrainResult } from '../core/train/events.ts';
import type { RankedChoice } from '../core/tasks/multiple-choice/rank.ts';
import type { PredictedAnswer } from '../core/tasks/question-answering/postprocess.ts';
import type { TaggingResult } from '../core/tasks/token-classification/tag-predict.ts';
import type { EvalMetrics } from '../core/train/metrics.ts';
import type {
  ActiveAdapterInfo, AdapterChoice, AdapterKnobs, AdapterSummaryInfo, ComposedHeadOutput, CompositionSetup, FusionAttentionLayer, FusionInfo, FusionSetup, HeadSpec, ShelfItemInfo,
} from '../core/vocabulary/adapter.ts';
import type { DataRef, DatasetSummary, InspectRequest, Inspection } from '../core/vocabulary/data.ts';
import type { AdapterSource, ExportFormat, ExportedFile } from '../core/vocabulary/files.ts';
import type { LoadedModelInfo } from '../core/vocabulary/model.ts';
import type { TrainSetup } from '../core/vocabulary/run.ts';
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

/** Ask the active question-answering adapter a question about a paragraph; answered by `answered`. */
export interface AnswerQuestionCommand {
  type: 'answerQuestion';
  id: number;
  question: string;
  context: string;
}

/** Tag the words of a text with the active tagging adapter; answered by `tagged`. */
export interface TagTextCommand {
  type: 'tagText';
  id: number;
  text: string;
}

/** Rank a context's choices with the active multiple-choice adapter; answered by `rankedChoices`. */
export interface RankChoicesCommand {
  type: 'rankChoices';
  id: number;
  context: string;
  /** The text before each choice in its pair (SWAG's sent2, Cosmos QA's question); none when absent. */
  header?: string;
  /** As many as the head's num_choices. */
  choices: string[];
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

/** Write the active adapter's files; answered by `exported`. */
export interface ExportAdapterCommand {
  type: 'exportAdapter';
  id: number;
  format: ExportFormat;
}

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

/** Put an adapter on the shelf beside the others (a copy of the active adapter, or one from files or the Hub); answered by `shelf`. */
export interface ShelveAdapterCommand {
  type: 'shelveAdapter';
  id: number;
  source: { kind: 'active' } | AdapterSource;
}

/** Take an adapter off the shelf (and free it); answered by `shelf`. */
export interface UnshelveAdapterCommand {
  type: 'unshelveAdapter';
  id: number;
  name: string;
}

/** Run a composition of shelved adapters on texts; answered by `composedPredicted`. */
export interface PredictComposedCommand {
  type: 'predictComposed';
  id: number;
  setup: CompositionSetup;
  texts: string[];
  /** Second segment of each text (sentence-pair tasks); same length as `texts`. */
  pairs?: string[];
}

/**
 * Train an AdapterFusion of shelved bottleneck adapters with a new head on the data (the adapters stay frozen; the
 * same progress events as `train`); answered by `fusionTrained`. The fusion then serves `predictComposed` with Fuse.
 */
export interface TrainFusionCommand {
  type: 'trainFusion';
  id: number;
  setup: Omit<TrainSetup, 'adapter'> & { fusion: FusionSetup };
  /** The Hub of a Hub dataset; its token travels only here. */
  endpoint?: HubEndpoint;
}

/** The trained fusion's files in the library's layout (each fused adapter's folder, the fusion's, the head's); answered by `exported`. */
export interface ExportFusionCommand {
  type: 'exportFusion';
  id: number;
}

/** The trained fusion's attention over its adapters, per layer and token, for one text; answered by `fusionAttention`. */
export interface FusionAttentionCommand {
  type: 'fusionAttention';
  id: number;
  text: string;
  pair?: string;
}

export type Command =
  | InitCommand | SelfTestCommand | DebugLoseDeviceCommand
  | LoadModelCommand | EmbedCommand | InspectDatasetCommand | InspectLocalFileCommand
  | DescribeAdapterCommand | TrainCommand | PauseCommand | ResumeCommand | CancelCommand | DiscardRunCommand
  | PredictCommand | EvaluateCommand | ExportAdapterCommand | ImportAdapterCommand | ActiveAdapterCommand | PushAdapterCommand
  | ShelveAdapterCommand | UnshelveAdapterCommand | PredictComposedCommand
  | TrainFusionCommand | ExportFusionCommand | FusionAttentionCommand | AnswerQuestionCommand | RankChoicesCommand | TagTextCommand;

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

export interface DatasetReportEvent {
  type: 'datasetReport';
  replyTo: number;
  summary: DatasetSummary;
  inspection: Inspection;
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
  task: 'classification' | 'regression' | 'multiLabel';
  /** Class names (classification, multi-label) or ["value"] (regression). */
  labels: string[];
  /** Multi-label: each label's threshold on its probability (a label at or above it is predicted). */
  thresholds?: number[];
  /** Per text: the active adapter's class probabilities (multi-label: each label's sigmoid probability), or its one predicted value. */
  trained: number[][];
  /** Per text: the same for the adapter and head as initialised at the start of its training. */
  untrained: number[][];
}

/** The n best answers (best first) to an `answerQuestion`: spans of `context` in code points, as postprocess_qa_predictions ranks them. */
export interface AnsweredEvent {
  type: 'answered';
  replyTo: number;
  context: string;
  answers: PredictedAnswer[];
  /** Windows the paragraph took. */
  windows: number;
}

/** A `tagText`'s words with their tag and probability, and the entities they spell (UTF-16 spans of `text`). */
export interface TaggedEvent extends TaggingResult {
  type: 'tagged';
  replyTo: number;
  text: string;
}

/** A `rankChoices`'s choices, the most probable first, with the scores and probabilities in the order given. */
export interface RankedChoicesEvent {
  type: 'rankedChoices';
  replyTo: number;
  ranking: RankedChoice[];
  logits: number[];
  probabilities: number[];
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

/** The shelf after a change. */
export interface ShelfEvent {
  type: 'shelf';
  replyTo: number;
  adapters: ShelfItemInfo[];
}

export interface ComposedPredictedEvent {
  type: 'composedPredicted';
  replyTo: number;
  /** The library's name of the setup, e.g. "Parallel[sentiment, topics]". */
  composition: string;
  /** One entry a predicting head: every child's for Parallel and BatchSplit, else one. */
  heads: ComposedHeadOutput[];
}

export interface FusionTrainedEvent {
  type: 'fusionTrained';
  replyTo: number;
  result: TrainResult;
  fusion: FusionInfo;
}

export interface FusionAttentionEvent {
  type: 'fusionAttention';
  replyTo: number;
  fusion: string;
  /** The text's tokens, as the tokenizer split them. */
  tokens: string[];
  /** Per fusion layer: [token][adapter] attention weights (adapters in the fusion's order). */
  layers: FusionAttentionLayer[];
}

export type WorkerEvent =
  | ReadyEvent | SelfTestResultEvent | AckEvent | LogEvent | WorkerErrorEvent | DeviceLostEvent
  | ModelProgressEvent | ModelReadyEvent | EmbeddedEvent | DatasetReportEvent
  | AdapterDescriptionEvent | TrainingEvent | TrainedEvent | PredictedEvent | EvaluatedEvent | ExportedEvent | AdapterReadyEvent
  | PushProgressEvent | PushedEvent | ShelfEvent | ComposedPredictedEvent | FusionTrainedEvent | FusionAttentionEvent | AnsweredEvent | RankedChoicesEvent | TaggedEvent;

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
  shelveAdapter: 'shelf';
  unshelveAdapter: 'shelf';
  predictComposed: 'composedPredicted';
  trainFusion: 'fusionTrained';
  exportFusion: 'exported';
  fusionAttention: 'fusionAttention';
  answerQuestion: 'answered';
  tagText: 'tagged';
  rankChoices: 'rankedChoices';
}

export type CommandType = Command['type'];
export type EventType = WorkerEvent['type'];
export type EventOf<T extends EventType> = Extract<WorkerEvent, { type: T }>;
/** A command as the caller writes it; the client assigns the id. */
export type CommandRequest = Command extends infer C ? C extends Command ? Omit<C, 'id'> : never : never;
export type ReplyTo<T extends CommandType> = EventOf<ReplyKind[T]>;
