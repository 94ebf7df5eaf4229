/**
 * README.md model cards: Hub metadata (YAML front matter), a Python usage snippet, the method and its config,
 * and the studio's training setup and best metrics. The training record also rides along as JSON in an HTML
 * comment (invisible on the Hub), so that an import gets it back.
 */
import { ADAPTER_PRESETS, type AdapterConfig, architectureOf, familyOf, methodConfigs } from '../adapters/methods/registry.ts';
import { pythonFloatRepr, pythonJsonDumps } from '../adapters/python-json.ts';
import { checkRepoId } from '../../hub/endpoint.ts';
import type { AdapterExport, FusionExport, HeadExport, TrainingRecord } from './types.ts';

const TRAINING_MARKER = 'adapter-studio-training:';

/**
 * `text` as Markdown that renders as exactly that text, also as HTML (the Hub renders raw HTML in cards): HTML's
 * specials become entities, Markdown's inline specials get a backslash (`|` too, for table cells), line breaks spaces.
 * Label names, column names, dataset and model names come from files and datasets the user did not write.
 */
export function markdownText(text: string): string {
  return text.replace(/\r\n?|\n/g, ' ')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`);
}

/** `text` as inline code when it can be (no backtick, pipe or line break), else as escaped plain text. */
export function markdownCode(text: string): string {
  return /^[^`|\r\n]+$/.test(text) ? `\`${text}\`` : markdownText(text);
}

/** Any value from a record (numbers that an imported card may have turned into anything) as escaped text. */
const plain = (value: unknown) => markdownText(String(value));

/** The ADAPTER_CONFIG_MAP preset the config equals, if any (its first, non-deprecated name). */
export function presetNameOf(config: AdapterConfig): string | undefined {
  const text = pythonJsonDumps(config);
  return Object.entries(ADAPTER_PRESETS).find(([, make]) => pythonJsonDumps(make()) === text)?.[0];
}

/** A short human name of the method: the preset, or what the architecture is. */
export function methodName(config: AdapterConfig): string {
  const preset = presetNameOf(config);
  const kind = methodConfigs(config).map((c) => familyOf(c).kindName(c)).join(' + ');
  return preset ? `\`${preset}\` (${kind})` : kind;
}

/** Hub front matter lines (a YAML subset: scalars and lists of plain strings). */
function frontMatter(fields: Record<string, string | string[] | undefined>): string {
  const quote = (s: string) => (/^[\w./+-]+$/.test(s) && !/^(true|false|null|yes|no|~)$/i.test(s) ? s : JSON.stringify(s));
  const lines = ['---'];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) lines.push(`${key}:`, ...value.map((v) => `- ${quote(v)}`));
    else lines.push(`${key}: ${quote(value)}`);
  }
  lines.push('---');
  return lines.join('\n');
}

/** Label names by id from a head config's label2id (LABEL_i when absent). */
export function headLabels(config: Record<string, unknown>): string[] {
  const numLabels = Number(config.num_labels);
  const label2id = (config.label2id ?? null) as Record<string, number> | null;
  const names = Array.from({ length: numLabels }, (_, i) => `LABEL_${i}`);
  if (label2id) for (const [label, id] of Object.entries(label2id)) names[id] = label;
  return names;
}

export function isRegressionHead(head: HeadExport): boolean {
  return head.config.head_type === 'classification' && head.config.num_labels === 1;
}

function headSentence(head: HeadExport | undefined): string {
  if (!head) return '';
  if (isRegressionHead(head)) return ', with a regression head (one output)';
  if (head.config.head_type === 'question_answering') return ', with a question answering head (start and end logits over the tokens: the answer is a span of the context)';
  if (head.config.head_type === 'multiple_choice') return `, with a multiple choice head (${plain(head.config.num_choices)} choices: a score for each (context, choice) pair, the highest is the answer)`;
  const type = String(head.config.head_type).replace(/_/g, ' ');
  return `, with a ${markdownText(type)} head (labels: ${headLabels(head.config).map(markdownText).join(', ')})`;
}

/** A link to the repo on the Hub; a name that is not a repo id (so not safe in a URL) is only text. */
function hubLink(id: string, kind: 'model' | 'dataset'): string {
  try {
    checkRepoId(id);
  } catch {
    return markdownText(id);
  }
  return `[${id}](https://huggingface.co/${kind === 'dataset' ? 'datasets/' : ''}${id})`;
}

/** The data trained on: a link to the Hub dataset (and its config), or the local file by name, which no Hub link may name. */
function dataOf(training: TrainingRecord, config: (c: string) => string): string {
  const file = training.localFile;
  const validation = training.localValidationFile;
  const validated = validation ? `, validated on a local file ${markdownCode(validation.name)}, ${plain(validation.rows)} rows` : '';
  if (file) return `a local file ${markdownCode(file.name)}, ${plain(file.rows)} rows${validated}`;
  return `${hubLink(training.dataset, 'dataset')}${training.config ? config(markdownCode(training.config)) : ''}`;
}

/** The Hub datasets of the front matter: none for a local file. */
const hubDatasets = (training: TrainingRecord | undefined) => (training && !training.localFile ? [training.dataset] : undefined);

/** ", trained with Adapter Studio on <dataset>" for adapters the studio trained; empty for others. */
function trainedOn(training: TrainingRecord | undefined): string {
  if (!training) return '';
  return `, trained with Adapter Studio on ${dataOf(training, (c) => ` (config ${c})`)}`;
}

const row = (cells: string[]) => `| ${cells.join(' | ')} |`;

/** The training setup, hyperparameters and best metrics as markdown, ending with the machine-readable record. */
export function trainingSection(training: TrainingRecord): string {
  const h = training.hyperparameters;
  const s = training.splits;
  const validation = s.heldOut && s.validation === s.train
    ? `${plain(Math.round(s.heldOut.share * 1000) / 10)}% of ${markdownCode(s.validation)} held out (seed ${plain(s.heldOut.seed)})`
    : markdownCode(s.validation);
  const rows: [string, string][] = [
    ['Dataset', dataOf(training, (c) => `, config ${c}`)],
    ['Training split', `${markdownCode(s.train)}${s.heldOut ? ' minus the held-out rows' : ''}${s.maxTrainExamples ? `, first ${plain(s.maxTrainExamples)} examples` : ''}`],
    ['Validation', `${validation}${s.maxValidationExamples ? `, first ${plain(s.maxValidationExamples)} examples` : ''}`],
    ['Text column(s)', training.textColumns.map(markdownCode).join(' + ')],
    ['Label column', `${markdownCode(training.labelColumn)} (${plain(training.labelKind)})`],
    ...(training.choiceColumns ? [['Choice columns', `${training.choiceColumns.map(markdownCode).join(', ')} (the label is the right one's index)`] as [string, string]] : []),
    ['Learning rate', plain(h.learningRate)],
    ['Batch size', `${plain(h.batchSize)}${h.gradientAccumulation && h.gradientAccumulation > 1 ? ` × ${plain(h.gradientAccumulation)} accumulation steps` : ''}`],
    [h.maxSteps !== undefined ? 'Steps' : 'Epochs', plain(h.maxSteps ?? h.epochs ?? 3)],
    ['Max length', `${plain(h.maxLength)} tokens`],
    ['Schedule', `${plain(h.schedule ?? 'linear')}, ${h.warmupSteps ? `${plain(h.warmupSteps)} warmup steps` : `warmup ratio ${plain(h.warmupRatio ?? 0)}`}`],
    ['Weight decay', plain(h.weightDecay ?? 0.01)],
    ['Max grad norm', plain(h.maxGradNorm ?? 1)],
    ['Seed', plain(h.seed)],
  ];
  if (h.evalEverySteps) rows.push(['Evaluated', `every ${plain(h.evalEverySteps)} steps and each epoch`]);
  if (h.earlyStoppingPatience) rows.push(['Early stopping', `after ${plain(h.earlyStoppingPatience)} evaluations without improvement`]);
  const lines = ['## Training', '', 'Trained in the browser with Adapter Studio (AdamW, the base model frozen).', '', row(['Setting', 'Value']), row(['---', '---']), ...rows.map(([k, v]) => row([k, v]))];
  if (training.bestMetrics && Object.keys(training.bestMetrics).length) {
    lines.push('', `### Best validation metrics${training.bestStep !== undefined ? ` (step ${plain(training.bestStep)})` : ''}`, '', row(['Metric', 'Value']), row(['---', '---']));
    for (const [metric, value] of Object.entries(training.bestMetrics)) lines.push(row([plain(metric), typeof value === 'number' && !Number.isInteger(value) ? value.toFixed(4) : plain(value)]));
  }
  // The record as JSON in a comment; "--" (which would end it) and any tag-like "<", ">" are escaped inside JSON strings.
  const json = JSON.stringify(training).replace(/--/g, '\\u002d\\u002d').replace(/</g, '\\u003c').replace(/>/g, '\\u003e');
  lines.push('', `<!-- ${TRAINING_MARKER} ${json} -->`);
  return lines.join('\n');
}

/** The training record a card written here carries, or undefined. */
export function readTrainingRecord(card: string): TrainingRecord | undefined {
  const match = new RegExp(`<!-- ${TRAINING_MARKER} (.*?) -->`).exec(card);
  if (!match) return undefined;
  try {
    return JSON.parse(match[1]) as TrainingRecord;
  } catch {
    return undefined;
  }
}

/** Python that answers one question with a question-answering head (QuestionAnsweringModelOutput). */
const QA_USAGE_LINES = [
  'inputs = tokenizer("When did it happen?", "The mayor fixed the old road last week.", return_tensors="pt")',
  'outputs = model(**inputs)',
  'start, end = outputs.start_logits.argmax(-1).item(), outputs.end_logits.argmax(-1).item()',
  'print(tokenizer.decode(inputs["input_ids"][0][start : end + 1]))  # the answer span',
];

/** Python that ranks one context's choices with a multiple-choice head (MultipleChoiceModelOutput, logits [1, num_choices]). */
function multipleChoiceUsageLines(head: HeadExport): string[] {
  const n = Number(head.config.num_choices);
  return [
    'context = "A man sits down at the piano."',
    `choices = [${Array.from({ length: n }, (_, i) => JSON.stringify(`ending ${i}`)).join(', ')}]  # num_choices = ${n} endings`,
    'inputs = tokenizer([context] * len(choices), choices, return_tensors="pt", padding=True)',
    'logits = model(**{k: v.unsqueeze(0) for k, v in inputs.items()}).logits  # [1, num_choices]',
    'print(logits.softmax(-1).tolist())  # each choice\'s probability; argmax(-1) is the chosen one',
  ];
}

/** Python that prints the prediction for one text with the adapter's head. */
function predictionLines(head: HeadExport | undefined, logits: string): string[] {
  if (!head) return [`outputs = ${logits.replace('.logits', '')}  # no head was saved: hidden states only`];
  if (isRegressionHead(head)) return [`print(${logits}.item())`];
  if (head.config.head_type === 'multilabel_classification') {
    if (!head.thresholds) return [`print((${logits}.sigmoid() > 0.5).nonzero())  # the predicted label ids`];
    // The studio's per-label thresholds (head_config.json's "thresholds"), by label id.
    const thresholds = headLabels(head.config).map((label) => pythonFloatRepr(head.thresholds![label] ?? 0.5));
    return [
      `thresholds = [${thresholds.join(', ')}]  # head_config.json's "thresholds", by label id`,
      `print([i for i, p in enumerate(${logits}.sigmoid()[0].tolist()) if p >= thresholds[i]])  # the predicted label ids`,
    ];
  }
  if (head.config.head_type === 'tagging') return [`print(${logits}.argmax(-1)[0].tolist())  # a tag id per token (special tokens included)`];
  return [`print(${logits}.argmax(-1).item())  # the predicted label id`];
}

/** A card's Usage section up to the loaded model: the install line, the imports (and `imports`), tokenizer and model. */
function usageStart(modelName: string, imports: string[]): string[] {
  return [
    '## Usage',
    '',
    '```',
    'pip install -U adapters',
    '```',
    '',
    '```python',
    'from adapters import AutoAdapterModel',
    ...imports,
    'from transformers import AutoTokenizer',
    '',
    `tokenizer = AutoTokenizer.from_pretrained(${JSON.stringify(modelName)})`,
    `model = AutoAdapterModel.from_pretrained(${JSON.stringify(modelName)})`,
  ];
}

/** README.md of the AdapterHub folder; `location` is what the snippet passes to load_adapter. */
export function adapterHubModelCard(exp: AdapterExport, config: AdapterConfig, location: string): string {
  const preset = presetNameOf(config);
  const training = exp.training;
  const header = frontMatter({
    base_model: exp.modelName,
    library_name: 'adapter-transformers',
    tags: ['adapter-transformers', 'adapters', exp.modelType, preset ?? architectureOf(config)],
    datasets: hubDatasets(training),
  });
  const lines = [
    header,
    '',
    `# Adapter ${markdownCode(exp.name)} for ${markdownText(exp.modelName)}`,
    '',
    `A ${methodName(config)} for ${hubLink(exp.modelName, 'model')}${trainedOn(training)}${headSentence(exp.head)}.`,
    'It loads with the **[Adapters](https://github.com/adapter-hub/adapters)** library.',
    '',
    ...usageStart(exp.modelName, []),
    `name = model.load_adapter(${JSON.stringify(location)})  # this folder, or the Hub repo id it was pushed to`,
    `model.set_active_adapters(name)${exp.head ? '  # also activates the head of the same name' : ''}`,
    '',
    ...(exp.head?.config.head_type === 'question_answering' ? QA_USAGE_LINES : exp.head?.config.head_type === 'multiple_choice' ? multipleChoiceUsageLines(exp.head) : [
      training?.textColumns.length === 2
        ? 'inputs = tokenizer("A man is playing a guitar.", "Someone is making music.", return_tensors="pt")'
        : 'inputs = tokenizer("Adapters are lightweight!", return_tensors="pt")',
      ...predictionLines(exp.head, 'model(**inputs).logits'),
      ...(exp.head && !isRegressionHead(exp.head) ? ['print(model.get_labels_dict(name))  # label names by id'] : []),
    ]),
    '```',
    '',
    '`load_adapter` reads `pytorch_adapter.bin`; `model.load_adapter(path, use_safetensors=True)` reads `adapter.safetensors` instead.',
    '',
    '## Adapter',
    '',
    row(['', '']),
    row(['---', '---']),
    row(['Method', methodName(config)]),
    row(['Base model', `${markdownText(exp.modelName)} (${plain(exp.modelType)}, hidden size ${plain(exp.hiddenSize)})`]),
    ...(exp.head ? [row(['Head', `${plain(String(exp.head.config.head_type).replace(/_/g, ' '))}, ${exp.head.config.head_type === 'multiple_choice' ? `${plain(exp.head.config.num_choices)} choices (1 score per pair)` : `${plain(exp.head.config.num_labels)} output(s)`}, ${plain(exp.head.config.layers)} layer(s), ${plain(exp.head.config.activation_function ?? 'no')} activation`])] : []),
    '',
    'Config (`config` in adapter_config.json):',
    '',
    '```json',
    pythonJsonDumps(config),
    '```',
  ];
  if (training) lines.push('', trainingSection(training));
  return `${lines.join('\n')}\n`;
}

/** README.md of the PEFT folder, in the shape PEFT's own card metadata has (library_name peft, base_model, tags). */
export function peftModelCard(exp: AdapterExport, peftType: 'LORA' | 'IA3', baseLoad: string[], unmapped: string[]): string {
  const training = exp.training;
  const header = frontMatter({
    base_model: exp.modelName,
    library_name: 'peft',
    tags: [`base_model:adapter:${exp.modelName}`, ...(peftType === 'LORA' ? ['lora'] : ['ia3']), 'transformers'],
    datasets: hubDatasets(training),
  });
  const lines = [
    header,
    '',
    `# ${peftType === 'LORA' ? 'LoRA' : '(IA)³'} adapter ${markdownCode(exp.name)} for ${markdownText(exp.modelName)}`,
    '',
    `An adapter for ${hubLink(exp.modelName, 'model')}${trainedOn(training)}${headSentence(exp.head)}, exported for 🤗 PEFT by Adapter Studio.`,
    '',
    '## Usage',
    '',
    '```',
    'pip install -U peft transformers',
    '```',
    '',
    '```python',
    'from peft import PeftModel',
    ...baseLoad,
    'model = PeftModel.from_pretrained(base, "path/to/this/folder")  # or the Hub repo id it was pushed to',
    ...(exp.head?.config.head_type === 'question_answering' ? ['', 'from transformers import AutoTokenizer', '', `tokenizer = AutoTokenizer.from_pretrained(${JSON.stringify(exp.modelName)})`, ...QA_USAGE_LINES] : []),
    ...(exp.head?.config.head_type === 'tagging' ? ['', 'from transformers import AutoTokenizer', '', `tokenizer = AutoTokenizer.from_pretrained(${JSON.stringify(exp.modelName)})`, 'inputs = tokenizer("the mayor visited geneva", return_tensors="pt")', 'print([model.config.id2label[i] for i in model(**inputs).logits.argmax(-1)[0].tolist()])  # a tag per token (special tokens included)'] : []),
    '```',
  ];
  if (unmapped.length) lines.push('', '## Not carried over', '', ...unmapped.map((u) => `- ${u}`));
  if (training) lines.push('', trainingSection(training));
  lines.push('', '### Framework versions', '', '- PEFT 0.10 or newer');
  return `${lines.join('\n')}\n`;
}

/**
 * README.md beside a fusion's folders: what each folder is, and Python that loads the fused adapters, the fusion
 * (load_adapter_fusion) and the head (load_head) and activates Fuse(...). `location` is the folder's path.
 */
export function fusionModelCard(exp: FusionExport, location: string): string {
  const training = exp.training;
  const at = (folder: string) => JSON.stringify(`${location}/${folder}`);
  const head = exp.head;
  const lines = [
    frontMatter({
      base_model: exp.modelName,
      library_name: 'adapter-transformers',
      tags: ['adapter-transformers', 'adapters', exp.modelType, 'adapter-fusion'],
      datasets: hubDatasets(training),
    }),
    '',
    `# AdapterFusion ${markdownCode(exp.name)} for ${markdownText(exp.modelName)}`,
    '',
    `An AdapterFusion of ${exp.adapterNames.map(markdownCode).join(', ')} on ${hubLink(exp.modelName, 'model')}${trainedOn(training)}${headSentence(head)}.`,
    'It loads with the **[Adapters](https://github.com/adapter-hub/adapters)** library.',
    '',
    '## Folders',
    '',
    ...exp.adapterNames.map((name) => `- ${markdownCode(`${name}/`)}: the fused adapter ${markdownCode(name)} (what \`save_adapter\` writes)`),
    `- ${markdownCode(`${exp.name}/`)}: the fusion layers (what \`save_adapter_fusion\` writes: adapter_fusion_config.json, pytorch_model_adapter_fusion.bin, model_adapter_fusion.safetensors)`,
    ...(head ? [`- ${markdownCode(`${head.name}/`)}: the head trained with the fusion (what \`save_head\` writes)`] : []),
    '',
    ...usageStart(exp.modelName, ['from adapters.composition import Fuse']),
    ...exp.adapterNames.map((name) => `model.load_adapter(${at(name)}, with_head=False)`),
    `model.load_adapter_fusion(${at(exp.name)})`,
    ...(head ? [`model.load_head(${at(head.name)})`] : []),
    `model.set_active_adapters(Fuse(${exp.adapterNames.map((n) => JSON.stringify(n)).join(', ')}))`,
    ...(head ? [`model.active_head = ${JSON.stringify(head.name)}`] : []),
    '',
    training?.textColumns.length === 2
      ? 'inputs = tokenizer("A man is playing a guitar.", "Someone is making music.", return_tensors="pt")'
      : 'inputs = tokenizer("Adapters are lightweight!", return_tensors="pt")',
    ...predictionLines(head, 'model(**inputs).logits'),
    '```',
    '',
    'Config (`config` in adapter_fusion_config.json):',
    '',
    '```json',
    pythonJsonDumps(exp.fusionConfig, new Set(['dropout_prob'])),
    '```',
  ];
  if (training) lines.push('', trainingSection(training));
  return `${lines.join('\n')}\n`;
}
