/**
 * Reads an adapter folder (from a folder, a zip or a Hub repo, as a map of files) written by this studio, by the
 * `adapters` library's save_adapter (safetensors or pytorch .bin, read with the restricted unpickler) or by PEFT,
 * into an ImportedAdapter. Given the base model's config it also checks that the adapter fits: same model, hidden
 * size, a method the studio runs, and exactly the tensors (names and shapes) the config needs.
 */
import { type AdapterConfig, resolveAdapterConfig } from '../adapters/config.ts';
import { AdapterSizeError } from '../adapters/errors.ts';
import { MAX_LABELS } from '../adapters/size-limits.ts';
import { type HeadOptions, planHead } from '../adapters/head.ts';
import { type ParamSpec, elementCount } from '../adapters/parameters.ts';
import { planAdapter } from '../adapters/plan.ts';
import type { EncoderConfig } from '../model/config.ts';
import { readSafetensors } from '../model/safetensors.ts';
import type { StoredTensors } from '../model/stored-tensor.ts';
import { readTorchBin } from '../model/torch-bin-reader.ts';
import { ADAPTERHUB_FILE, adapterKeyMarkers } from './adapterhub.ts';
import { AdapterImportError } from './errors.ts';
import { readTrainingRecord } from './model-card.ts';
import { EXPORTABLE_MODEL_TYPES, modelTypeInfo } from './model-types.ts';
import { readPeftAdapter } from './peft.ts';
import type { AdapterFiles, ExportTensor, ExportTensors, HeadExport, ImportedAdapter } from './types.ts';
import { adapterFolderOf } from './zip.ts';
import { thresholdRecord, thresholdsFromRecord } from '../tasks/multi-label/thresholds.ts';

export interface ImportOptions {
  /** The base model the adapter should fit; checks it, and is required for PEFT files (they do not record the model's layout). */
  encoder?: EncoderConfig;
  /** Name for adapters whose files carry none (PEFT); default "default", PEFT's own. */
  name?: string;
  /** The folder, zip or repo, for messages. */
  source?: string;
}

/** Old module names the library renames on load (AdapterLoader.legacy_weights_mapping). */
const LEGACY_WEIGHT_NAMES: [string, string][] = [
  ['attention_text_task_adapters', 'adapters'], ['attention_text_lang_adapters', 'adapters'],
  ['layer_text_task_adapters', 'adapters'], ['layer_text_lang_adapters', 'adapters'], ['invertible_lang_adapters', 'invertible_adapters'],
];

/** Activation renames for configs written before "version" existed (utils.ACTIVATION_RENAME). */
const LEGACY_ACTIVATIONS: Record<string, string> = { gelu: 'gelu_new', gelu_orig: 'gelu' };

export function parseJson(files: AdapterFiles, file: string, source: string): Record<string, unknown> {
  const bytes = files.get(file)!;
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw new AdapterImportError(`${file} in ${source} is not valid JSON (${(err as Error).message}).`, 'CorruptFile', [], { cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new AdapterImportError(`${file} in ${source} is not a JSON object.`, 'CorruptFile');
  return value as Record<string, unknown>;
}

/** The tensors of the first weights file present (safetensors preferred: no pickle to walk). */
export function readWeights(files: AdapterFiles, safeName: string, binName: string, source: string): StoredTensors | undefined {
  const safe = files.get(safeName);
  const bin = files.get(binName);
  try {
    if (safe) return readSafetensors(safe, `${source}/${safeName}`);
    if (bin) return readTorchBin(bin, `${source}/${binName}`);
  } catch (err) {
    throw new AdapterImportError((err as Error).message, 'CorruptFile', [], { cause: err });
  }
  return undefined;
}

export function toExport(stored: StoredTensors, rename: (key: string) => string): ExportTensors {
  const out: ExportTensors = new Map();
  for (const [key, t] of stored) out.set(rename(key), { shape: t.shape, data: t.toFloat32() });
  return out;
}

/** "bert-base-uncased" and "google-bert/bert-base-uncased" are the same model. */
function sameModel(a: string, b: string): boolean {
  const name = (id: string) => id.split('/').pop()!.toLowerCase();
  return name(a) === name(b);
}

/** `version` "adapters.X.Y.Z" → [X, Y, Z]; undefined for others (adapter-transformers' bare versions). */
function adaptersVersion(version: unknown): number[] | undefined {
  const match = typeof version === 'string' ? /^adapters\.(\d+)\.(\d+)\.(\d+)/.exec(version) : null;
  return match ? match.slice(1).map(Number) : undefined;
}

/** The library's load-time fixes of old configs (loading.py load_weights_config and _fix_backward_compat). */
function fixLegacyConfig(meta: Record<string, unknown>, notes: string[]): Record<string, unknown> {
  const config = { ...(meta.config as Record<string, unknown>) };
  if (!('version' in meta) && typeof config.non_linearity === 'string' && config.non_linearity in LEGACY_ACTIVATIONS) {
    notes.push(`The config has no "version" (written by adapter-transformers): non_linearity "${config.non_linearity}" read as "${LEGACY_ACTIVATIONS[config.non_linearity]}", as the library does.`);
    config.non_linearity = LEGACY_ACTIVATIONS[config.non_linearity];
  }
  const version = adaptersVersion(meta.version);
  if (version && (version[0] < 1 || (version[0] === 1 && version[1] < 1)) && config.architecture === 'lora' && config.r !== config.alpha) {
    notes.push(`Written by ${String(meta.version)} with a faulty LoRA scaling: alpha set to r = ${String(config.r)}, as the library does (PR #770).`);
    config.alpha = config.r;
  }
  return config;
}

function resolveConfig(config: Record<string, unknown>, source: string): AdapterConfig {
  try {
    return resolveAdapterConfig(config);
  } catch (err) {
    throw new AdapterImportError(`The adapter in ${source} uses a config the studio cannot run: ${(err as Error).message}`, 'UnknownMethod', [], { cause: err });
  }
}

/** save_adapter's folder (this studio's exports included). */
function readAdaptersFolder(files: AdapterFiles, meta: Record<string, unknown>, options: ImportOptions, source: string): ImportedAdapter {
  const notes: string[] = [];
  const name = meta.name;
  if (typeof name !== 'string' || !/^[\w-]+$/.test(name)) throw new AdapterImportError(`adapter_config.json in ${source} has no usable "name" (got ${JSON.stringify(name)}).`, 'NotAnAdapter');
  const modelType = typeof meta.model_type === 'string' ? meta.model_type : options.encoder?.modelType;
  if (!modelType) throw new AdapterImportError(`adapter_config.json in ${source} has no "model_type"; give the base model so the keys can be read.`, 'NeedsBaseModel');
  if (!EXPORTABLE_MODEL_TYPES.includes(modelType)) {
    throw new AdapterImportError(`The adapter in ${source} is for a "${modelType}" model; the studio runs ${EXPORTABLE_MODEL_TYPES.join(', ')} encoders.`, 'OtherBaseModel');
  }
  const prefix = `${modelTypeInfo(modelType).basePrefix}.`;
  const config = resolveConfig(fixLegacyConfig(meta, notes), source);

  const stored = readWeights(files, ADAPTERHUB_FILE.safeWeights, ADAPTERHUB_FILE.weights, source);
  if (!stored) throw new AdapterImportError(`${source} has adapter_config.json but neither ${ADAPTERHUB_FILE.safeWeights} nor ${ADAPTERHUB_FILE.weights}.`, 'MissingTensors');
  let renamed = false;
  const adapterTensors = toExport(stored, (key) => {
    let k = key;
    for (const [old, now] of LEGACY_WEIGHT_NAMES) k = k.replace(old, now);
    // Saved from a model without the prefix (e.g. a bare BertModel after adapters.init): the library loads it into the base model.
    if (!k.startsWith(prefix)) k = `${prefix}${k}`;
    if (k !== key) renamed = true;
    return k;
  });
  if (renamed) notes.push(`Tensor names were brought to the library's current form ("${prefix}..." prefix, legacy module names).`);
  const markers = adapterKeyMarkers(name);
  const foreign = [...adapterTensors.keys()].filter((k) => !markers.some((m) => k.includes(m)));
  if (foreign.length) {
    throw new AdapterImportError(`The weights in ${source} hold tensors that are not adapter "${name}"'s (the library would ignore them): ${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', ...' : ''}.`, 'UnexpectedTensors', foreign);
  }

  let head: HeadExport | undefined;
  const headStored = readWeights(files, ADAPTERHUB_FILE.safeHeadWeights, ADAPTERHUB_FILE.headWeights, source);
  if (headStored && files.has(ADAPTERHUB_FILE.headConfig)) {
    const headMeta = parseJson(files, ADAPTERHUB_FILE.headConfig, source);
    const headConfig = headMeta.config as Record<string, unknown> | null;
    if (!headConfig || typeof headConfig !== 'object') throw new AdapterImportError(`head_config.json in ${source} has no head "config" (a static-head model's head), which the studio cannot rebuild.`, 'UnknownMethod');
    const headName = typeof headMeta.name === 'string' ? headMeta.name : name;
    checkHeadAgainstWeights(headConfig, headStored, headName, source);
    if (headName !== name) notes.push(`The head "${headName}" is renamed "${name}", like the adapter, so that activating the adapter activates it.`);
    const expectedClass = modelTypeInfo(modelType).adapterModelClass;
    if (headMeta.model_class !== expectedClass) notes.push(`The head was saved from ${String(headMeta.model_class)}; the library converts it for ${expectedClass}.`);
    head = { config: headConfig, tensors: toExport(headStored, (key) => key.replace(`heads.${headName}.`, `heads.${name}.`)), ...importedThresholds(headMeta.thresholds, headConfig, source) };
  } else if (headStored || files.has(ADAPTERHUB_FILE.headConfig)) {
    notes.push('The head is incomplete (head_config.json or its weights missing) and was left out.');
  }

  const card = files.get(ADAPTERHUB_FILE.card);
  const training = card ? readTrainingRecord(new TextDecoder().decode(card)) : undefined;
  return {
    name,
    modelName: typeof meta.model_name === 'string' ? meta.model_name : options.encoder?.repoId ?? '',
    modelType,
    hiddenSize: typeof meta.hidden_size === 'number' ? meta.hidden_size : options.encoder?.hiddenSize ?? 0,
    adapterConfig: config as unknown as Record<string, unknown>,
    adapterTensors,
    head,
    ...(training ? { training } : {}),
    sourceFormat: training ? 'studio' : 'adapters',
    notes,
  };
}

/**
 * The head config's sizes against its weight file, before anything is built from them: `num_labels` within
 * MAX_LABELS and equal to the rows of the last Linear layer (`heads.{name}.{i}.weight`), `layers` a whole number
 * (planHead bounds it by the model), and a label2id of at most `num_labels` ids, all in range.
 */
export function checkHeadAgainstWeights(config: Record<string, unknown>, stored: StoredTensors, headName: string, source: string): void {
  const fail = (message: string): never => { throw new AdapterImportError(`head_config.json in ${source} ${message} The head config and its weights do not belong together.`, 'WrongShape'); };
  const { layers, label2id } = config;
  // A multiple-choice head's last Linear scores a pair with one output; num_choices only views the scores.
  const multipleChoice = config.head_type === 'multiple_choice';
  if (multipleChoice && (!Number.isSafeInteger(config.num_choices) || (config.num_choices as number) < 2)) fail(`has num_choices = ${JSON.stringify(config.num_choices)}, not a whole number of at least 2.`);
  const numLabels = multipleChoice ? 1 : config.num_labels;
  if (!Number.isSafeInteger(numLabels) || (numLabels as number) < 1) fail(`has num_labels = ${JSON.stringify(numLabels)}, not a positive whole number.`);
  if (!Number.isSafeInteger(layers ?? 2) || ((layers ?? 2) as number) < 1) fail(`has layers = ${JSON.stringify(layers)}, not a positive whole number.`);
  const pattern = new RegExp(`^heads\\.${headName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(\\d+)\\.weight$`);
  const linears = [...stored.keys()].map((key) => ({ key, index: Number(pattern.exec(key)?.[1] ?? NaN) })).filter((l) => Number.isInteger(l.index)).sort((a, b) => a.index - b.index);
  if ((numLabels as number) > MAX_LABELS) {
    throw new AdapterImportError(`head_config.json in ${source} has num_labels = ${String(numLabels)}; the studio takes up to ${MAX_LABELS} labels.`, 'TooLarge');
  }
  const last = linears[linears.length - 1];
  // No Linear weight at all: the tensor check names what is missing.
  const rows = last && stored.get(last.key)!.shape[0];
  if (last && rows !== numLabels) fail(`${multipleChoice ? 'is a multiple-choice head (one score per pair)' : `has num_labels = ${String(numLabels)}`}, but the last layer's weight ${last.key} has ${rows} rows.`);
  if (label2id !== undefined && label2id !== null) {
    if (typeof label2id !== 'object' || Array.isArray(label2id)) fail('has a label2id that is not an object of label → id.');
    const ids = Object.values(label2id as Record<string, unknown>);
    if (ids.length > (numLabels as number)) fail(`names ${ids.length} labels in label2id for ${String(numLabels)} outputs.`);
    const bad = ids.find((id) => !Number.isInteger(id) || (id as number) < 0 || (id as number) >= (numLabels as number));
    if (bad !== undefined) fail(`has a label2id id ${JSON.stringify(bad)} outside 0..${(numLabels as number) - 1}.`);
  }
}

/** A multi-label head's "thresholds", checked against its labels (kept as the file spells them). */
function importedThresholds(record: unknown, config: Record<string, unknown>, source: string): { thresholds?: Record<string, number> } {
  if (record === undefined || record === null || config.head_type !== 'multilabel_classification') return {};
  const id2label = headOptionsFromConfig(config).id2label as Record<number, string>;
  const labels = Array.from({ length: Number(config.num_labels) }, (_, i) => id2label[i] ?? `LABEL_${i}`);
  try {
    return { thresholds: thresholdRecord(labels, thresholdsFromRecord(record, labels, source)!) };
  } catch (err) {
    throw new AdapterImportError((err as Error).message, 'WrongShape');
  }
}

/**
 * head_config.json's "config" as the adapters module's head options (label names from label2id), and a
 * multi-label head's thresholds from its top-level "thresholds".
 */
export function headOptionsFromConfig(config: Record<string, unknown>, thresholds?: Record<string, number>): HeadOptions {
  const numLabels = Number(config.num_labels);
  const label2id = (config.label2id ?? null) as Record<string, number> | null;
  const id2label: Record<number, string> = {};
  if (label2id) for (const [label, id] of Object.entries(label2id)) id2label[id] = label;
  const questionAnswering = config.head_type === 'question_answering';
  const tagging = config.head_type === 'tagging';
  return {
    kind: questionAnswering ? 'questionAnswering' : tagging ? 'tagging' : config.head_type === 'multiple_choice' ? 'multipleChoice' : config.head_type === 'multilabel_classification' ? 'multilabel' : numLabels === 1 ? 'regression' : 'classification',
    ...(config.head_type === 'multiple_choice' ? { numChoices: Number(config.num_choices) } : { numLabels }),
    id2label,
    layers: Number(config.layers ?? (questionAnswering || tagging ? 1 : 2)),
    activationFunction: (config.activation_function ?? null) as string | null,
    usePooler: Boolean(config.use_pooler),
    bias: config.bias !== false,
    dropoutProb: (config.dropout_prob ?? null) as number | null,
    ...(thresholds ? { thresholds: Object.keys(id2label).sort((a, b) => Number(a) - Number(b)).map((id) => thresholds[id2label[Number(id)]]) } : {}),
  };
}

/** Compares tensors with the parameters the plan declares: every one present (by key or alias), no others, same shapes. */
export function checkTensors(what: string, tensors: ExportTensors, specs: ParamSpec[], source: string): void {
  const known = new Map<string, ParamSpec>();
  for (const spec of specs) for (const key of [spec.key, ...spec.aliases]) known.set(key, spec);
  const missing = specs.filter((spec) => ![spec.key, ...spec.aliases].some((k) => tensors.has(k))).map((s) => s.key);
  const unexpected = [...tensors.keys()].filter((k) => !known.has(k));
  const wrong = [...tensors].filter(([k, t]) => {
    const spec = known.get(k);
    return spec && (t.shape.length !== spec.shape.length || t.shape.some((d, i) => d !== spec.shape[i]) || t.data.length !== elementCount(spec.shape));
  });
  const list = (keys: string[]) => `${keys.slice(0, 5).join(', ')}${keys.length > 5 ? `, ... (${keys.length} in all)` : ''}`;
  if (wrong.length) {
    const detail = wrong.slice(0, 5).map(([k, t]) => `${k} is [${t.shape.join(', ')}], expected [${known.get(k)!.shape.join(', ')}]`).join('; ');
    throw new AdapterImportError(`${what} in ${source} does not fit: ${detail}. It was saved for another config or model size.`, 'WrongShape', wrong.map(([k]) => k));
  }
  if (missing.length) throw new AdapterImportError(`${what} in ${source} lacks tensors its config needs: ${list(missing)}. The file is incomplete or belongs to another adapter.`, 'MissingTensors', missing);
  if (unexpected.length) throw new AdapterImportError(`${what} in ${source} has tensors its config does not know: ${list(unexpected)}. Check the adapter name and config.`, 'UnexpectedTensors', unexpected);
}

/** `tensors` in torch's state-dict order (`keys`), so that a re-export writes the same bytes. */
export function inPlanOrder(tensors: ExportTensors, keys: string[]): ExportTensors {
  return new Map(keys.filter((key) => tensors.has(key)).map((key) => [key, tensors.get(key)!]));
}

/**
 * Keys torch lists twice for one parameter (the prefix pool under each layer's PrefixTuningLayer, adapter_norm_before
 * as adapter_down.0) come from one tensor, so they must hold the same values; the studio loads one of them.
 */
function checkCopies(what: string, tensors: ExportTensors, specs: ParamSpec[], source: string): void {
  for (const spec of specs) {
    const present = [spec.key, ...spec.aliases].filter((key) => tensors.has(key));
    const first = tensors.get(present[0] ?? '');
    const differing = present.slice(1).find((key) => tensors.get(key)!.data.some((v, i) => !Object.is(v, first!.data[i])));
    if (differing) {
      throw new AdapterImportError(`${what} in ${source} holds ${present[0]} and ${differing}, which torch saves from one parameter, with different values. The file was edited or put together from two adapters.`, 'UnequalCopies', [present[0], differing]);
    }
  }
}

/**
 * Checks that the adapter fits `encoder` (model, hidden size, every tensor's name and shape) and returns it with
 * its tensors in torch's state-dict order.
 */
export function fitAdapter(adapter: ImportedAdapter, encoder: EncoderConfig, source: string): ImportedAdapter {
  if (adapter.modelType !== encoder.modelType || (adapter.modelName && !sameModel(adapter.modelName, encoder.repoId))) {
    throw new AdapterImportError(`The adapter in ${source} was trained on "${adapter.modelName}" (${adapter.modelType}), not on "${encoder.repoId}" (${encoder.modelType}). Load ${adapter.modelName} as the base model.`, 'OtherBaseModel');
  }
  if (adapter.hiddenSize && adapter.hiddenSize !== encoder.hiddenSize) {
    throw new AdapterImportError(`The adapter in ${source} is for hidden size ${adapter.hiddenSize}; "${encoder.repoId}" has ${encoder.hiddenSize}. Load ${adapter.modelName} as the base model.`, 'HiddenSize');
  }
  let plan;
  let head;
  try {
    plan = planAdapter(encoder, resolveAdapterConfig(adapter.adapterConfig), adapter.name);
    head = adapter.head ? planHead(encoder, adapter.name, headOptionsFromConfig(adapter.head.config, adapter.head.thresholds)) : undefined;
  } catch (err) {
    const problem = err instanceof AdapterSizeError ? 'TooLarge' : 'UnknownMethod';
    throw new AdapterImportError(`The adapter in ${source} cannot be built on "${encoder.repoId}": ${(err as Error).message}`, problem, [], { cause: err });
  }
  checkTensors(`Adapter "${adapter.name}"`, adapter.adapterTensors, plan.params, source);
  checkCopies(`Adapter "${adapter.name}"`, adapter.adapterTensors, plan.params, source);
  if (adapter.head && head) checkTensors(`Head "${adapter.name}"`, adapter.head.tensors, head.params, source);
  return {
    ...adapter,
    adapterTensors: inPlanOrder(adapter.adapterTensors, plan.stateDictKeys),
    ...(adapter.head && head ? { head: { ...adapter.head, tensors: inPlanOrder(adapter.head.tensors, head.params.map((p) => p.key)) } } : {}),
  };
}

/**
 * Reads an adapter from its files (a folder's, a zip's via unzipAdapterFiles, or a Hub repo's). Throws
 * AdapterImportError saying what does not fit and what to do.
 */
export function importAdapter(allFiles: AdapterFiles, options: ImportOptions = {}): ImportedAdapter {
  const source = options.source ?? 'the adapter';
  const files = adapterFolderOf(allFiles, source);
  const meta = parseJson(files, 'adapter_config.json', source);
  let adapter: ImportedAdapter;
  if (typeof meta.peft_type === 'string') {
    if (!options.encoder) {
      throw new AdapterImportError(`${source} is a PEFT adapter${typeof meta.base_model_name_or_path === 'string' ? ` for "${meta.base_model_name_or_path}"` : ''}; PEFT files do not record the model's layout, so load its base model first.`, 'NeedsBaseModel');
    }
    adapter = readPeftAdapter(files, meta, options.encoder, options.name ?? 'default', source);
  } else if (meta.config && typeof meta.config === 'object' && 'name' in meta) {
    adapter = readAdaptersFolder(files, meta, options, source);
  } else {
    throw new AdapterImportError(`adapter_config.json in ${source} is neither the adapters library's (with "config" and "name") nor PEFT's (with "peft_type").`, 'NotAnAdapter');
  }
  return options.encoder ? fitAdapter(adapter, options.encoder, source) : adapter;
}

/** Adapter and head tensors in one map, as the adapters module's loadAdapterStateDict takes them. */
export function importedStateDict(adapter: ImportedAdapter): Map<string, ExportTensor> {
  return new Map([...adapter.adapterTensors, ...(adapter.head?.tensors ?? [])]);
}
