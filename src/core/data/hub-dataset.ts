import { type HubFetchOptions, HubError, hubJson } from '../../hub/client.ts';
import { type HubEndpoint, checkRepoId, trimSlash } from '../../hub/endpoint.ts';
import { type ColumnInfo, type Row, columnsOfFeatures } from './columns.ts';
import type { DatasetHandle, SplitSummary } from './dataset-handle.ts';
import { DataError, dataErrorFromHub, describeTarget } from './errors.ts';
import { type ParquetListing, listParquetFiles, parquetRowSource } from './parquet-source.ts';
import { type RowSource, firstRows } from './row-source.ts';
import { type ViewerValidity, viewer } from './viewer-api.ts';
import { viewerRowSource } from './viewer-source.ts';

export interface HubDatasetOptions {
  /** Config to read; default `default` when there is one, else the first. */
  config?: string;
  /** Where rows come from: the parquet export by HTTP ranges, the viewer's `/rows` pages, or `auto` (parquet, else `/rows`). */
  source?: 'auto' | 'parquet' | 'rows';
  /** Retry policy, cancellation and retry reports for every request. */
  fetch?: HubFetchOptions;
}

export interface HubDataset extends DatasetHandle {
  readonly endpoint: HubEndpoint;
  readonly config: string;
  /** What the dataset viewer can do for this dataset. */
  readonly validity: ViewerValidity;
}

/**
 * Reads a Hub dataset's configs, splits, row counts and features (ClassLabel names, Value dtypes) through the
 * dataset viewer API, ready to sample and stream. Missing, gated and unviewable datasets become DataErrors.
 */
export async function openHubDataset(ep: HubEndpoint, dataset: string, options: HubDatasetOptions = {}): Promise<HubDataset> {
  const fetchOptions = options.fetch ?? {};
  const hasToken = Boolean(ep.token);
  try {
    checkRepoId(dataset);
  } catch (err) {
    throw new DataError((err as Error).message, 'DatasetNotFound', { cause: err });
  }
  const named = describeTarget(dataset);
  const ask = async <T>(call: Promise<T>, target = named): Promise<T> => {
    try {
      return await call;
    } catch (err) {
      throw dataErrorFromHub(err, target, hasToken);
    }
  };

  const validity = await viewer.isValid(ep, dataset, fetchOptions).catch(async (err: unknown) => {
    throw await accessError(ep, dataset, err, fetchOptions);
  });
  if (!validity.viewer && !validity.preview) {
    throw new DataError(`${named} cannot be read through the dataset viewer: it has no parquet export (it may be gated without access, too large, built by a script, or still processing). Pick another dataset, or download it and load it as a local file.`, 'NotViewable');
  }
  const splitList = (await ask(viewer.splits(ep, dataset, fetchOptions))).splits;
  const configs = [...new Set(splitList.map((s) => s.config))];
  if (configs.length === 0) throw new DataError(`${named} lists no configs or splits. Pick another dataset.`, 'EmptySplit');
  if (options.config !== undefined && !configs.includes(options.config)) {
    throw new DataError(`${named} has no config "${options.config}"; configs are: ${configs.join(', ')}. Choose the config.`, 'UnknownConfig');
  }
  const config = options.config ?? (configs.includes('default') ? 'default' : configs[0]);
  const target = (split?: string) => describeTarget(dataset, config, split);

  const info = await ask(viewer.info(ep, dataset, config, fetchOptions), target());
  const columns: ColumnInfo[] = columnsOfFeatures(info.dataset_info.features);
  const splits: SplitSummary[] = splitList
    .filter((s) => s.config === config)
    .map((s) => ({ name: s.split, numRows: info.dataset_info.splits?.[s.split]?.num_examples }));
  if (splits.some((s) => s.numRows === undefined)) {
    const sizes = (await ask(viewer.size(ep, dataset, fetchOptions), target())).size.splits;
    for (const s of splits) s.numRows ??= sizes.find((z) => z.config === config && z.split === s.name)?.num_rows;
  }

  let listing: Promise<ParquetListing> | undefined;
  const sources = new Map<string, Promise<RowSource>>();

  function checkSplit(split: string): SplitSummary {
    const summary = splits.find((s) => s.name === split);
    if (!summary) {
      throw new DataError(`${target()} has no split "${split}"; splits are: ${splits.map((s) => s.name).join(', ')}. Choose the split.`, 'UnknownSplit');
    }
    return summary;
  }

  async function openSource(split: string): Promise<RowSource> {
    const { numRows } = checkSplit(split);
    const rowsSource = () => viewerRowSource(ep, { dataset, config, split }, target(split), numRows, fetchOptions);
    if (options.source === 'rows') return rowsSource();
    listing ??= listParquetFiles(ep, dataset, fetchOptions);
    let urls: string[] | undefined;
    try {
      urls = (await listing)[config]?.[split];
    } catch (err) {
      listing = undefined;
      const error = dataErrorFromHub(err, target(split), hasToken);
      const fallback = options.source !== 'parquet' && validity.viewer && (error.code === 'Unreachable' || error.code === 'DatasetNotFound');
      if (!fallback) throw error;
    }
    if (urls?.length) return parquetRowSource(ep, target(split), urls, numRows, fetchOptions);
    if (options.source === 'parquet' || !validity.viewer) {
      throw new DataError(`${target(split)} has no parquet export to read. Try again later (the Hub converts new datasets in the background) or pick another dataset.`, 'NotViewable');
    }
    return rowsSource();
  }

  function open(split: string): Promise<RowSource> {
    let source = sources.get(split);
    if (!source) {
      source = openSource(split);
      source.catch(() => sources.delete(split));
      sources.set(split, source);
    }
    return source;
  }

  return {
    endpoint: ep,
    name: dataset,
    config,
    configs,
    splits,
    columns,
    validity,
    target,
    open,
    async sample(split, count): Promise<Row[]> {
      checkSplit(split);
      let preview: unknown;
      if (validity.preview) {
        try {
          const page = await viewer.firstRows(ep, dataset, config, split, fetchOptions);
          return page.rows.slice(0, count).map((r) => r.row);
        } catch (err) {
          // /first-rows is a cache the viewer may not have filled yet: read the rows themselves instead.
          preview = err;
        }
      }
      try {
        return await firstRows(await open(split), count);
      } catch (err) {
        if (preview === undefined || !(err instanceof DataError)) throw err;
        // The first failure often says more ("not ready yet", "cannot load the split"): keep it in the message.
        const first = preview instanceof HubError ? preview.serverMessage ?? preview.message : String(preview);
        throw new DataError(`${err.message} Before that, the viewer's /first-rows had failed: ${first}`, err.code, { cause: err, resumeFromRow: err.resumeFromRow });
      }
    },
  };
}

/**
 * The viewer answers 401/404 alike for missing, private and gated datasets; the Hub API tells them apart
 * (a gated dataset's metadata is public), so the message can say "accept the conditions and give a token"
 * or "check the id".
 */
async function accessError(ep: HubEndpoint, dataset: string, err: unknown, fetchOptions: HubFetchOptions): Promise<DataError> {
  const named = describeTarget(dataset);
  const hasToken = Boolean(ep.token);
  if (!(err instanceof HubError) || !(err.status === 401 || err.status === 403 || err.status === 404)) return dataErrorFromHub(err, named, hasToken);
  let meta: { gated?: false | 'auto' | 'manual'; private?: boolean };
  try {
    meta = await hubJson(ep, `${trimSlash(ep.hubUrl)}/api/datasets/${dataset}`, fetchOptions);
  } catch (probe) {
    if (!(probe instanceof HubError) || !(probe.status === 401 || probe.status === 404)) return dataErrorFromHub(err, named, hasToken);
    // With a token the Hub answers 404 for what the token cannot see; 401 then means the token itself is refused.
    if (hasToken && probe.status === 401) {
      return new DataError(`${named} could not be opened: the access token was refused (${probe.message}). Check the access token.`, 'TokenRejected', { cause: probe });
    }
    return dataErrorFromHub(new HubError(probe.message, 'RepoNotFound', probe.url, probe.status, { cause: err }), named, hasToken);
  }
  return dataErrorFromHub(meta.gated ? new HubError(err.message, 'GatedRepo', err.url, err.status, { cause: err }) : err, named, hasToken);
}
