import type { HubEndpoint } from '../../hub/endpoint.ts';
import { type HubFetchOptions, hubJson } from '../../hub/client.ts';
import { trimSlash } from '../../hub/endpoint.ts';
import type { Feature, Row } from './columns.ts';

/** Most rows `/rows` returns per request (dataset-viewer MAX_NUM_ROWS_PER_PAGE); larger `length`s are refused with 422. */
export const VIEWER_PAGE_SIZE = 100;

/** `/is-valid`: which viewer features work for the dataset. */
export interface ViewerValidity {
  /** `/rows` works (needs the parquet export). */
  viewer: boolean;
  /** `/first-rows` works. */
  preview: boolean;
}

export interface ViewerSplit {
  dataset: string;
  config: string;
  split: string;
}

/** `/info` of one config (the fields the studio reads). */
export interface ViewerInfo {
  dataset_info: {
    config_name?: string;
    features: Record<string, Feature>;
    splits?: Record<string, { name: string; num_examples?: number }>;
  };
  partial?: boolean;
}

export interface ViewerRow {
  row_idx: number;
  row: Row;
  truncated_cells: string[];
}

/** `/first-rows` and `/rows` pages. */
export interface ViewerRows {
  features: { feature_idx: number; name: string; type: Feature }[];
  rows: ViewerRow[];
  /** `/rows` only: rows in the split. */
  num_rows_total?: number;
}

export interface ViewerSize {
  size: { splits: { config: string; split: string; num_rows: number }[] };
}

function url(ep: HubEndpoint, path: string, params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  return `${trimSlash(ep.viewerUrl)}/${path}?${q}`;
}

/** Typed calls to the dataset viewer API (https://datasets-server.huggingface.co or the offline Hub). */
export const viewer = {
  isValid: (ep: HubEndpoint, dataset: string, o?: HubFetchOptions) =>
    hubJson<ViewerValidity>(ep, url(ep, 'is-valid', { dataset }), o),
  splits: (ep: HubEndpoint, dataset: string, o?: HubFetchOptions) =>
    hubJson<{ splits: ViewerSplit[] }>(ep, url(ep, 'splits', { dataset }), o),
  info: (ep: HubEndpoint, dataset: string, config: string, o?: HubFetchOptions) =>
    hubJson<ViewerInfo>(ep, url(ep, 'info', { dataset, config }), o),
  size: (ep: HubEndpoint, dataset: string, o?: HubFetchOptions) =>
    hubJson<ViewerSize>(ep, url(ep, 'size', { dataset }), o),
  firstRows: (ep: HubEndpoint, dataset: string, config: string, split: string, o?: HubFetchOptions) =>
    hubJson<ViewerRows>(ep, url(ep, 'first-rows', { dataset, config, split }), o),
  rows: (ep: HubEndpoint, dataset: string, config: string, split: string, offset: number, length: number, o?: HubFetchOptions) =>
    hubJson<ViewerRows>(ep, url(ep, 'rows', { dataset, config, split, offset, length }), o),
};
