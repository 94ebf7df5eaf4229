/**
 * 🤗 PEFT's on-disk format for LoRA and (IA)³ adapters (shared/reference/peft-format.md): adapter_config.json
 * (`json.dumps(asdict(config), indent=2, sort_keys=True)`), adapter_model.safetensors (metadata {"format": "pt"})
 * with keys `base_model.model.<module path>.lora_A.weight` / `.lora_B.weight` / `.ia3_l` (no adapter name), and a
 * README.md. The head becomes the architecture's own sequence-classification module through modules_to_save (each
 * family's `sequenceClassifier`, src/core/model/families/):
 *   BERT        pooler.dense + classifier (a 2-layer tanh head), or classifier alone on the pooler (1 layer, use_pooler)
 *   RoBERTa/XLM-R  classifier.dense + classifier.out_proj (tanh)     ELECTRA  the same with gelu
 *   DistilBERT  pre_classifier + classifier (relu)
 * Both directions live here: `peftFiles` writes, `readPeftAdapter` reads back into the `adapters` library's terms.
 */
import { type AdapterConfig, type LoRAConfig, resolveAdapterConfig } from '../adapters/config.ts';
import { type LoraTarget, modelLayout } from '../adapters/locations.ts';
import { familyOf, isUnion } from '../adapters/methods/registry.ts';
import { pythonJsonDumps } from '../adapters/python-json.ts';
import type { EncoderConfig, EncoderFamily } from '../model/config.ts';
import { familyDefinition } from '../model/families/index.ts';
import type { SequenceClassifierLayout } from '../model/families/types.ts';
import { readSafetensors } from '../model/safetensors.ts';
import type { StoredTensors } from '../model/stored-tensor.ts';
import { readTorchBin } from '../model/torch-bin-reader.ts';
import { AdapterExportError, AdapterImportError } from './errors.ts';
import { headLabels, isRegressionHead, peftModelCard } from './model-card.ts';
import { EXPORTABLE_MODEL_TYPES, modelTypeInfo } from './model-types.ts';
import { writeSafetensors } from './safetensors-writer.ts';
import type { AdapterExport, AdapterFiles, ExportTensor, ExportTensors, HeadExport, ImportedAdapter } from './types.ts';

export const PEFT_FILE = { config: 'adapter_config.json', weights: 'adapter_model.safetensors', binWeights: 'adapter_model.bin', card: 'README.md' } as const;

/** The ForQuestionAnswering models' start / end Linear, PEFT's modules_to_save for QUESTION_ANS (PeftModelForQuestionAnswering). */
const QA_MODULE = 'qa_outputs';

/** The ForTokenClassification models' Linear(hidden, num_labels) on every token: PEFT's modules_to_save for TOKEN_CLS. */
const TOKEN_CLS_MODULE = 'classifier';

/** PEFT's modules_to_save default for SEQ_CLS models (PeftModelForSequenceClassification). */
const SEQ_CLS_MODULES = ['classifier', 'score'];

/** PEFT's short target names of the Linear modules inside a layer; FFN output "output.dense" has none (it also matches attention.output.dense). */
const SHORT_TARGET: Record<string, string> = {
  'attention.self.query': 'query', 'attention.self.key': 'key', 'attention.self.value': 'value', 'intermediate.dense': 'intermediate.dense',
  'attention.q_lin': 'q_lin', 'attention.k_lin': 'k_lin', 'attention.v_lin': 'v_lin', 'ffn.lin1': 'lin1', 'ffn.lin2': 'lin2',
  // ALBERT ("ffn" does not match "ffn_output": PEFT matches whole module names).
  'attention.query': 'query', 'attention.key': 'key', 'attention.value': 'value', 'ffn': 'ffn', 'ffn_output': 'ffn_output',
  // DeBERTa-v2 (PEFT's own default for deberta-v2 is ["query_proj", "value_proj"]); ".key_proj" never matches pos_key_proj.
  'attention.self.query_proj': 'query_proj', 'attention.self.key_proj': 'key_proj', 'attention.self.value_proj': 'value_proj',
};

export type PeftSupport = { ok: true; peftType: 'LORA' | 'IA3' } | { ok: false; reason: string };

function headLayoutFor(family: EncoderFamily, head: Record<string, unknown>): SequenceClassifierLayout | undefined {
  return familyDefinition(family).sequenceClassifier.layouts.find((l) => l.layers === head.layers && l.usePooler === Boolean(head.use_pooler)
    && (l.layers === 1 || l.activation === head.activation_function));
}

/**
 * Whether PEFT can express the adapter: a plain LoRA or (IA)³ config, on an exportable model type, with a head
 * the model type's own classifier can hold. Give what is known; the config alone answers for the method.
 */
export function peftSupport(config: Record<string, unknown> | AdapterConfig, context: { modelType?: string; head?: Record<string, unknown> } = {}): PeftSupport {
  let resolved: AdapterConfig;
  try {
    resolved = resolveAdapterConfig(config as Record<string, unknown>);
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  if (isUnion(resolved)) return { ok: false, reason: 'PEFT holds one method per adapter; a ConfigUnion (MAM, UniPELT, "a|b") has no PEFT form. Export for AdapterHub instead.' };
  const mapping = familyOf(resolved).peft(resolved);
  if ('none' in mapping) return { ok: false, reason: `${mapping.none} Export for AdapterHub instead.` };
  if (context.modelType !== undefined) {
    if (!EXPORTABLE_MODEL_TYPES.includes(context.modelType)) return { ok: false, reason: `Model type "${context.modelType}" is not one the exporter knows (${EXPORTABLE_MODEL_TYPES.join(', ')}).` };
    const family = modelTypeInfo(context.modelType).family;
    const fused = familyDefinition(family).adapterInsertionPoints.fusedQkv;
    const lora = resolved as LoRAConfig;
    if (fused && lora.selfattn_lora && lora.attn_matrices.length > 0) {
      return {
        ok: false,
        reason: `${modelTypeInfo(context.modelType).baseModelClass.replace('Model', '')}'s ${fused} is one fused q/k/v Linear: the adapters library's LoRAMergedLinear keeps one ${mapping.peftType === 'IA3' ? 'lora_B vector' : 'lora_A / lora_B pair'} per enabled third of its output (attn_matrices ${JSON.stringify(lora.attn_matrices)}), and PEFT's ${mapping.peftType} on ${fused.split('.').at(-1)} has one over all its outputs, so the same weights would need another rank and alpha (LoRA) or made-up values for the other thirds ((IA)³). Adapt only intermediate / output (selfattn_lora False), or export for AdapterHub instead.`,
      };
    }
    if (context.head?.head_type === 'multiple_choice') {
      return { ok: false, reason: 'PEFT has no multiple-choice task type (its TaskType has SEQ_CLS, TOKEN_CLS, QUESTION_ANS, SEQ_2_SEQ_LM, CAUSAL_LM and FEATURE_EXTRACTION), so a multiple-choice head has no PEFT form. Export for AdapterHub instead.' };
    }
    if (context.head?.head_type === 'question_answering') {
      if (context.head.layers !== 1) return { ok: false, reason: `A question-answering head of ${String(context.head.layers)} layers does not fit ${modelTypeInfo(context.modelType).baseModelClass.replace('Model', 'ForQuestionAnswering')}, whose qa_outputs is one Linear(hidden, 2). Export for AdapterHub instead.` };
    } else if (context.head?.head_type === 'tagging') {
      if (context.head.layers !== 1) return { ok: false, reason: `A tagging head of ${String(context.head.layers)} layers does not fit ${modelTypeInfo(context.modelType).baseModelClass.replace('Model', 'ForTokenClassification')}, whose classifier is one Linear(hidden, num_labels). Export for AdapterHub instead.` };
    } else if (context.head) {
      const head = context.head;
      if (head.head_type !== 'classification' && head.head_type !== 'multilabel_classification') return { ok: false, reason: `A "${String(head.head_type)}" head has no PEFT sequence-classification form.` };
      if (!headLayoutFor(family, head)) {
        return { ok: false, reason: `The head (${head.layers} layer(s), ${head.activation_function ?? 'no'} activation, use_pooler ${Boolean(head.use_pooler)}) does not fit ${modelTypeInfo(context.modelType).baseModelClass.replace('Model', 'ForSequenceClassification')}, which needs ${familyDefinition(family).sequenceClassifier.description}. Export for AdapterHub instead.` };
      }
    }
  }
  return { ok: true, peftType: mapping.peftType };
}

// ---------------------------------------------------------------------------------------------------------
// Writing.

/** `{module path}.loras.{name}.lora_A|lora_B` → its parts. */
function parseLoraKey(key: string, name: string): { module: string; param: 'lora_A' | 'lora_B' } | undefined {
  const match = new RegExp(`^(.+)\\.loras\\.${name}\\.(lora_A|lora_B)$`).exec(key);
  return match ? { module: match[1], param: match[2] as 'lora_A' | 'lora_B' } : undefined;
}

/**
 * A LoRA module path split at the family's layer: "bert.encoder.layer.3.attention.self.query" → { layer: "layer.3",
 * inLayer: "attention.self.query" }; ALBERT's layer is "albert_layer_groups.0.albert_layers.1". The layer part
 * drops the base prefix and the layer list's container ("encoder", "transformer").
 */
function splitLayer(module: string, family: EncoderFamily): { layer: string; inLayer: string } | undefined {
  const inLayer = Object.values(familyDefinition(family).adapterInsertionPoints.linear).find((path) => module.endsWith(`.${path}`));
  const layer = inLayer && module.slice(0, -inLayer.length - 1).split('.').slice(2).join('.');
  return inLayer && layer && /\.\d+$/.test(layer) ? { layer, inLayer } : undefined;
}

/** target_modules: PEFT's short names when they pick exactly the adapted modules, else one "{layer}.{path}" suffix per module. */
function targetModules(modules: string[], leaveOut: number[], family: EncoderFamily): string[] {
  const parts = modules.map((m) => splitLayer(m, family)!);
  const inLayer = [...new Set(parts.map((p) => p.inLayer))];
  if (leaveOut.length === 0 && inLayer.every((p) => SHORT_TARGET[p])) return inLayer.map((p) => SHORT_TARGET[p]).sort();
  return parts.map((p) => `${p.layer}.${p.inLayer}`).sort();
}

const scaled = (t: ExportTensor, factor: number): ExportTensor => (factor === 1 ? t : { shape: t.shape, data: t.data.map((v) => v * factor) });

/** Python literal of the head's labels for from_pretrained. */
function labelArguments(head: HeadExport): string {
  const labels = headLabels(head.config);
  const id2label = `{${labels.map((l, i) => `${i}: ${JSON.stringify(l)}`).join(', ')}}`;
  const label2id = `{${labels.map((l, i) => `${JSON.stringify(l)}: ${i}`).join(', ')}}`;
  const problem = head.config.head_type === 'multilabel_classification' ? ', problem_type="multi_label_classification"' : '';
  return `num_labels=${labels.length}, id2label=${id2label}, label2id=${label2id}${problem}`;
}

/** The PEFT folder's files. Throws AdapterExportError with peftSupport's reason when PEFT cannot express the adapter. */
export function peftFiles(exp: AdapterExport): AdapterFiles {
  const support = peftSupport(exp.adapterConfig, { modelType: exp.modelType, head: exp.head?.config });
  if (!support.ok) throw new AdapterExportError(`Adapter "${exp.name}" cannot be exported for PEFT: ${support.reason}`);
  const info = modelTypeInfo(exp.modelType);
  const config = resolveAdapterConfig(exp.adapterConfig) as LoRAConfig;
  const ia3 = support.peftType === 'IA3';
  // With a head PEFT wraps AutoModelForSequenceClassification (keys keep "bert."); without one the bare encoder.
  const modulePath = (module: string) => (exp.head ? module : module.replace(new RegExp(`^${info.basePrefix}\\.`), ''));

  const tensors = new Map<string, ExportTensor>();
  const modules: string[] = [];
  for (const [key, tensor] of exp.adapterTensors) {
    const parsed = parseLoraKey(key, exp.name);
    if (!parsed || !splitLayer(parsed.module, info.family)) throw new AdapterExportError(`Adapter "${exp.name}" has tensor "${key}", which is not a LoRA / (IA)³ parameter of an encoder layer; PEFT cannot hold it.`);
    if (!modules.includes(parsed.module)) modules.push(parsed.module);
    const path = `base_model.model.${modulePath(parsed.module)}`;
    if (ia3) {
      if (parsed.param !== 'lora_B') throw new AdapterExportError(`(IA)³ adapter "${exp.name}" has "${key}"; only lora_B vectors exist in (IA)³.`);
      // The library scales by alpha · lora_B; PEFT by ia3_l alone.
      tensors.set(`${path}.ia3_l`, scaled(tensor, config.alpha));
    } else tensors.set(`${path}.${parsed.param}.weight`, tensor);
  }

  let modulesToSave: string[] | null = null;
  const unmapped: string[] = [];
  let baseLoad: string[];
  const questionAnswering = exp.head?.config.head_type === 'question_answering';
  if (exp.head && questionAnswering) {
    // add_qa_head's Dropout + Linear(hidden, 2) is the ForQuestionAnswering model's qa_outputs (PeftModelForQuestionAnswering's modules_to_save).
    const [weight, bias] = (['weight', 'bias'] as const).map((p) => exp.head!.tensors.get(`heads.${exp.name}.1.${p}`));
    if (!weight || !bias) throw new AdapterExportError(`Head "${exp.name}" lacks heads.${exp.name}.1 tensors; PEFT needs qa_outputs' weight and bias.`);
    tensors.set(`base_model.model.${QA_MODULE}.weight`, weight);
    tensors.set(`base_model.model.${QA_MODULE}.bias`, bias);
    modulesToSave = [QA_MODULE];
    baseLoad = ['from transformers import AutoModelForQuestionAnswering', `base = AutoModelForQuestionAnswering.from_pretrained(${JSON.stringify(exp.modelName)})`];
    if (exp.head.config.dropout_prob !== null && exp.head.config.dropout_prob !== undefined) unmapped.push(`The head's dropout_prob ${String(exp.head.config.dropout_prob)} (training only): further training uses the model's own.`);
  } else if (exp.head?.config.head_type === 'tagging') {
    // add_tagging_head's Dropout + Linear(hidden, num_labels) is the ForTokenClassification model's classifier (TOKEN_CLS).
    const [weight, bias] = (['weight', 'bias'] as const).map((p) => exp.head!.tensors.get(`heads.${exp.name}.1.${p}`));
    if (!weight || !bias) throw new AdapterExportError(`Head "${exp.name}" lacks heads.${exp.name}.1 tensors; PEFT needs the classifier's weight and bias.`);
    tensors.set(`base_model.model.${TOKEN_CLS_MODULE}.weight`, weight);
    tensors.set(`base_model.model.${TOKEN_CLS_MODULE}.bias`, bias);
    modulesToSave = [...SEQ_CLS_MODULES];
    baseLoad = ['from transformers import AutoModelForTokenClassification', `base = AutoModelForTokenClassification.from_pretrained(${JSON.stringify(exp.modelName)}, ${labelArguments(exp.head)})`];
    if (exp.head.config.dropout_prob !== null && exp.head.config.dropout_prob !== undefined) unmapped.push(`The head's dropout_prob ${String(exp.head.config.dropout_prob)} (training only): further training uses the model's classifier dropout.`);
    unmapped.push('Label names are not part of PEFT\'s files; the snippet above passes them to from_pretrained.');
  } else if (exp.head) {
    const layout = headLayoutFor(info.family, exp.head.config)!;
    const head = (i: number, p: 'weight' | 'bias') => exp.head!.tensors.get(`heads.${exp.name}.${i}.${p}`);
    const lastIndex = layout.layers === 2 ? 4 : 1;
    const last = head(lastIndex, 'weight');
    if (!last || (layout.first && (!head(1, 'weight') || !head(1, 'bias')))) {
      throw new AdapterExportError(`Head "${exp.name}" lacks heads.${exp.name}.${layout.layers === 2 ? '1 / .4' : '1'} tensors; PEFT needs every classifier weight.`);
    }
    if (layout.first) {
      tensors.set(`base_model.model.${layout.first}.weight`, head(1, 'weight')!);
      tensors.set(`base_model.model.${layout.first}.bias`, head(1, 'bias')!);
    }
    tensors.set(`base_model.model.${layout.last}.weight`, last);
    // A head built with bias=False equals a classifier whose bias is zero.
    tensors.set(`base_model.model.${layout.last}.bias`, head(lastIndex, 'bias') ?? { shape: [last.shape[0]], data: new Float32Array(last.shape[0]) });
    modulesToSave = [...layout.extraModules, ...SEQ_CLS_MODULES];
    baseLoad = [
      'from transformers import AutoModelForSequenceClassification',
      `base = AutoModelForSequenceClassification.from_pretrained(${JSON.stringify(exp.modelName)}, ${labelArguments(exp.head)})`,
    ];
    if (exp.head.config.dropout_prob !== null && exp.head.config.dropout_prob !== undefined) unmapped.push(`The head's dropout_prob ${String(exp.head.config.dropout_prob)} (training only): further training uses the model's classifier dropout.`);
    if (!isRegressionHead(exp.head)) unmapped.push('Label names are not part of PEFT\'s files; the snippet above passes them to from_pretrained.');
  } else {
    baseLoad = ['from transformers import AutoModel', `base = AutoModel.from_pretrained(${JSON.stringify(exp.modelName)})`];
  }
  if (ia3 && config.alpha !== 1) unmapped.push(`alpha ${config.alpha} is folded into the ia3_l vectors (PEFT has no alpha for (IA)³).`);

  const common = {
    auto_mapping: exp.head ? null : { base_model_class: info.baseModelClass, parent_library: info.transformersModule },
    base_model_name_or_path: exp.modelName,
    fan_in_fan_out: false,
    inference_mode: true,
    modules_to_save: modulesToSave,
    revision: null,
    target_modules: targetModules(modules, config.leave_out, info.family),
    task_type: exp.head ? (questionAnswering ? 'QUESTION_ANS' : exp.head.config.head_type === 'tagging' ? 'TOKEN_CLS' : 'SEQ_CLS') : null,
  };
  const peftConfig = ia3
    ? { ...common, feedforward_modules: [], init_ia3_weights: true, peft_type: 'IA3' }
    : {
      ...common, alpha_pattern: {}, bias: 'none', init_lora_weights: true, layer_replication: null, layers_pattern: null, layers_to_transform: null,
      loftq_config: {}, lora_alpha: config.alpha, lora_dropout: config.dropout, megatron_config: null, megatron_core: 'megatron.core',
      peft_type: 'LORA', r: config.r, rank_pattern: {}, use_dora: false, use_rslora: false,
    };
  const files: AdapterFiles = new Map();
  files.set(PEFT_FILE.config, new TextEncoder().encode(pythonJsonDumps(peftConfig, new Set(['lora_dropout']))));
  files.set(PEFT_FILE.weights, writeSafetensors([...tensors].map(([name, t]) => ({ name, dtype: 'F32' as const, shape: t.shape, data: t.data })), { format: 'pt' }));
  files.set(PEFT_FILE.card, new TextEncoder().encode(peftModelCard(exp, support.peftType, baseLoad, unmapped)));
  return files;
}

// ---------------------------------------------------------------------------------------------------------
// Reading.

/** qa_outputs (weight [2, hidden] and bias) as add_qa_head's head: heads.NAME.1.*, 1 layer. */
function qaHeadOf(parts: Map<string, ExportTensor>, name: string, source: string): HeadExport {
  const weight = parts.get(`${QA_MODULE}.weight`)!;
  const bias = parts.get(`${QA_MODULE}.bias`);
  if (!bias || parts.size !== 2 || weight.shape.length !== 2 || weight.shape[0] !== 2) {
    throw new AdapterImportError(`PEFT adapter ${source} saves ${[...parts.keys()].join(', ')}; a question-answering head is qa_outputs alone, a weight of 2 rows and its bias.`, 'UnexpectedTensors', [...parts.keys()]);
  }
  return {
    config: { head_type: 'question_answering', num_labels: 2, layers: 1, activation_function: 'tanh', label2id: null, dropout_prob: null },
    tensors: new Map([[`heads.${name}.1.weight`, weight], [`heads.${name}.1.bias`, bias]]),
  };
}

/** A TOKEN_CLS adapter's classifier (weight [num_labels, hidden] and bias) as add_tagging_head's head: heads.NAME.1.*, 1 layer. */
function taggingHeadOf(parts: Map<string, ExportTensor>, name: string, source: string): HeadExport {
  const weight = parts.get(`${TOKEN_CLS_MODULE}.weight`);
  const bias = parts.get(`${TOKEN_CLS_MODULE}.bias`);
  if (!weight || !bias || parts.size !== 2 || weight.shape.length !== 2) {
    throw new AdapterImportError(`PEFT adapter ${source} is TOKEN_CLS and saves ${[...parts.keys()].join(', ')}; a token-classification head is classifier alone, a weight and its bias.`, 'UnexpectedTensors', [...parts.keys()]);
  }
  const numLabels = weight.shape[0];
  return {
    config: { head_type: 'tagging', num_labels: numLabels, layers: 1, activation_function: 'tanh', label2id: Object.fromEntries(Array.from({ length: numLabels }, (_, i) => [`LABEL_${i}`, i])), dropout_prob: null },
    tensors: new Map([[`heads.${name}.1.weight`, weight], [`heads.${name}.1.bias`, bias]]),
  };
}

function unsupported(message: string): AdapterImportError {
  return new AdapterImportError(`${message} The adapters library (and so the studio) has no equivalent; use the adapter in PEFT.`, 'UnknownMethod');
}

function peftTensors(files: AdapterFiles, source: string): StoredTensors {
  const safe = files.get(PEFT_FILE.weights);
  const bin = files.get(PEFT_FILE.binWeights);
  try {
    if (safe) return readSafetensors(safe, `${source}/${PEFT_FILE.weights}`);
    if (bin) return readTorchBin(bin, `${source}/${PEFT_FILE.binWeights}`);
  } catch (err) {
    throw new AdapterImportError(`The PEFT weights in ${source} cannot be read: ${(err as Error).message}`, 'CorruptFile', [], { cause: err });
  }
  throw new AdapterImportError(`${source} has a PEFT adapter_config.json but neither ${PEFT_FILE.weights} nor ${PEFT_FILE.binWeights}.`, 'NotAnAdapter');
}

/**
 * A PEFT LoRA / (IA)³ folder in the `adapters` library's terms, for the model `encoder` (PEFT files do not
 * record the model's layout). The adapter is named `name`.
 */
export function readPeftAdapter(files: AdapterFiles, peft: Record<string, unknown>, encoder: EncoderConfig, name: string, source: string): ImportedAdapter {
  const peftType = peft.peft_type;
  if (peftType !== 'LORA' && peftType !== 'IA3') throw unsupported(`${source} is a PEFT "${String(peftType)}" adapter; only LORA and IA3 are read.`);
  const flag = (field: string, fine: unknown) => {
    const value = peft[field];
    const isFine = value === undefined || value === null || JSON.stringify(value) === JSON.stringify(fine);
    if (!isFine) throw unsupported(`PEFT adapter ${source} sets ${field} = ${JSON.stringify(value)}.`);
  };
  flag('fan_in_fan_out', false);
  if (peftType === 'LORA') {
    flag('use_rslora', false); flag('use_dora', false); flag('bias', 'none'); flag('lora_bias', false);
    flag('rank_pattern', {}); flag('alpha_pattern', {}); flag('layer_replication', null); flag('target_parameters', null);
  }
  const layout = modelLayout(encoder);
  const prefix = `${layout.base}.`;
  const targetOf = new Map<string, { layer: number; target: LoraTarget }>();
  for (let layer = 0; layer < layout.layerCount; layer++) {
    for (const [target, path] of Object.entries(layout.linear)) {
      // A PEFT module on a fused q/k/v Linear (DeBERTa's in_proj) has no LoRAMergedLinear form (see peftSupport).
      if (path !== layout.fusedQkv) targetOf.set(`${layout.layer(layer)}.${path}`, { layer, target: target as LoraTarget });
    }
  }
  const headLayouts = familyDefinition(encoder.family).sequenceClassifier.layouts;
  const headModules = new Set([...headLayouts.flatMap((l) => [l.first, l.last]).filter((m): m is string => Boolean(m)), QA_MODULE, TOKEN_CLS_MODULE]);

  const stored = peftTensors(files, source);
  const perLayer = new Map<number, Set<LoraTarget>>();
  const adapterTensors: ExportTensors = new Map();
  const headParts = new Map<string, ExportTensor>();
  const unexpected: string[] = [];
  const r = Number(peft.r ?? 8);
  for (const [key, t] of stored) {
    const path = key.replace(/^base_model\.model\./, '');
    const lora = /^(.+)\.(lora_A|lora_B)\.weight$/.exec(path);
    const ia3 = /^(.+)\.ia3_l$/.exec(path);
    const weight = /^(.+)\.(weight|bias)$/.exec(path);
    if ((lora && peftType === 'LORA') || (ia3 && peftType === 'IA3')) {
      const module = (lora ?? ia3)![1];
      const full = module.startsWith(prefix) ? module : `${prefix}${module}`;
      const place = targetOf.get(full);
      if (!place) { unexpected.push(key); continue; }
      let param: 'lora_A' | 'lora_B' = 'lora_B';
      if (lora) param = lora[2] as 'lora_A' | 'lora_B';
      else if (t.shape.length !== 2 || t.shape[1] !== 1) throw unsupported(`"${key}" is a feed-forward (input-scaling) (IA)³ vector of shape [${t.shape.join(', ')}];`);
      if (!perLayer.has(place.layer)) perLayer.set(place.layer, new Set());
      perLayer.get(place.layer)!.add(place.target);
      adapterTensors.set(`${full}.loras.${name}.${param}`, { shape: t.shape, data: t.toFloat32() });
    } else if (weight && headModules.has(weight[1])) {
      headParts.set(path, { shape: t.shape, data: t.toFloat32() });
    } else unexpected.push(key);
  }
  if (unexpected.length) {
    throw new AdapterImportError(`PEFT adapter ${source} has tensors outside ${encoder.repoId}'s LoRA / (IA)³ targets (query, key, value, intermediate, output) and classifier: ${unexpected.slice(0, 5).join(', ')}${unexpected.length > 5 ? ', ...' : ''}.`, 'UnexpectedTensors', unexpected);
  }
  if (perLayer.size === 0) throw new AdapterImportError(`PEFT adapter ${source} holds no ${peftType === 'LORA' ? 'lora_A / lora_B' : 'ia3_l'} tensors.`, 'MissingTensors');

  // The adapters library puts the same modules in every layer except leave_out.
  const sets = [...perLayer.values()].map((s) => [...s].sort().join(','));
  if (new Set(sets).size > 1) throw unsupported(`PEFT adapter ${source} adapts different modules in different layers (${[...perLayer].map(([l, s]) => `layer ${l}: ${[...s].join('+')}`).join('; ')}).`);
  const targets = perLayer.values().next().value!;
  const attn = (['q', 'k', 'v'] as const).filter((t) => targets.has(t));
  const leaveOut = Array.from({ length: layout.layerCount }, (_, l) => l).filter((l) => !perLayer.has(l));
  const fields = {
    selfattn_lora: attn.length > 0,
    intermediate_lora: targets.has('intermediate'),
    output_lora: targets.has('output'),
    leave_out: leaveOut,
    ...(attn.length ? { attn_matrices: attn } : {}),
  };
  const adapterConfig = peftType === 'IA3'
    ? resolveAdapterConfig('ia3', fields)
    : resolveAdapterConfig('lora', { ...fields, r, alpha: Number(peft.lora_alpha ?? 8), dropout: Number(peft.lora_dropout ?? 0) });

  let head: HeadExport | undefined;
  if (headParts.has(`${QA_MODULE}.weight`)) head = qaHeadOf(headParts, name, source);
  else if (peft.task_type === 'TOKEN_CLS' && headParts.size) head = taggingHeadOf(headParts, name, source);
  else if (headParts.size) {
    const layoutOf = headLayouts.find((l) => [l.first, l.last].every((m) => !m || headParts.has(`${m}.weight`)) && headParts.size === (l.first ? 4 : 2));
    if (!layoutOf) throw new AdapterImportError(`PEFT adapter ${source} saves classifier tensors (${[...headParts.keys()].join(', ')}) that do not form ${familyDefinition(encoder.family).sequenceClassifier.description}.`, 'UnexpectedTensors', [...headParts.keys()]);
    const last = headParts.get(`${layoutOf.last}.weight`)!;
    const tensors: ExportTensors = new Map();
    const lastIndex = layoutOf.first ? 4 : 1;
    if (layoutOf.first) {
      tensors.set(`heads.${name}.1.weight`, headParts.get(`${layoutOf.first}.weight`)!);
      tensors.set(`heads.${name}.1.bias`, headParts.get(`${layoutOf.first}.bias`)!);
    }
    tensors.set(`heads.${name}.${lastIndex}.weight`, last);
    tensors.set(`heads.${name}.${lastIndex}.bias`, headParts.get(`${layoutOf.last}.bias`)!);
    const numLabels = last.shape[0];
    head = {
      config: {
        head_type: 'classification', num_labels: numLabels, layers: layoutOf.layers, activation_function: layoutOf.activation ?? 'tanh',
        label2id: Object.fromEntries(Array.from({ length: numLabels }, (_, i) => [`LABEL_${i}`, i])), use_pooler: layoutOf.usePooler, bias: true, dropout_prob: null,
      },
      tensors,
    };
  }
  const notes = [`Read from PEFT ${peftType} (adapter named "${name}"); label names are not stored by PEFT, so they are LABEL_0, LABEL_1, ...`];
  if (peftType === 'IA3') notes.push('(IA)³ vectors scale the outputs of their modules, as the library\'s ia3 config with alpha 1.');
  return {
    name,
    modelName: typeof peft.base_model_name_or_path === 'string' ? peft.base_model_name_or_path : encoder.repoId,
    modelType: encoder.modelType,
    hiddenSize: encoder.hiddenSize,
    adapterConfig: adapterConfig as unknown as Record<string, unknown>,
    adapterTensors,
    head,
    sourceFormat: 'peft',
    notes,
  };
}
