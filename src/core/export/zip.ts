/** Adapter folders as zip archives (fflate), and finding the adapter folder inside a zip or file tree. */
import { type UnzipFileInfo, type Zippable, unzipSync, zipSync } from 'fflate';
import { AdapterImportError } from './errors.ts';
import type { AdapterFiles } from './types.ts';

/** Fixed entry time, so the same files always give the same zip bytes (DOS time cannot go below 1980). */
const ZIP_MTIME = new Date(1980, 0, 1, 0, 0, 0);

/** Largest ratio deflate reaches; a bigger claim is a zip bomb. */
const MAX_DEFLATE_RATIO = 1032;

/** Largest file accepted from a zip (adapters are megabytes; this leaves room for big LoRAs). */
const MAX_ENTRY_BYTES = 2 ** 31;

/** Zips the files at the archive's root: JSON and text deflated, weights (random-looking floats) stored. */
export function zipAdapterFiles(files: AdapterFiles): Uint8Array {
  const entries: Zippable = {};
  for (const [path, bytes] of files) {
    const isText = /\.(json|md|py|txt)$/.test(path);
    entries[path] = [bytes, { level: isText ? 6 : 0, mtime: ZIP_MTIME }];
  }
  return zipSync(entries);
}

/** Every file of a zip archive by path (folders and macOS metadata skipped). */
export function unzipAdapterFiles(bytes: Uint8Array, source: string): AdapterFiles {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes, {
      filter: (file: UnzipFileInfo) => {
        const plausible = file.originalSize <= MAX_ENTRY_BYTES
          && (file.compression === 0 ? file.originalSize === file.size : file.originalSize <= file.size * MAX_DEFLATE_RATIO + 1024);
        if (!plausible) throw new AdapterImportError(`Zip entry "${file.name}" of ${source} claims ${file.originalSize} bytes from ${file.size}; the archive is damaged or malicious.`, 'CorruptFile');
        return !file.name.endsWith('/') && !file.name.startsWith('__MACOSX/');
      },
    });
  } catch (err) {
    if (err instanceof AdapterImportError) throw err;
    throw new AdapterImportError(`${source} is not a readable zip archive (${(err as Error).message}).`, 'CorruptFile', [], { cause: err });
  }
  return new Map(Object.entries(entries));
}

/**
 * The files of the folder holding adapter_config.json, with paths relative to it: the root's when it has one,
 * else the one sub-folder that does (a zip of a folder, or the "adapter/" of a Python project).
 */
export function adapterFolderOf(files: AdapterFiles, source: string): AdapterFiles {
  if (files.has('adapter_config.json')) return files;
  const folders = [...files.keys()].filter((p) => p.endsWith('/adapter_config.json')).map((p) => p.slice(0, -'adapter_config.json'.length));
  if (folders.length === 0) {
    throw new AdapterImportError(`${source} holds no adapter_config.json, so it is not an adapter (expected the files of model.save_adapter, PEFT's save_pretrained, or an Adapter Studio export).`, 'NotAnAdapter');
  }
  const shallowest = folders.sort((a, b) => a.split('/').length - b.split('/').length);
  if (shallowest.length > 1 && shallowest[0].split('/').length === shallowest[1].split('/').length) {
    throw new AdapterImportError(`${source} holds several adapters (${folders.map((f) => f.slice(0, -1)).join(', ')}); give one of their folders.`, 'NotAnAdapter');
  }
  const folder = shallowest[0];
  return new Map([...files].filter(([p]) => p.startsWith(folder)).map(([p, bytes]) => [p.slice(folder.length), bytes]));
}
