import { DataError, type DataErrorCode } from '../core/data/errors.ts';
import type { DatasetHandle } from '../core/data/dataset-handle.ts';
import { type DatasetReport, type InspectOptions, inspectDataset } from '../core/data/dataset-report.ts';
import { type HubDataset, openHubDataset } from '../core/data/hub-dataset.ts';
import { type LocalTable, localDataset, parseLocalFile } from '../core/data/local-files.ts';
import { defaultValidationCap } from '../core/data/split-plan.ts';
import type { LocalFileRecord } from '../core/export/types.ts';
import type { DataRef, InspectRequest } from '../core/vocabulary/data.ts';
import type { HubEndpoint } from '../hub/endpoint.ts';
import type { DatasetReportEvent, InspectDatasetCommand, InspectLocalFileCommand } from './protocol.ts';

/** A re-inspection named a file the worker does not hold. */
export class NoLocalFileError extends Error {
  readonly code = 'NoLocalFile';

  constructor(message: string) {
    super(message);
    this.name = 'NoLocalFileError';
  }
}

/** Failures of mapping the columns of a dataset that did open: the user fixes them with the pickers. */
const MAPPING_PROBLEMS: readonly DataErrorCode[] = ['NoTextColumn', 'NoLabelColumn', 'UnknownColumn', 'UnsupportedModality', 'EmptySplit', 'UnknownSplit'];

type Report = Omit<DatasetReportEvent, 'type' | 'replyTo'>;

const sameEndpoint = (a: HubEndpoint, b: HubEndpoint) => a.hubUrl === b.hubUrl && a.viewerUrl === b.viewerUrl && a.token?.value === b.token?.value && a.token?.origin === b.token?.origin;

/**
 * The dataset the worker inspects (and will train on): the Hub dataset opened last, kept so that choosing other
 * columns, split or cap does not ask the viewer again, or the local file sent last.
 */
export class DataSession {
  private hub?: { endpoint: HubEndpoint; dataset: string; config?: string; handle: HubDataset };
  private local?: LocalTable;
  /** The bytes of the local file sent last: a Python project of an adapter trained on it carries them. */
  private localBytes?: Uint8Array;

  async inspectHub(command: Pick<InspectDatasetCommand, 'endpoint' | 'dataset' | 'config'> & InspectRequest): Promise<Report> {
    return inspect(await this.hubHandle(command.endpoint, command.dataset, command.config), command);
  }

  async inspectLocal(command: Pick<InspectLocalFileCommand, 'name' | 'bytes'> & InspectRequest): Promise<Report> {
    if (command.bytes) {
      this.local = await parseLocalFile(command.bytes, command.name);
      this.localBytes = new Uint8Array(command.bytes);
    }
    const report = await inspect(this.localHandle(command.name), command);
    return { ...report, summary: { ...report.summary, badRows: this.local!.badRows } };
  }

  /** The dataset a run reads, with its report; a mapping problem throws its DataError (the user fixes it in the Data step). */
  async open(ref: DataRef, endpoint: HubEndpoint | undefined): Promise<{ handle: DatasetHandle; report: DatasetReport }> {
    let handle: DatasetHandle;
    if (ref.kind === 'hub') {
      if (!endpoint) throw new TypeError(`Reading the Hub dataset "${ref.dataset}" needs the Hub endpoint in the command.`);
      handle = await this.hubHandle(endpoint, ref.dataset, ref.config);
    } else handle = this.localHandle(ref.name);
    return { handle, report: await inspectDataset(handle, inspectOptionsOf(ref)) };
  }

  /** What a run on `ref` records of its local file (for train.py and the model card); undefined for a Hub dataset. */
  localFileRecord(ref: DataRef): LocalFileRecord | undefined {
    const table = this.local;
    if (ref.kind !== 'local' || table?.fileName !== ref.name || !this.localBytes) return undefined;
    return { name: table.fileName, format: table.format, rows: table.rows.length, bytes: this.localBytes.byteLength };
  }

  /** The bytes of the file a record names, when this session still holds that file (same name and size). */
  localFileBytes(file: LocalFileRecord | undefined): Uint8Array | undefined {
    return file && this.local?.fileName === file.name && this.localBytes?.byteLength === file.bytes ? this.localBytes : undefined;
  }

  /** The Hub dataset's handle: the one opened last when it is the same dataset, config and Hub, else a new one. */
  private async hubHandle(endpoint: HubEndpoint, dataset: string, config: string | undefined): Promise<HubDataset> {
    const kept = this.hub;
    if (kept && sameEndpoint(kept.endpoint, endpoint) && kept.dataset === dataset && kept.config === config) return kept.handle;
    const handle = await openHubDataset(endpoint, dataset, { config });
    this.hub = { endpoint, dataset, config, handle };
    return handle;
  }

  private localHandle(name: string): DatasetHandle {
    if (this.local?.fileName !== name) {
      throw new NoLocalFileError(`The file "${name}" is no longer in the compute worker (it restarted, or another file was opened). Choose the file again.`);
    }
    return localDataset(this.local);
  }
}

/** Inspection options of a request: a training cap brings a validation cap (the request's, else the default for it). */
function inspectOptionsOf(request: InspectRequest): InspectOptions {
  const train = request.maxTrainExamples;
  const validation = request.maxValidationExamples ?? (train === undefined ? undefined : defaultValidationCap(train));
  return {
    trainSplit: request.split,
    overrides: request.overrides,
    ...(train === undefined && validation === undefined ? {} : { caps: { train, validation } }),
  };
}

async function inspect(handle: DatasetHandle, request: InspectRequest): Promise<Report> {
  const summary = {
    name: handle.name, ...(handle.config === undefined ? {} : { config: handle.config }), configs: handle.configs, splits: handle.splits, columns: handle.columns,
    ...(handle.warnings?.length ? { warnings: [...handle.warnings] } : {}),
  };
  try {
    return { summary, inspection: { status: 'ok', report: await inspectDataset(handle, inspectOptionsOf(request)) } };
  } catch (err) {
    if (err instanceof DataError && MAPPING_PROBLEMS.includes(err.code)) return { summary, inspection: { status: 'problem', message: err.message, code: err.code } };
    throw err;
  }
}
