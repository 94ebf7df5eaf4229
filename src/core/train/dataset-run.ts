/**
 * The wiring from an inspected dataset to a training run, shared by the CLI's `train` and the studio's worker: the
 * head the column mapping asks for, the tokenised batches of the plan's training and validation parts, and the
 * record of how the adapter was trained that the export writes into its model card.
 */
import type { HeadOptions } from '../adapters/head.ts';
import type { Batch } from '../data/batching.ts';
import type { ColumnMapping } from '../data/column-mapping.ts';
import type { DatasetHandle } from '../data/dataset-handle.ts';
import type { DatasetReport } from '../data/dataset-report.ts';
import { ExampleStream, type ExampleStreamOptions } from '../data/example-stream.ts';
import type { SplitPart } from '../data/split-plan.ts';
import { dataSplitsOf } from '../export/from-adapter.ts';
import type { LocalFileRecord, TrainingRecord } from '../export/types.ts';
import type { EncoderTokenizer } from '../model/tokenizer.ts';
import { questionTrainingData } from '../tasks/question-answering/qa-training-data.ts';
import { tagTrainingData } from '../tasks/token-classification/tag-training-data.ts';
import { datasetBatches, tokenizeWith } from './dataset-batches.ts';
import type { TrainResult } from './events.ts';
import { type TrainingSettings, hyperparametersOf } from './training-settings.ts';
import type { TrainingData } from './trainer.ts';

/** The prediction head for the mapped label column: one regression output, or a class per label name. */
export function headOptionsOf(mapping: Pick<ColumnMapping, 'task' | 'labelNames'>): HeadOptions {
  if (mapping.task === 'questionAnswering') return { kind: 'questionAnswering' };
  if (mapping.task === 'multiLabel') return { kind: 'multilabel', numLabels: mapping.labelNames.length, id2label: mapping.labelNames };
  if (mapping.task === 'tokenClassification') return { kind: 'tagging', numLabels: mapping.labelNames.length, id2label: mapping.labelNames };
  // A multiple-choice mapping's label names are its choice columns.
  if (mapping.task === 'multipleChoice') return { kind: 'multipleChoice', numChoices: mapping.labelNames.length };
  return mapping.task === 'regression' ? { kind: 'regression' } : { numLabels: mapping.labelNames.length, id2label: mapping.labelNames };
}

/** The example stream of one part of the split plan, read with the report's column mapping. */
export async function partStream(handle: DatasetHandle, report: DatasetReport, part: SplitPart, options?: ExampleStreamOptions): Promise<ExampleStream> {
  return new ExampleStream(await handle.open(part.split), part, report.mapping, options);
}

/**
 * The trainer's data for an inspected dataset: the plan's training part, validated on `validation` (default the
 * plan's), tokenised by the encoder's tokenizer in batches of `settings.batchSize`, shuffled per epoch with its seed.
 */
export async function trainingDataOf(
  handle: DatasetHandle,
  report: DatasetReport,
  tokenizer: EncoderTokenizer,
  settings: Pick<TrainingSettings, 'batchSize' | 'maxLength' | 'seed' | 'docStride'>,
  options: { validation?: SplitPart; stream?: ExampleStreamOptions } = {},
): Promise<TrainingData<Batch>> {
  const validation = options.validation ?? report.plan.validation;
  if (report.mapping.task === 'questionAnswering') {
    return questionTrainingData({
      train: await partStream(handle, report, report.plan.train, options.stream),
      validation: await partStream(handle, report, validation, options.stream),
      tokenizer, batchSize: settings.batchSize, maxLength: settings.maxLength, seed: settings.seed, docStride: settings.docStride,
    });
  }
  if (report.mapping.task === 'tokenClassification') {
    return tagTrainingData({
      train: await partStream(handle, report, report.plan.train, options.stream),
      validation: await partStream(handle, report, validation, options.stream),
      tokenizer, tagNames: report.mapping.labelNames, batchSize: settings.batchSize, maxLength: settings.maxLength, seed: settings.seed,
      validationExamples: expectedExamples(validation, handle.splits.find((s) => s.name === validation.split)?.numRows),
    });
  }
  const data = await datasetBatches({
    train: await partStream(handle, report, report.plan.train, options.stream),
    validation: await partStream(handle, report, validation, options.stream),
    tokenize: tokenizeWith(tokenizer),
    task: report.mapping.task,
    batchSize: settings.batchSize,
    maxLength: settings.maxLength,
    seed: settings.seed,
  });
  const examples = expectedExamples(validation, handle.splits.find((s) => s.name === validation.split)?.numRows);
  return examples === undefined ? data : { ...data, evalBatchCount: Math.ceil(examples / settings.batchSize) };
}

/** About how many examples a part yields: its cap, or its share of the split's rows when known (rows without a label included). */
export function expectedExamples(part: SplitPart, splitRows: number | undefined): number | undefined {
  const share = part.take === 'all' || !part.holdOut ? 1 : part.take === 'heldOut' ? part.holdOut.share : 1 - part.holdOut.share;
  const rows = splitRows === undefined ? undefined : Math.round(splitRows * share);
  if (rows === undefined) return part.maxExamples;
  return part.maxExamples === undefined ? rows : Math.min(rows, part.maxExamples);
}

/** The best evaluation's metrics as the record keeps them (the example count left out). */
function bestMetricsOf(result: Pick<TrainResult, 'best'>): Record<string, number> | undefined {
  if (!result.best) return undefined;
  const { loss, accuracy, macroF1, mse, pearson, entityF1, tokenAccuracy, microF1 } = result.best;
  return Object.fromEntries(Object.entries({ loss, accuracy, macroF1, mse, pearson, entityF1, tokenAccuracy, microF1 }).filter(([, v]) => v !== undefined)) as Record<string, number>;
}

/**
 * How the adapter was trained, for the model card and train.py: data, columns, settings and (after a run) its best
 * metrics; `localFile` (and `localValidationFile`) when the data was a local file (the report then names it, not a Hub dataset).
 */
export function trainingRecordOf(
  report: DatasetReport,
  settings: TrainingSettings,
  options: { validation?: SplitPart; result?: Pick<TrainResult, 'best' | 'bestStep'>; localFile?: LocalFileRecord; localValidationFile?: LocalFileRecord } = {},
): TrainingRecord {
  const { mapping } = report;
  const best = options.result && bestMetricsOf(options.result);
  return {
    dataset: report.dataset,
    ...(options.localFile ? { localFile: options.localFile } : {}),
    ...(options.localValidationFile ? { localValidationFile: options.localValidationFile } : {}),
    ...(report.config === undefined ? {} : { config: report.config }),
    splits: dataSplitsOf(report.plan.train, options.validation ?? report.plan.validation),
    textColumns: [mapping.text, ...(mapping.textPair ? [mapping.textPair] : [])],
    labelColumn: mapping.label,
    ...(mapping.labelColumns ? { labelColumns: mapping.labelColumns } : {}),
    ...(mapping.choices ? { choiceColumns: mapping.choices } : {}),
    labelKind: mapping.labelKind,
    hyperparameters: hyperparametersOf(settings),
    ...(best ? { bestMetrics: best, bestStep: options.result!.bestStep } : {}),
  };
}

/** Why an adapter's head does not fit a label column: no head, another task, or other labels. */
export interface HeadMismatch {
  kind: 'noHead' | 'task' | 'labels';
  /** What does not fit, without advice (the caller knows where the user fixes it). */
  message: string;
}

/** How an adapter's head fails to fit the mapped label column of `dataset`, or undefined when it fits. */
export function headMismatch(adapter: { name: string; head?: { kind: string; id2label: string[]; config?: { num_choices?: number } } }, mapping: ColumnMapping, dataset: string): HeadMismatch | undefined {
  const head = adapter.head;
  if (!head) return { kind: 'noHead', message: `Adapter "${adapter.name}" has no prediction head, so it cannot predict ${dataset}'s "${mapping.label}".` };
  const task = head.kind === 'tagging' ? 'tokenClassification' : head.kind === 'multilabel' ? 'multiLabel' : head.kind === 'regression' || head.kind === 'questionAnswering' || head.kind === 'multipleChoice' ? head.kind : 'classification';
  if (task !== mapping.task) {
    return { kind: 'task', message: `Adapter "${adapter.name}" was trained for ${task}, but ${dataset} column "${mapping.label}" is a ${mapping.task} target.` };
  }
  const numChoices = head.config?.num_choices;
  if (task === 'multipleChoice' && numChoices !== undefined && numChoices !== mapping.choices?.length) {
    return { kind: 'labels', message: `Adapter "${adapter.name}" picks among ${numChoices} choices, but ${dataset} has ${mapping.choices?.length} (${mapping.choices?.join(', ')}).` };
  }
  if ((task === 'classification' || task === 'tokenClassification' || task === 'multiLabel') && head.id2label.join('\n') !== mapping.labelNames.join('\n')) {
    return { kind: 'labels', message: `Adapter "${adapter.name}" predicts the labels ${head.id2label.join(', ')}, but ${dataset} has ${mapping.labelNames.join(', ')}.` };
  }
  return undefined;
}
