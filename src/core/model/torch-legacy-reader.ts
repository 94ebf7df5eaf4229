/**
 * The `torch.save` layout of torch < 1.6 (still written with `_use_new_zipfile_serialization=False`): not
 * a zip but pickles back to back, then raw storages (torch/serialization.py `_legacy_save`):
 *
 *   pickle  MAGIC_NUMBER 0x1950a86a20f9469cfc6c
 *   pickle  PROTOCOL_VERSION 1001
 *   pickle  sys_info {protocol_version, little_endian, type_sizes}
 *   pickle  the state dict; storages are persistent ids ('storage', torch.<X>Storage, key, location, numel, view_metadata)
 *   pickle  the storage keys, sorted, as a list of strings
 *   per key: int64 little-endian element count, then count × element size raw little-endian bytes
 */
import type { StoredTensors } from './stored-tensor.ts';
import { type Origin, type StorageRef, Dict, corrupt, stateDictTensors, unpickle } from './torch-pickle.ts';

const MAGIC_NUMBER = 0x1950a86a20f9469cfc6cn;
const PROTOCOL_VERSION = 1001;

/** Reads every tensor of a legacy-layout torch.save state dict. */
export function readLegacyTorchBin(bytes: Uint8Array, origin: Origin): StoredTensors {
  const storages = new Map<string, StorageRef>();
  let pos = 0;
  const next = () => {
    if (pos >= bytes.byteLength) throw corrupt(origin, `the legacy torch.save stream ends at byte ${pos}, before its storages`);
    const { value, end } = unpickle(bytes, origin, { start: pos, persistentIdLength: 6, storages });
    pos = end;
    return value;
  };

  const magic = next();
  if (magic !== MAGIC_NUMBER) throw corrupt(origin, `it starts with a pickle of ${String(magic)}, not torch's magic number`);
  const protocol = next();
  if (protocol !== PROTOCOL_VERSION) throw corrupt(origin, `its legacy protocol version is ${String(protocol)}, expected ${PROTOCOL_VERSION}`);
  const sysInfo = next();
  if (sysInfo instanceof Dict && sysInfo.entries.get('little_endian') === false) {
    throw corrupt(origin, 'it was written on a big-endian machine, whose byte order is not read');
  }
  const root = next();
  const keys = next();
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) throw corrupt(origin, 'its list of storage keys is not a list of strings');

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data = new Map<string, Uint8Array>();
  for (const key of keys as string[]) {
    const storage = storages.get(key);
    if (!storage) throw corrupt(origin, `it lists storage "${key}", which no tensor refers to`);
    if (pos + 8 > bytes.byteLength) throw corrupt(origin, `storage "${key}" should start at byte ${pos}, past the end of the ${bytes.byteLength}-byte file`);
    const count = view.getBigInt64(pos, true);
    if (count !== BigInt(storage.numel)) throw corrupt(origin, `storage "${key}" is declared with ${storage.numel} elements but its data says ${count}`);
    const byteLength = storage.numel * storage.elementBytes;
    pos += 8;
    if (pos + byteLength > bytes.byteLength) {
      throw corrupt(origin, `storage "${key}" needs ${byteLength} bytes at byte ${pos}, but the file ends after ${bytes.byteLength - pos} more (truncated download?)`);
    }
    data.set(key, bytes.subarray(pos, pos + byteLength));
    pos += byteLength;
  }
  return stateDictTensors(root, origin, (key, name) => {
    const stored = data.get(key);
    if (!stored) throw corrupt(origin, `tensor "${name}" refers to storage "${key}", which the file does not list`);
    return stored;
  });
}
