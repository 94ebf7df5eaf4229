/**
 * The studio state's shape, which store.ts builds and its slices (training, export, library) each fill a part of,
 * with the few helpers both sides use. The slices import this module and never store.ts, so no module imports
 * back the one that imports it (the slice types appear here as types only).
 */
import type { BackendInfo, BackendName, DeviceLostInfo } from '../core/backend/backend-info.ts';
import type { ColumnOverrides } from '../core/data/column-mapping.ts';
import type { SelfTestReport } from '../core/kernels/self-test-report.ts';
import type { DataRef } from '../core/vocabulary/data.ts';
import type { LoadedModelInfo } from '../core/vocabulary/model.ts';
import type { HubEndpoint } from '../hub/endpoint.ts';
import { type WorkerClient, WorkerError } from '../worker/client.ts';
import type { DatasetReportEvent, EmbeddedEvent, LogEvent, ModelProgressEvent } from '../worker/protocol.ts';
import type { ExportSlice } from './export-slice.ts';
import type { LibrarySlice } from './library-slice.ts';
import type { ShelfSlice } from './shelf-slice.ts';
import type { TrainingSlice } from './training-slice.ts';
import type { HubChoice } from './url-settings.ts';

/** The compute worker's state as the page shows it. */
export type ComputeState =
  | { status: 'starting'; preference: BackendName }
  | { status: 'ready'; backend: BackendInfo }
  | { status: 'lost'; backend: BackendInfo; lost: DeviceLostInfo }
  | { status: 'failed'; message: string };

export type SelfTestState =
  | { status: 'idle' }
  | { status: 'running' }
  | { status: 'done'; report: SelfTestReport; ms: number }
  | { status: 'failed'; message: string };

/** A failure the page shows in place: what failed and what to do, and the machine-readable kind. */
export interface Failure {
  message: string;
  /** e.g. "RepoNotFound", "NeedsToken", "TokenRequired", "NoTextColumn". */
  code?: string;
}

/** The chosen model in the compute worker. */
export type ModelLoadState =
  | { status: 'idle' }
  | { status: 'loading'; repoId: string; revision?: string; progress?: ModelProgressEvent }
  | { status: 'ready'; info: LoadedModelInfo }
  | { status: 'failed'; repoId: string; failure: Failure };

/** Where the training data comes from. */
export type DataSource =
  | { kind: 'hub'; id: string }
  /** A file the user opened; its bytes live in the worker. */
  | { kind: 'local'; name: string };

/** How the data is read: config, split, columns, cap. Mirrored in the URL for Hub datasets. */
export interface DataChoice {
  /** Dataset config; undefined lets the worker pick `default` or the first. */
  config?: string;
  /** Split to train on; undefined means `train`, else the first. */
  split?: string;
  /** Columns chosen instead of the detected ones. */
  overrides: ColumnOverrides;
  /** Most training examples (a row cap for quick classroom runs); undefined means all. */
  maxTrainExamples?: number;
}

/** The worker's inspection of the chosen data. */
export type DataReportState =
  | { status: 'idle' }
  /** `previous` stays on screen while a new choice is inspected. */
  | { status: 'loading'; previous?: Omit<DatasetReportEvent, 'type' | 'replyTo'> }
  | { status: 'done'; result: Omit<DatasetReportEvent, 'type' | 'replyTo'> }
  | { status: 'failed'; failure: Failure };

/** The model and data steps, the compute worker and the settings; the adapter, training and export steps are slices. */
export interface BaseState {
  /** The Hub the user chose; mirrored in the URL (`?hub=`). */
  hubChoice: HubChoice;
  /**
   * A Hub-compatible server a link named (`?hub=<url>`) that the user has not confirmed yet; until then the studio
   * stays on `hubChoice` and a banner asks.
   */
  pendingHub?: { kind: 'custom'; url: string };
  /**
   * Access tokens for gated or private repos and pushes, by the origin of the Hub each was given for (a token is only
   * ever sent to its own Hub); in memory (and, when the user asks, in this tab's sessionStorage), never in the URL, a
   * log line, an event or an exported file. `currentToken(state)` is the one for the chosen Hub.
   */
  tokens: Record<string, string>;
  /** Whether tokens are kept in this tab's sessionStorage (survives a reload of the tab, not its closing). */
  rememberToken: boolean;
  /** Base URL of the offline demo Hub this server offers; null when it offers none, undefined while asking. */
  offlineHubUrl: string | null | undefined;
  /** Whether huggingface.co answered the startup probe. */
  realHub: 'unknown' | 'checking' | 'reachable' | 'unreachable';
  /** Backend to try first, from `?backend=` or the user's choice; undefined means WebGPU first. */
  backendPreference?: BackendName;
  compute: ComputeState;
  selfTest: SelfTestState;
  /** The last worker log lines, oldest first. */
  logs: LogEvent[];
  /** `?debug=1`: show debug controls. */
  debug: boolean;
  /** A URL parameter that could not be used. */
  urlProblem?: string;
  settingsOpen: boolean;
  /** Hub id of the model the user picked. */
  selectedModel?: string;
  /** Branch, tag, commit id or pull request (`refs/pr/N`) of the selected model; undefined means main. */
  selectedRevision?: string;
  modelLoad: ModelLoadState;
  /** The data the user picked. */
  dataSource?: DataSource;
  dataChoice: DataChoice;
  dataReport: DataReportState;

  boot(): void;
  chooseHub(choice: HubChoice): void;
  /** Switches to the pending Hub a link named, keeping the link's setup. */
  confirmPendingHub(): void;
  /** Stays on the current Hub and takes the pending one out of the URL. */
  declinePendingHub(): void;
  /** Uses `token` for the chosen Hub; `remember` keeps it in this tab's sessionStorage (default: as before). */
  setToken(token: string, remember?: boolean): void;
  /** The link that shares this experiment (Hub, model, data, method, knobs); no token, no backend. */
  shareLink(): string;
  /** The user's own backend choice: remembered in this browser (not in links), and the compute restarted on it. */
  chooseBackend(preference: BackendName): void;
  startCompute(preference?: BackendName): void;
  runSelfTest(): Promise<void>;
  simulateDeviceLoss(): Promise<void>;
  toggleSettings(open?: boolean): void;
  selectModel(id: string): void;
  /** Reads the selected model at another revision (undefined: main); a model loaded at the old one must be loaded again. */
  selectRevision(revision: string | undefined): void;
  /** Downloads (or takes from the cache) the selected model and uploads it to the compute backend. */
  loadModel(): Promise<void>;
  /** Runs the loaded model on a text; rejects with the worker's error. */
  embedText(text: string): Promise<EmbeddedEvent>;
  /** Picks a Hub dataset; `choice` presets how it is read (a preset's config). The row cap is kept. */
  selectDataset(id: string, choice?: Partial<DataChoice>): void;
  /** Changes how the data is read (config, split, columns, cap) and inspects it again. */
  updateDataChoice(change: Partial<DataChoice>): void;
  /** Sends a local file to the worker and inspects it. */
  openLocalFile(file: File): Promise<void>;
}

export type StudioState = BaseState & TrainingSlice & ExportSlice & LibrarySlice & ShelfSlice;

/** What the slices need of the store and the worker. */
export interface StoreContext {
  set: (partial: Partial<StudioState>) => void;
  get: () => StudioState;
  /** The running compute worker, if any. */
  worker: () => WorkerClient | undefined;
  /** The Hub endpoint (with the token) for the current choice. */
  endpoint: () => HubEndpoint | undefined;
  /** Writes the setup into the URL. */
  rememberInUrl: () => void;
  /** Inspects the chosen data again (after the setup was restored). */
  inspectData: () => Promise<void>;
  log: (event: LogEvent) => void;
  /** Resolves once the state satisfies `test`. */
  until: (test: (state: StudioState) => boolean) => Promise<void>;
}

/** An error as the page shows it in place: the message, and the worker's code when it sent one. */
export const failureOf = (err: unknown): Failure => ({ message: (err as Error).message, code: err instanceof WorkerError ? err.code : undefined });

/** How the worker reads the chosen data. */
export function dataRefOf(source: DataSource, choice: DataChoice): DataRef {
  const request = { split: choice.split, overrides: choice.overrides, maxTrainExamples: choice.maxTrainExamples };
  return source.kind === 'hub' ? { kind: 'hub', dataset: source.id, config: choice.config, ...request } : { kind: 'local', name: source.name, ...request };
}
