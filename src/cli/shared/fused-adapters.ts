/** `--fuse A,B`: the adapters to fuse, each a folder or zip (train --out, save_adapter's), loaded onto the encoder. */
import type { AdapterModel } from '../../core/adapters/adapter.ts';
import { importAdapter } from '../../core/export/import.ts';
import { readAdapterFiles } from '../../core/export/node-files.ts';
import type { ImportedAdapter } from '../../core/export/types.ts';
import type { EncoderConfig } from '../../core/model/config.ts';
import { liveAdapter } from '../../core/train/imported-adapter.ts';
import { UsageError } from '../cli-io.ts';

/** The paths of `--fuse`: two or more, comma-separated. */
export function fusePaths(value: string): string[] {
  const paths = value.split(',').map((p) => p.trim()).filter((p) => p.length > 0);
  if (paths.length < 2) throw new UsageError(`--fuse takes two or more adapter folders or zips separated by ",", got "${value}".`);
  return paths;
}

/** Each adapter read, checked against `encoder` and made live (the caller disposes them); all or none. */
export async function loadFusedAdapters(paths: string[], encoder: EncoderConfig): Promise<{ imported: ImportedAdapter[]; live: AdapterModel[] }> {
  const imported: ImportedAdapter[] = [];
  for (const path of paths) {
    const adapter = importAdapter(await readAdapterFiles(path), { encoder, source: path });
    const twin = imported.findIndex((a) => a.name === adapter.name);
    if (twin >= 0) throw new UsageError(`--fuse: ${paths[twin]} and ${path} both hold an adapter named "${adapter.name}"; the adapters library keys adapters by name, so fuse adapters of different names (train one with another --name).`);
    imported.push(adapter);
  }
  const live: AdapterModel[] = [];
  try {
    for (const adapter of imported) live.push(liveAdapter(encoder, adapter));
  } catch (err) {
    for (const adapter of live) adapter.dispose();
    throw err;
  }
  return { imported, live };
}
