/**
 * The worker's adapter work on the loaded encoder: training runs (with pause, resume and cancel between steps and
 * checkpoints per run), the active adapter that Try it, Export and further training use, its state as initialised
 * when its training started (the "untrained" comparison), and imports, exports and Hub pushes of it.
 */
import * as tf from '@tensorflow/tfjs';
import { type AdapterModel, createAdapter } from '../core/adapters/adapter.ts';
import { activeBackend } from '../core/backend/init-backend.ts';
import { resolveAdapterConfig } from '../core/adapters/config.ts';
import { batchExamples } from '../core/data/batching.ts';
import { rankChoices } from '../core/tasks/multiple-choice/rank.ts';
import { answerQuestion } from '../core/tasks/question-answering/answer.ts';
import { questionEvalBatches } from '../core/tasks/question-answering/qa-training-data.ts';
import { tagText } from '../core/tasks/token-classification/tag-predict.ts';
import { tagEvalBatches } from '../core/tasks/token-classification/tag-training-data.ts';
import type { DatasetHandle } from '../core/data/dataset-handle.ts';
import type { DatasetReport } from '../core/data/dataset-report.ts';
import { adapterHubFiles } from '../core/export/adapterhub.ts';
import { adapterExportOf } from '../core/export/from-adapter.ts';
import { headOptionsFromConfig, importedStateDict } from '../core/export/import.ts';
import { methodName } from '../core/export/model-card.ts';
import { peftFiles, peftSupport } from '../core/export/peft.ts';
import { pushAdapterToHub } from '../core/export/push.ts';
import { pythonProjectFiles } from '../core/export/python-project.ts';
import type { AdapterFiles, TrainingRecord } from '../core/export/types.ts';
import type { LoadedEncoder } from '../core/model/load-encoder.ts';
import type { HostTensor } from '../core/model/weights.ts';
import { type TokenBatch, adapterTrainable } from '../core/train/adapter-trainable.ts';
import type { CheckpointStore } from '../core/train/checkpoint.ts';
import { TrainingControl } from '../core/train/control.ts';
import { tokenizeWith } from '../core/train/dataset-batches.ts';
import { headMismatch, headOptionsOf, partStream, trainingDataOf, trainingRecordOf } from '../core/train/dataset-run.ts';
import { evaluate } from '../core/train/evaluate.ts';
import type { TrainEvent, TrainResult } from '../core/train/events.ts';
import { fitBatchToMemory, memoryCeilingOf } from '../core/train/memory-fit.ts';
import type { EvalMetrics } from '../core/train/metrics.ts';
import type { BatchLike, TrainableModel } from '../core/train/trainable-model.ts';
import { type TrainingData, train } from '../core/train/trainer.ts';
import { DEFAULT_TRAINING_SETTINGS, type TrainingSettings, trainOptionsOf } from '../core/train/training-settings.ts';
import { fusionTrainable } from '../core/train/fusion-trainable.ts';
import type { ActiveAdapterInfo, FusionInfo } from '../core/vocabulary/adapter.ts';
import type { TrainSetup } from '../core/vocabulary/run.ts';
import type { AdapterSource, ExportFormat } from '../core/vocabulary/files.ts';
import { adapterConfigOf } from './adapter-choice.ts';
import { readAdapterSource } from './adapter-source.ts';
import { type ShelfSession, headSpecOf } from './shelf-session.ts';
import type { DataSession } from './data-session.ts';
import type {
  AnsweredEvent, EvaluateCommand, RankChoicesCommand, RankedChoicesEvent, TaggedEvent, PredictedEvent, PushAdapterCommand, PushProgressEvent, TrainCommand, TrainFusionCommand, TrainingEvent,
} from './protocol.ts';

/** An adapter command that cannot be served now: no adapter yet, another model or data, a training running or none. */
export class AdapterSessionError extends Error {
  constructor(message: string, readonly code: 'NoAdapter' | 'OtherModel' | 'HeadMismatch' | 'TrainingActive' | 'NotTraining' | 'DeviceLost', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AdapterSessionError';
  }
}

/** Where a run's checkpoints live (IndexedDB in the browser); `close` is called when the run ends. */
export type OpenCheckpointStore = (runId: string) => Promise<CheckpointStore & { close?(): void }>;

/**
 * Host copies of the trainable parameters under their state-dict keys (the others never change), read
 * asynchronously: synchronous reads stall (and on WebGPU exhaust) the GPU's staging memory.
 */
async function snapshot(adapter: AdapterModel): Promise<Map<string, HostTensor>> {
  const variables = adapter.trainableVariables();
  const values = await Promise.all(variables.map((v) => v.data() as Promise<Float32Array>));
  return new Map(variables.map((v, i) => [v.name, { shape: [...v.shape], data: values[i] }]));
}

/** Sets the trainable parameters back to a snapshot. */
function restore(adapter: AdapterModel, values: Map<string, HostTensor>): void {
  adapter.loadAdapterStateDict(values, { strict: false });
}

/**
 * Debug only: the model with its training loss made NaN for the optimizer steps `fromStep` … `fromStep + steps − 1`,
 * counted from the run's (re)start by its progress events, so that the trainer's non-finite handling can be watched.
 */
function withNonFiniteSteps<B extends BatchLike>(model: TrainableModel<B>, range: { fromStep: number; steps: number }): { model: TrainableModel<B>; observe: (event: TrainEvent) => void } {
  let stepsDone = 0;
  return {
    observe: (event) => {
      if (event.kind === 'progress') stepsDone += 1;
    },
    model: {
      ...model,
      logits(batch, options) {
        const logits = model.logits(batch, options);
        const step = stepsDone + 1;
        if (!options.training || step < range.fromStep || step >= range.fromStep + range.steps) return logits;
        return tf.tidy(() => logits.mul(NaN) as tf.Tensor2D);
      },
    },
  };
}

/** Longest a failed WebGPU step waits for the device's "lost" notice that may explain it (it comes seconds late). */
const DEVICE_LOST_GRACE_MS = 5000;

/** Resolves in a later task (a message to itself: no timer clamping), so that messages waiting for the worker are handled first. */
function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(null);
  });
}

/** Yields a task before each batch: on wasm and cpu the trainer's awaits never leave the microtask queue, and pause, resume and cancel arrive as messages. */
async function* turnByTurn<B>(batches: AsyncIterable<B>): AsyncGenerator<B> {
  for await (const batch of batches) {
    await nextTask();
    yield batch;
  }
}

/** The training data with a task turn before every training and validation batch. */
function responsive<B extends BatchLike>(data: TrainingData<B>): TrainingData<B> {
  const evalBatches = data.evalBatches;
  return {
    ...data,
    trainBatches: (epoch) => turnByTurn(data.trainBatches(epoch)),
    ...(evalBatches ? { evalBatches: () => turnByTurn(evalBatches()) } : {}),
  };
}

interface ActiveAdapter {
  adapter: AdapterModel;
  /** Its parameters when its (latest) training started: the untrained comparison of Try it. */
  initial: Map<string, HostTensor>;
  origin: ActiveAdapterInfo['origin'];
  sourceFormat?: ActiveAdapterInfo['sourceFormat'];
  notes: string[];
  /** How it was trained, for the export's model card and train.py. */
  training?: TrainingRecord;
}

/** The running (or paused) training. */
interface Running {
  runId: string;
  control: TrainingControl;
  /** Set when the GPU device was lost under it. */
  deviceLost?: string;
  /** Steps done, for messages. */
  step: number;
  /** Step of the latest checkpoint, for messages. */
  checkpointStep?: number;
}

export class TrainingSession {
  private active?: ActiveAdapter;
  private running?: Running;
  /** Failed WebGPU runs waiting to learn whether the device was lost. */
  private lostWaiters: (() => void)[] = [];

  /** Whether a training is running or paused (the compute queue is then held by it). */
  get training(): boolean {
    return this.running !== undefined;
  }

  /** Hub id of the model the active adapter is built for. */
  get modelName(): string | undefined {
    return this.active?.adapter.encoderConfig.repoId;
  }

  /** The active adapter as the page shows it (from its configs: no tensor is read); throws NoAdapter before one was trained or imported. */
  /** The active adapter itself (the shelf copies it), or the error NoAdapter. */
  activeModel(): AdapterModel {
    return this.requireActive().adapter;
  }

  requireInfo(): ActiveAdapterInfo {
    const active = this.requireActive();
    const { adapter } = active;
    const head = adapter.head;
    const config = adapter.config as unknown as Record<string, unknown>;
    return {
      name: adapter.name,
      method: methodName(adapter.config).replace(/`/g, ''),
      config,
      origin: active.origin,
      ...(active.sourceFormat ? { sourceFormat: active.sourceFormat } : {}),
      notes: active.notes,
      modelName: adapter.encoderConfig.repoId,
      ...(head ? { head: headSpecOf(adapter) } : {}),
      parameters: adapter.trainableVariables().reduce((n, v) => n + v.size, 0),
      peft: peftSupport(config, { modelType: adapter.encoderConfig.modelType, head: head?.config as unknown as Record<string, unknown> | undefined }),
      ...(active.training ? { training: active.training } : {}),
    };
  }

  /**
   * Trains the setup's adapter (a new one, or the active one further) and makes it the active adapter, whatever the
   * outcome once training began: after a stop on NaN its weights are the last good step's.
   */
  async train(command: TrainCommand, encoder: LoadedEncoder, data: DataSession, post: (event: TrainingEvent) => void, openStore: OpenCheckpointStore, debug: boolean): Promise<TrainResult> {
    if (this.running) throw new AdapterSessionError(`A training (run ${this.running.runId}) is already running; cancel it first.`, 'TrainingActive');
    const { setup } = command;
    if (setup.adapter.kind === 'fuse') throw new AdapterSessionError('A fusion trains with the trainFusion command, not train.', 'NoAdapter');
    const config = setup.adapter.kind === 'new' ? adapterConfigOf(setup.adapter.choice) : undefined;
    const { handle, report } = await data.open(setup.data, command.endpoint);
    const settings = this.runSettings(setup, encoder, post, report.mapping.choices?.length);
    let adapter: AdapterModel;
    if (setup.adapter.kind === 'new') {
      this.release();
      adapter = createAdapter(encoder.config, config!, { name: setup.adapter.name, seed: settings.seed, head: headOptionsOf(report.mapping) });
      this.active = { adapter, initial: await snapshot(adapter), origin: 'trained', notes: [] };
    } else {
      const active = this.requireActive();
      const mismatch = headMismatch(active.adapter, report.mapping, report.dataset);
      if (mismatch) throw new AdapterSessionError(`${mismatch.message} Choose the data it was trained for, or train a new adapter.`, 'HeadMismatch');
      adapter = active.adapter;
      active.initial = await snapshot(adapter);
    }
    const active = this.active!;
    const localFile = data.localFileRecord(setup.data);
    active.training = trainingRecordOf(report, settings, { localFile });

    const trainable = adapterTrainable(adapter, encoder.weights, { adapterDrop: setup.adapter.kind === 'new' && setup.adapter.choice.adapterDrop === true });
    const nonFinite = debug && command.debugNonFinite ? withNonFiniteSteps(trainable, command.debugNonFinite) : undefined;
    const result = await this.run(setup.runId, nonFinite?.model ?? trainable, { handle, report, settings }, encoder, post, openStore, {
      resume: command.resume === true,
      ...(nonFinite ? { observe: nonFinite.observe } : {}),
    });
    active.training = trainingRecordOf(report, settings, { result, localFile });
    return result;
  }

  /**
   * Trains an AdapterFusion of shelved adapters with a new head (the adapters frozen), with the same progress events
   * and checkpoints as an adapter's run; the shelf keeps the fusion for Try it and Export.
   */
  async trainFusion(command: TrainFusionCommand, encoder: LoadedEncoder, data: DataSession, shelf: ShelfSession, post: (event: TrainingEvent) => void, openStore: OpenCheckpointStore): Promise<{ result: TrainResult; fusion: FusionInfo }> {
    if (this.running) throw new AdapterSessionError(`A training (run ${this.running.runId}) is already running; cancel it first.`, 'TrainingActive');
    const { setup } = command;
    const settings = this.runSettings(setup, encoder, post);
    const { handle, report } = await data.open(setup.data, command.endpoint);
    const fusion = shelf.createFusion(encoder, setup.fusion, settings.seed, headOptionsOf(report.mapping));
    const result = await this.run(setup.runId, fusionTrainable(fusion, encoder.weights), { handle, report, settings }, encoder, post, openStore, { resume: false });
    return { result, fusion: shelf.fusionTrained(trainingRecordOf(report, settings, { result, localFile: data.localFileRecord(setup.data) })) };
  }

  /** The run's settings on the loaded model; a step that cannot fit the backend is refused now, or runs in smaller micro-batches, instead of aborting mid-step. */
  private runSettings(setup: Pick<TrainSetup, 'runId' | 'model' | 'settings'>, encoder: LoadedEncoder, post: (event: TrainingEvent) => void, sequencesPerExample?: number): TrainingSettings {
    if (encoder.config.repoId !== setup.model) {
      throw new AdapterSessionError(`The run is set up for ${setup.model}, but the worker holds ${encoder.config.repoId}. Load ${setup.model} in the Model step first.`, 'OtherModel');
    }
    const requested = { ...DEFAULT_TRAINING_SETTINGS, ...setup.settings };
    const fit = fitBatchToMemory(encoder.config, { ...requested, sequencesPerExample }, memoryCeilingOf(activeBackend()));
    if (fit.note) post({ type: 'training', runId: setup.runId, event: { kind: 'log', level: 'warn', message: fit.note } });
    return { ...requested, batchSize: fit.batchSize, gradientAccumulation: fit.gradientAccumulation };
  }

  /** One training run of `trainable` on the data, pausable and cancellable between steps, checkpointed per run. */
  private async run(
    runId: string,
    trainable: TrainableModel<TokenBatch>,
    { handle, report, settings }: { handle: DatasetHandle; report: DatasetReport; settings: TrainingSettings },
    encoder: LoadedEncoder,
    post: (event: TrainingEvent) => void,
    openStore: OpenCheckpointStore,
    options: { resume: boolean; observe?: (event: TrainEvent) => void },
  ): Promise<TrainResult> {
    const running: Running = { runId, control: new TrainingControl(), step: 0 };
    this.running = running;
    let store: Awaited<ReturnType<OpenCheckpointStore>> | undefined;
    try {
      store = await openStore(runId);
      const batches = await trainingDataOf(handle, report, encoder.tokenizer, settings);
      const result = await train(trainable, responsive(batches), trainOptionsOf(settings), {
        control: running.control,
        store,
        resume: options.resume,
        onEvent: (event) => {
          options.observe?.(event);
          if (event.kind === 'progress') running.step = event.step;
          if (event.kind === 'checkpoint') running.checkpointStep = event.step;
          post({ type: 'training', runId, event });
        },
      });
      if (running.deviceLost) throw this.deviceLostError(running);
      return result;
    } catch (err) {
      // A lost device fails the step in flight before its "lost" notice arrives: give the notice a moment.
      if (!running.deviceLost && tf.getBackend() === 'webgpu') await this.lostNotice(DEVICE_LOST_GRACE_MS);
      throw running.deviceLost ? this.deviceLostError(running, err) : err;
    } finally {
      store?.close?.();
      this.running = undefined;
    }
  }

  pause(): void {
    this.requireRunning('pause').control.pause();
  }

  resume(): void {
    this.requireRunning('resume').control.resume();
  }

  cancel(): void {
    this.requireRunning('cancel').control.cancel();
  }

  /** The WebGPU device is gone: the running training stops at its next step and its command fails with DeviceLost. */
  deviceLost(message: string): void {
    if (!this.running) return;
    this.running.deviceLost = message;
    this.running.control.cancel();
    for (const wake of this.lostWaiters.splice(0)) wake();
  }

  /** Resolves when a device-lost notice arrives, or after `ms`. */
  private lostNotice(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.lostWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Class probabilities (or regression values) of the active adapter and of its initial state, for each text. */
  async predict(encoder: LoadedEncoder, texts: string[], pairs?: string[]): Promise<Omit<PredictedEvent, 'type' | 'replyTo'>> {
    const active = this.requireActive();
    const { adapter } = active;
    if (!adapter.head) throw new AdapterSessionError(`Adapter "${adapter.name}" has no prediction head, so it has nothing to predict. Train it on a labelled dataset first.`, 'HeadMismatch');
    if (pairs && pairs.length !== texts.length) throw new RangeError(`Give one second text per text: ${texts.length} texts but ${pairs.length} second texts.`);
    const trainable = adapterTrainable(adapter, encoder.weights);
    const task = trainable.task;
    if (task === 'questionAnswering') throw new AdapterSessionError(`Adapter "${adapter.name}" answers questions: ask it with a question and a paragraph.`, 'HeadMismatch');
    if (task === 'tokenClassification') throw new AdapterSessionError(`Adapter "${adapter.name}" tags tokens: give it a text to tag.`, 'HeadMismatch');
    if (task === 'multipleChoice') throw new AdapterSessionError(`Adapter "${adapter.name}" ranks choices: ask it with a context and its choices.`, 'HeadMismatch');
    const maxLength = active.training?.hyperparameters.maxLength ?? DEFAULT_TRAINING_SETTINGS.maxLength;
    const encoded = encoder.tokenizer.encode(texts, pairs, { maxLength });
    const batch: TokenBatch = { ...encoded, labels: new Int32Array(encoded.batch) };
    const run = async () => {
      const out = tf.tidy(() => {
        const logits = trainable.logits(batch, { training: false, seed: 0 });
        return trainable.task === 'classification' ? tf.softmax(logits) : trainable.task === 'multiLabel' ? tf.sigmoid(logits) : logits;
      });
      try {
        return await out.array() as number[][];
      } finally {
        out.dispose();
      }
    };
    const trained = await run();
    const current = await snapshot(adapter);
    restore(adapter, active.initial);
    try {
      return {
        task,
        labels: task === 'regression' ? ['value'] : adapter.head.id2label,
        ...(adapter.head.thresholds ? { thresholds: adapter.head.thresholds } : {}),
        trained,
        untrained: await run(),
      };
    } finally {
      restore(adapter, current);
    }
  }

  /** The active question-answering adapter's best answers to `question` in `context` (its training's max length). */
  async answer(encoder: LoadedEncoder, question: string, context: string): Promise<Omit<AnsweredEvent, 'type' | 'replyTo'>> {
    const active = this.requireActive();
    if (active.adapter.head?.kind !== 'questionAnswering') throw new AdapterSessionError(`Adapter "${active.adapter.name}" does not answer questions; it ${active.adapter.head ? 'classifies texts' : 'has no head'}.`, 'HeadMismatch');
    const maxLength = active.training?.hyperparameters.maxLength ?? DEFAULT_TRAINING_SETTINGS.maxLength;
    const docStride = active.training?.hyperparameters.docStride;
    const result = await answerQuestion(adapterTrainable(active.adapter, encoder.weights), encoder.tokenizer, question, context, { maxLength, docStride });
    return { context, ...result };
  }

  /** The active tagging adapter's tag for each word of `text`, and the entities (its training's max length). */
  async tag(encoder: LoadedEncoder, text: string): Promise<Omit<TaggedEvent, 'type' | 'replyTo'>> {
    const active = this.requireActive();
    const head = active.adapter.head;
    if (head?.kind !== 'tagging') throw new AdapterSessionError(`Adapter "${active.adapter.name}" does not tag tokens; it ${head ? 'predicts one answer per text' : 'has no head'}.`, 'HeadMismatch');
    const maxLength = active.training?.hyperparameters.maxLength ?? DEFAULT_TRAINING_SETTINGS.maxLength;
    return { text, ...(await tagText(adapterTrainable(active.adapter, encoder.weights), encoder.tokenizer, text, head.id2label, { maxLength })) };
  }

  /** The active multiple-choice adapter's ranking of a context's choices (its training's max length). */
  async rank(encoder: LoadedEncoder, command: Pick<RankChoicesCommand, 'context' | 'header' | 'choices'>): Promise<Omit<RankedChoicesEvent, 'type' | 'replyTo'>> {
    const active = this.requireActive();
    const head = active.adapter.head;
    if (head?.kind !== 'multipleChoice') throw new AdapterSessionError(`Adapter "${active.adapter.name}" does not rank choices; it ${head ? 'has a head of another task' : 'has no head'}.`, 'HeadMismatch');
    const maxLength = active.training?.hyperparameters.maxLength ?? DEFAULT_TRAINING_SETTINGS.maxLength;
    const example = { text: command.context, ...(command.header ? { textPair: command.header } : {}), choices: command.choices };
    return rankChoices(adapterTrainable(active.adapter, encoder.weights), encoder.tokenizer, example, { maxLength, numChoices: head.config.num_choices! });
  }

  /** Loss and metrics of the active adapter on the data's validation part. */
  async evaluate(command: EvaluateCommand, encoder: LoadedEncoder, data: DataSession): Promise<{ split: string; metrics: EvalMetrics }> {
    const { adapter, training } = this.requireActive();
    const { handle, report } = await data.open(command.data, command.endpoint);
    const mismatch = headMismatch(adapter, report.mapping, report.dataset);
    if (mismatch) throw new AdapterSessionError(`${mismatch.message} Evaluate on the data it was trained for.`, 'HeadMismatch');
    const part = report.plan.validation;
    const sizes = {
      batchSize: command.batchSize ?? training?.hyperparameters.batchSize ?? DEFAULT_TRAINING_SETTINGS.batchSize,
      maxLength: command.maxLength ?? training?.hyperparameters.maxLength ?? DEFAULT_TRAINING_SETTINGS.maxLength,
    };
    const examples = (await partStream(handle, report, part)).ordered();
    const batches = report.mapping.task === 'questionAnswering'
      ? questionEvalBatches(examples, encoder.tokenizer, sizes)
      : report.mapping.task === 'tokenClassification' ? tagEvalBatches(examples, encoder.tokenizer, { ...sizes, tagNames: report.mapping.labelNames })
      : batchExamples(examples, tokenizeWith(encoder.tokenizer), { ...sizes, task: report.mapping.task });
    return { split: part.split, metrics: (await evaluate(adapterTrainable(adapter, encoder.weights), batches, { thresholds: adapter.head?.thresholds }))! };
  }

  /**
   * The active adapter's files in a format (the AdapterHub README names `location` as where to load it from); the
   * Python project carries the local file it was trained on when `data` still holds it.
   */
  exportFiles(format: ExportFormat, options: { location?: string; data?: DataSession } = {}): { name: string; files: AdapterFiles } {
    const active = this.requireActive();
    const exp = adapterExportOf(active.adapter, active.training);
    const { location, data } = options;
    const files = format === 'adapterhub' ? adapterHubFiles(exp, location ? { location } : {})
      : format === 'peft' ? peftFiles(exp)
      : pythonProjectFiles(exp, { dataFile: data?.localFileBytes(active.training?.localFile) });
    return { name: active.adapter.name, files };
  }

  /**
   * Reads an adapter from files, a zip or the Hub, checks it fits the loaded encoder and makes it the active adapter;
   * its untrained comparison is the same config freshly initialised (with its training's seed when it records one).
   */
  async import(source: AdapterSource, encoder: LoadedEncoder): Promise<void> {
    const imported = await readAdapterSource(source, encoder.config);
    this.release();
    // With the seed it was trained with (a studio adapter's record), the untrained comparison is the one its training started from.
    const seed = imported.training?.hyperparameters.seed;
    const adapter = createAdapter(encoder.config, resolveAdapterConfig(imported.adapterConfig), {
      name: imported.name,
      ...(seed === undefined ? {} : { seed }),
      ...(imported.head ? { head: headOptionsFromConfig(imported.head.config, imported.head.thresholds) } : {}),
    });
    const initial = await snapshot(adapter);
    try {
      adapter.loadAdapterStateDict(importedStateDict(imported));
    } catch (err) {
      adapter.dispose();
      throw err;
    }
    this.active = { adapter, initial, origin: 'imported', sourceFormat: imported.sourceFormat, notes: imported.notes, ...(imported.training ? { training: imported.training } : {}) };
  }

  /** Pushes the active adapter's files to a Hub model repo. */
  async push(command: Omit<PushAdapterCommand, 'type' | 'id'>, post: (event: PushProgressEvent) => void): Promise<{ repoUrl: string; created: boolean }> {
    const { files } = this.exportFiles(command.format, { location: command.repo });
    const result = await pushAdapterToHub({
      endpoint: command.endpoint,
      repo: command.repo,
      files,
      private: command.private,
      onProgress: (progress) => post({ type: 'pushProgress', repo: command.repo, progress }),
    });
    return { repoUrl: result.repoUrl, created: result.created };
  }

  /** Frees the active adapter (the model or backend changes under it). */
  release(): void {
    this.active?.adapter.dispose();
    this.active = undefined;
  }

  private requireActive(): ActiveAdapter {
    if (!this.active) throw new AdapterSessionError('There is no adapter yet: train one in the Train step, or import one in the Export step.', 'NoAdapter');
    return this.active;
  }

  private requireRunning(what: string): Running {
    if (!this.running) throw new AdapterSessionError(`There is no training to ${what}: none is running.`, 'NotTraining');
    return this.running;
  }

  private deviceLostError(running: Running, cause?: unknown): AdapterSessionError {
    const kept = running.checkpointStep === undefined
      ? 'No checkpoint was written yet (the first comes after a minute of training, or at the end of epoch 1), so the run starts again from the beginning.'
      : `The checkpoint of step ${running.checkpointStep} is kept: continue on wasm from there.`;
    return new AdapterSessionError(`The GPU device was lost at step ${running.step} (${running.deviceLost}), so training stopped. ${kept}`, 'DeviceLost', { cause });
  }
}
