import { type SplitPart, batchExamples } from '../../core/data/index.ts';
import { loadEncoder } from '../../core/model/index.ts';
import { questionEvalBatches } from '../../core/tasks/question-answering/qa-training-data.ts';
import { tagEvalBatches } from '../../core/tasks/token-classification/tag-training-data.ts';
import { docStrideFlag, trainedDocStride } from '../shared/doc-stride.ts';
import { tokenizeWith } from '../../core/train/dataset-batches.ts';
import { headMismatch } from '../../core/train/dataset-run.ts';
import { evaluate } from '../../core/train/evaluate.ts';
import { type Command, UsageError, intFlag, report } from '../cli-io.ts';
import { backendOption, backendUsage, startBackend } from '../shared/backend.ts';
import { columnOptions, datasetSourceOf, datasetSourceOptions, openDataset, validationPart } from '../shared/dataset-source.ts';
import { endpointFrom } from '../shared/hub-flag.ts';
import { revisionFrom, revisionOption, revisionUsage } from '../shared/revision.ts';
import { liveTrained, readTrainedFiles } from '../shared/trained-files.ts';

export const evalCommand: Command = {
  name: 'eval',
  summary: 'evaluate a trained adapter on a Hub dataset split or a local file: loss, accuracy and macro-F1 (MSE and Pearson for regression)',
  usage: [
    'Usage: adapter-studio eval --model ID --adapter DIR_OR_ZIP (--dataset ID | --file PATH) [flags] [--json]',
    '',
    '  --model ID               Hub model id of the encoder the adapter was trained on',
    revisionUsage,
    '  --adapter PATH           adapter folder (train --out, or save_adapter\'s) or a zip of it, or an AdapterFusion\'s (train --fuse --out)',
    '  --dataset ID             Hub dataset id',
    '  --file PATH              a local .csv, .tsv, .jsonl, .json or .parquet file: all its rows are evaluated',
    '  --validation-file PATH   with --file as train had it: the labels are read as train read them, and this file is evaluated',
    '  --config C               dataset config',
    '  --split S                split to evaluate (default: the validation rows train used)',
    '  --train-split S          the split train used, when it was not "train" (locates the held-out rows)',
    '  --text-column A | --text-pair-column B | --label-column L | --label-columns A,B,C   columns, as for train',
    '  --batch-size B           examples per batch (default 16, as train)',
    '  --max-length L           most tokens per example (default 128, as train)',
    '  --doc-stride N           question answering: context tokens neighbouring windows share (default the training run\'s, else a third of --max-length, at most 128)',
    '  --hub URL                Hub-compatible base URL (default: huggingface.co)',
    backendUsage,
  ].join('\n'),
  options: {
    model: { type: 'string' },
    ...revisionOption,
    adapter: { type: 'string' },
    ...datasetSourceOptions,
    config: { type: 'string' },
    split: { type: 'string' },
    'train-split': { type: 'string' },
    ...columnOptions,
    'batch-size': { type: 'string' },
    'max-length': { type: 'string' },
    'doc-stride': { type: 'string' },
    hub: { type: 'string' },
    ...backendOption,
  },
  async run(values, ctx) {
    const model = values.model as string | undefined;
    const path = values.adapter as string | undefined;
    if (!model || !path || (!values.dataset && !values.file)) throw new UsageError('Give --model ID, --adapter DIR_OR_ZIP and --dataset ID (or --file PATH).');
    const revision = revisionFrom(values);
    const source = datasetSourceOf(values);
    const dataset = source.name;
    const batchSize = intFlag(values, 'batch-size', 16, 1, 4096);
    const maxLength = intFlag(values, 'max-length', 128, 8, 8192);
    await startBackend(values, ctx);
    const trained = await readTrainedFiles(path);
    const ep = endpointFrom(values);
    const { report: data, stream } = await openDataset(ep, values, ctx, values['train-split'] as string | undefined);
    // A file is evaluated whole: --file alone, or the --validation-file that went with it.
    const part: SplitPart = values.split !== undefined || !source.file
      ? validationPart(data.plan, values.split as string | undefined)
      : { split: source.validationFile ? 'validation' : 'train', take: 'all' };
    const encoder = await loadEncoder(ep, model, { revision });
    let adapter: ReturnType<typeof liveTrained> | undefined;
    try {
      adapter = liveTrained(trained, encoder);
      const trainable = adapter.trainable;
      const mismatch = headMismatch(adapter, data.mapping, dataset);
      if (mismatch) throw new UsageError(`${mismatch.message} ${mismatch.kind === 'task' ? 'Choose the label column with --label-column.' : 'Evaluate on the dataset it was trained for.'}`);
      const examples = (await stream(part)).ordered();
      const batches = data.mapping.task === 'questionAnswering'
        ? questionEvalBatches(examples, encoder.tokenizer, { batchSize, maxLength, docStride: docStrideFlag(values) ?? trainedDocStride(trained.files) })
        : data.mapping.task === 'tokenClassification' ? tagEvalBatches(examples, encoder.tokenizer, { batchSize, maxLength, tagNames: data.mapping.labelNames })
        : batchExamples(examples, tokenizeWith(encoder.tokenizer), { batchSize, maxLength, task: data.mapping.task });
      // A multi-label head decides with its own thresholds (head_config.json's), as predict does.
      const metrics = (await evaluate(trainable, batches, { thresholds: adapter.head?.thresholds }))!;
      const shown = (['accuracy', 'microF1', 'macroF1', 'mse', 'pearson', 'exactMatch', 'f1', 'entityF1', 'entityPrecision', 'entityRecall', 'tokenAccuracy', 'loss'] as const).filter((k) => metrics[k] !== undefined);
      report(ctx, { model, ...(revision === undefined ? {} : { revision }), adapter: adapter.name, dataset, ...(source.file ? { file: source.validationFile ?? source.file } : {}), split: part.split, take: part.take, metrics }, [
        `${adapter.name} on ${source.file ? `file "${source.validationFile ?? source.file}"` : `${dataset} split "${part.split}"`}${part.take === 'heldOut' ? ' (held-out rows)' : ''}: ${metrics.examples} examples`,
        ...shown.map((k) => `  ${k.padEnd(10)} ${metrics[k]!.toFixed(4)}`),
      ]);
      return 0;
    } finally {
      adapter?.dispose();
      encoder.dispose();
    }
  },
};
