/**
 * "Continue in Python": a folder with the AdapterHub export under adapter/, a train.py that reproduces the studio's
 * setup (base model, method and config through the saved adapter, dataset, columns, split plan, hyperparameters)
 * and keeps training it with the `adapters` library's AdapterTrainer, and a requirements.txt. train.py runs on one
 * GPU (`python train.py`) or many (`accelerate launch train.py`); heavy imports happen inside main() so that the
 * data helpers can be imported and checked on their own.
 */
import { pythonFloatRepr } from '../adapters/python-json.ts';
import { adapterHubFiles, exportableAdapterConfig } from './adapterhub.ts';
import { AdapterExportError } from './errors.ts';
import { MC_ROW_HELPERS, multipleChoiceMain } from '../tasks/multiple-choice/python-mc.ts';
import { QA_ROW_HELPERS, questionAnsweringMain } from '../tasks/question-answering/python-qa.ts';
import { MULTI_LABEL_ROW_HELPERS, multiLabelMain } from '../tasks/multi-label/python-multilabel.ts';
import { thresholdsOf } from '../tasks/multi-label/thresholds.ts';
import { TAG_ROW_HELPERS, taggingConstants, taggingMain } from '../tasks/token-classification/python-tagging.ts';
import { TO_LABEL, TO_TEXT, mainArguments, trainerAndTail } from './train-script-parts.ts';
import { DEFAULT_MAX_ANSWER_LENGTH, DEFAULT_N_BEST } from '../tasks/question-answering/postprocess.ts';
import { defaultDocStride } from '../tasks/question-answering/windows.ts';
import { headLabels, methodName } from './model-card.ts';
import type { AdapterExport, AdapterFiles, LocalFileRecord } from './types.ts';

/** Folder of the adapter inside the project (what train.py warm-starts from). */
export const PROJECT_ADAPTER_DIR = 'adapter';

/** Folder of the local data file inside the project. */
export const PROJECT_DATA_DIR = 'data';

/** Local files up to this size travel inside the project; larger ones are named for the user to copy in. */
export const MAX_BUNDLED_DATA_BYTES = 64 * 1024 * 1024;

/** What the project holds besides the adapter. */
export interface PythonProjectOptions {
  /** The bytes of the local file the adapter was trained on (`training.localFile`), when the caller has them. */
  dataFile?: Uint8Array;
}

/** A Python literal for `value` (numbers: ints stay ints). */
function py(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : pythonFloatRepr(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(py).join(', ')}]`;
  return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${JSON.stringify(k)}: ${py(v)}`).join(', ')}}`;
}

/** A Python float literal (0 → 0.0). */
const pyFloat = (value: number) => pythonFloatRepr(value);

/** The studio's metric names → the keys train.py's compute_metrics returns, and whether larger is better. */
const METRICS: Record<string, [string, boolean]> = {
  accuracy: ['accuracy', true], macroF1: ['macro_f1', true], pearson: ['pearson', true], mse: ['mse', false], loss: ['loss', false],
  f1: ['f1', true], exactMatch: ['exact_match', true], entityF1: ['entity_f1', true], tokenAccuracy: ['token_accuracy', true], microF1: ['micro_f1', true],
};

/** train.py's question-answering constants: the windows and the postprocessing, as the studio ran them. */
const QA_CONSTANTS = (maxLength: number, docStride: number | undefined): [string, string, string?][] => [
  ['DOC_STRIDE', py(docStride ?? defaultDocStride(maxLength)), 'context tokens neighbouring windows share (run_qa\'s doc_stride)'],
  ['N_BEST', py(DEFAULT_N_BEST), 'start / end candidates per window (run_qa\'s n_best_size)'],
  ['MAX_ANSWER_LENGTH', py(DEFAULT_MAX_ANSWER_LENGTH), 'longest answer in tokens'],
];

/** The schedule as transformers' lr_scheduler_type. */
function schedulerType(schedule: string | undefined, warms: boolean): string {
  if (schedule === 'cosine') return 'cosine';
  if (schedule === 'constant') return warms ? 'constant_with_warmup' : 'constant';
  return 'linear';
}

/**
 * Where a local file goes in the project: one plain path segment under data/ (a record read from a card may say
 * anything); a validation file named like the training file gets a prefix.
 */
export function projectDataPath(file: LocalFileRecord, role: 'train' | 'validation' = 'train', train?: LocalFileRecord): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what the file name must lose.
  const segment = (f: LocalFileRecord) => f.name.replace(/[\\/:*?"<>|\x00-\x1f]/g, '_').replace(/^\.+/, (dots) => '_'.repeat(dots.length)) || `data.${f.format}`;
  const name = segment(file);
  return `${PROJECT_DATA_DIR}/${role === 'validation' && train && segment(train) === name ? `validation-${name}` : name}`;
}

/** Whether the project carries the local file's bytes. */
const bundles = (options: PythonProjectOptions) =>
  options.dataFile !== undefined && options.dataFile.byteLength <= MAX_BUNDLED_DATA_BYTES;

const fileSize = (bytes: number) => (bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1e3))} kB`);

/**
 * read_local_file() and load_local_files(): each format read the way the studio reads it (src/core/data/local-files.ts),
 * with the `datasets` builder of that format; the training file becomes split "train", a validation file "validation".
 */
const LOCAL_LOADER = `

def read_local_file(name, data_format):
    """A file of the studio run (path relative to this script) as the studio read it: a DatasetDict with one split, "train"."""
    from datasets import load_dataset

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), name)
    if not os.path.exists(path):
        raise SystemExit(f"{path} is missing: put the file the studio trained on there (see README.md).")
    if data_format == "csv":
        # Only empty cells are missing values, as in the studio (pandas would also take "NA", "null", "None"... as missing).
        return load_dataset("csv", data_files=path, keep_default_na=False, na_values=[""])
    if data_format == "tsv":
        # Tabs split cells and a " is text (csv.QUOTE_NONE): the studio reads a TSV the way GLUE ships them.
        return load_dataset("csv", data_files=path, delimiter="\\t", quoting=3, keep_default_na=False, na_values=[""])
    if data_format == "jsonl":
        return load_dataset("json", data_files=path)
    if data_format == "json":
        import json

        with open(path, encoding="utf-8") as f:
            document = json.load(f)
        # The studio reads an array of records, {"data"|"rows"|"examples"|"train": [records]}, or columns {"text": [...], ...}.
        if isinstance(document, list):
            return load_dataset("json", data_files=path)
        field = next((k for k in ("data", "rows", "examples", "train") if isinstance(document.get(k), list)), None)
        if field is not None:
            return load_dataset("json", data_files=path, field=field)
        from datasets import Dataset, DatasetDict

        return DatasetDict({"train": Dataset.from_dict(document)})
    return load_dataset("parquet", data_files=path)


def load_local_files():
    """DATA_FILE as split "train" and, when the run had one, VALIDATION_DATA_FILE as split "validation"."""
    raw = {"train": read_local_file(DATA_FILE, DATA_FORMAT)["train"]}
    if VALIDATION_DATA_FILE is not None:
        raw["validation"] = read_local_file(VALIDATION_DATA_FILE, VALIDATION_DATA_FORMAT)["train"]
    return raw
`;

/** train.py for the export's training record; `options.dataFile` says whether the project carries a local file. */
export function trainingScript(exp: AdapterExport, options: PythonProjectOptions = {}): string {
  const t = exp.training;
  if (!t) throw new AdapterExportError(`Adapter "${exp.name}" carries no training setup (dataset, columns, hyperparameters); continue-in-Python needs an adapter trained in the studio.`);
  if (!exp.head) throw new AdapterExportError(`Adapter "${exp.name}" has no prediction head; the training script needs the head it was trained with.`);
  const h = t.hyperparameters;
  const regression = t.labelKind === 'float';
  const answers = t.labelKind === 'answers';
  const tags = t.labelKind === 'tags';
  const multiLabel = t.labelKind === 'labelList' || t.labelKind === 'binaryColumns';
  const metric = h.metricForBest ?? (regression ? 'mse' : answers ? 'f1' : tags ? 'entityF1' : multiLabel ? 'microF1' : 'accuracy');
  const [metricKey, greaterIsBetter] = METRICS[metric] ?? METRICS.loss;
  const warmup = h.warmupRatio ?? 0;
  const method = methodName(exportableAdapterConfig(exp)).replace(/`/g, '');
  const file = t.localFile;
  const validationFile = t.localValidationFile;
  const data: [string, string, string?][] = file
    ? [
      ['DATA_FILE', py(projectDataPath(file)), `the local file the studio trained on (${file.rows} rows), ${bundles(options) ? 'included in this project' : `not included (${fileSize(file.bytes)}): copy it here`}`],
      ['DATA_FORMAT', py(file.format)],
      ['VALIDATION_DATA_FILE', validationFile ? py(projectDataPath(validationFile, 'validation', file)) : 'None',
        validationFile ? `the local file it validated on (${validationFile.rows} rows), not included (${fileSize(validationFile.bytes)}): copy it here` : undefined],
      ['VALIDATION_DATA_FORMAT', py(validationFile?.format ?? null)],
    ]
    : [['DATASET', py(t.dataset)], ['DATASET_CONFIG', py(t.config ?? null)]];
  const constants: [string, string, string?][] = [
    ['BASE_MODEL', py(exp.modelName)],
    ['ADAPTER_DIR', py(`./${PROJECT_ADAPTER_DIR}`), `the studio's export: ${method}, head included`],
    ...data,
    ['TRAIN_SPLIT', py(t.splits.train)],
    ['VALIDATION_SPLIT', py(t.splits.validation)],
    ['HELD_OUT_SHARE', t.splits.heldOut ? pyFloat(t.splits.heldOut.share) : 'None', 'rows of TRAIN_SPLIT kept out of training (see is_held_out); they validate when VALIDATION_SPLIT is TRAIN_SPLIT'],
    ['HELD_OUT_SEED', py(t.splits.heldOut?.seed ?? h.seed)],
    ['MAX_TRAIN_EXAMPLES', py(t.splits.maxTrainExamples ?? null)],
    ['MAX_VALIDATION_EXAMPLES', py(t.splits.maxValidationExamples ?? null)],
    ['TEXT_COLUMN', py(t.textColumns[0])],
    ['TEXT_PAIR_COLUMN', py(t.textColumns[1] ?? null)],
    ['LABEL_COLUMN', py(t.labelColumn)],
    ...(answers ? [] : [
      ['LABEL_KIND', py(t.labelKind), 'classLabel / int: ids; string: index in LABELS; bool: 0/1; float: regression'],
      ...(t.choiceColumns
        ? [['LABELS', py(t.choiceColumns), 'the choice columns: a label is the index of the right one'], ['CHOICE_COLUMNS', py(t.choiceColumns), 'each pair is (TEXT_COLUMN, TEXT_PAIR_COLUMN + " " + choice), as run_swag builds them']]
        : [['LABELS', py(regression ? [] : headLabels(exp.head.config)), 'label names by id (the head\'s)']]),
    ] as [string, string, string?][]),
    ...(multiLabel ? [
      ['LABEL_COLUMNS', py(t.labelColumns ?? null), 'binaryColumns: the 0/1 columns, one per label in LABELS order'],
      ['THRESHOLDS', py(multiLabelThresholds(exp)), 'a label is predicted when its sigmoid probability is at or above its threshold'],
    ] as [string, string, string?][] : []),
    ['MAX_LENGTH', py(h.maxLength)],
    ...(answers ? QA_CONSTANTS(h.maxLength, h.docStride) : []),
    ...(tags ? taggingConstants(exp.modelType) : []),
    ['LEARNING_RATE', pyFloat(h.learningRate)],
    [h.maxSteps !== undefined ? 'MAX_STEPS' : 'NUM_EPOCHS', py(h.maxSteps ?? h.epochs ?? 3)],
    ['BATCH_SIZE', py(h.batchSize), 'examples per optimizer step across all devices (before accumulation)'],
    ['GRADIENT_ACCUMULATION', py(h.gradientAccumulation ?? 1)],
    ['WARMUP_RATIO', pyFloat(warmup)],
    ['WARMUP_STEPS', py(h.warmupSteps ?? 0), 'wins over WARMUP_RATIO when above 0'],
    ['WEIGHT_DECAY', pyFloat(h.weightDecay ?? 0.01)],
    ['LR_SCHEDULER', py(schedulerType(h.schedule, warmup > 0 || (h.warmupSteps ?? 0) > 0))],
    ['MAX_GRAD_NORM', pyFloat(h.maxGradNorm ?? 1)],
    ['SEED', py(h.seed)],
    ['EVAL_STEPS', py(h.evalEverySteps ?? null), 'None: evaluate (and keep the best) once per epoch'],
    ['EARLY_STOPPING_PATIENCE', py(h.earlyStoppingPatience ?? null)],
    ['METRIC_FOR_BEST', py(metricKey)],
    ['GREATER_IS_BETTER', py(greaterIsBetter)],
  ];
  const constantLines = constants.map(([name, value, comment]) => `${name} = ${value}${comment ? `  # ${comment}` : ''}`);
  const best = t.bestMetrics ? Object.entries(t.bestMetrics).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(4)}`).join(', ') : '';
  const lengthArg = h.maxSteps !== undefined ? 'max_steps=MAX_STEPS' : 'num_train_epochs=NUM_EPOCHS';

  const intro = `"""Continue training the Adapter Studio adapter ${JSON.stringify(exp.name)} in Python, on one GPU or many.

    pip install -r requirements.txt
    python train.py                  # one GPU (or the CPU)
    accelerate launch train.py       # every GPU of this machine (run \`accelerate config\` for more)

It loads ${exp.modelName}, warm-starts from the adapter and head the studio trained (${PROJECT_ADAPTER_DIR}/),
trains them further on the same data with the same hyperparameters using AdapterTrainer, keeps the best
evaluation (${metricKey}), and saves it with model.save_adapter in the same AdapterHub format.${best ? `
The studio's best validation metrics were: ${best}.` : ''}
"""
import argparse
import os

# The setup the studio used.
${constantLines.join('\n')}

_M32 = 0xFFFFFFFF


def _fmix32(h):
    """MurmurHash3's 32-bit finaliser (the studio's split-plan.ts fmix32)."""
    h &= _M32
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _M32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _M32
    h ^= h >> 16
    return h


def is_held_out(row, share=HELD_OUT_SHARE, seed=HELD_OUT_SEED):
    """Whether row \`row\` of TRAIN_SPLIT is a validation row: the same seeded hash the studio uses."""
    mixed = ((row * 0x9E3779B1) & _M32) ^ _fmix32(seed ^ (row >> 32))
    return _fmix32(mixed) / 2**32 < share


`;
  const rowHelpers = `${TO_LABEL}${TO_TEXT}def is_usable(example):
    texts = [example[TEXT_COLUMN]] + ([example[TEXT_PAIR_COLUMN]] if TEXT_PAIR_COLUMN else [])
    return all(to_text(t) is not None for t in texts) and to_label(example[LABEL_COLUMN]) is not None


`;
  const splits = `def load_splits():
    """Training and validation rows as the studio picked them: hold-out, usable rows, then the first N."""
${file ? '    raw = load_local_files()' : `    from datasets import load_dataset

    raw = load_dataset(DATASET, DATASET_CONFIG)`}
    train = raw[TRAIN_SPLIT]
    validation = raw[VALIDATION_SPLIT]
    if HELD_OUT_SHARE is not None:
        if VALIDATION_SPLIT == TRAIN_SPLIT:
            validation = train.filter(lambda _, i: is_held_out(i), with_indices=True)
        train = train.filter(lambda _, i: not is_held_out(i), with_indices=True)

    def usable(dataset, cap):
        dataset = dataset.filter(is_usable)
        return dataset if cap is None else dataset.select(range(min(cap, len(dataset))))

    return usable(train, MAX_TRAIN_EXAMPLES), usable(validation, MAX_VALIDATION_EXAMPLES)
${file ? LOCAL_LOADER : ''}

`;
  if (t.labelKind === 'answers') return intro + QA_ROW_HELPERS + splits + questionAnsweringMain(exp.name, lengthArg);
  if (tags) return intro + TAG_ROW_HELPERS + splits + taggingMain(exp.name, lengthArg);
  if (t.choiceColumns) return intro + MC_ROW_HELPERS + splits + multipleChoiceMain(exp.name, lengthArg, exp.head.config);
  if (multiLabel) return intro + MULTI_LABEL_ROW_HELPERS + splits + multiLabelMain(exp.name, lengthArg);
  return intro + rowHelpers + splits + `def metrics_function():
    import evaluate
    import numpy as np

    if LABEL_KIND == "float":
        mse, pearson = evaluate.load("mse"), evaluate.load("pearsonr")

        def compute(prediction):
            predicted = np.asarray(prediction.predictions).reshape(-1)
            targets = np.asarray(prediction.label_ids).reshape(-1)
            return {
                "mse": mse.compute(predictions=predicted, references=targets)["mse"],
                "pearson": pearson.compute(predictions=predicted, references=targets)["pearsonr"],
            }
    else:
        accuracy, f1 = evaluate.load("accuracy"), evaluate.load("f1")

        def compute(prediction):
            predicted = np.argmax(prediction.predictions, axis=-1)
            targets = prediction.label_ids
            return {
                "accuracy": accuracy.compute(predictions=predicted, references=targets)["accuracy"],
                "macro_f1": f1.compute(predictions=predicted, references=targets, average="macro")["f1"],
            }
    return compute


${mainArguments()}
    from adapters import AdapterTrainer, AutoAdapterModel
    from transformers import AutoTokenizer, DataCollatorWithPadding, EarlyStoppingCallback, TrainingArguments

    tokenizer = AutoTokenizer.from_pretrained(BASE_MODEL)

    def encode(batch):
        texts = [to_text(t) for t in batch[TEXT_COLUMN]]
        pairs = [to_text(t) for t in batch[TEXT_PAIR_COLUMN]] if TEXT_PAIR_COLUMN else None
        encoded = tokenizer(texts, pairs, truncation=True, max_length=MAX_LENGTH)
        encoded["labels"] = [to_label(v) for v in batch[LABEL_COLUMN]]
        return encoded

    train, validation = load_splits()
    train = train.map(encode, batched=True, remove_columns=train.column_names)
    validation = validation.map(encode, batched=True, remove_columns=validation.column_names)

    model = AutoAdapterModel.from_pretrained(BASE_MODEL)
    name = model.load_adapter(ADAPTER_DIR, set_active=True)  # adapter ${JSON.stringify(exp.name)} and its head
    model.train_adapter(name)  # freezes the base model; the adapter and the head train

${trainerAndTail(lengthArg, { train: 'train', validation: 'validation', collator: 'DataCollatorWithPadding(tokenizer)', metrics: 'metrics_function()' })}`;
}

/** The head's thresholds in LABELS order, as floats (0.5 each where head_config.json has none). */
function multiLabelThresholds(exp: AdapterExport): number[] {
  const labels = headLabels(exp.head!.config);
  return thresholdsOf(labels.length, exp.head!.thresholds ? labels.map((l) => exp.head!.thresholds![l] ?? 0.5) : undefined);
}

/** requirements.txt: the adapters library (which brings transformers and torch) and what train.py uses. */
export const PYTHON_REQUIREMENTS = [
  'adapters>=1.2.0',
  'datasets>=2.19',
  'accelerate>=0.26',
  'evaluate>=0.4',
  'scikit-learn  # accuracy and F1 through evaluate',
  'scipy  # Pearson correlation through evaluate',
  '',
].join('\n');

/** The README's sentence on the data: the Hub dataset is fetched; a local file is in data/, or must be copied there. */
function dataSentence(exp: AdapterExport, options: PythonProjectOptions): string {
  const file = exp.training?.localFile;
  if (!file) return '`train.py` trains it further with the same dataset, columns and hyperparameters.';
  const where = bundles(options)
    ? `It is included as \`${projectDataPath(file)}\`.`
    : `It is not included (${fileSize(file.bytes)}${options.dataFile ? `, over the ${fileSize(MAX_BUNDLED_DATA_BYTES)} limit` : ''}): copy it to \`${projectDataPath(file)}\` before running \`train.py\`.`;
  const validation = exp.training?.localValidationFile;
  const validationWhere = validation
    ? ` It validated on a second file (${validation.format.toUpperCase()}, ${validation.rows} rows), not included (${fileSize(validation.bytes)}): copy it to \`${projectDataPath(validation, 'validation', file)}\`.`
    : '';
  return `\`train.py\` trains it further with the same columns and hyperparameters on the local file it was trained on (${file.format.toUpperCase()}, ${file.rows} rows). ${where}${validationWhere}`;
}

/**
 * The project's files: adapter/ (the AdapterHub export), train.py, requirements.txt, README.md, and for an adapter
 * trained on a local file, that file under data/ when `options.dataFile` holds it and it is not too big.
 */
export function pythonProjectFiles(exp: AdapterExport, options: PythonProjectOptions = {}): AdapterFiles {
  const script = trainingScript(exp, options);
  const files: AdapterFiles = new Map();
  for (const [path, bytes] of adapterHubFiles(exp, { location: `./${PROJECT_ADAPTER_DIR}` })) files.set(`${PROJECT_ADAPTER_DIR}/${path}`, bytes);
  const file = exp.training?.localFile;
  if (file && options.dataFile && bundles(options)) files.set(projectDataPath(file), options.dataFile);
  files.set('train.py', new TextEncoder().encode(script));
  files.set('requirements.txt', new TextEncoder().encode(PYTHON_REQUIREMENTS));
  files.set('README.md', new TextEncoder().encode([
    `# Continue training \`${exp.name}\` in Python`,
    '',
    `The adapter trained in Adapter Studio on ${exp.modelName} is in \`${PROJECT_ADAPTER_DIR}/\` (AdapterHub format; see its README).`,
    dataSentence(exp, options),
    '',
    '```',
    'pip install -r requirements.txt',
    'python train.py                # one GPU',
    'accelerate launch train.py     # several GPUs',
    '```',
    '',
    'The best adapter is saved to `adapter-continued/` (`--save-to` changes it); load it with',
    '`AutoAdapterModel.from_pretrained(...).load_adapter("adapter-continued")`.',
    '',
  ].join('\n')));
  return files;
}
