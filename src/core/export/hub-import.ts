/** Imports an adapter from a Hub model repo (the `adapters` library's, PEFT's, or one pushed from the studio). */
import type { HubEndpoint } from '../../hub/endpoint.ts';
import { type DownloadProgress, fetchBytes, fileUrl, modelInfo } from '../../hub/client.ts';
import type { EncoderConfig } from '../model/config.ts';
import { fetchEncoderConfig } from '../model/hub-files.ts';
import { ADAPTERHUB_FILE } from './adapterhub.ts';
import { AdapterImportError } from './errors.ts';
import { importAdapter } from './import.ts';
import { PEFT_FILE } from './peft.ts';
import type { AdapterFiles, ImportedAdapter } from './types.ts';

export interface HubImportOptions {
  /** Branch, tag or commit (default main). */
  revision?: string;
  /** The base model to check against; for PEFT repos it is otherwise fetched from base_model_name_or_path. */
  encoder?: EncoderConfig;
  /** Name for PEFT adapters (default: the repo's name with other characters as "_"). */
  name?: string;
  signal?: AbortSignal;
  /** Bytes of each file as they arrive. */
  onProgress?: (file: string, progress: DownloadProgress) => void;
}

/** Weight files in order of preference (safetensors first: nothing to unpickle); only the first present is fetched. */
const WEIGHT_CHOICES: string[][] = [
  [ADAPTERHUB_FILE.safeWeights, ADAPTERHUB_FILE.weights],
  [ADAPTERHUB_FILE.safeHeadWeights, ADAPTERHUB_FILE.headWeights],
  [PEFT_FILE.weights, PEFT_FILE.binWeights],
];
const SMALL_FILES = ['adapter_config.json', ADAPTERHUB_FILE.headConfig, ADAPTERHUB_FILE.card];

function hubFailure(err: unknown, what: string): AdapterImportError {
  return new AdapterImportError(`Could not ${what}: ${(err as Error).message}`, 'Hub', [], { cause: err });
}

export async function importAdapterFromHub(ep: HubEndpoint, repoId: string, options: HubImportOptions = {}): Promise<ImportedAdapter> {
  const source = `"${repoId}" on ${ep.hubUrl}`;
  let siblings: string[];
  try {
    siblings = ((await modelInfo(ep, repoId, { signal: options.signal })).siblings ?? []).map((s) => s.rfilename);
  } catch (err) {
    throw hubFailure(err, `list the files of ${source}`);
  }
  const configs = siblings.filter((p) => p === 'adapter_config.json' || p.endsWith('/adapter_config.json'));
  const folder = configs.includes('adapter_config.json') ? '' : configs.length === 1 ? configs[0].slice(0, -'adapter_config.json'.length) : undefined;
  if (folder === undefined) {
    throw new AdapterImportError(configs.length
      ? `${source} holds several adapters (${configs.join(', ')}); the studio imports repos with one.`
      : `${source} holds no adapter_config.json, so it is not an adapter repository.`, 'NotAnAdapter');
  }
  const present = new Set(siblings);
  const wanted = [...SMALL_FILES, ...WEIGHT_CHOICES.map((choice) => choice.find((f) => present.has(folder + f))).filter((f): f is string => Boolean(f))]
    .filter((f) => present.has(folder + f));
  const files: AdapterFiles = new Map();
  for (const file of wanted) {
    try {
      const url = fileUrl(ep, { type: 'model', id: repoId }, folder + file, options.revision);
      files.set(file, await fetchBytes(ep, url, (p) => options.onProgress?.(file, p), { signal: options.signal }));
    } catch (err) {
      throw hubFailure(err, `download ${folder + file} of ${source}`);
    }
  }

  let encoder = options.encoder;
  if (!encoder) {
    let config: Record<string, unknown> = {};
    try {
      config = JSON.parse(new TextDecoder().decode(files.get('adapter_config.json')));
    } catch {
      // importAdapter reports the broken file.
    }
    if (typeof config.peft_type === 'string') {
      const base = config.base_model_name_or_path;
      if (typeof base !== 'string') throw new AdapterImportError(`PEFT adapter ${source} names no base_model_name_or_path; load its base model first.`, 'NeedsBaseModel');
      try {
        encoder = await fetchEncoderConfig(ep, base, { signal: options.signal });
      } catch (err) {
        throw new AdapterImportError(`PEFT adapter ${source} is for "${base}", whose config could not be read: ${(err as Error).message}`, 'NeedsBaseModel', [], { cause: err });
      }
    }
  }
  const name = options.name ?? repoId.split('/').pop()!.replace(/[^\w-]/g, '_');
  return importAdapter(files, { encoder, name, source });
}
