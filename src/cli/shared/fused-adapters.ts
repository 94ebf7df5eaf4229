/** `--fuse A,B`: the adapters to fuse, each as `--adapter` takes one (a folder, a zip or a Hub repo id), loaded onto the encoder. */
import type { AdapterModel } from '../../core/adapters/adapter.ts';
import type { ImportedAdapter } from '../../core/export/types.ts';
import type { EncoderConfig } from '../../core/model/config.ts';
import { liveAdapter } from '../../core/train/imported-adapter.ts';
import type { HubEndpoint } from '../../hub/endpoint.ts';
import { UsageError } from '../cli-io.ts';
import { readAdapterFlag } from './adapter-flag.ts';

/** The paths of `--fuse`: two or more, comma-separated. */
export function fusePaths(value: string): string[] {
  const paths = value.split(',').map((p) => p.trim()).filter((p) => p.length > 0);
  if (paths.length < 2) throw new UsageError(`--fuse takes two or more adapter folders, zips or Hub repo ids separated by ",", got "${value}".`);
  return paths;
}

/** Each adapter read, checked against `encoder` and made live (the caller disposes them); all or none. */
export async function loadFusedAdapters(paths: string[], endpoint: HubEndpoint, encoder: EncoderConfig): Promise<{ imported: ImportedAdapter[]; live: AdapterModel[] }> {
  const imported: ImportedAdapter[] = [];
  for (const path of paths) {
    const adapter = await readAdapterFlag(path, endpoint, encoder);
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
