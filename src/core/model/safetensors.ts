/**
 * A defensive reader for `*.safetensors` bytes: 8-byte little-endian header length, a JSON header
 * `{"__metadata__": {...}, "<name>": {"dtype", "shape", "data_offsets": [begin, end]}}`, then the data.
 *
 * Written here because `@huggingface/hub`'s `parseSafetensorsMetadata` fetches a header from a Hub URL
 * (Range requests) and neither validates offsets nor decodes data; we already hold the file's bytes.
 * Every size comes from the file, so each is checked against the bytes actually present before anything
 * is allocated from it.
 */
import { CorruptWeightsError } from './errors.ts';
import { decodeFloat32 } from './float-formats.ts';
import { type StoredTensor, type StoredTensors, elementCount } from './stored-tensor.ts';

/**
 * The Hub's limit, the stricter of the two in use: huggingface.js' parseSafetensorsMetadata refuses headers
 * above 25 MB (the safetensors reference implementation allows 100 MB, safetensors/src/tensor.rs MAX_HEADER_SIZE).
 * The local Hub server (src/hub-server) reads headers with the same limit.
 */
export const MAX_HEADER_BYTES = 25_000_000;

/** Bytes per element of each dtype the safetensors format defines that we accept. */
const DTYPE_BYTES: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1,
};

/** One tensor's entry in the header, with offsets made absolute (from the start of the file). */
export interface SafetensorsEntry {
  name: string;
  dtype: string;
  shape: number[];
  /** First byte of the tensor's data in the file. */
  begin: number;
  /** One past its last byte. */
  end: number;
}

export interface SafetensorsHeader {
  /** The free-form string map under `__metadata__` (e.g. `{format: "pt"}`). */
  metadata: Record<string, string>;
  /** Entries in file order. */
  entries: SafetensorsEntry[];
  /** Offset of the data section (8 + header length). */
  dataStart: number;
}

function corrupt(source: string, problem: string, repoId?: string): CorruptWeightsError {
  return new CorruptWeightsError(`Weights file "${source}"${repoId ? ` of "${repoId}"` : ''} is not a valid safetensors file: ${problem}. The file is damaged or not safetensors; re-upload it or use another revision.`, repoId);
}

function isNonNegativeSafeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * The header length of a safetensors file from its first 8 bytes, checked against the limit and against the
 * file's size (`fileBytes`), before anything is allocated from it.
 */
export function safetensorsHeaderLength(prefix: Uint8Array, fileBytes: number, source: string, repoId?: string): number {
  const fail = (problem: string) => corrupt(source, problem, repoId);
  if (prefix.byteLength < 8 || fileBytes < 8) throw fail(`it has ${Math.min(prefix.byteLength, fileBytes)} bytes, fewer than the 8-byte header length`);
  const headerLength = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) {
    throw fail(`its header length ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  }
  const length = Number(headerLength);
  if (8 + length > fileBytes) {
    throw fail(`its header length ${length} runs past the end of the ${fileBytes}-byte file`);
  }
  return length;
}

/**
 * Validates the header of a safetensors file and returns its tensor entries. `bytes` holds the file from its
 * start, at least through the header; `fileBytes` is the whole file's size (the tensors' offsets are checked
 * against it), by default the length of `bytes`.
 */
export function parseSafetensorsHeader(bytes: Uint8Array, source: string, repoId?: string, fileBytes = bytes.byteLength): SafetensorsHeader {
  const fail = (problem: string) => corrupt(source, problem, repoId);
  const length = safetensorsHeaderLength(bytes, fileBytes, source, repoId);
  if (8 + length > bytes.byteLength) throw new RangeError(`parseSafetensorsHeader: "${source}" needs its first ${8 + length} bytes, got ${bytes.byteLength}.`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + length));
  } catch (err) {
    throw new CorruptWeightsError(`Weights file "${source}" has a header that is not UTF-8 text. The file is damaged; re-upload it.`, repoId, { cause: err });
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (err) {
    throw new CorruptWeightsError(`Weights file "${source}" has a header that is not valid JSON (${(err as Error).message}). The file is damaged; re-upload it.`, repoId, { cause: err });
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw fail('its header is not a JSON object');

  const dataStart = 8 + length;
  const dataLength = fileBytes - dataStart;
  let metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.values(value).some((v) => typeof v !== 'string')) {
        throw fail('__metadata__ is not a map of strings');
      }
      metadata = value as Record<string, string>;
      continue;
    }
    if (typeof value !== 'object' || value === null) throw fail(`the entry for "${name}" is not an object`);
    const { dtype, shape, data_offsets: offsets } = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) {
      throw fail(`tensor "${name}" has dtype ${JSON.stringify(dtype)}; supported dtypes are ${Object.keys(DTYPE_BYTES).join(', ')}`);
    }
    if (!Array.isArray(shape) || !shape.every(isNonNegativeSafeInteger)) {
      throw fail(`tensor "${name}" has shape ${JSON.stringify(shape)}, expected a list of non-negative integers`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeSafeInteger) || offsets[0] > offsets[1]) {
      throw fail(`tensor "${name}" has data_offsets ${JSON.stringify(offsets)}, expected [begin, end] with begin <= end`);
    }
    const [begin, end] = offsets as [number, number];
    if (end > dataLength) {
      throw fail(`tensor "${name}" has data_offsets [${begin}, ${end}] beyond the ${dataLength} bytes of data`);
    }
    // A float product: exact up to 2^53; above that it stays above the span (≤ file size), so it still
    // compares unequal, and nothing is allocated from it.
    const byteSize = (shape as number[]).reduce((size, dim) => size * dim, DTYPE_BYTES[dtype]);
    if (byteSize !== end - begin) {
      throw fail(`tensor "${name}" (${dtype} ${JSON.stringify(shape)}) needs ${byteSize} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`);
    }
    entries.push({ name, dtype, shape: shape as number[], begin: dataStart + begin, end: dataStart + end });
  }
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < sorted.length; i++) {
    const previous = sorted[i - 1];
    const current = sorted[i];
    if (current.begin < previous.end) {
      throw fail(`tensors "${previous.name}" and "${current.name}" overlap (bytes ${current.begin - dataStart}..${previous.end - dataStart} of the data)`);
    }
  }
  return { metadata, entries, dataStart };
}

function decode(bytes: Uint8Array, entry: SafetensorsEntry, source: string, repoId?: string): Float32Array {
  const values = decodeFloat32(entry.dtype, bytes, entry.begin, elementCount(entry.shape));
  if (!values) {
    throw new CorruptWeightsError(`Tensor "${entry.name}" in "${source}" is ${entry.dtype}, not a floating-point weight; the encoder cannot use it.`, repoId);
  }
  return values;
}

/** Parses a whole safetensors file; tensor values are decoded to float32 on demand. */
export function readSafetensors(bytes: Uint8Array, source: string, repoId?: string): StoredTensors {
  const { entries } = parseSafetensorsHeader(bytes, source, repoId);
  const tensors: StoredTensors = new Map();
  for (const entry of entries) {
    const tensor: StoredTensor = { dtype: entry.dtype, shape: entry.shape, toFloat32: () => decode(bytes, entry, source, repoId) };
    tensors.set(entry.name, tensor);
  }
  return tensors;
}
