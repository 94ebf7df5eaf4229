import { type AsyncBuffer, type FileMetaData, parquetMetadataAsync } from 'hyparquet';
import { type HubFetchOptions, HubError, fetchRange, hubFetch, hubJson } from '../../hub/client.ts';
import { type HubEndpoint, checkRepoId, trimSlash } from '../../hub/endpoint.ts';
import { plainRow } from './columns.ts';
import { dataErrorFromHub } from './errors.ts';
import { checkCodecs, readParquetRows } from './parquet-codecs.ts';
import type { ReadOptions, RowChunk, RowSource } from './row-source.ts';

/** Bytes read from the end of a parquet file to find its footer; hyparquet asks again when the footer is longer. */
const FOOTER_GUESS = 1 << 16;

/** `/api/datasets/{id}/parquet`: parquet export URLs by config and split. */
export type ParquetListing = Record<string, Record<string, string[]>>;

export function listParquetFiles(ep: HubEndpoint, dataset: string, options?: HubFetchOptions): Promise<ParquetListing> {
  return hubJson<ParquetListing>(ep, `${trimSlash(ep.hubUrl)}/api/datasets/${checkRepoId(dataset)}/parquet`, options);
}

/** Where a remote file lives and how big it is. */
export interface RemoteFile {
  /** URL as listed (e.g. the Hub API's `.../parquet/{config}/{split}/0.parquet`). */
  url: string;
  /** URL it redirected to (the resolve URL or CDN); ranged reads go there directly, saving a redirect each. */
  location: string;
  /** File size in bytes. */
  byteLength: number;
}

/** Size and final location of a remote file, from a one-byte ranged GET (`Content-Range: bytes 0-0/N`) or its Content-Length. */
export async function probeRemoteFile(ep: HubEndpoint, url: string, options?: HubFetchOptions): Promise<RemoteFile> {
  const res = await hubFetch(ep, url, { ...options, headers: { ...options?.headers, Range: 'bytes=0-0' } });
  await res.body?.cancel();
  const total = /\/(\d+)$/.exec(res.headers.get('Content-Range') ?? '')?.[1] ?? res.headers.get('Content-Length');
  if (total === null || total === undefined) {
    throw new HubError(`${url} did not say its size (no Content-Range or Content-Length); ranged reads need it.`, 'BadRequest', url, res.status);
  }
  return { url, location: res.url || url, byteLength: Number(total) };
}

/** The last path segments of a parquet URL (`default/train/0000.parquet`), enough to name it in a message. */
function fileName(url: string): string {
  return decodeURIComponent(new URL(url).pathname).split('/').slice(-3).join('/');
}

/** Statuses with which a redirect target (a signed CDN URL) says it has expired or moved. */
const STALE_LOCATION = [401, 403, 404, 410];

/**
 * A remote file for hyparquet: every `slice(start, end)` is one ranged GET through the Hub client (retries,
 * resume after a dropped connection) to the file's location; when that stops answering (an expired CDN
 * signature), reads go back through the listed URL.
 */
export function httpAsyncBuffer(ep: HubEndpoint, file: RemoteFile, options?: HubFetchOptions): AsyncBuffer {
  let location = file.location;
  const read = async (start: number, end: number) => {
    try {
      return await fetchRange(ep, location, start, end, options);
    } catch (err) {
      if (location === file.url || !(err instanceof HubError) || !STALE_LOCATION.includes(err.status ?? 0)) throw err;
      location = file.url;
      return fetchRange(ep, location, start, end, options);
    }
  };
  return {
    byteLength: file.byteLength,
    async slice(start: number, end = file.byteLength) {
      if (end <= start) return new ArrayBuffer(0);
      const bytes = await read(start, end - 1);
      return bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.byteLength ? bytes.buffer as ArrayBuffer : bytes.slice().buffer;
    },
  };
}

/** One parquet file of a split, after its footer was read. */
export interface RemoteParquetFile extends RemoteFile {
  /** Rows in the file. */
  numRows: number;
  /** Footer: schema and row groups with their byte ranges. */
  metadata: FileMetaData;
}

export interface ParquetRowSource extends RowSource {
  readonly kind: 'parquet';
  /** Opens (reads the footers of) all files of the split. */
  files(): Promise<RemoteParquetFile[]>;
}

/**
 * The rows of a split stored as parquet files at `urls` (in row order), read a row group at a time with HTTP
 * range requests: a footer per file, then only the column chunks of the row groups (and columns) asked for.
 */
export function parquetRowSource(ep: HubEndpoint, target: string, urls: string[], numRows: number | undefined, fetchOptions: HubFetchOptions = {}): ParquetRowSource {
  const opened = new Map<number, Promise<RemoteParquetFile>>();
  const hasToken = Boolean(ep.token);

  function open(index: number, signal?: AbortSignal): Promise<RemoteParquetFile> {
    let file = opened.get(index);
    if (!file) {
      const url = urls[index];
      const options = { ...fetchOptions, signal };
      file = (async () => {
        const remote = await probeRemoteFile(ep, url, options);
        const metadata = await parquetMetadataAsync(httpAsyncBuffer(ep, remote, options), { initialFetchSize: FOOTER_GUESS });
        return { ...remote, numRows: Number(metadata.num_rows), metadata };
      })();
      file.catch(() => opened.delete(index));
      opened.set(index, file);
    }
    return file;
  }

  async function* chunks(fromRow = 0, { columns, signal, toRow = Infinity }: ReadOptions = {}): AsyncGenerator<RowChunk> {
    let fileStart = 0;
    for (let index = 0; index < urls.length && fileStart < toRow; index++) {
      let file: RemoteParquetFile;
      try {
        file = await open(index, signal);
      } catch (err) {
        throw dataErrorFromHub(err, target, hasToken, Math.max(fromRow, fileStart));
      }
      checkCodecs(file.metadata, `${target}: parquet file ${fileName(file.url)}`, columns);
      const buffer = httpAsyncBuffer(ep, file, { ...fetchOptions, signal });
      let groupStart = fileStart;
      for (const group of file.metadata.row_groups) {
        if (groupStart >= toRow) return;
        const groupEnd = groupStart + Number(group.num_rows);
        if (groupEnd > fromRow) {
          const start = Math.max(fromRow, groupStart);
          const end = Math.min(groupEnd, toRow);
          let rows;
          try {
            // With an offset index (pyarrow writes one), a partial row group reads only the pages it needs.
            rows = await readParquetRows({ file: buffer, metadata: file.metadata, columns, rowStart: start - fileStart, rowEnd: end - fileStart, useOffsetIndex: true });
          } catch (err) {
            throw dataErrorFromHub(err, target, hasToken, start);
          }
          yield { start, rows: rows.map(plainRow) };
        }
        groupStart = groupEnd;
      }
      fileStart += file.numRows;
    }
  }

  return {
    target,
    kind: 'parquet',
    numRows,
    chunks,
    files: () => Promise.all(urls.map((_, i) => open(i))),
  };
}
