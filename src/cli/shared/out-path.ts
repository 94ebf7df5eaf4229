/** `--out`: checked before anything is loaded or trained, so a bad path fails in a second, not after the run. */
import { mkdir, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../cli-io.ts';

/** `stat`, or undefined where nothing is (or a file stands where a folder would be). */
async function statOrNothing(path: string) {
  try {
    return await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new UsageError(`--out ${path} cannot be checked: ${(err as Error).message}.`);
  }
}

/**
 * Makes sure `path` is, or can become, a folder this process writes in: an existing file there, or above it, is
 * refused, and the missing folders are created one level at a time (Node's recursive mkdir spins forever below
 * /proc), a probe file is written, and everything the check made is removed again.
 */
export async function checkOutputFolder(path: string, flag = '--out'): Promise<void> {
  const target = resolve(path);
  const missing: string[] = [];
  let existing = target;
  let found = await statOrNothing(existing);
  while (!found && dirname(existing) !== existing) {
    missing.unshift(existing);
    existing = dirname(existing);
    found = await statOrNothing(existing);
  }
  if (found && !found.isDirectory()) {
    throw new UsageError(existing === target
      ? `${flag} ${path} is an existing file; give a folder (it is created when missing).`
      : `${flag} ${path} lies below ${existing}, which is a file, not a folder.`);
  }
  const created: string[] = [];
  try {
    for (const dir of missing) {
      await mkdir(dir);
      created.push(dir);
    }
    const probe = join(target, `.adapter-studio-write-check-${process.pid}`);
    await writeFile(probe, '');
    await unlink(probe);
  } catch (err) {
    throw new UsageError(`${flag} ${path} is not a folder this process can write in (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); give a writable folder.`);
  } finally {
    for (const dir of created.reverse()) await rmdir(dir).catch(() => undefined);
  }
}

/** A folder, or for a path ending in `.zip` a zip file (an existing one is replaced) in a writable folder. */
export async function checkOutputPath(path: string, flag = '--out'): Promise<void> {
  if (!path.toLowerCase().endsWith('.zip')) return checkOutputFolder(path, flag);
  const target = resolve(path);
  if ((await statOrNothing(target))?.isDirectory()) throw new UsageError(`${flag} ${path} is a folder; a path ending in .zip names the zip file to write.`);
  return checkOutputFolder(dirname(target), flag);
}
