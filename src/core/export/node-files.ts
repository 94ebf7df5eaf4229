/** Exports on disk (Node: the CLI and the trainer): write a folder or a .zip, read a folder or a .zip back. */
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { adapterHubFiles } from './adapterhub.ts';
import { AdapterImportError } from './errors.ts';
import { FUSION_FILE, holdsFusion } from './fusion-files.ts';
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

/** The files directly in `folder`, under `prefix`. */
async function filesIn(folder: string, prefix: string, into: AdapterFiles): Promise<void> {
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    if (entry.isFile()) into.set(`${prefix}${entry.name}`, new Uint8Array(await readFile(join(folder, entry.name))));
  }
}

/**
 * The files of an AdapterFusion export (`train --fuse`'s --out, the folders save_adapter_fusion and save_adapter
 * write side by side), or undefined when `path` holds none. `path` is that folder, the fusion's own folder (its
 * siblings are then read), or a zip. Only the top files and one level of folders are read (not checkpoints/).
 */
export async function readFusionFiles(path: string): Promise<AdapterFiles | undefined> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    throw new AdapterImportError(`${path} does not exist; give an adapter folder or a zip of one.`, 'NotAnAdapter', [], { cause: err });
  }
  if (!info.isDirectory()) {
    const files = unzipAdapterFiles(new Uint8Array(await readFile(path)), path);
    return holdsFusion(files) ? files : undefined;
  }
  const has = async (folder: string) => stat(join(folder, FUSION_FILE.config)).then(() => true, () => false);
  const subfolders = async (folder: string) => (await readdir(folder, { withFileTypes: true })).filter((e) => e.isDirectory() && e.name !== 'checkpoints').map((e) => e.name);
  const exists = (file: string) => stat(file).then(() => true, () => false);
  const files: AdapterFiles = new Map();
  if (await has(path)) {
    // The fusion's own folder: its siblings named in adapter_fusion_config.json, and a head's folder beside it.
    const root = dirname(resolve(path));
    let names: unknown;
    try {
      names = JSON.parse(await readFile(join(path, FUSION_FILE.config), 'utf8')).adapter_names;
    } catch (err) {
      throw new AdapterImportError(`${join(path, FUSION_FILE.config)} is not valid JSON (${(err as Error).message}).`, 'CorruptFile', [], { cause: err });
    }
    const wanted = new Set(Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string') : []);
    for (const name of await subfolders(root)) {
      const folder = join(root, name);
      const isHead = (await exists(join(folder, 'head_config.json'))) && !(await exists(join(folder, 'adapter_config.json')));
      if (folder === resolve(path) || wanted.has(name) || isHead) await filesIn(folder, `${name}/`, files);
    }
    if (await exists(join(root, 'README.md'))) files.set('README.md', new Uint8Array(await readFile(join(root, 'README.md'))));
    return files;
  }
  const names = await subfolders(path);
  if (!(await Promise.all(names.map((name) => has(join(path, name))))).some(Boolean)) return undefined;
  await filesIn(path, '', files);
  for (const name of names) await filesIn(join(path, name), `${name}/`, files);
  return files;
}
