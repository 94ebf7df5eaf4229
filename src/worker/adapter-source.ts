/** An adapter read from what the page sends (files, a zip, a Hub repo) and checked against the loaded encoder. */
import { importAdapterFromHub } from '../core/export/hub-import.ts';
import { importAdapter } from '../core/export/import.ts';
import type { ImportedAdapter } from '../core/export/types.ts';
import { unzipAdapterFiles } from '../core/export/zip.ts';
import type { EncoderConfig } from '../core/model/config.ts';
import type { AdapterSource } from '../core/vocabulary/files.ts';

export function readAdapterSource(source: AdapterSource, encoder: EncoderConfig): Promise<ImportedAdapter> | ImportedAdapter {
  if (source.kind === 'hub') return importAdapterFromHub(source.endpoint, source.repoId, { encoder });
  return importAdapter(source.kind === 'zip' ? unzipAdapterFiles(new Uint8Array(source.bytes), source.name) : new Map(source.files.map((f) => [f.path, f.bytes])), {
    encoder,
    source: source.name,
    name: source.name.replace(/\.zip$/i, '').replace(/[^\w-]/g, '_') || undefined,
  });
}
