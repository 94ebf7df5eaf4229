/**
 * The restricted pickle reader behind both `pytorch_model.bin` layouts (torch-bin-reader.ts: the zip of
 * torch >= 1.6; torch-legacy-reader.ts: the older stream of pickles). The pickle is walked by a small stack
 * machine that knows only the opcodes torch.save writes for a state dict and only these callables:
 * collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter and the
 * torch.*Storage classes (as persistent-id tags). Anything else is refused with UnsafePickleError, at least
 * as strict as `torch.load(weights_only=True)`. Nothing is evaluated.
 */
import { CorruptWeightsError, UnsafePickleError } from './errors.ts';
import { decodeFloat32 } from './float-formats.ts';
import { type StoredTensors, elementCount } from './stored-tensor.ts';

/** Storage classes torch pickles as persistent ids, with their element type in safetensors spelling. */
const STORAGE_DTYPES: Record<string, { dtype: string; bytes: number }> = {
  FloatStorage: { dtype: 'F32', bytes: 4 },
  HalfStorage: { dtype: 'F16', bytes: 2 },
  BFloat16Storage: { dtype: 'BF16', bytes: 2 },
  DoubleStorage: { dtype: 'F64', bytes: 8 },
  LongStorage: { dtype: 'I64', bytes: 8 },
  IntStorage: { dtype: 'I32', bytes: 4 },
  ShortStorage: { dtype: 'I16', bytes: 2 },
  CharStorage: { dtype: 'I8', bytes: 1 },
  ByteStorage: { dtype: 'U8', bytes: 1 },
  BoolStorage: { dtype: 'BOOL', bytes: 1 },
};

const ALLOWED_GLOBALS = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  ...Object.keys(STORAGE_DTYPES).map((name) => `torch.${name}`),
]);

/** A whitelisted `module.name` reference. */
class Global {
  constructor(readonly qualifiedName: string) {}
}

/** A dict or OrderedDict; torch state dicts have string keys. */
export class Dict {
  readonly entries = new Map<unknown, unknown>();
}

/**
 * The persistent id `('storage', torch.<X>Storage, key, location, numel)` (zip layout), or with a sixth
 * `view_metadata` (legacy layout): None, or `(view_key, offset, size)` when the tensor uses a slice of the
 * storage (torch < 1.6 wrote those for storage slices).
 */
export class StorageRef {
  constructor(
    readonly key: string,
    readonly dtype: string,
    readonly elementBytes: number,
    /** Elements of the whole storage `key`. */
    readonly numel: number,
    /** The slice of the storage the tensor sees, in elements; the whole storage when there is no view. */
    readonly view: { offset: number; size: number },
  ) {}
}

/** What `_rebuild_tensor_v2(storage, offset, size, stride, ...)` describes. */
export class TensorRef {
  constructor(readonly storage: StorageRef, readonly offset: number, readonly size: number[], readonly stride: number[]) {}
}

type Value = unknown;

/** The file being read, for messages. */
export interface Origin {
  file: string;
  repoId?: string;
}

export const describeOrigin = (origin: Origin) => `"${origin.file}"${origin.repoId ? ` of "${origin.repoId}"` : ''}`;

export function refuse(origin: Origin, what: string): UnsafePickleError {
  return new UnsafePickleError(`Refused to load ${describeOrigin(origin)}: its pickle ${what}. Only plain PyTorch state dicts are read (nothing in them is executed); convert the checkpoint to safetensors.`, origin.repoId);
}

export function corrupt(origin: Origin, problem: string, cause?: unknown): CorruptWeightsError {
  return new CorruptWeightsError(`Weights file ${describeOrigin(origin)} is not a readable PyTorch checkpoint: ${problem}. Re-save it with torch.save or convert it to safetensors.`, origin.repoId, { cause });
}

export const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

export interface UnpickleOptions {
  /** Byte where the pickle starts (the legacy layout is several pickles in a row). */
  start?: number;
  /** Elements of a storage persistent id: 5 in the zip layout, 6 (with view_metadata) in the legacy one. */
  persistentIdLength?: 5 | 6;
  /** Storages referenced so far by key, shared between the pickles of one file; checked for consistent declarations. */
  storages?: Map<string, StorageRef>;
}

/**
 * Runs the opcodes of the pickle at `options.start` and returns the object STOP leaves on the stack, with
 * the byte after STOP. Integers beyond 2^53 come back as bigint (torch's magic number is one).
 */
export function unpickle(pickle: Uint8Array, origin: Origin, options: UnpickleOptions = {}): { value: Value; end: number } {
  const persistentIdLength = options.persistentIdLength ?? 5;
  const storages = options.storages ?? new Map<string, StorageRef>();
  const view = new DataView(pickle.buffer, pickle.byteOffset, pickle.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const stack: Value[] = [];
  const marks: number[] = [];
  const memo = new Map<number, Value>();
  let pos = options.start ?? 0;

  const need = (n: number) => {
    if (pos + n > pickle.byteLength) throw corrupt(origin, `the pickle ends inside an opcode at byte ${pos}`);
  };
  const u8 = () => { need(1); return pickle[pos++]; };
  const u16 = () => { need(2); const v = view.getUint16(pos, true); pos += 2; return v; };
  const u32 = () => { need(4); const v = view.getUint32(pos, true); pos += 4; return v; };
  const i32 = () => { need(4); const v = view.getInt32(pos, true); pos += 4; return v; };
  const u64 = () => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt(origin, `a length of ${v} bytes at byte ${pos - 8}`);
    return Number(v);
  };
  const text = (n: number) => {
    need(n);
    try {
      return utf8.decode(pickle.subarray(pos, pos + n));
    } catch (err) {
      throw corrupt(origin, `a string at byte ${pos} is not UTF-8`, err);
    } finally {
      pos += n;
    }
  };
  const line = () => {
    const end = pickle.indexOf(0x0a, pos);
    if (end < 0) throw corrupt(origin, `the pickle ends inside an opcode at byte ${pos} (a GLOBAL without end of line)`);
    const value = text(end - pos);
    pos += 1; // the newline
    return value;
  };
  const pop = (): Value => {
    if (stack.length === 0 || (marks.length && stack.length <= marks[marks.length - 1])) throw corrupt(origin, `the pickle pops an empty stack at byte ${pos}`);
    return stack.pop();
  };
  const popMark = (): Value[] => {
    const mark = marks.pop();
    if (mark === undefined) throw corrupt(origin, `the pickle closes a MARK it never opened at byte ${pos}`);
    return stack.splice(mark);
  };
  const top = (): Value => {
    if (stack.length === 0 || (marks.length && stack.length <= marks[marks.length - 1])) throw corrupt(origin, `the pickle reads an empty stack at byte ${pos}`);
    return stack[stack.length - 1];
  };
  const global = (module: string, name: string): Global => {
    const qualified = `${module}.${name}`;
    if (!ALLOWED_GLOBALS.has(qualified)) throw refuse(origin, `references ${qualified}`);
    return new Global(qualified);
  };
  const setItems = (dict: Value, items: Value[]) => {
    if (!(dict instanceof Dict)) throw refuse(origin, 'sets items on something that is not a dict');
    if (items.length % 2 !== 0) throw corrupt(origin, `SETITEMS has an odd number of values at byte ${pos}`);
    for (let i = 0; i < items.length; i += 2) dict.entries.set(items[i], items[i + 1]);
  };
  const append = (list: Value, items: Value[]) => {
    if (!Array.isArray(list) || Object.isFrozen(list)) throw refuse(origin, 'appends to something that is not a list');
    list.push(...items);
  };
  const tuple = (items: Value[]) => Object.freeze(items);
  const persistentLoad = (pid: Value): StorageRef => {
    if (!Array.isArray(pid) || pid.length !== persistentIdLength || pid[0] !== 'storage' || !(pid[1] instanceof Global)) {
      throw refuse(origin, 'has a persistent id that is not a torch storage');
    }
    const [, cls, key, , numel, viewMetadata] = pid as [string, Global, unknown, unknown, unknown, unknown];
    const storage = STORAGE_DTYPES[cls.qualifiedName.replace(/^torch\./, '')];
    if (!storage) throw refuse(origin, `uses ${cls.qualifiedName} as a storage type`);
    if (typeof key !== 'string' || !/^\w+$/.test(key) || !isCount(numel)) throw corrupt(origin, `a storage reference has key ${JSON.stringify(key)} and size ${String(numel)}`);
    let slice = { offset: 0, size: numel };
    if (viewMetadata !== undefined && viewMetadata !== null) {
      const [, offset, size] = Array.isArray(viewMetadata) && viewMetadata.length === 3 ? viewMetadata : [];
      if (!isCount(offset) || !isCount(size) || offset + size > numel) {
        throw corrupt(origin, `storage "${key}" of ${numel} elements has a view ${JSON.stringify(viewMetadata, (_, v: unknown) => typeof v === 'bigint' ? String(v) : v)} that does not fit in it`);
      }
      slice = { offset, size };
    }
    const known = storages.get(key);
    if (known && (known.dtype !== storage.dtype || known.numel !== numel)) {
      throw corrupt(origin, `storage "${key}" is declared both as ${known.numel} ${known.dtype} and as ${numel} ${storage.dtype} elements`);
    }
    const ref = new StorageRef(key, storage.dtype, storage.bytes, numel, slice);
    if (!known) storages.set(key, ref);
    return ref;
  };
  const reduce = (callable: Value, args: Value): Value => {
    if (!(callable instanceof Global)) throw refuse(origin, 'calls something that is not an allowed function');
    if (!Array.isArray(args)) throw corrupt(origin, `REDUCE arguments are not a tuple at byte ${pos}`);
    switch (callable.qualifiedName) {
      case 'collections.OrderedDict':
        if (args.length !== 0) throw refuse(origin, 'builds an OrderedDict from arguments');
        return new Dict();
      case 'torch._utils._rebuild_tensor_v2': {
        const [storage, offset, size, stride] = args;
        if (!(storage instanceof StorageRef) || !isCount(offset) || !Array.isArray(size) || !Array.isArray(stride)
          || !size.every(isCount) || !stride.every(isCount) || size.length !== stride.length) {
          throw corrupt(origin, `a tensor has malformed storage, offset, size or stride at byte ${pos}`);
        }
        return new TensorRef(storage, offset, [...size] as number[], [...stride] as number[]);
      }
      case 'torch._utils._rebuild_parameter': {
        if (!(args[0] instanceof TensorRef)) throw corrupt(origin, `a parameter wraps something that is not a tensor at byte ${pos}`);
        return args[0];
      }
      default:
        throw refuse(origin, `calls ${callable.qualifiedName}`);
    }
  };

  for (;;) {
    const at = pos;
    const op = u8();
    switch (op) {
      case 0x80: { // PROTO
        const version = u8();
        if (version > 5) throw corrupt(origin, `pickle protocol ${version} is unknown`);
        break;
      }
      case 0x95: u64(); break; // FRAME: a length hint only
      case 0x63: { // GLOBAL "module\nname\n"
        const module = line();
        const name = line();
        stack.push(global(module, name));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw corrupt(origin, `STACK_GLOBAL without strings at byte ${at}`);
        stack.push(global(module, name));
        break;
      }
      case 0x51: stack.push(persistentLoad(pop())); break; // BINPERSID
      case 0x28: marks.push(stack.length); break; // MARK
      case 0x74: stack.push(tuple(popMark())); break; // TUPLE
      case 0x29: stack.push(tuple([])); break; // EMPTY_TUPLE
      case 0x85: { const a = pop(); stack.push(tuple([a])); break; } // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push(tuple([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push(tuple([a, b, c])); break; } // TUPLE3
      case 0x7d: stack.push(new Dict()); break; // EMPTY_DICT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x73: { const value = pop(); const key = pop(); setItems(top(), [key, value]); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(top(), items); break; } // SETITEMS
      case 0x61: { const item = pop(); append(top(), [item]); break; } // APPEND
      case 0x65: { const items = popMark(); append(top(), items); break; } // APPENDS
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x8a: { // LONG1: n-byte little-endian two's complement
        const n = u8();
        need(n);
        let value = 0n;
        for (let i = n - 1; i >= 0; i--) value = (value << 8n) | BigInt(pickle[pos + i]);
        if (n > 0 && pickle[pos + n - 1] & 0x80) value -= 1n << BigInt(8 * n);
        pos += n;
        stack.push(value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER) ? value : Number(value));
        break;
      }
      case 0x47: { need(8); stack.push(view.getFloat64(pos, false)); pos += 8; break; } // BINFLOAT
      case 0x58: stack.push(text(u32())); break; // BINUNICODE
      case 0x8c: stack.push(text(u8())); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(text(u64())); break; // BINUNICODE8
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: case 0x6a: { // BINGET, LONG_BINGET
        const index = op === 0x68 ? u8() : u32();
        if (!memo.has(index)) throw corrupt(origin, `memo entry ${index} is read before it is written (byte ${at})`);
        stack.push(memo.get(index));
        break;
      }
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4e: stack.push(null); break; // NONE
      case 0x52: { const args = pop(); const callable = pop(); stack.push(reduce(callable, args)); break; } // REDUCE
      case 0x62: { // BUILD: only a state dict's `_metadata` attribute on an OrderedDict
        const state = pop();
        if (!(top() instanceof Dict) || !(state instanceof Dict)) throw refuse(origin, 'sets the state of an object other than a dict');
        break;
      }
      case 0x2e: { // STOP
        if (stack.length !== 1 || marks.length) throw corrupt(origin, `the pickle stops with ${stack.length} values on its stack`);
        return { value: stack[0], end: pos };
      }
      default:
        throw refuse(origin, `uses opcode 0x${op.toString(16).padStart(2, '0')} at byte ${at}, which torch.save does not write for a state dict`);
    }
  }
}

/** Every tensor of an unpickled state dict; `storageBytes` gives the raw bytes of a storage by its key. */
export function stateDictTensors(root: Value, origin: Origin, storageBytes: (key: string, tensorName: string) => Uint8Array): StoredTensors {
  if (!(root instanceof Dict)) throw corrupt(origin, 'its pickle holds no state dict');
  const tensors: StoredTensors = new Map();
  for (const [name, value] of root.entries) {
    if (typeof name !== 'string' || !(value instanceof TensorRef)) continue;
    const { storage, offset, size, stride } = value;
    const data = storageBytes(storage.key, name);
    if (data.byteLength < storage.numel * storage.elementBytes) {
      throw corrupt(origin, `storage "${storage.key}" should hold ${storage.numel} elements but has ${data.byteLength} bytes`);
    }
    const count = elementCount(size);
    const lastIndex = offset + size.reduce((sum, dim, i) => sum + (dim - 1) * stride[i], 0);
    if (count > 0 && (count > storage.view.size || lastIndex >= storage.view.size)) {
      throw corrupt(origin, `tensor "${name}" (size ${JSON.stringify(size)}, stride ${JSON.stringify(stride)}, offset ${offset}) reaches beyond its storage of ${storage.view.size} elements`);
    }
    tensors.set(name, {
      dtype: storage.dtype,
      shape: size,
      toFloat32: () => {
        const span = count === 0 ? 0 : lastIndex - offset + 1;
        const values = decodeFloat32(storage.dtype, data, (storage.view.offset + offset) * storage.elementBytes, span);
        if (!values) throw new CorruptWeightsError(`Tensor "${name}" in ${describeOrigin(origin)} is ${storage.dtype}, not a floating-point weight; the encoder cannot use it.`, origin.repoId);
        return gatherStrided(values, size, stride);
      },
    });
  }
  return tensors;
}

/** Row-major copy of a strided view whose first element is `values[0]`; returns `values` when already contiguous. */
function gatherStrided(values: Float32Array, size: number[], stride: number[]): Float32Array {
  const count = elementCount(size);
  let contiguous = true;
  for (let d = size.length - 1, expected = 1; d >= 0; d--) {
    if (size[d] !== 1 && stride[d] !== expected) contiguous = false;
    expected *= size[d];
  }
  if (contiguous) return values.length === count ? values : values.subarray(0, count);
  const out = new Float32Array(count);
  const index = new Array<number>(size.length).fill(0);
  let source = 0;
  for (let i = 0; i < count; i++) {
    out[i] = values[source];
    for (let d = size.length - 1; d >= 0; d--) {
      index[d] += 1;
      source += stride[d];
      if (index[d] < size[d]) break;
      source -= stride[d] * size[d];
      index[d] = 0;
    }
  }
  return out;
}
