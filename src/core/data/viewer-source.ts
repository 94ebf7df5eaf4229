import type { HubFetchOptions } from '../../hub/client.ts';
import type { HubEndpoint } from '../../hub/endpoint.ts';
import { dataErrorFromHub } from './errors.ts';
import type { ReadOptions, RowChunk, RowSource } from './row-source.ts';
import { VIEWER_PAGE_SIZE, viewer } from './viewer-api.ts';

/** The rows of a split through the dataset viewer's `/rows` API, a page of 100 at a time (the fallback when the parquet export cannot be read). */
export function viewerRowSource(
  ep: HubEndpoint,
  ref: { dataset: string; config: string; split: string },
  target: string,
  numRows: number | undefined,
  fetchOptions: HubFetchOptions = {},
): RowSource {
  async function* chunks(fromRow = 0, { signal, toRow = Infinity }: ReadOptions = {}): AsyncGenerator<RowChunk> {
    let offset = fromRow;
    let total = numRows;
    while ((total === undefined || offset < total) && offset < toRow) {
      let page;
      try {
        const length = Math.min(VIEWER_PAGE_SIZE, toRow - offset);
        page = await viewer.rows(ep, ref.dataset, ref.config, ref.split, offset, length, { ...fetchOptions, signal });
      } catch (err) {
        throw dataErrorFromHub(err, target, Boolean(ep.token), offset);
      }
      total = page.num_rows_total ?? total;
      if (page.rows.length === 0) return;
      yield { start: offset, rows: page.rows.map((r) => r.row) };
      offset += page.rows.length;
    }
  }
  return { target, kind: 'rows', numRows, chunks };
}
