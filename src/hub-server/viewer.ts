import { checkRepoId } from '../hub/endpoint.ts';
import { HubHttpError } from './http-error.ts';
import { parquetFileUrl } from './parquet-api.ts';
import { type ParquetConfig, type ParquetSplit, featuresOf, parquetLayout, readRows } from './parquet-dataset.ts';
import type { Repo, RepoStore } from './repo-store.ts';
import type { RequestContext } from './request-context.ts';

/** Dataset viewer endpoints served at the Hub base (like https://datasets-server.huggingface.co). */
export const VIEWER_ENDPOINTS = ['is-valid', 'splits', 'info', 'first-rows', 'rows', 'size', 'parquet'] as const;
export type ViewerEndpoint = typeof VIEWER_ENDPOINTS[number];

/** The viewer's page size limit (libcommon MAX_NUM_ROWS_PER_PAGE) and /first-rows row count. */
const MAX_ROWS = 100;
/** /first-rows keeps its answer under this many bytes and then says `truncated: true`. */
const FIRST_ROWS_MAX_BYTES = 1_000_000;

const invalidParameter = (message: string) => new HubHttpError(422, message, 'InvalidParameter');
const missingParameter = (message: string) => new HubHttpError(422, message, 'MissingRequiredParameter');
const responseNotFound = () => new HubHttpError(404, 'Not found.', 'ResponseNotFound');

/** The viewer's own wording (libapi/authentication.py) for datasets it cannot show this caller. */
function notAccessible(ctx: RequestContext): HubHttpError {
  return ctx.caller === 'user'
    ? new HubHttpError(404, 'The dataset does not exist, or is not accessible with the current credentials (private or gated). Please check the spelling of the dataset name or retry with other authentication credentials.', 'ExternalAuthenticatedError')
    : new HubHttpError(401, 'The dataset does not exist, or is not accessible without authentication (private or gated). Please check the spelling of the dataset name or retry with authentication.', 'ExternalUnauthenticatedError');
}

/** Parses an integer query parameter like Python's `int()`; `name` is used in the error. */
function integerParameter(ctx: RequestContext, name: string, fallback: number): number {
  const raw = ctx.query.get(name);
  if (raw === null) return fallback;
  if (!/^\s*[+-]?\d+\s*$/.test(raw)) throw invalidParameter(`Parameter '${name}' must be integer`);
  return Number(raw);
}

interface ViewerRequest {
  dataset: string;
  /** Empty when not given. */
  config: string;
  split: string;
}

/** Checks the parameters each endpoint requires, with the viewer's exact messages. */
function viewerParameters(ctx: RequestContext, endpoint: ViewerEndpoint): ViewerRequest {
  const get = (name: string) => ctx.query.get(name)?.trim() ?? '';
  const req = { dataset: get('dataset'), config: get('config'), split: get('split') };
  if (endpoint === 'first-rows') {
    if (!req.dataset || !req.config || !req.split) throw missingParameter("Parameters 'dataset', 'config' and 'split' are required");
  } else if (endpoint === 'rows') {
    for (const name of ['dataset', 'config', 'split'] as const) {
      if (!req[name]) throw missingParameter(`Parameter '${name}' is required`);
    }
  } else if (!req.dataset) {
    throw missingParameter("Parameter 'dataset' is required");
  }
  return req;
}

/** The dataset if this caller may see its rows (gated and private need a token), else the viewer's 401/404. */
async function viewableDataset(store: RepoStore, ctx: RequestContext, id: string): Promise<Repo> {
  let repo: Repo | undefined;
  try {
    repo = await store.find('dataset', checkRepoId(id));
  } catch {
    repo = undefined;
  }
  if (!repo || ((repo.meta.private || repo.meta.gated) && ctx.caller !== 'user')) throw notAccessible(ctx);
  return repo;
}

function noParquetExport(id: string): HubHttpError {
  return new HubHttpError(501, `Dataset "${id}" has no parquet export (refs/convert/parquet) on this offline Hub, so the viewer cannot serve it. Add parquet files under datasets/${id}/parquet/<config>/<split>/, or load its files directly.`, 'NoParquetExport');
}

function sizeOf(split: ParquetSplit) {
  return {
    numBytesParquet: split.shards.reduce((sum, s) => sum + s.file.size, 0),
    numBytesMemory: split.shards.reduce((sum, s) => sum + s.numBytesMemory, 0),
  };
}

function featureList(repo: Repo, config: ParquetConfig) {
  return featuresOf(repo.meta, config).map(([name, type], featureIdx) => ({ feature_idx: featureIdx, name, type }));
}

/** `dataset_info` of one config, as `datasets` would describe the parquet export. */
function configInfo(repo: Repo, config: ParquetConfig) {
  const splits = config.splits.map((s) => ({ split: s, ...sizeOf(s) }));
  const license = repo.meta.cardData?.license;
  return {
    description: repo.meta.dataset_info?.[config.config]?.description ?? '',
    citation: '',
    homepage: '',
    license: typeof license === 'string' ? license : '',
    features: Object.fromEntries(featuresOf(repo.meta, config)),
    builder_name: 'parquet',
    dataset_name: repo.id.split('/').pop(),
    config_name: config.config,
    version: { version_str: '0.0.0', major: 0, minor: 0, patch: 0 },
    splits: Object.fromEntries(splits.map(({ split, numBytesMemory }) => [split.split, {
      name: split.split, num_bytes: numBytesMemory, num_examples: split.numRows, dataset_name: null,
    }])),
    download_size: splits.reduce((sum, s) => sum + s.numBytesParquet, 0),
    dataset_size: splits.reduce((sum, s) => sum + s.numBytesMemory, 0),
  };
}

function splitSize(dataset: string, split: ParquetSplit, numColumns: number) {
  const { numBytesParquet, numBytesMemory } = sizeOf(split);
  return {
    dataset, config: split.config, split: split.split,
    num_bytes_parquet_files: numBytesParquet, num_bytes_memory: numBytesMemory,
    num_rows: split.numRows, num_columns: numColumns, estimated_num_rows: null,
  };
}

/** Sizes of a config; the original files are counted as their parquet export (the offline Hub does not convert). */
function configSize(repo: Repo, config: ParquetConfig) {
  const numColumns = featuresOf(repo.meta, config).length;
  const splits = config.splits.map((s) => splitSize(repo.id, s, numColumns));
  const parquetBytes = splits.reduce((sum, s) => sum + s.num_bytes_parquet_files, 0);
  return {
    config: {
      dataset: repo.id, config: config.config,
      num_bytes_original_files: parquetBytes, num_bytes_parquet_files: parquetBytes,
      num_bytes_memory: splits.reduce((sum, s) => sum + s.num_bytes_memory, 0),
      num_rows: splits.reduce((sum, s) => sum + s.num_rows, 0), num_columns: numColumns, estimated_num_rows: null,
    },
    splits,
  };
}

function parquetFiles(ctx: RequestContext, repo: Repo, configs: ParquetConfig[]) {
  return configs.flatMap((c) => c.splits.flatMap((s) => s.shards.map((shard) => ({
    dataset: repo.id, config: c.config, split: s.split,
    url: parquetFileUrl(ctx, repo.id, s, shard.filename), filename: shard.filename, size: shard.file.size,
  }))));
}

/** `GET /{endpoint}?dataset=&config=&split=[&offset=&length=]` */
export async function serveViewer(store: RepoStore, ctx: RequestContext, endpoint: ViewerEndpoint): Promise<void> {
  const params = viewerParameters(ctx, endpoint);
  const offset = endpoint === 'rows' ? integerParameter(ctx, 'offset', 0) : 0;
  const length = endpoint === 'rows' ? integerParameter(ctx, 'length', MAX_ROWS) : 0;
  if (offset < 0) throw invalidParameter("Parameter 'offset' must be positive");
  if (length < 0) throw invalidParameter("Parameter 'length' must be positive");
  if (length > MAX_ROWS) throw invalidParameter(`Parameter 'length' must not be greater than ${MAX_ROWS}`);

  const repo = await viewableDataset(store, ctx, params.dataset);
  const headers = { 'X-Revision': (await store.main(repo)).sha };
  const layout = await parquetLayout((await store.parquet(repo)).files);
  if (layout.length === 0) {
    if (endpoint !== 'is-valid') throw noParquetExport(repo.id);
    return ctx.sendJson(200, { viewer: false, preview: false, search: false, filter: false, statistics: false }, headers);
  }
  const config = params.config ? layout.find((c) => c.config === params.config) : undefined;
  if (params.config && !config) throw responseNotFound();
  const split = config && params.split ? config.splits.find((s) => s.split === params.split) : undefined;
  if (endpoint === 'is-valid' && config && params.split && !split) throw responseNotFound();
  /** The split /first-rows and /rows read (both parameters are required there). */
  const target = () => {
    if (!config || !split) throw responseNotFound();
    return { config, split };
  };
  const dataset = repo.id;
  const chosen = config ? [config] : layout;

  switch (endpoint) {
    case 'is-valid':
      return ctx.sendJson(200, { viewer: true, preview: true, search: false, filter: false, statistics: false }, headers);
    case 'splits': {
      const splits = chosen.flatMap((c) => c.splits.map((s) => ({ dataset, config: c.config, split: s.split })));
      return ctx.sendJson(200, config ? { splits } : { splits, pending: [], failed: [] }, headers);
    }
    case 'info':
      return ctx.sendJson(200, config
        ? { dataset_info: configInfo(repo, config), partial: false }
        : { dataset_info: Object.fromEntries(layout.map((c) => [c.config, configInfo(repo, c)])), pending: [], failed: [], partial: false }, headers);
    case 'size': {
      if (config) return ctx.sendJson(200, { size: configSize(repo, config), partial: false }, headers);
      const sizes = layout.map((c) => configSize(repo, c));
      const sum = (key: 'num_bytes_original_files' | 'num_bytes_parquet_files' | 'num_bytes_memory' | 'num_rows') =>
        sizes.reduce((total, s) => total + s.config[key], 0);
      return ctx.sendJson(200, {
        size: {
          dataset: {
            dataset, num_bytes_original_files: sum('num_bytes_original_files'), num_bytes_parquet_files: sum('num_bytes_parquet_files'),
            num_bytes_memory: sum('num_bytes_memory'), num_rows: sum('num_rows'), estimated_num_rows: null,
          },
          configs: sizes.map((s) => s.config),
          splits: sizes.flatMap((s) => s.splits),
        },
        pending: [], failed: [], partial: false,
      }, headers);
    }
    case 'parquet': {
      const files = parquetFiles(ctx, repo, chosen);
      return ctx.sendJson(200, config ? { parquet_files: files, partial: false } : { parquet_files: files, pending: [], failed: [], partial: false }, headers);
    }
    case 'first-rows': {
      const t = target();
      const rows = await readRows(t.split, 0, MAX_ROWS);
      const items = [];
      let bytes = 0;
      for (const { rowIdx, row } of rows) {
        const item = { row_idx: rowIdx, row, truncated_cells: [] as string[] };
        bytes += Buffer.byteLength(JSON.stringify(item));
        if (bytes > FIRST_ROWS_MAX_BYTES) break;
        items.push(item);
      }
      return ctx.sendJson(200, {
        dataset, config: t.config.config, split: t.split.split, features: featureList(repo, t.config),
        rows: items, truncated: items.length < rows.length,
      }, headers);
    }
    case 'rows': {
      const t = target();
      const rows = await readRows(t.split, offset, length);
      return ctx.sendJson(200, {
        features: featureList(repo, t.config),
        rows: rows.map(({ rowIdx, row }) => ({ row_idx: rowIdx, row, truncated_cells: [] })),
        num_rows_total: t.split.numRows,
        num_rows_per_page: MAX_ROWS,
        partial: false,
      }, headers);
    }
  }
}
