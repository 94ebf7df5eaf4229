/**
 * Writes PyTorch `.bin` checkpoints (what `torch.save(OrderedDict_of_tensors, path)` produces) that
 * `torch.load(path, weights_only=True)` reads: a zip archive with stored (uncompressed) entries whose data
 * start on 64-byte boundaries, a protocol-2 pickle `data.pkl` that rebuilds each tensor with
 * `torch._utils._rebuild_tensor_v2` from a persistent storage id, one raw little-endian file per storage
 * under `data/<key>`, `version` ("3\n") and `byteorder` ("little").
 */

/** Element types a checkpoint can hold here, named like torch dtypes. */
export type TorchBinDtype = 'float32' | 'float16' | 'bfloat16' | 'int64';

/** One tensor of the state dict. */
export interface TorchBinTensor {
  /** State-dict key, e.g. `bert.encoder.layer.0.output.adapters.a.adapter_up.weight`. */
  name: string;
  dtype: TorchBinDtype;
  /** Dimensions, row-major (torch-style [out, in] for linear weights). */
  shape: number[];
  /** Values: float32 numbers, float16/bfloat16 bit patterns, or int64 numbers. */
  data: Float32Array | Uint16Array | BigInt64Array;
}

export interface TorchBinOptions {
  /** Top folder of every zip entry; torch 1.13 uses the file stem, newer torch `archive`. Default `archive`. */
  archiveName?: string;
}

/** Thrown when the tensors cannot be written as a checkpoint (bad shape, dtype/data mismatch, duplicate key). */
export class TorchBinWriteError extends Error {
  override name = 'TorchBinWriteError';
}

const STORAGE_CLASS: Record<TorchBinDtype, string> = {
  float32: 'FloatStorage',
  float16: 'HalfStorage',
  bfloat16: 'BFloat16Storage',
  int64: 'LongStorage',
};

const DATA_ARRAY: Record<TorchBinDtype, Float32ArrayConstructor | Uint16ArrayConstructor | BigInt64ArrayConstructor> = {
  float32: Float32Array,
  float16: Uint16Array,
  bfloat16: Uint16Array,
  int64: BigInt64Array,
};

/** Zip entries' data start at multiples of this (torch's `kFieldAlignment`). */
const DATA_ALIGNMENT = 64;

/** Serialises a state dict to the bytes of a `.bin` file. Keys keep the given order. */
export function writeTorchBin(tensors: TorchBinTensor[], options: TorchBinOptions = {}): Uint8Array {
  const archive = options.archiveName ?? 'archive';
  const seen = new Set<string>();
  for (const tensor of tensors) {
    checkTensor(tensor);
    if (seen.has(tensor.name)) throw new TorchBinWriteError(`torch .bin: key "${tensor.name}" appears twice; state-dict keys must be unique.`);
    seen.add(tensor.name);
  }
  const entries: ZipEntry[] = [{ name: `${archive}/data.pkl`, data: statePickle(tensors) }];
  entries.push({ name: `${archive}/byteorder`, data: new TextEncoder().encode('little') });
  tensors.forEach((tensor, key) => {
    entries.push({ name: `${archive}/data/${key}`, data: new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength) });
  });
  entries.push({ name: `${archive}/version`, data: new TextEncoder().encode('3\n') });
  return writeStoredZip(entries);
}

function checkTensor(tensor: TorchBinTensor): void {
  if (!(tensor.dtype in STORAGE_CLASS)) {
    throw new TorchBinWriteError(`torch .bin: tensor "${tensor.name}" has dtype "${tensor.dtype}"; supported: ${Object.keys(STORAGE_CLASS).join(', ')}.`);
  }
  if (!tensor.shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new TorchBinWriteError(`torch .bin: tensor "${tensor.name}" has shape [${tensor.shape}]; dimensions must be non-negative integers.`);
  }
  const numel = tensor.shape.reduce((a, b) => a * b, 1);
  if (tensor.data.length !== numel) {
    throw new TorchBinWriteError(`torch .bin: tensor "${tensor.name}" has shape [${tensor.shape}] (${numel} elements) but ${tensor.data.length} values.`);
  }
  if (!(tensor.data instanceof DATA_ARRAY[tensor.dtype])) {
    throw new TorchBinWriteError(`torch .bin: tensor "${tensor.name}" is ${tensor.dtype} but its data is a ${tensor.data.constructor.name}; pass a ${DATA_ARRAY[tensor.dtype].name}.`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Pickle (protocol 2), the opcode sequence torch.save emits (memo opcodes left out; they are optional).

const OP = {
  PROTO: 0x80,
  GLOBAL: 0x63, // 'c' module\nname\n
  EMPTY_TUPLE: 0x29, // ')'
  REDUCE: 0x52, // 'R'
  MARK: 0x28, // '('
  TUPLE: 0x74, // 't'
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  BINUNICODE: 0x58, // 'X' u32 length + utf-8
  BININT: 0x4a, // 'J' i32
  BININT1: 0x4b, // 'K' u8
  BININT2: 0x4d, // 'M' u16
  LONG1: 0x8a, // n + little-endian two's complement
  BINPERSID: 0x51, // 'Q'
  NEWFALSE: 0x89,
  SETITEMS: 0x75, // 'u'
  STOP: 0x2e, // '.'
} as const;

/** Accumulates pickle bytes. */
class PickleBuilder {
  private chunks: number[] = [];

  op(code: number): this {
    this.chunks.push(code);
    return this;
  }

  global(module: string, name: string): this {
    this.op(OP.GLOBAL);
    this.bytes(new TextEncoder().encode(`${module}\n${name}\n`));
    return this;
  }

  string(text: string): this {
    const utf8 = new TextEncoder().encode(text);
    this.op(OP.BINUNICODE).uint(utf8.length, 4);
    this.bytes(utf8);
    return this;
  }

  /** Smallest integer opcode for `value`, as Python's pickler chooses. */
  int(value: number): this {
    if (value >= 0 && value <= 0xff) return this.op(OP.BININT1).uint(value, 1);
    if (value >= 0 && value <= 0xffff) return this.op(OP.BININT2).uint(value, 2);
    if (value >= -0x80000000 && value <= 0x7fffffff) return this.op(OP.BININT).uint(value >>> 0, 4);
    const bytes = twosComplement(BigInt(value));
    this.op(OP.LONG1).uint(bytes.length, 1);
    this.bytes(bytes);
    return this;
  }

  tuple(items: number[]): this {
    if (items.length === 0) return this.op(OP.EMPTY_TUPLE);
    if (items.length > 3) this.op(OP.MARK);
    for (const item of items) this.int(item);
    return this.op(items.length === 1 ? OP.TUPLE1 : items.length === 2 ? OP.TUPLE2 : items.length === 3 ? OP.TUPLE3 : OP.TUPLE);
  }

  /** An empty `collections.OrderedDict()`. */
  orderedDict(): this {
    return this.global('collections', 'OrderedDict').op(OP.EMPTY_TUPLE).op(OP.REDUCE);
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }

  private uint(value: number, width: number): this {
    for (let i = 0; i < width; i++) this.chunks.push(Math.floor(value / 2 ** (8 * i)) & 0xff);
    return this;
  }

  private bytes(data: Uint8Array): void {
    for (const b of data) this.chunks.push(b);
  }
}

/** Minimal little-endian two's complement bytes of a big integer (Python's `encode_long`). */
function twosComplement(value: bigint): Uint8Array {
  const out: number[] = [];
  let v = value;
  for (;;) {
    const byte = Number(v & 0xffn);
    out.push(byte);
    v >>= 8n;
    const signBitSet = (byte & 0x80) !== 0;
    if ((v === 0n && !signBitSet) || (v === -1n && signBitSet)) break;
  }
  return Uint8Array.from(out);
}

/** Row-major strides of a shape. */
function contiguousStride(shape: number[]): number[] {
  const stride = new Array<number>(shape.length);
  let step = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    stride[i] = step;
    step *= shape[i];
  }
  return stride;
}

/** `OrderedDict([(name, _rebuild_tensor_v2(storage_i, 0, size, stride, False, OrderedDict())), ...])`. */
function statePickle(tensors: TorchBinTensor[]): Uint8Array {
  const p = new PickleBuilder();
  p.op(OP.PROTO).op(2);
  p.orderedDict();
  if (tensors.length > 0) {
    p.op(OP.MARK);
    tensors.forEach((tensor, key) => {
      p.string(tensor.name);
      p.global('torch._utils', '_rebuild_tensor_v2');
      p.op(OP.MARK);
      // Persistent id ('storage', torch.<Kind>Storage, '<key>', 'cpu', numel) -> the storage object.
      p.op(OP.MARK).string('storage').global('torch', STORAGE_CLASS[tensor.dtype]).string(String(key)).string('cpu');
      p.int(tensor.data.length).op(OP.TUPLE).op(OP.BINPERSID);
      p.int(0); // storage offset
      p.tuple(tensor.shape);
      p.tuple(contiguousStride(tensor.shape));
      p.op(OP.NEWFALSE); // requires_grad
      p.orderedDict(); // backward hooks
      p.op(OP.TUPLE).op(OP.REDUCE);
    });
    p.op(OP.SETITEMS);
  }
  p.op(OP.STOP);
  return p.finish();
}

// ---------------------------------------------------------------------------------------------------------
// Zip with stored entries, data aligned through a "FB" padding extra field in the local header (as torch's
// PyTorchStreamWriter does), no central-directory extra, fixed DOS date 1980-01-01 00:00 for reproducibility.

interface ZipEntry {
  /** Path inside the archive, '/'-separated. */
  name: string;
  /** The entry's bytes, stored as is. */
  data: Uint8Array;
}

const LOCAL_HEADER_SIZE = 30;
const CENTRAL_HEADER_SIZE = 46;
const END_RECORD_SIZE = 22;
const DOS_DATE_1980_01_01 = 0x21;

function writeStoredZip(entries: ZipEntry[]): Uint8Array {
  const encoded = entries.map((entry) => ({ ...entry, nameBytes: new TextEncoder().encode(entry.name), crc: crc32(entry.data) }));
  let size = 0;
  const layout = encoded.map((entry) => {
    const headerStart = size;
    const dataStartWithoutPadding = headerStart + LOCAL_HEADER_SIZE + entry.nameBytes.length + 4;
    const padding = (DATA_ALIGNMENT - (dataStartWithoutPadding % DATA_ALIGNMENT)) % DATA_ALIGNMENT;
    size = dataStartWithoutPadding + padding + entry.data.length;
    return { headerStart, padding };
  });
  if (size >= 0xffffffff) throw new TorchBinWriteError(`torch .bin: archive would be ${size} bytes; checkpoints of 4 GiB or more need zip64, which this writer does not produce.`);
  const centralStart = size;
  const centralSize = encoded.reduce((sum, entry) => sum + CENTRAL_HEADER_SIZE + entry.nameBytes.length, 0);
  const out = new Uint8Array(centralStart + centralSize + END_RECORD_SIZE);
  const view = new DataView(out.buffer);

  encoded.forEach((entry, i) => {
    const { headerStart, padding } = layout[i];
    let at = headerStart;
    view.setUint32(at, 0x04034b50, true);
    view.setUint16(at + 4, 20, true); // version needed to extract
    view.setUint16(at + 6, 0x0800, true); // flags: UTF-8 names
    view.setUint16(at + 8, 0, true); // method: stored
    view.setUint16(at + 10, 0, true); // time
    view.setUint16(at + 12, DOS_DATE_1980_01_01, true);
    view.setUint32(at + 14, entry.crc, true);
    view.setUint32(at + 18, entry.data.length, true);
    view.setUint32(at + 22, entry.data.length, true);
    view.setUint16(at + 26, entry.nameBytes.length, true);
    view.setUint16(at + 28, 4 + padding, true);
    at += LOCAL_HEADER_SIZE;
    out.set(entry.nameBytes, at);
    at += entry.nameBytes.length;
    view.setUint16(at, 0x4246, true); // "FB"
    view.setUint16(at + 2, padding, true);
    out.fill(0x5a, at + 4, at + 4 + padding); // 'Z'
    at += 4 + padding;
    out.set(entry.data, at);
  });

  let at = centralStart;
  encoded.forEach((entry, i) => {
    view.setUint32(at, 0x02014b50, true);
    view.setUint16(at + 4, 20, true); // version made by
    view.setUint16(at + 6, 20, true); // version needed
    view.setUint16(at + 8, 0x0800, true);
    view.setUint16(at + 10, 0, true);
    view.setUint16(at + 12, 0, true);
    view.setUint16(at + 14, DOS_DATE_1980_01_01, true);
    view.setUint32(at + 16, entry.crc, true);
    view.setUint32(at + 20, entry.data.length, true);
    view.setUint32(at + 24, entry.data.length, true);
    view.setUint16(at + 28, entry.nameBytes.length, true);
    view.setUint16(at + 30, 0, true); // extra length
    view.setUint16(at + 32, 0, true); // comment length
    view.setUint16(at + 34, 0, true); // disk number
    view.setUint16(at + 36, 0, true); // internal attributes
    view.setUint32(at + 38, 0, true); // external attributes
    view.setUint32(at + 42, layout[i].headerStart, true);
    out.set(entry.nameBytes, at + CENTRAL_HEADER_SIZE);
    at += CENTRAL_HEADER_SIZE + entry.nameBytes.length;
  });

  view.setUint32(at, 0x06054b50, true);
  view.setUint16(at + 8, encoded.length, true);
  view.setUint16(at + 10, encoded.length, true);
  view.setUint32(at + 12, centralSize, true);
  view.setUint32(at + 16, centralStart, true);
  return out;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE, as zip uses) of `data`. */
export function crc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = CRC_TABLE[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
