/**
 * An AdapterFusion on disk, as the `adapters` library writes it (model_mixin.py save_all_adapters,
 * save_all_adapter_fusions, save_all_heads: one folder each, beside one another):
 *   <A>/, <B>/        save_adapter's folder of each fused adapter (adapterhub.ts)
 *   <A,B>/            save_adapter_fusion: adapter_fusion_config.json (build_full_config with name and
 *                     adapter_names), pytorch_model_adapter_fusion.bin, model_adapter_fusion.safetensors
 *                     (loading.py AdapterFusionLoader.save; utils.py ADAPTERFUSION_*_NAME)
 *   <head>/           save_head: head_config.json and its weights
 *   README.md         the hand-off: load_adapter, load_adapter_fusion, load_head, set_active_adapters(Fuse(...))
 * and read back from such files (a folder tree's or a zip's), checked against the base model.
 */
import type { AdapterConfig } from '../adapters/config.ts';
import { type FusionConfig, planFusion, resolveFusionConfig } from '../adapters/methods/fusion.ts';
import { planHead } from '../adapters/head.ts';
import type { EncoderConfig } from '../model/config.ts';
import { ADAPTERHUB_FILE, adapterHubFiles, configFile, headFiles, safeTensors, torchTensors } from './adapterhub.ts';
import { AdapterExportError, AdapterImportError } from './errors.ts';
import { checkHeadAgainstWeights, checkTensors, headOptionsFromConfig, importAdapter, inPlanOrder, parseJson, readWeights, toExport } from './import.ts';
import { fusionModelCard, readTrainingRecord } from './model-card.ts';
import { modelTypeInfo } from './model-types.ts';
import { writeSafetensors } from './safetensors-writer.ts';
import { writeTorchBin } from './torch-bin-writer.ts';
import type { AdapterFiles, FusionExport, ImportedAdapter, ImportedFusion, NamedHeadExport } from './types.ts';

/** utils.py ADAPTERFUSION_CONFIG_NAME, ADAPTERFUSION_WEIGHTS_NAME, SAFE_ADAPTERFUSION_WEIGHTS_NAME. */
export const FUSION_FILE = {
  config: 'adapter_fusion_config.json',
  weights: 'pytorch_model_adapter_fusion.bin',
  safeWeights: 'model_adapter_fusion.safetensors',
} as const;

/** AdapterFusionLoader.filter_func: the substring that picks a fusion's tensors. */
const fusionMarker = (name: string) => `adapter_fusion_layer.${name}.`;

/** A fused adapter's save_adapter folder, as a fusion export holds it. */
const adapterFolderFiles = (exp: FusionExport, index: number): AdapterFiles => adapterHubFiles(exp.adapters[index], { location: `path/to/this/folder/${exp.adapterNames[index]}` });

function checkFusion(exp: FusionExport): void {
  const names = exp.adapters.map((a) => a.name);
  if (names.join(',') !== exp.adapterNames.join(',') || exp.name !== exp.adapterNames.join(',')) {
    throw new AdapterExportError(`AdapterFusion "${exp.name}" must fuse the adapters it names in its order (${exp.adapterNames.join(', ')}); it holds ${names.join(', ')}.`);
  }
  if (exp.head && exp.adapterNames.includes(exp.head.name)) throw new AdapterExportError(`The fusion's head "${exp.head.name}" has a fused adapter's name; its folder would overwrite that adapter's.`);
  const info = modelTypeInfo(exp.modelType);
  const stray = [...exp.fusionTensors.keys()].filter((k) => !k.startsWith(`${info.basePrefix}.`) || !k.includes(fusionMarker(exp.name)));
  if (stray.length || exp.fusionTensors.size === 0) {
    throw new AdapterExportError(`AdapterFusion "${exp.name}" has ${stray.length ? `tensors the library would not load (${stray.slice(0, 3).join(', ')})` : 'no tensors'}; keys must start with "${info.basePrefix}." and hold ".${fusionMarker(exp.name)}".`);
  }
  const strayHead = [...(exp.head?.tensors.keys() ?? [])].filter((k) => !k.startsWith(`heads.${exp.head!.name}.`));
  if (strayHead.length) throw new AdapterExportError(`Head tensors must be named "heads.${exp.head!.name}.<i>.weight/bias"; got ${strayHead.join(', ')}.`);
}

/** Every file of the fusion export, by '/'-separated path. */
export function fusionFiles(exp: FusionExport): AdapterFiles {
  checkFusion(exp);
  const info = modelTypeInfo(exp.modelType);
  const files: AdapterFiles = new Map();
  exp.adapterNames.forEach((name, i) => {
    for (const [path, bytes] of adapterFolderFiles(exp, i)) files.set(`${name}/${path}`, bytes);
  });
  files.set(`${exp.name}/${FUSION_FILE.config}`, configFile(exp, info, exp.fusionConfig, new Set(['dropout_prob']), { adapter_names: exp.adapterNames }));
  files.set(`${exp.name}/${FUSION_FILE.weights}`, writeTorchBin(torchTensors(exp.fusionTensors)));
  files.set(`${exp.name}/${FUSION_FILE.safeWeights}`, writeSafetensors(safeTensors(exp.fusionTensors), null));
  if (exp.head) for (const [path, bytes] of headFiles({ ...exp, name: exp.head.name }, info, exp.head, `${exp.head.name}/`)) files.set(path, bytes);
  files.set(ADAPTERHUB_FILE.card, new TextEncoder().encode(fusionModelCard(exp, 'path/to/this/folder')));
  return files;
}

/** Whether the files hold an AdapterFusion (an adapter_fusion_config.json anywhere). */
export function holdsFusion(files: AdapterFiles): boolean {
  return [...files.keys()].some((p) => p === FUSION_FILE.config || p.endsWith(`/${FUSION_FILE.config}`));
}

/** The files under `folder` ('' or ending in '/'), with paths relative to it; sub-folders left out. */
function folderFiles(files: AdapterFiles, folder: string): AdapterFiles {
  return new Map([...files].filter(([p]) => p.startsWith(folder) && !p.slice(folder.length).includes('/')).map(([p, bytes]) => [p.slice(folder.length), bytes]));
}

export interface FusionImportOptions {
  /** The base model: checks that every adapter, the fusion and the head fit it. */
  encoder?: EncoderConfig;
  /** The folder or zip, for messages. */
  source?: string;
}

/**
 * Reads a fusion from its files: the shallowest adapter_fusion_config.json names the fusion and its adapters, whose
 * save_adapter folders are its siblings, as is the head's (a folder with head_config.json and no adapter_config.json).
 */
export function importFusion(files: AdapterFiles, options: FusionImportOptions = {}): ImportedFusion {
  const source = options.source ?? 'the fusion';
  const configs = [...files.keys()].filter((p) => p === FUSION_FILE.config || p.endsWith(`/${FUSION_FILE.config}`)).sort((a, b) => a.split('/').length - b.split('/').length);
  if (!configs.length) throw new AdapterImportError(`${source} holds no ${FUSION_FILE.config}, so it is not an AdapterFusion (expected the folders save_adapter_fusion and save_adapter write).`, 'NotAnAdapter');
  const fusionDir = configs[0].slice(0, -FUSION_FILE.config.length);
  const root = fusionDir.replace(/[^/]+\/$/, '');
  const here = folderFiles(files, fusionDir);
  const meta = parseJson(here, FUSION_FILE.config, source);
  const name = meta.name;
  if (typeof name !== 'string' || !name) throw new AdapterImportError(`${FUSION_FILE.config} in ${source} has no "name".`, 'NotAnAdapter');
  const adapterNames = Array.isArray(meta.adapter_names) ? meta.adapter_names : name.split(',');
  if (!adapterNames.every((n): n is string => typeof n === 'string' && /^[\w-]+$/.test(n)) || adapterNames.length < 2) {
    throw new AdapterImportError(`${FUSION_FILE.config} in ${source} names no usable adapters to fuse (adapter_names ${JSON.stringify(meta.adapter_names)}).`, 'NotAnAdapter');
  }
  let fusionConfig: FusionConfig;
  try {
    fusionConfig = resolveFusionConfig((meta.config ?? {}) as Record<string, unknown>);
  } catch (err) {
    throw new AdapterImportError(`The fusion in ${source} has a config the studio cannot run: ${(err as Error).message}`, 'UnknownMethod', [], { cause: err });
  }
  const notes: string[] = [];
  const adapters: ImportedAdapter[] = adapterNames.map((adapterName) => {
    const folder = folderFiles(files, `${root}${adapterName}/`);
    if (!folder.has('adapter_config.json')) {
      throw new AdapterImportError(`${source} has no folder "${adapterName}/" with the fused adapter "${adapterName}" beside the fusion's folder "${fusionDir.slice(0, -1)}"; save each fused adapter there (save_adapter).`, 'MissingTensors');
    }
    const adapter = importAdapter(folder, { source: `${source}/${adapterName}`, ...(options.encoder ? { encoder: options.encoder } : {}) });
    if (adapter.name !== adapterName) throw new AdapterImportError(`The folder "${adapterName}/" in ${source} holds adapter "${adapter.name}", not "${adapterName}".`, 'NotAnAdapter');
    return adapter;
  });
  const stored = readWeights(here, FUSION_FILE.safeWeights, FUSION_FILE.weights, `${source}/${fusionDir}`);
  if (!stored) throw new AdapterImportError(`${source} has ${FUSION_FILE.config} but neither ${FUSION_FILE.safeWeights} nor ${FUSION_FILE.weights}.`, 'MissingTensors');
  let fusionTensors = toExport(stored, (key) => key);
  const foreign = [...fusionTensors.keys()].filter((k) => !k.includes(fusionMarker(name)));
  if (foreign.length) throw new AdapterImportError(`The fusion weights in ${source} hold tensors that are not fusion "${name}"'s: ${foreign.slice(0, 5).join(', ')}.`, 'UnexpectedTensors', foreign);

  let head: NamedHeadExport | undefined;
  const headDirs = [...new Set([...files.keys()].filter((p) => p.startsWith(root) && p.slice(root.length).split('/').length === 2 && p.endsWith(`/${ADAPTERHUB_FILE.headConfig}`)).map((p) => p.slice(0, -ADAPTERHUB_FILE.headConfig.length)))]
    .filter((dir) => !files.has(`${dir}adapter_config.json`));
  if (headDirs.length > 1) notes.push(`Several heads (${headDirs.join(', ')}); read ${headDirs[0]}.`);
  if (headDirs.length) {
    const headFolder = folderFiles(files, headDirs[0]);
    const headMeta = parseJson(headFolder, ADAPTERHUB_FILE.headConfig, source);
    const headStored = readWeights(headFolder, ADAPTERHUB_FILE.safeHeadWeights, ADAPTERHUB_FILE.headWeights, `${source}/${headDirs[0]}`);
    const headName = headMeta.name;
    const headConfig = headMeta.config as Record<string, unknown> | null;
    if (typeof headName !== 'string' || !/^[\w-]+$/.test(headName) || !headConfig || typeof headConfig !== 'object' || !headStored) {
      notes.push(`The head in ${headDirs[0]} is incomplete (name, config or weights missing) and was left out.`);
    } else {
      checkHeadAgainstWeights(headConfig, headStored, headName, source);
      head = { name: headName, config: headConfig, tensors: toExport(headStored, (key) => key) };
    }
  }
  const first = adapters[0];
  if (options.encoder) {
    let plan;
    let headPlan;
    try {
      plan = planFusion(options.encoder, adapters.map((a) => ({ name: a.name, ...bottleneckLocations(a.adapterConfig as unknown as AdapterConfig) })), fusionConfig);
      headPlan = head ? planHead(options.encoder, head.name, headOptionsFromConfig(head.config)) : undefined;
    } catch (err) {
      throw new AdapterImportError(`The fusion in ${source} cannot be built on "${options.encoder.repoId}": ${(err as Error).message}`, 'UnknownMethod', [], { cause: err });
    }
    checkTensors(`AdapterFusion "${name}"`, fusionTensors, plan.params, source);
    fusionTensors = inPlanOrder(fusionTensors, plan.params.map((spec) => spec.key));
    if (head && headPlan) {
      checkTensors(`Head "${head.name}"`, head.tensors, headPlan.params, source);
      head = { ...head, tensors: inPlanOrder(head.tensors, headPlan.params.map((spec) => spec.key)) };
    }
  }
  const card = files.get(`${root}${ADAPTERHUB_FILE.card}`);
  const training = card ? readTrainingRecord(new TextDecoder().decode(card)) : undefined;
  return {
    name,
    adapterNames,
    modelName: typeof meta.model_name === 'string' ? meta.model_name : first.modelName,
    modelType: typeof meta.model_type === 'string' ? meta.model_type : first.modelType,
    hiddenSize: typeof meta.hidden_size === 'number' ? meta.hidden_size : first.hiddenSize,
    fusionConfig: fusionConfig as unknown as Record<string, unknown>,
    fusionTensors,
    adapters,
    ...(head ? { head } : {}),
    ...(training ? { training } : {}),
    notes,
  };
}

/** Whether an adapter config puts bottlenecks after attention and after the feed-forward block (a union's bottleneck member). */
function bottleneckLocations(config: AdapterConfig): { mh_adapter: boolean; output_adapter: boolean } {
  const members = 'architecture' in config && config.architecture === 'union' ? config.configs : [config];
  const bn = members.find((m) => !('architecture' in m)) as { mh_adapter?: boolean; output_adapter?: boolean } | undefined;
  return { mh_adapter: bn?.mh_adapter ?? false, output_adapter: bn?.output_adapter ?? false };
}
