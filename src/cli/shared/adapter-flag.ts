/** `--adapter`: an adapter folder or zip on disk, or, where no such path exists, a Hub repo id (e.g. AdapterHub/roberta-base-pf-imdb). */
import { existsSync } from 'node:fs';
import type { HubEndpoint } from '../../hub/endpoint.ts';
import { importAdapterFromHub } from '../../core/export/hub-import.ts';
import { importAdapter } from '../../core/export/import.ts';
import { readAdapterFiles } from '../../core/export/node-files.ts';
import type { ImportedAdapter } from '../../core/export/types.ts';
import type { EncoderConfig } from '../../core/model/config.ts';

/** owner/name, as the Hub spells repo ids. */
const REPO_ID = /^[\w][\w.-]*\/[\w.-]+$/;

/** The adapter at `path`, checked against `encoder`. */
export async function readAdapterFlag(path: string, endpoint: HubEndpoint, encoder: EncoderConfig): Promise<ImportedAdapter> {
  if (!existsSync(path) && REPO_ID.test(path)) return importAdapterFromHub(endpoint, path, { encoder });
  return importAdapter(await readAdapterFiles(path), { encoder, source: path });
}
