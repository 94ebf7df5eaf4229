import { type CompressionCodec, type Compressors, type FileMetaData, type ParquetReadOptions, type ParquetRow, parquetReadObjects, snappyUncompress } from 'hyparquet';
import { decompressBrotli, decompressLz4, decompressLz4Raw, decompressZstd, gunzip } from 'hyparquet-compressors';
import { DataError } from './errors.ts';

/**
 * Largest page, uncompressed, that a file may declare. Writers cut pages at about 1 MiB (pyarrow, parquet-mr,
 * Polars), so only a broken or hostile file declares more; it is refused before the page is allocated.
 */
export const MAX_PAGE_BYTES = 256 * 2 ** 20;

/** Codecs the studio decompresses: every one the format defines except LZO (which no current writer emits). */
export const READABLE_CODECS: readonly CompressionCodec[] = ['UNCOMPRESSED', 'SNAPPY', 'GZIP', 'BROTLI', 'ZSTD', 'LZ4', 'LZ4_RAW'];

type Decompress = (input: Uint8Array, outputLength: number) => Uint8Array;

/** A decompressor that first checks the page size the file declares, so a lying header cannot make us allocate gigabytes. */
function bounded(codec: CompressionCodec, decompress: Decompress): Decompress {
  return (input, outputLength) => {
    if (outputLength > MAX_PAGE_BYTES) {
      throw new RangeError(`a ${codec} page declares ${outputLength.toLocaleString('en-US')} bytes uncompressed, more than the ${MAX_PAGE_BYTES / 2 ** 20} MiB a page may have here; rewrite the file with smaller pages (pyarrow: data_page_size)`);
    }
    return decompress(input, outputLength);
  };
}

/**
 * The decompressors every hyparquet read gets: hyparquet's own SNAPPY, the rest from `hyparquet-compressors`
 * (pure JS, so they run alike in Node, the browser and the worker). `LZ4` tries the Hadoop framing parquet-mr
 * writes, then a bare LZ4 block as old parquet-cpp wrote.
 */
export const PARQUET_COMPRESSORS: Compressors = {
  SNAPPY: bounded('SNAPPY', (input, length) => {
    const out = new Uint8Array(length);
    snappyUncompress(input, out);
    return out;
  }),
  GZIP: bounded('GZIP', (input, length) => gunzip(input, new Uint8Array(length))),
  BROTLI: bounded('BROTLI', decompressBrotli),
  ZSTD: bounded('ZSTD', (input, length) => decompressZstd(input, new Uint8Array(length))),
  LZ4: bounded('LZ4', decompressLz4),
  LZ4_RAW: bounded('LZ4_RAW', decompressLz4Raw),
};

/**
 * Refuses a file whose column chunks (those of `columns`, default all) use a codec we cannot decompress, naming
 * the codec, the column and the file (`file` as messages name it: `File "x.parquet"`), before any page is read.
 */
export function checkCodecs(metadata: FileMetaData, file: string, columns?: string[]): void {
  for (const group of metadata.row_groups) {
    for (const chunk of group.columns) {
      const meta = chunk.meta_data;
      if (!meta || READABLE_CODECS.includes(meta.codec)) continue;
      if (columns && !columns.includes(meta.path_in_schema[0])) continue;
      throw new DataError(`${file} is compressed with ${meta.codec} (column "${meta.path_in_schema.join('.')}"), which Adapter Studio cannot decompress; it reads ${READABLE_CODECS.join(', ')}. Rewrite the file with another codec, e.g. pyarrow.parquet.write_table(table, path, compression="zstd").`, 'UnsupportedFile');
    }
  }
}

/** `parquetReadObjects` with our decompressors: the one way the studio (and the offline Hub) reads parquet rows. */
export function readParquetRows(options: Omit<ParquetReadOptions, 'onComplete' | 'compressors'>): Promise<ParquetRow[]> {
  return parquetReadObjects({ ...options, compressors: PARQUET_COMPRESSORS });
}
