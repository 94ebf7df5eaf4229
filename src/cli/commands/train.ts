import { stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { createAdapter } from '../../core/adapters/adapter.ts';
import { adapterExportOf } from '../../core/export/from-adapter.ts';
import { writeAdapterHubFolder } from '../../core/export/node-files.ts';
import { resolveAdapterConfig } from '../../core/adapters/config.ts';
import { type SplitPart, formatOfFileName } from '../../core/data/index.ts';
import { loadEncoder } from '../../core/model/index.ts';
import { adapterTrainable } from '../../core/train/adapter-trainable.ts';
import { TrainingControl } from '../../core/train/control.ts';
import { headOptionsOf, trainingDataOf, trainingRecordOf } from '../../core/train/dataset-run.ts';
import { DirectoryCheckpointStore } from '../../core/train/directory-checkpoint-store.ts';
import type { TrainEvent } from '../../core/train/events.ts';
import type { EvalMetrics } from '../../core/train/metrics.ts';
import { train } from '../../core/train/trainer.ts';
import { DEFAULT_TRAINING_SETTINGS, type TrainingSettings, trainOptionsOf } from '../../core/train/training-settings.ts';
import { type Command, type CommandContext, UsageError, intFlag, numberFlag, report } from '../cli-io.ts';
import { backendOption, backendUsage, startBackend } from '../shared/backend.ts';
import { adapterNameOf, columnOptions, datasetSourceOf, datasetSourceOptions, openDataset, validationPart } from '../shared/dataset-source.ts';
import { endpointFrom } from '../shared/hub-flag.ts';
import { checkOutputFolder } from '../shared/out-path.ts';
import { revisionFrom, revisionOption, revisionUsage } from '../shared/revision.ts';

const describePart = (part: SplitPart) => `split "${part.split}"${part.take === 'all' ? '' : part.take === 'kept' ? ' minus its hold-out' : ` (${Math.round(part.holdOut!.share * 100)}% held out)`}`;

function metricsLine(metrics: EvalMetrics): string {
  const shown = (['accuracy', 'macroF1', 'mse', 'pearson', 'loss'] as const).filter((k) => metrics[k] !== undefined);
  return shown.map((k) => `${k} ${metrics[k]!.toFixed(4)}`).join('  ');
}

/** Human lines for the events worth a line; progress at most every 2 s. */
function humanReporter(ctx: CommandContext): (event: TrainEvent) => void {
  let lastProgress = 0;
  return (event) => {
    switch (event.kind) {
      case 'progress': {
        const now = performance.now();
        if (now - lastProgress < 2000 && event.step !== event.totalSteps) return;
        lastProgress = now;
        ctx.out(`step ${event.step}/${event.totalSteps}  epoch ${event.epoch.toFixed(2)}  loss ${event.loss.toFixed(4)}  lr ${event.lr.toExponential(2)}  ${event.samplesPerSecond.toFixed(1)} examples/s  ${Math.round(event.tokensPerSecond)} tokens/s  ETA ${Number.isFinite(event.etaSeconds) ? Math.round(event.etaSeconds) : '?'} s${event.skipped ? '  (skipped)' : ''}`);
        return;
      }
      case 'eval':
        ctx.out(`eval at step ${event.step} (epoch ${event.epoch.toFixed(2)}): ${metricsLine(event.metrics)}${event.best ? '  ← best' : ''}`);
        return;
      case 'log':
        (event.level === 'warn' ? ctx.err : ctx.out)(event.message);
        return;
      case 'checkpoint':
        if (event.reason !== 'epoch') ctx.out(`checkpoint at step ${event.step} (${event.reason})`);
        return;
      default:
    }
  };
}

export const trainCommand: Command = {
  name: 'train',
  summary: 'train an adapter and head on a Hub dataset; writes the AdapterHub folder (save_adapter\'s files + README)',
  usage: [
    'Usage: adapter-studio train --model ID (--dataset ID | --file PATH) --out DIR [flags] [--json]',
    '',
    '  --model ID               Hub model id of the encoder (BERT, RoBERTa, DistilBERT, ELECTRA, XLM-R, DeBERTa, DeBERTa-v2/v3)',
    revisionUsage,
    '  --dataset ID             Hub dataset id',
    '  --file PATH              a local .csv, .tsv, .jsonl, .json or .parquet file to train on instead',
    '  --validation-file PATH   a second local file to validate on (default: 10% of --file held out)',
    '  --config C               dataset config (default: "default" or the first)',
    '  --train-split S          split to train on (default: train)',
    '  --eval-split S           split to validate on (default: validation, else 10% of train held out)',
    '  --validation-rows N      validate on at most the first N examples of it (default: all)',
    '  --text-column A          text column (default: detected)',
    '  --text-pair-column B     second text column of sentence pairs',
    '  --label-column L         label column (default: detected)',
    '  --method M               adapter config: a preset (seq_bn, double_seq_bn, par_bn, lora, ia3, prefix_tuning...)',
    '                           or a config string such as "seq_bn[reduction_factor=8]" (default seq_bn)',
    '  --reduction-factor N     bottleneck reduction factor (bottleneck methods)',
    '  --adapter-drop           AdapterDrop: each step skips the adapters of a random number of first layers',
    '  --name NAME              adapter name (default: the dataset name)',
    '  --lr X                   peak learning rate (default 1e-4)',
    '  --epochs N | --max-steps N   length of training (default 3 epochs)',
    '  --batch-size B           examples per step (default 16)',
    '  --gradient-accumulation N    micro-batches per optimizer step (default 1)',
    '  --max-length L           most tokens per example (default 128)',
    '  --warmup-ratio R         share of steps warming up (default 0)',
    '  --weight-decay W         AdamW weight decay (default 0.01)',
    '  --eval-steps N           also evaluate every N steps',
    '  --patience N             stop after N evaluations without a better accuracy (mse for regression)',
    '  --seed S                 seed of the initial weights, data order and dropout (default 42)',
    '  --hub URL                Hub-compatible base URL (default: huggingface.co)',
    '  --out DIR                where the adapter folder (and checkpoints/) are written',
    '  --resume                 continue from DIR/checkpoints with the same flags',
    backendUsage,
    '',
    'Ctrl-C pauses at the next step, saves a checkpoint and exits; run again with --resume to continue.',
    'With --json every event is a JSON line; the last line is the result. A token is read from HF_TOKEN.',
  ].join('\n'),
  options: {
    model: { type: 'string' },
    ...revisionOption,
    ...datasetSourceOptions,
    config: { type: 'string' },
    'train-split': { type: 'string' },
    'eval-split': { type: 'string' },
    'validation-rows': { type: 'string' },
    ...columnOptions,
    method: { type: 'string' },
    'reduction-factor': { type: 'string' },
    'adapter-drop': { type: 'boolean' },
    name: { type: 'string' },
    lr: { type: 'string' },
    epochs: { type: 'string' },
    'max-steps': { type: 'string' },
    'batch-size': { type: 'string' },
    'gradient-accumulation': { type: 'string' },
    'max-length': { type: 'string' },
    'warmup-ratio': { type: 'string' },
    'weight-decay': { type: 'string' },
    'eval-steps': { type: 'string' },
    patience: { type: 'string' },
    seed: { type: 'string' },
    hub: { type: 'string' },
    out: { type: 'string' },
    resume: { type: 'boolean' },
    ...backendOption,
  },
  async run(values, ctx) {
    const model = values.model as string | undefined;
    const out = values.out as string | undefined;
    if (!model || (!values.dataset && !values.file) || !out) throw new UsageError('Give --model ID, --dataset ID (or --file PATH) and --out DIR.');
    const revision = revisionFrom(values);
    const source = datasetSourceOf(values);
    const dataset = source.name;
    const name = (values.name as string | undefined) ?? adapterNameOf(source);
    if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new UsageError(`--name may hold letters, digits, "_" and "-" only, got "${name}"`);
    if (values.epochs !== undefined && values['max-steps'] !== undefined) throw new UsageError('Give either --epochs or --max-steps, not both.');
    const defaults = DEFAULT_TRAINING_SETTINGS;
    const settings: TrainingSettings = {
      ...defaults,
      learningRate: numberFlag(values, 'lr', defaults.learningRate, Number.MIN_VALUE),
      epochs: intFlag(values, 'epochs', defaults.epochs, 1),
      ...(values['max-steps'] !== undefined ? { maxSteps: intFlag(values, 'max-steps', 1, 1) } : {}),
      batchSize: intFlag(values, 'batch-size', defaults.batchSize, 1, 4096),
      maxLength: intFlag(values, 'max-length', defaults.maxLength, 8, 8192),
      gradientAccumulation: intFlag(values, 'gradient-accumulation', defaults.gradientAccumulation, 1, 1024),
      warmupRatio: numberFlag(values, 'warmup-ratio', defaults.warmupRatio, 0, 1),
      weightDecay: numberFlag(values, 'weight-decay', defaults.weightDecay, 0),
      seed: intFlag(values, 'seed', defaults.seed, 0, 2 ** 31 - 1),
      ...(values['eval-steps'] !== undefined ? { evalEverySteps: intFlag(values, 'eval-steps', 1, 1) } : {}),
      ...(values.patience !== undefined ? { earlyStoppingPatience: intFlag(values, 'patience', 1, 1) } : {}),
    };
    const overrides = values['reduction-factor'] === undefined ? {} : { reduction_factor: numberFlag(values, 'reduction-factor', 16, Number.MIN_VALUE) };
    const adapterConfig = resolveAdapterConfig((values.method as string | undefined) ?? 'seq_bn', overrides);

    // Before the model, the data and the run: a bad --out fails now, not after training.
    await checkOutputFolder(out);
    const backend = await startBackend(values, ctx);
    const ep = endpointFrom(values);
    const { handle, report: data } = await openDataset(ep, values, ctx, values['train-split'] as string | undefined);
    // Local files are named in the model card (no Hub link) and read by train.py.
    const fileRecord = async (path: string, split: string) =>
      ({ name: basename(path), format: formatOfFileName(path), rows: handle.splits.find((s) => s.name === split)?.numRows ?? 0, bytes: (await stat(path)).size });
    const localFile = source.file ? await fileRecord(source.file, 'train') : undefined;
    const localValidationFile = source.validationFile ? await fileRecord(source.validationFile, 'validation') : undefined;
    const validationRows = values['validation-rows'] === undefined ? undefined : intFlag(values, 'validation-rows', 1, 1);
    const planned = validationPart(data.plan, values['eval-split'] as string | undefined);
    const validation = validationRows === undefined ? planned : { ...planned, maxExamples: validationRows };
    const encoder = await loadEncoder(ep, model, { revision });
    const { mapping } = data;
    const adapter = createAdapter(encoder.config, adapterConfig, { name, seed: settings.seed, head: headOptionsOf(mapping) });
    const control = new TrainingControl();
    const onSignal = () => control.pause();
    process.once('SIGINT', onSignal);
    try {
      const batches = await trainingDataOf(handle, data, encoder.tokenizer, settings, { validation });
      const intro = {
        kind: 'start',
        model,
        ...(revision === undefined ? {} : { revision }),
        dataset,
        ...(source.file ? { file: source.file, ...(source.validationFile ? { validationFile: source.validationFile } : {}) } : {}),
        backend,
        method: values.method ?? 'seq_bn',
        name,
        task: mapping.task,
        labelNames: mapping.labelNames,
        columns: { text: mapping.text, textPair: mapping.textPair, label: mapping.label },
        train: describePart(data.plan.train),
        validation: describePart(validation),
        batchesPerEpoch: batches.batchesPerEpoch,
        trainableParameters: adapter.trainableVariables().reduce((n, v) => n + v.size, 0),
      };
      report(ctx, intro, [
        `Training adapter "${name}" (${intro.method}) on ${model} with ${dataset} [${backend} backend]`,
        `Text: ${mapping.text}${mapping.textPair ? ` + ${mapping.textPair}` : ''}; label: ${mapping.label} (${mapping.task === 'regression' ? 'regression' : mapping.labelNames.join(', ')})`,
        `Train on ${intro.train} (${batches.batchesPerEpoch} batches of ${settings.batchSize}); validate on ${intro.validation}`,
        adapter.summary(),
      ]);
      const human = humanReporter(ctx);
      const result = await train(adapterTrainable(adapter, encoder.weights, { adapterDrop: values['adapter-drop'] === true }), batches, trainOptionsOf(settings), {
        control,
        store: new DirectoryCheckpointStore(join(out, 'checkpoints')),
        resume: values.resume === true,
        onEvent: (event) => {
          if (ctx.json) ctx.out(JSON.stringify(event));
          else human(event);
          if (event.kind === 'state' && event.state === 'paused') control.cancel();
        },
      });
      const adapterDir = resolve(out);
      if (result.stopReason === 'cancelled') {
        report(ctx, { kind: 'result', ...result, checkpointDir: join(adapterDir, 'checkpoints') }, [
          `Paused at step ${result.steps}; checkpoint in ${join(adapterDir, 'checkpoints')}. Run the same command with --resume to continue.`,
        ]);
        return 130;
      }
      await writeAdapterHubFolder(adapterDir, adapterExportOf(adapter, trainingRecordOf(data, settings, { validation, result, localFile, localValidationFile })));
      const final = {
        kind: 'result',
        best: result.best,
        bestStep: result.bestStep,
        adapterDir,
        stopReason: result.stopReason,
        steps: result.steps,
        epochs: result.epochs,
        seconds: result.seconds,
        stepsPerSecond: result.seconds > 0 ? result.steps / result.seconds : 0,
        backend,
        labelNames: mapping.labelNames,
        history: result.history,
      };
      report(ctx, final, [
        result.best ? `Best: ${metricsLine(result.best)} at step ${result.bestStep}${result.restoredBest ? ' (these weights are saved)' : ''}` : 'Nothing was evaluated.',
        `${result.steps} steps in ${result.seconds.toFixed(1)} s (${final.stepsPerSecond.toFixed(2)} steps/s); adapter written to ${adapterDir}`,
      ]);
      return 0;
    } finally {
      process.removeListener('SIGINT', onSignal);
      adapter.dispose();
      encoder.dispose();
    }
  },
};
