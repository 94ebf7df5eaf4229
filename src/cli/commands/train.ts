import { stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { type AdapterModel, createAdapter } from '../../core/adapters/adapter.ts';
import { type FusionModel, createFusion } from '../../core/adapters/fusion.ts';
import type { HeadOptions } from '../../core/adapters/head.ts';
import { DEFAULT_FUSION_CONFIG, type FusionConfig, resolveFusionConfig } from '../../core/adapters/methods/fusion.ts';
import type { EncoderWeights } from '../../core/model/encoder.ts';
import type { HubEndpoint } from '../../hub/endpoint.ts';
import { adapterExportOf, fusionExportOf } from '../../core/export/from-adapter.ts';
import { fusionFiles } from '../../core/export/fusion-files.ts';
import { writeAdapterFiles, writeAdapterHubFolder } from '../../core/export/node-files.ts';
import { resolveAdapterConfig } from '../../core/adapters/config.ts';
import { type SplitPart, formatOfFileName } from '../../core/data/index.ts';
import { fetchEncoderConfig } from '../../core/model/hub-files.ts';
import { type LoadedEncoder, loadEncoder } from '../../core/model/load-encoder.ts';
import { adapterTrainable } from '../../core/train/adapter-trainable.ts';
import { fusionTrainable } from '../../core/train/fusion-trainable.ts';
import { TrainingControl } from '../../core/train/control.ts';
import { headOptionsOf, trainingDataOf, trainingRecordOf } from '../../core/train/dataset-run.ts';
import { DirectoryCheckpointStore } from '../../core/train/directory-checkpoint-store.ts';
import { fitBatchToMemory, memoryCeilingOf } from '../../core/train/memory-fit.ts';
import type { TrainEvent } from '../../core/train/events.ts';
import type { EvalMetrics } from '../../core/train/metrics.ts';
import type { TrainableModel } from '../../core/train/trainable-model.ts';
import type { TokenBatch } from '../../core/train/adapter-trainable.ts';
import type { TrainingRecord } from '../../core/export/types.ts';
import { train } from '../../core/train/trainer.ts';
import { DEFAULT_TRAINING_SETTINGS, type TrainingSettings, trainOptionsOf } from '../../core/train/training-settings.ts';
import { type Command, type CommandContext, UsageError, intFlag, numberFlag, report } from '../cli-io.ts';
import { backendOption, backendUsage, startBackend } from '../shared/backend.ts';
import { adapterNameOf, columnOptions, datasetSourceOf, datasetSourceOptions, openDataset, validationPart } from '../shared/dataset-source.ts';
import { endpointFrom } from '../shared/hub-flag.ts';
import { fusePaths, loadFusedAdapters } from '../shared/fused-adapters.ts';
import { checkOutputFolder } from '../shared/out-path.ts';
import { revisionFrom, revisionOption, revisionUsage } from '../shared/revision.ts';

const describePart = (part: SplitPart) => `split "${part.split}"${part.take === 'all' ? '' : part.take === 'kept' ? ' minus its hold-out' : ` (${Math.round(part.holdOut!.share * 100)}% held out)`}`;

function metricsLine(metrics: EvalMetrics): string {
  const shown = (['accuracy', 'microF1', 'macroF1', 'mse', 'pearson', 'exactMatch', 'f1', 'entityF1', 'tokenAccuracy', 'loss'] as const).filter((k) => metrics[k] !== undefined);
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
    '  --model ID               Hub model id of the encoder (BERT, RoBERTa, DistilBERT, ELECTRA, XLM-R, DeBERTa, DeBERTa-v2/v3, ALBERT)',
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
    '  --label-columns A,B,C    multi-label: several 0/1 columns, one per label (or one list-of-labels column; default: detected);',
    '                           trains a sigmoid per label (BCE), kept best by micro-F1, thresholds 0.5 in head_config.json',
    '  --method M               adapter config: a preset (seq_bn, double_seq_bn, par_bn, lora, ia3, prefix_tuning...)',
    '                           or a config string such as "seq_bn[reduction_factor=8]" (default seq_bn)',
    '  --reduction-factor N     bottleneck reduction factor (bottleneck methods)',
    '  --adapter-drop           AdapterDrop: each step skips the adapters of a random number of first layers',
    '  --fuse A,B               train an AdapterFusion of these trained adapters (2 or more, each a folder, zip or Hub repo id',
    '                           as predict --adapter takes it) and a new',
    '                           head instead of an adapter: the adapters stay frozen; --out gets A/, B/, A,B/ and the head\'s folder',
    '  --fusion-config C        AdapterFusion config: dynamic (default) or static, or e.g. "dynamic[temperature=True]"',
    '  --name NAME              adapter name, or with --fuse the head\'s (default: the dataset name)',
    '  --lr X                   peak learning rate (default 1e-4)',
    '  --epochs N | --max-steps N   length of training (default 3 epochs)',
    '  --batch-size B           examples per step (default 16)',
    '  --gradient-accumulation N    micro-batches per optimizer step (default 1)',
    '  --max-length L           most tokens per example (default 128)',
    '  --doc-stride N           question answering: context tokens neighbouring windows share (default a third of --max-length, at most 128)',
    '  --warmup-ratio R         share of steps warming up (default 0)',
    '  --weight-decay W         AdamW weight decay (default 0.01)',
    '  --eval-steps N           also evaluate every N steps',
    '  --patience N             stop after N evaluations without a better accuracy (mse for regression, entity F1 for tagging, micro-F1 for multi-label)',
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
    fuse: { type: 'string' },
    'fusion-config': { type: 'string' },
    name: { type: 'string' },
    lr: { type: 'string' },
    epochs: { type: 'string' },
    'max-steps': { type: 'string' },
    'batch-size': { type: 'string' },
    'gradient-accumulation': { type: 'string' },
    'max-length': { type: 'string' },
    'doc-stride': { type: 'string' },
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
    const requested: TrainingSettings = {
      ...defaults,
      learningRate: numberFlag(values, 'lr', defaults.learningRate, Number.MIN_VALUE),
      epochs: intFlag(values, 'epochs', defaults.epochs, 1),
      ...(values['max-steps'] !== undefined ? { maxSteps: intFlag(values, 'max-steps', 1, 1) } : {}),
      batchSize: intFlag(values, 'batch-size', defaults.batchSize, 1, 4096),
      maxLength: intFlag(values, 'max-length', defaults.maxLength, 8, 8192),
      ...(values['doc-stride'] !== undefined ? { docStride: intFlag(values, 'doc-stride', 0, 0, 8192) } : {}),
      gradientAccumulation: intFlag(values, 'gradient-accumulation', defaults.gradientAccumulation, 1, 1024),
      warmupRatio: numberFlag(values, 'warmup-ratio', defaults.warmupRatio, 0, 1),
      weightDecay: numberFlag(values, 'weight-decay', defaults.weightDecay, 0),
      seed: intFlag(values, 'seed', defaults.seed, 0, 2 ** 31 - 1),
      ...(values['eval-steps'] !== undefined ? { evalEverySteps: intFlag(values, 'eval-steps', 1, 1) } : {}),
      ...(values.patience !== undefined ? { earlyStoppingPatience: intFlag(values, 'patience', 1, 1) } : {}),
    };
    const fuse = values.fuse === undefined ? undefined : fusePaths(values.fuse as string);
    if (fuse && (values.method !== undefined || values['reduction-factor'] !== undefined || values['adapter-drop'])) throw new UsageError('--fuse trains a fusion of trained adapters: leave out --method, --reduction-factor and --adapter-drop.');
    if (!fuse && values['fusion-config'] !== undefined) throw new UsageError('--fusion-config goes with --fuse A,B.');
    const overrides = values['reduction-factor'] === undefined ? {} : { reduction_factor: numberFlag(values, 'reduction-factor', 16, Number.MIN_VALUE) };
    const adapterConfig = fuse ? undefined : resolveAdapterConfig((values.method as string | undefined) ?? 'seq_bn', overrides);
    const fusionConfig = fuse ? resolveFusionConfig((values['fusion-config'] as string | undefined) ?? DEFAULT_FUSION_CONFIG) : undefined;

    // Before the model, the data and the run: a bad --out fails now, not after training.
    await checkOutputFolder(out);
    const backend = await startBackend(values, ctx);
    const ep = endpointFrom(values);
    // Before the data and the weights: a step that cannot fit the backend is refused, or its batch lowered, now.
    const encoderConfig = await fetchEncoderConfig(ep, model, { revision });
    const fitFor = (sequencesPerExample?: number) => fitBatchToMemory(encoderConfig, { ...requested, sequencesPerExample }, memoryCeilingOf({ name: backend }));
    let fit = fitFor();
    const { handle, report: data } = await openDataset(ep, values, ctx, values['train-split'] as string | undefined);
    // A multiple-choice example is a pair per choice: the step is fitted again counting them.
    if (data.mapping.choices) fit = fitFor(data.mapping.choices.length);
    if (fit.note) ctx.err(`Memory: ${fit.note}`);
    const settings: TrainingSettings = { ...requested, batchSize: fit.batchSize, gradientAccumulation: fit.gradientAccumulation };
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
    let subject: Subject;
    try {
      subject = fuse && fusionConfig
        ? await fusionSubject(encoder, ep, fuse, fusionConfig, name, settings.seed, headOptionsOf(mapping))
        : adapterSubject(createAdapter(encoder.config, adapterConfig!, { name, seed: settings.seed, head: headOptionsOf(mapping) }), (values.method as string | undefined) ?? 'seq_bn', encoder.weights, values['adapter-drop'] === true);
    } catch (err) {
      encoder.dispose();
      throw err;
    }
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
        method: fuse ? 'fusion' : values.method ?? 'seq_bn',
        name,
        ...subject.intro,
        task: mapping.task,
        labelNames: mapping.labelNames,
        columns: { text: mapping.text, textPair: mapping.textPair, label: mapping.label, ...(mapping.choices ? { choices: mapping.choices } : {}) },
        train: describePart(data.plan.train),
        validation: describePart(validation),
        batchesPerEpoch: batches.batchesPerEpoch,
        memory: { estimatedBytes: fit.estimatedBytes, ...(fit.ceilingBytes !== undefined ? { ceilingBytes: fit.ceilingBytes } : {}), batchSize: fit.batchSize, gradientAccumulation: fit.gradientAccumulation, lowered: fit.note !== undefined },
        trainableParameters: subject.trainable.parameters.reduce((n, p) => n + p.variable.size, 0),
      };
      report(ctx, intro, [
        `Training ${subject.label} on ${model} with ${dataset} [${backend} backend]`,
        `Text: ${mapping.text}${mapping.textPair ? ` + ${mapping.textPair}` : ''}; label: ${mapping.label} (${mapping.task === 'regression' ? 'regression' : mapping.task === 'questionAnswering' ? 'answer spans in the context' : mapping.task === 'multipleChoice' ? `the right one of ${mapping.labelNames.join(', ')}` : mapping.task === 'tokenClassification' ? `a tag per word: ${mapping.labelNames.join(', ')}` : mapping.task === 'multiLabel' ? `multi-label: any of ${mapping.labelNames.join(', ')}` : mapping.labelNames.join(', ')})`,
        `Train on ${intro.train} (${batches.batchesPerEpoch} batches of ${settings.batchSize}); validate on ${intro.validation}`,
        subject.summary,
      ]);
      const human = humanReporter(ctx);
      const result = await train(subject.trainable, batches, trainOptionsOf(settings), {
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
      await subject.write(adapterDir, trainingRecordOf(data, settings, { validation, result, localFile, localValidationFile }));
      const final = {
        kind: 'result',
        best: result.best,
        bestStep: result.bestStep,
        adapterDir,
        ...(subject.fusionDir ? { fusionDir: join(adapterDir, subject.fusionDir) } : {}),
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
        `${result.steps} steps in ${result.seconds.toFixed(1)} s (${final.stepsPerSecond.toFixed(2)} steps/s); ${subject.fusionDir ? 'fusion, its adapters and head' : 'adapter'} written to ${adapterDir}`,
      ]);
      return 0;
    } finally {
      process.removeListener('SIGINT', onSignal);
      subject.dispose();
      encoder.dispose();
    }
  },
};

/** What `train` trains: a new adapter with its head, or a fusion of trained adapters with a new head. */
interface Subject {
  /** For the first line: 'adapter "x" (seq_bn)'. */
  label: string;
  /** Extra fields of the start event. */
  intro: Record<string, unknown>;
  summary: string;
  trainable: TrainableModel<TokenBatch>;
  /** The fusion's folder inside --out, for a fusion. */
  fusionDir?: string;
  write(dir: string, training: TrainingRecord): Promise<void>;
  dispose(): void;
}

function adapterSubject(adapter: AdapterModel, method: string, weights: EncoderWeights, adapterDrop: boolean): Subject {
  return {
    label: `adapter "${adapter.name}" (${method})`,
    intro: {},
    summary: adapter.summary(),
    trainable: adapterTrainable(adapter, weights, { adapterDrop }),
    write: (dir, training) => writeAdapterHubFolder(dir, adapterExportOf(adapter, training)),
    dispose: () => adapter.dispose(),
  };
}

async function fusionSubject(encoder: LoadedEncoder, endpoint: HubEndpoint, paths: string[], config: FusionConfig, name: string, seed: number, head: HeadOptions): Promise<Subject> {
  const { imported, live } = await loadFusedAdapters(paths, endpoint, encoder.config);
  // A head named like a fused adapter would take that adapter's place when loaded in Python.
  const headName = imported.some((a) => a.name === name) ? `${name}-fusion` : name;
  let fusion: FusionModel;
  try {
    fusion = createFusion(encoder.config, live, { config, seed, head: { ...head, name: headName } });
  } catch (err) {
    for (const adapter of live) adapter.dispose();
    throw err;
  }
  const trainable = fusionTrainable(fusion, encoder.weights);
  const fusionParameters = fusion.plan.params.reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
  return {
    label: `AdapterFusion "${fusion.name}" (${JSON.stringify(config)}) with a new head "${headName}"`,
    intro: { fusion: fusion.name, fuse: paths, adapters: fusion.adapterNames, head: headName, fusionConfig: config },
    summary: `Fusion layers: ${fusion.plan.layers.length} (${fusionParameters.toLocaleString('en-US')} parameters); adapters ${fusion.adapterNames.join(', ')} frozen${fusion.regularized ? '; value matrices regularized towards the identity' : ''}.`,
    trainable,
    fusionDir: fusion.name,
    write: async (dir, training) => { await writeAdapterFiles(dir, fusionFiles(fusionExportOf(fusion, imported, training))); },
    dispose: () => {
      fusion.dispose();
      for (const adapter of live) adapter.dispose();
    },
  };
}
