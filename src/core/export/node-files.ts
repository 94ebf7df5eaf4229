/** Exports on disk (Node: the CLI and the trainer): write a folder or a .zip, read a folder or a .zip back. */
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { adapterHubFiles } from './adapterhub.ts';
import { AdapterImportError } from './errors.ts';
import type { AdapterExport, AdapterFiles } from './types.ts';
import { unzipAdapterFiles, zipAdapterFiles } from './zip.ts';

/** Writes `files` into the folder `path`, or as one zip archive when `path` ends in ".zip". */
export async function writeAdapterFiles(path: string, files: AdapterFiles): Promise<'folder' | 'zip'> {
  if (path.toLowerCase().endsWith('.zip')) {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, zipAdapterFiles(files));
    return 'zip';
  }
  for (const [name, bytes] of files) {
    const target = join(path, ...name.split('/'));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, bytes);
  }
  return 'folder';
}

/** Writes what `model.save_adapter(dir, name, with_head=True)` writes, plus README.md, into `dir` (created if needed). */
export async function writeAdapterHubFolder(dir: string, exp: AdapterExport): Promise<void> {
  await writeAdapterFiles(dir, adapterHubFiles(exp));
}

/** Folder levels from `root` down to `folder` (0 for the root itself). */
const depth = (root: string, folder: string) => (relative(root, folder) === '' ? 0 : relative(root, folder).split(sep).length);

/**
 * The files of an adapter: those directly in the folder holding adapter_config.json (the given folder, else its
 * shallowest sub-folder with one; other sub-folders such as checkpoints/ are not read), or every file of a zip.
 */
export async function readAdapterFiles(path: string): Promise<AdapterFiles> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch (err) {
    throw new AdapterImportError(`${path} does not exist; give an adapter folder or a zip of one.`, 'NotAnAdapter', [], { cause: err });
  }
  if (!isDir) return unzipAdapterFiles(new Uint8Array(await readFile(path)), path);
  const configs = (await readdir(path, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile() && entry.name === 'adapter_config.json')
    .map((entry) => entry.parentPath)
    .sort((a, b) => depth(path, a) - depth(path, b) || a.localeCompare(b));
  if (configs.length === 0) throw new AdapterImportError(`${path} holds no adapter_config.json, so it is not an adapter folder.`, 'NotAnAdapter');
  const folder = configs[0];
  const files: AdapterFiles = new Map();
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    if (entry.isFile()) files.set(entry.name, new Uint8Array(await readFile(join(folder, entry.name))));
  }
  return files;
}
