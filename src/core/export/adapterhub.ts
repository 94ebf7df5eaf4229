/**
 * The folder `model.save_adapter(dir, name, with_head=True)` writes, plus a model card: adapter_config.json,
 * pytorch_adapter.bin (torch.save, what `load_adapter(dir)` reads by default), adapter.safetensors (read with
 * use_safetensors=True), and for the head named like the adapter head_config.json, pytorch_model_head.bin and
 * model_head.safetensors. JSON as `json.dump(obj, f, indent=2, sort_keys=True)` with floats kept floats
 * (loading.py WeightsLoaderHelper.save_weights_config / save_weights; configuration/model_adapters_config.py
 * build_full_config).
 */
import { type AdapterConfig, resolveAdapterConfig } from '../adapters/config.ts';
import { PYTHON_FLOAT_FIELDS, pythonJsonDumps } from '../adapters/python-json.ts';
import { AdapterExportError } from './errors.ts';
import { adapterHubModelCard } from './model-card.ts';
import { type ModelTypeInfo, modelTypeInfo } from './model-types.ts';
import { writeSafetensors } from './safetensors-writer.ts';
import { writeTorchBin } from './torch-bin-writer.ts';
import type { AdapterExport, AdapterFiles, ExportTensors, HeadExport } from './types.ts';

/** The "version" written: `"adapters." + __version__`; ≥ 1.1.0 keeps the library from rewriting a LoRA's alpha. */
export const ADAPTERS_VERSION = 'adapters.1.2.0';

/** File names of adapters/utils.py. */
export const ADAPTERHUB_FILE = {
  config: 'adapter_config.json',
  weights: 'pytorch_adapter.bin',
  safeWeights: 'adapter.safetensors',
  headConfig: 'head_config.json',
  headWeights: 'pytorch_model_head.bin',
  safeHeadWeights: 'model_head.safetensors',
  card: 'README.md',
} as const;

/** Head config fields Python holds as floats (ClassificationHead's dropout_prob), besides the adapter configs' ones. */
const HEAD_FLOAT_FIELDS: ReadonlySet<string> = new Set([...PYTHON_FLOAT_FIELDS, 'dropout_prob']);

/** The substrings by which AdapterLoader.filter_func picks an adapter's tensors (loading.py). */
export function adapterKeyMarkers(name: string): string[] {
  return [`_adapters.${name}.`, `.adapters.${name}.`, `.prefix_tunings.${name}.`, `.prefix_gates.${name}.`, `.loras.${name}.`, `.refts.${name}.`, `.prompt_tunings.${name}.`, `.shared_parameters.${name}.`];
}

export interface AdapterHubOptions {
  /** Where the model card's snippet loads the adapter from: a Hub repo id or a path (default "path/to/this/folder"). */
  location?: string;
}

/** The adapter config resolved as the library's from_dict → to_dict would (every field, unknown ones dropped). */
export function exportableAdapterConfig(exp: AdapterExport): AdapterConfig {
  try {
    return resolveAdapterConfig(exp.adapterConfig);
  } catch (err) {
    throw new AdapterExportError(`Adapter "${exp.name}" has a config the studio cannot export: ${(err as Error).message}`, { cause: err });
  }
}

/** Checks that Python would load every tensor: full key prefix, the library's name markers, the head's prefix. */
function checkKeys(exp: AdapterExport, info: ModelTypeInfo): void {
  if (!/^[\w-]+$/.test(exp.name)) {
    throw new AdapterExportError(`Adapter name "${exp.name}" cannot be written into torch state-dict keys; use letters, digits, "_" and "-".`);
  }
  if (exp.adapterTensors.size === 0) throw new AdapterExportError(`Adapter "${exp.name}" has no tensors to export.`);
  const markers = adapterKeyMarkers(exp.name);
  const ignored = [...exp.adapterTensors.keys()].filter((key) => !key.startsWith(`${info.basePrefix}.`) || !markers.some((m) => key.includes(m)));
  if (ignored.length) {
    throw new AdapterExportError(`Adapter "${exp.name}" has tensors Python's adapters library would not load into a ${info.adapterModelClass} (keys must start with "${info.basePrefix}." and name the adapter, e.g. ".adapters.${exp.name}."): ${ignored.slice(0, 5).join(', ')}${ignored.length > 5 ? ', ...' : ''}.`);
  }
  const headKeys = [...(exp.head?.tensors.keys() ?? [])];
  const strayHead = headKeys.filter((key) => !key.startsWith(`heads.${exp.name}.`));
  if (strayHead.length) throw new AdapterExportError(`Head tensors must be named "heads.${exp.name}.<i>.weight/bias" to load with adapter "${exp.name}"; got ${strayHead.join(', ')}.`);
  for (const [key, t] of [...exp.adapterTensors, ...(exp.head?.tensors ?? [])]) {
    if (t.data.length !== t.shape.reduce((a, b) => a * b, 1)) throw new AdapterExportError(`Tensor "${key}" has shape [${t.shape.join(', ')}] but ${t.data.length} values.`);
  }
}

/** The base model's metadata every config file carries, and the name of what the file configures. */
export type ConfigFileMeta = Pick<AdapterExport, 'name' | 'hiddenSize' | 'modelName' | 'modelType'>;

/**
 * The metadata build_full_config puts around a config (plus `extra` fields such as a fusion's adapter_names), sorted
 * and dumped like json.dump(indent=2, sort_keys=True).
 */
export function configFile(meta: ConfigFileMeta, info: ModelTypeInfo, config: unknown, floatFields?: ReadonlySet<string>, extra: Record<string, unknown> = {}): Uint8Array {
  const json = {
    ...extra,
    config,
    hidden_size: meta.hiddenSize,
    model_class: info.adapterModelClass,
    model_name: meta.modelName,
    model_type: meta.modelType,
    name: meta.name,
    version: ADAPTERS_VERSION,
  };
  return new TextEncoder().encode(pythonJsonDumps(json, floatFields));
}

/** Tensors as the torch .bin writer takes them. */
export const torchTensors = (tensors: ExportTensors) => [...tensors].map(([name, t]) => ({ name, dtype: 'float32' as const, shape: t.shape, data: t.data }));
/** Tensors as the safetensors writer takes them. */
export const safeTensors = (tensors: ExportTensors) => [...tensors].map(([name, t]) => ({ name, dtype: 'F32' as const, shape: t.shape, data: t.data }));

/** What save_head writes for a head (PredictionHeadLoader.save): head_config.json and its weights, under `prefix`. */
export function headFiles(meta: ConfigFileMeta, info: ModelTypeInfo, head: HeadExport, prefix = ''): AdapterFiles {
  return new Map([
    [`${prefix}${ADAPTERHUB_FILE.headConfig}`, configFile(meta, info, head.config, HEAD_FLOAT_FIELDS, head.thresholds ? { thresholds: head.thresholds } : {})],
    [`${prefix}${ADAPTERHUB_FILE.headWeights}`, writeTorchBin(torchTensors(head.tensors))],
    [`${prefix}${ADAPTERHUB_FILE.safeHeadWeights}`, writeSafetensors(safeTensors(head.tensors), null)],
  ]);
}

/** The files of the AdapterHub folder, by name. */
export function adapterHubFiles(exp: AdapterExport, options: AdapterHubOptions = {}): AdapterFiles {
  const info = modelTypeInfo(exp.modelType);
  const config = exportableAdapterConfig(exp);
  checkKeys(exp, info);
  const files: AdapterFiles = new Map();
  files.set(ADAPTERHUB_FILE.config, configFile(exp, info, config));
  files.set(ADAPTERHUB_FILE.weights, writeTorchBin(torchTensors(exp.adapterTensors)));
  files.set(ADAPTERHUB_FILE.safeWeights, writeSafetensors(safeTensors(exp.adapterTensors), null));
  if (exp.head) for (const [name, bytes] of headFiles(exp, info, exp.head)) files.set(name, bytes);
  files.set(ADAPTERHUB_FILE.card, new TextEncoder().encode(adapterHubModelCard(exp, config, options.location ?? 'path/to/this/folder')));
  return files;
}
