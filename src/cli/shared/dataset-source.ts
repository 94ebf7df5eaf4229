/** The data flags the commands share (`--dataset`, or `--file` with `--validation-file`; the column flags), and the dataset they open. */
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { HubEndpoint } from '../../hub/endpoint.ts';
import { type ColumnOverrides, type DatasetHandle, type DatasetReport, type LocalTable, type SplitPart, inspectDataset, localDataset, openHubDataset, parseLocalFile } from '../../core/data/index.ts';
import { partStream } from '../../core/train/dataset-run.ts';
import { type CommandContext, UsageError } from '../cli-io.ts';

/** Where train and eval read examples: a Hub dataset, or local files. */
export const datasetSourceOptions = {
  dataset: { type: 'string' },
  file: { type: 'string' },
  'validation-file': { type: 'string' },
} as const;

/** The column flags of train, eval and data: which columns hold the text, the pair text and the label. */
export const columnOptions = {
  'text-column': { type: 'string' },
  'text-pair-column': { type: 'string' },
  'label-column': { type: 'string' },
  'label-columns': { type: 'string' },
} as const;

/** The columns the column flags name instead of the detected ones. */
export function columnOverridesOf(values: Record<string, unknown>): ColumnOverrides {
  return {
    text: values['text-column'] as string | undefined,
    textPair: values['text-pair-column'] as string | undefined,
    label: values['label-column'] as string | undefined,
    ...(values['label-columns'] === undefined ? {} : { labelColumns: labelColumnsOf(values) }),
  };
}

/** `--label-columns a,b,c`: several 0/1 columns (or one list-of-labels column) as a multi-label target. */
function labelColumnsOf(values: Record<string, unknown>): string[] {
  if (values['label-column'] !== undefined) throw new UsageError('Give --label-column (one label per row) or --label-columns (multi-label), not both.');
  const names = String(values['label-columns']).split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new UsageError('--label-columns needs column names separated by commas, e.g. --label-columns toxic,obscene,insult.');
  return names;
}

/** Reads a local CSV, TSV, JSONL, JSON or parquet file; a file that can't be read says which and why. */
export async function readLocalTable(path: string): Promise<LocalTable> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new UsageError(`File "${path}" could not be read: ${(err as Error).message}`, { cause: err });
  }
  return parseLocalFile(bytes, basename(path));
}

/** What the data flags name: `--dataset ID`, or `--file PATH` with an optional `--validation-file PATH`. */
export interface DatasetSource {
  /** The Hub dataset id, or the file's name. */
  name: string;
  file?: string;
  validationFile?: string;
}

/** Checks the data flags: exactly one of --dataset and --file; --validation-file only with --file. */
export function datasetSourceOf(values: Record<string, unknown>): DatasetSource {
  const dataset = values.dataset as string | undefined;
  const file = values.file as string | undefined;
  const validationFile = values['validation-file'] as string | undefined;
  if (!dataset === !file) throw new UsageError('Give either --dataset ID or --file PATH.');
  if (validationFile !== undefined && !file) throw new UsageError('--validation-file goes with --file (a Hub dataset brings its own validation split).');
  return dataset ? { name: dataset } : { name: basename(file!), file, validationFile };
}

/** A default adapter name from the data: the dataset's name, or the file's name without its extension. */
export function adapterNameOf(source: DatasetSource): string {
  const name = source.file ? basename(source.file, extname(source.file)) : source.name.split('/').pop()!;
  return name.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** Opens and inspects the dataset or files the flags name, with the column and split flags train and eval share. */
export async function openDataset(ep: HubEndpoint, values: Record<string, unknown>, ctx: CommandContext, trainSplit?: string) {
  const source = datasetSourceOf(values);
  let handle: DatasetHandle;
  if (source.file) {
    if (values.config !== undefined) throw new UsageError('--config applies to Hub datasets, not to --file.');
    handle = localDataset(await readLocalTable(source.file), source.validationFile === undefined ? undefined : await readLocalTable(source.validationFile));
  } else {
    handle = await openHubDataset(ep, source.name, {
      config: values.config as string | undefined,
      fetch: { onRetry: (attempt, waitMs, reason) => ctx.err(`Retry ${attempt} in ${waitMs} ms: ${reason}`) },
    });
  }
  const inspected = await inspectDataset(handle, {
    trainSplit,
    overrides: columnOverridesOf(values),
  });
  const stream = (part: SplitPart) => partStream(handle, inspected, part);
  return { source, handle, report: inspected, stream };
}

/** The validation part: the split given by flag (all its rows), else the plan's. */
export function validationPart(plan: DatasetReport['plan'], split: string | undefined): SplitPart {
  return split === undefined ? plan.validation : { split, take: 'all' };
}
