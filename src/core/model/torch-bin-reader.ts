/**
 * Reads `pytorch_model.bin` without evaluating anything: the torch.save zip format of torch >= 1.6
 * (`<dir>/data.pkl` + `<dir>/data/<key>` storages) here, the older non-zip stream of pickles in
 * torch-legacy-reader.ts. Both go through the restricted unpickler of torch-pickle.ts.
 *
 * Independent of src/core/export/torch-bin-writer.ts on purpose: it is that writer's check.
 */
import { type UnzipFileInfo, unzipSync } from 'fflate';
import { CorruptWeightsError } from './errors.ts';
import type { StoredTensors } from './stored-tensor.ts';
import { readLegacyTorchBin } from './torch-legacy-reader.ts';
import { type Origin, corrupt, stateDictTensors, unpickle } from './torch-pickle.ts';

/** Largest ratio deflate can reach (258-byte matches coded in ~2 bits); a bigger claim is a zip bomb. */
const MAX_DEFLATE_RATIO = 1032;

/** Which torch.save layout `bytes` has, from its first bytes. */
function layoutOf(bytes: Uint8Array): 'zip' | 'legacy' | 'tar' | 'lfs-pointer' | undefined {
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) return 'zip'; // "PK"
  if (bytes[0] === 0x80) return 'legacy'; // a pickle's PROTO opcode
  // A clone without `git lfs pull` holds this small text file in place of the weights.
  if (bytes.length < 1024 && new TextDecoder().decode(bytes.subarray(0, 40)).startsWith('version https://git-lfs.github.com/spec/')) return 'lfs-pointer';
  // torch < 0.4 wrote a tar archive ("ustar" at byte 257).
  if (bytes.length > 262 && new TextDecoder().decode(bytes.subarray(257, 262)) === 'ustar') return 'tar';
  return undefined;
}

/** Reads every tensor of a torch.save state dict, in either layout torch has written since 1.0. */
export function readTorchBin(bytes: Uint8Array, file: string, repoId?: string): StoredTensors {
  const origin: Origin = { file, repoId };
  switch (layoutOf(bytes)) {
    case 'legacy': return readLegacyTorchBin(bytes, origin);
    case 'tar': throw corrupt(origin, 'it is a tar archive, the format of torch before 0.4, which is not read');
    case 'lfs-pointer': throw corrupt(origin, `it is a Git LFS pointer (${bytes.length} bytes of text), not the weights: fetch the file itself (git lfs pull)`);
    default: return readZipTorchBin(bytes, origin);
  }
}

function readZipTorchBin(bytes: Uint8Array, origin: Origin): StoredTensors {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      filter: (file: UnzipFileInfo) => {
        const plausible = file.compression === 0 ? file.originalSize === file.size
          : file.compression === 8 && file.originalSize <= file.size * MAX_DEFLATE_RATIO + 1024;
        if (!plausible) throw corrupt(origin, `zip entry "${file.name}" claims ${file.originalSize} bytes from ${file.size} (compression ${file.compression})`);
        return true;
      },
    });
  } catch (err) {
    if (err instanceof CorruptWeightsError) throw err;
    throw corrupt(origin, `it is neither a zip archive (${(err as Error).message}) nor a legacy torch.save stream`, err);
  }
  const pickleNames = Object.keys(files).filter((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (pickleNames.length !== 1) throw corrupt(origin, `expected one "<dir>/data.pkl" in the archive, found ${pickleNames.length}`);
  const dir = pickleNames[0].slice(0, -'data.pkl'.length);
  const { value: root } = unpickle(files[pickleNames[0]], origin);
  return stateDictTensors(root, origin, (key, name) => {
    const data = files[`${dir}data/${key}`];
    if (!data) throw corrupt(origin, `tensor "${name}" refers to storage "${key}", which is not in the archive`);
    return data;
  });
}
