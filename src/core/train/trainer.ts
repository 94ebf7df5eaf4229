/**
 * The training loop: AdamW with a warmup + decay schedule, gradient accumulation and clipping, evaluation each
 * epoch (and every N steps), the best weights kept by a chosen metric, early stopping, pause / resume / cancel
 * between steps, checkpoints that continue a run exactly (at epoch ends, pauses and every N seconds), steps with a
 * non-finite loss or gradient skipped without touching the weights (and, when they repeat, a stop with weights checked
 * to be good), and evaluations that report their own progress and wait out an unreachable Hub instead of failing. It
 * knows models only through `TrainableModel` and data through `TrainingData`.
 */
import * as tf from '@tensorflow/tfjs';
import { DataError } from '../data/errors.ts';
import { AdamW, type AdamWOptions } from './adamw.ts';
import type { Checkpoint, CheckpointStore, EvalRecord, HostParameter, RunSettings, RunState } from './checkpoint.ts';
import { type ControlRequest, TrainingControl } from './control.ts';
import { TrainingError } from './errors.ts';
import { appendCurvePoint } from './loss-curve.ts';
import { installLeanBackprop } from './lean-backprop.ts';
import { evaluate } from './evaluate.ts';
import type { CheckpointEvent, StopReason, TrainEvent, TrainProgressEvent, TrainResult } from './events.ts';
import { GradientSum, clipCoefficient, globalNorm } from './gradients.ts';
import { meanLoss } from './losses.ts';
import { type EvalMetrics, type MetricName, improves } from './metrics.ts';
import { type Schedule, type ScheduleKind, scheduleFactor, warmupStepsForRatio } from './schedule.ts';
import type { BatchLike, Task, TrainableModel } from './trainable-model.ts';

/** The metric a run keeps its best weights by unless told otherwise: accuracy, MSE, or SQuAD's F1. */
export function defaultMetric(task: Task): MetricName {
  return task === 'classification' || task === 'multipleChoice' ? 'accuracy' : task === 'regression' ? 'mse' : task === 'tokenClassification' ? 'entityF1' : task === 'multiLabel' ? 'microF1' : 'f1';
}

const METRICS_OF: Record<Task, string> = { classification: 'accuracy, macroF1 or loss', regression: 'mse, pearson or loss', questionAnswering: 'f1, exactMatch or loss', multipleChoice: 'accuracy or loss', tokenClassification: 'entityF1, tokenAccuracy or loss', multiLabel: 'microF1, macroF1 or loss' };

export interface TrainOptions {
  /** Peak learning rate (default 1e-4, the AdapterHub guides' rate for adapters). */
  learningRate?: number;
  /** AdamW betas, eps and weight decay (defaults: torch's 0.9/0.999, 1e-8, 0.01). */
  adamW?: AdamWOptions;
  /** Rate after warmup: linear decay to 0 (default, as transformers' Trainer), cosine, or constant. */
  schedule?: ScheduleKind;
  /** Updates of linear warmup from 0; wins over warmupRatio. */
  warmupSteps?: number;
  /** Share of all updates spent warming up (default 0). */
  warmupRatio?: number;
  /** Micro-batches whose gradients are averaged into one update (default 1). */
  gradientAccumulation?: number;
  /** Passes over the training data (default 3); ignored when maxSteps is set. */
  epochs?: number;
  /** Stop after this many optimizer steps, as many epochs as that takes. */
  maxSteps?: number;
  /** Clip the gradients' global 2-norm to this (default 1.0, transformers' default); 0 turns clipping off. */
  maxGradNorm?: number;
  /** Seed of the random draws in the forward pass (dropout); the data order has its own seed (default 42). */
  seed?: number;
  /** Also evaluate every this many steps (besides each epoch's end). */
  evalEverySteps?: number;
  /** Metric that picks the best checkpoint (default: accuracy for classification, mse for regression). */
  metricForBest?: MetricName;
  /** Stop after this many evaluations in a row without a new best (default: never). */
  earlyStoppingPatience?: number;
  /** Stop after this many steps in a row with a non-finite loss or gradient (default 3). */
  maxNonFiniteSteps?: number;
  /** Load the best evaluation's weights into the model when the run ends (default true). */
  restoreBest?: boolean;
  /** Also checkpoint after the first step that ends this many seconds of training after the last checkpoint (default 60; 0: only at epoch ends and pauses). */
  checkpointEverySeconds?: number;
  /** When the validation data cannot be read (the Hub is unreachable): retries, each after a doubling wait, before the run pauses for the user to resume (default 3 from 10 s). */
  evalRetry?: { attempts: number; backoffMs: number };
}

/** Where the batches come from; the same epoch must give the same batches in the same order (resume skips into it). */
export interface TrainingData<B extends BatchLike> {
  /** Micro-batches in one epoch. */
  batchesPerEpoch: number;
  /** The batches of epoch `epoch` (0-based) in training order. */
  trainBatches(epoch: number): AsyncIterable<B>;
  /** Validation batches; without them nothing is evaluated. */
  evalBatches?(): AsyncIterable<B>;
  /** Validation batches in all, when known or estimated beforehand (for the evaluation's progress before its first pass). */
  evalBatchCount?: number;
}

export interface TrainHooks {
  /** Told everything the run does; the worker posts each event to the page. */
  onEvent?: (event: TrainEvent) => void;
  /** Pause, resume and cancel. */
  control?: TrainingControl;
  /** Where checkpoints go; without it nothing is checkpointed. */
  store?: CheckpointStore;
  /** Continue from the store's `latest` checkpoint instead of starting afresh (which clears the store). */
  resume?: boolean;
}

/** Steps the throughput and ETA are averaged over. */
const PACE_WINDOW = 20;

/** Weights the run can fall back to: their values and the step they are from. */
interface RestorePoint {
  step: number;
  parameters: HostParameter[];
}

/** A read of the validation data that failed because its host could not be reached: worth waiting for. */
function isOutage(err: unknown): err is DataError {
  return err instanceof DataError && err.code === 'Unreachable';
}

const allFinite = (values: HostParameter[]) => values.every((p) => p.data.every(Number.isFinite));

/** A seed for micro-batch `micro` of step `step`: distinct per forward, the same on every run with the same seed. */
function forwardSeed(seed: number, step: number, micro: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(step + 1, 0xc2b2ae35) ^ Math.imul(micro + 1, 0x27d4eb2f);
  h ^= h >>> 15;
  return Math.imul(h, 0x2c1b3c6d) >>> 0;
}

async function readParameters(model: TrainableModel<BatchLike>): Promise<HostParameter[]> {
  return Promise.all(model.parameters.map(async (p) => ({ name: p.name, shape: [...p.variable.shape], data: await p.variable.data() as Float32Array })));
}

function writeParameters(model: TrainableModel<BatchLike>, values: HostParameter[], what: string): void {
  const byName = new Map(values.map((v) => [v.name, v]));
  for (const p of model.parameters) {
    const saved = byName.get(p.name);
    if (!saved || saved.data.length !== p.variable.size) {
      throw new TrainingError(`The ${what} has no values of the right size for parameter "${p.name}"; it belongs to another adapter. Start the run afresh.`, 'CheckpointMismatch');
    }
    tf.tidy(() => p.variable.assign(tf.tensor(saved.data, p.variable.shape, 'float32')));
  }
}

function differences(saved: RunSettings, current: RunSettings): string[] {
  return (Object.keys(current) as (keyof RunSettings)[])
    .filter((key) => JSON.stringify(saved[key]) !== JSON.stringify(current[key]))
    .map((key) => key === 'parameters' ? 'the trainable parameters' : `${key} (${JSON.stringify(saved[key])} then, ${JSON.stringify(current[key])} now)`);
}

class Run<B extends BatchLike> {
  private readonly optimizer: AdamW;
  private readonly control: TrainingControl;
  private readonly emit: (event: TrainEvent) => void;
  private readonly settings: RunSettings;
  private readonly schedule: Schedule;
  private readonly metric: MetricName;
  private readonly maxNonFinite: number;
  /** Parameter name of each tf.Variable name (variableGrads keys gradients by the latter). */
  private readonly nameOfVariable: Map<string, string>;
  private state!: RunState;
  /** The best evaluation's parameter values, when there was one. */
  private bestParameters?: HostParameter[];
  /** Recent steps' seconds, examples and tokens. */
  private pace: { seconds: number; samples: number; tokens: number }[] = [];
  /** The weights the run started (or resumed) from, and those of its latest checkpoint (or epoch end): fallbacks after non-finite steps. */
  private startPoint?: RestorePoint;
  private checkpointPoint?: RestorePoint;
  /** The batch that tells whether weights are good (finite loss): the first validation batch, else the first training batch. */
  private probeBatch?: B;
  /** performance.now() of the latest checkpoint (or the run's start). */
  private checkpointedAt = performance.now();
  /** Validation batches of the run's first full evaluation. */
  private evalBatchCount?: number;

  constructor(
    private readonly model: TrainableModel<B>,
    private readonly data: TrainingData<B>,
    private readonly options: TrainOptions,
    private readonly hooks: TrainHooks,
  ) {
    this.control = hooks.control ?? new TrainingControl();
    this.emit = (event) => hooks.onEvent?.(event);
    const accumulation = options.gradientAccumulation ?? 1;
    if (!(Number.isInteger(accumulation) && accumulation >= 1)) throw new RangeError(`Gradient accumulation must be a whole number of at least 1, got ${accumulation}.`);
    if (!(data.batchesPerEpoch >= 1)) throw new TrainingError('The training split gave no batches: it has no usable examples. Check the column mapping and the split.', 'NoData');
    const stepsPerEpoch = Math.ceil(data.batchesPerEpoch / accumulation);
    const maxSteps = options.maxSteps;
    if (maxSteps !== undefined && !(Number.isInteger(maxSteps) && maxSteps >= 1)) throw new RangeError(`Max steps must be a whole number of at least 1, got ${maxSteps}.`);
    const epochs = maxSteps !== undefined ? Math.ceil(maxSteps / stepsPerEpoch) : options.epochs ?? 3;
    if (!(Number.isInteger(epochs) && epochs >= 1)) throw new RangeError(`Epochs must be a whole number of at least 1, got ${epochs}.`);
    const totalSteps = maxSteps ?? stepsPerEpoch * epochs;
    const learningRate = options.learningRate ?? 1e-4;
    if (!(learningRate > 0)) throw new RangeError(`The learning rate must be above 0, got ${learningRate}.`);
    const warmupSteps = options.warmupSteps ?? warmupStepsForRatio(totalSteps, options.warmupRatio ?? 0);
    this.schedule = { kind: options.schedule ?? 'linear', warmupSteps, totalSteps };
    this.optimizer = new AdamW(model.parameters, options.adamW);
    this.settings = {
      learningRate,
      schedule: this.schedule.kind,
      warmupSteps,
      totalSteps,
      epochs,
      gradientAccumulation: accumulation,
      batchesPerEpoch: data.batchesPerEpoch,
      maxGradNorm: options.maxGradNorm ?? 1,
      seed: options.seed ?? 42,
      betas: this.optimizer.betas,
      eps: this.optimizer.eps,
      weightDecay: this.optimizer.weightDecay,
      parameters: model.parameters.map((p) => `${p.name}[${p.variable.shape.join(',')}]`),
    };
    this.metric = options.metricForBest ?? defaultMetric(model.task);
    this.maxNonFinite = options.maxNonFiniteSteps ?? 3;
    this.nameOfVariable = new Map(model.parameters.map((p) => [p.variable.name, p.name]));
  }

  async run(): Promise<TrainResult> {
    try {
      await this.start();
      const reason = await this.loop();
      const restoredBest = this.finish();
      const result: TrainResult = {
        stopReason: reason,
        steps: this.state.step,
        epochs: this.epochsDone(),
        best: this.state.best?.metrics,
        bestStep: this.state.best?.step,
        history: this.state.history,
        seconds: this.state.seconds,
        restoredBest,
      };
      this.emit({ kind: 'done', ...result });
      return result;
    } catch (err) {
      const error = err as Error;
      const cause = error.cause instanceof Error ? error.cause.message : undefined;
      this.emit({ kind: 'error', name: error.name, code: (error as TrainingError).code, message: error.message, ...(cause ? { cause } : {}) });
      throw err;
    } finally {
      this.optimizer.dispose();
    }
  }

  private async start(): Promise<void> {
    const store = this.hooks.store;
    if (!this.hooks.resume) {
      await store?.clear();
      this.state = {
        settings: this.settings, step: 0, updates: 0, epoch: 0, batchInEpoch: 0, nonFiniteStreak: 0,
        evalsSinceBest: 0, lastEvalStep: -1, history: [], seconds: 0, curve: [],
      };
      this.startPoint = { step: 0, parameters: await readParameters(this.model) };
      return;
    }
    const latest = await store?.load('latest');
    if (!latest) throw new TrainingError('There is no checkpoint to resume from: the run was never paused or finished an epoch. Start it afresh.', 'CheckpointMismatch');
    const changed = differences(latest.state.settings, this.settings);
    if (changed.length) {
      throw new TrainingError(`The checkpoint was made with other settings: ${changed.join('; ')}. Resume with the same settings, or start afresh.`, 'CheckpointMismatch');
    }
    writeParameters(this.model, latest.parameters, 'checkpoint');
    this.optimizer.loadState(latest.moments);
    this.state = latest.state;
    this.startPoint = { step: latest.state.step, parameters: latest.parameters };
    if (this.state.best) this.bestParameters = (await store!.load('best'))?.parameters;
    this.log('info', `Resuming at step ${this.state.step} of ${this.settings.totalSteps} (epoch ${this.state.epoch + 1}, batch ${this.state.batchInEpoch}).`);
  }

  /** Trains until the last step, early stopping or a cancel; returns why it stopped. */
  private async loop(): Promise<StopReason> {
    const { totalSteps, epochs, gradientAccumulation } = this.settings;
    // A run resumed at an epoch's end whose evaluation did not finish (the Hub was unreachable) evaluates first.
    if (this.state.step > 0 && this.state.batchInEpoch === 0) {
      const verdict = await this.evaluateNow();
      if (verdict) return verdict;
    }
    while (this.state.epoch < epochs && this.state.step < totalSteps) {
      const batches = this.data.trainBatches(this.state.epoch)[Symbol.asyncIterator]();
      let exhausted = false;
      try {
        for (let skipped = 0; skipped < this.state.batchInEpoch; skipped++) {
          if ((await batches.next()).done) throw new TrainingError(`Epoch ${this.state.epoch + 1} has fewer batches than the checkpoint had trained (${this.state.batchInEpoch}); the data changed. Start the run afresh.`, 'CheckpointMismatch');
        }
        while (this.state.step < totalSteps) {
          if (await this.stopRequested()) return 'cancelled';
          const started = performance.now();
          const group: B[] = [];
          while (group.length < gradientAccumulation) {
            const next = await batches.next();
            if (next.done) {
              exhausted = true;
              break;
            }
            group.push(next.value);
          }
          if (group.length === 0) break;
          await this.step(group, started);
          if (this.checkpointDue()) await this.saveLatest('time');
          const every = this.options.evalEverySteps;
          if (every && this.state.step % every === 0) {
            const verdict = await this.evaluateNow();
            if (verdict) return verdict;
          }
          if (exhausted) break;
        }
      } finally {
        await batches.return?.();
      }
      const epochEnded = exhausted || this.state.batchInEpoch >= this.data.batchesPerEpoch;
      if (epochEnded) {
        this.state.epoch += 1;
        this.state.batchInEpoch = 0;
      }
      const verdict = await this.evaluateNow();
      if (verdict === 'cancelled') return verdict;
      if (epochEnded) await this.saveLatest('epoch');
      if (verdict) return verdict;
    }
    return (await this.evaluateNow()) ?? 'completed';
  }

  /** Whether the time checkpoint is due: a store, an interval, and that much training since the last checkpoint. */
  private checkpointDue(): boolean {
    const every = this.options.checkpointEverySeconds ?? 60;
    return this.hooks.store !== undefined && every > 0 && performance.now() - this.checkpointedAt >= every * 1000;
  }

  /** Honours a pause (checkpoint, wait) or cancel request; true when the run must stop. */
  private async stopRequested(): Promise<boolean> {
    if (this.control.request === 'pause') {
      await this.saveLatest('pause');
      if (await this.pausedUntilResumed() === 'cancel') return true;
    }
    return this.control.request === 'cancel';
  }

  /** One optimizer step over a group of micro-batches: gradients, checks, clipping, update, progress. */
  private async step(group: B[], started: number): Promise<void> {
    const { settings, state } = this;
    const lr = settings.learningRate * scheduleFactor(this.schedule, state.updates);
    const sum = new GradientSum();
    let lossSum = 0;
    let gradNorm = NaN;
    let problem: string | undefined;
    try {
      for (const [micro, batch] of group.entries()) {
        const loss = await this.backward(batch, forwardSeed(settings.seed, state.step, micro), sum);
        lossSum += loss;
        if (!Number.isFinite(loss)) {
          problem = `the loss was ${loss}`;
          break;
        }
      }
      if (!problem && state.updates > 0) this.addRegularization(sum, group.length);
      if (!problem) {
        gradNorm = (await globalNorm(sum.sums.values())) / group.length;
        if (!Number.isFinite(gradNorm)) problem = `the gradient norm was ${gradNorm}`;
      }
      if (!problem) {
        const clip = clipCoefficient(gradNorm, settings.maxGradNorm);
        this.optimizer.step(sum.sums, lr, clip / group.length);
        state.updates += 1;
      }
    } finally {
      sum.dispose();
    }
    state.step += 1;
    state.batchInEpoch += group.length;
    const seconds = (performance.now() - started) / 1000;
    state.seconds += seconds;
    this.pace.push({ seconds, samples: group.reduce((n, b) => n + b.batch, 0), tokens: group.reduce((n, b) => n + (b.realTokens ?? 0), 0) });
    if (this.pace.length > PACE_WINDOW) this.pace.shift();
    const loss = lossSum / group.length;
    appendCurvePoint(state.curve ??= [], { step: state.step, ...(problem === undefined ? { loss } : {}), lr });
    this.emit(this.progress(loss, lr, gradNorm, problem !== undefined));
    if (problem) await this.nonFinite(problem, lr);
    else state.nonFiniteStreak = 0;
  }

  /**
   * Adds the model's regularization gradient to `sum` once per update: `micro` times, since the sum is later divided
   * by the micro-batches (the library adds it unscaled to gradients averaged over the accumulation).
   */
  private addRegularization(sum: GradientSum, micro: number): void {
    const penalty = this.model.regularization;
    if (!penalty) return;
    const variables = this.model.parameters.map((p) => p.variable);
    const { value, grads } = tf.variableGrads(() => penalty.call(this.model), variables);
    value.dispose();
    const gradients = new Map<string, tf.Tensor>();
    for (const [variableName, gradient] of Object.entries(grads)) {
      gradients.set(this.nameOfVariable.get(variableName)!, micro === 1 ? gradient : tf.tidy(() => gradient.mul(micro)));
      if (micro !== 1) gradient.dispose();
    }
    sum.add(gradients);
  }

  /** Forward and backward of one micro-batch; adds its gradients to `sum` and returns its loss. */
  private async backward(batch: B, seed: number, sum: GradientSum): Promise<number> {
    const variables = this.model.parameters.map((p) => p.variable);
    let result: { value: tf.Scalar; grads: tf.NamedTensorMap };
    try {
      installLeanBackprop();
      result = tf.variableGrads(() => {
        const logits = this.model.logits(batch, { training: true, seed });
        return meanLoss(logits, batch.labels, this.model.task);
      }, variables);
    } catch (err) {
      throw new TrainingError(`The model's forward or backward pass failed at step ${this.state.step + 1}: ${(err as Error).message}`, 'Model', { cause: err });
    }
    const loss = (await result.value.data())[0];
    result.value.dispose();
    const gradients = new Map<string, tf.Tensor>();
    for (const [variableName, gradient] of Object.entries(result.grads)) gradients.set(this.nameOfVariable.get(variableName)!, gradient);
    sum.add(gradients);
    return loss;
  }

  private async nonFinite(problem: string, lr: number): Promise<void> {
    const state = this.state;
    state.nonFiniteStreak += 1;
    const lastGood = state.step - state.nonFiniteStreak;
    this.log('warn', `Step ${state.step} skipped: ${problem}. No update was made; the weights are unchanged.`);
    if (state.nonFiniteStreak < this.maxNonFinite) return;
    const kept = await this.keepGoodWeights(lastGood);
    await this.saveLatest('stop');
    const rolledBack = kept.step === lastGood ? '' : ` (those after step ${lastGood} ${kept.reason}, so the run went back to step ${kept.step})`;
    const keptText = kept.good
      ? `The weights are those after step ${kept.step}, the last good one${rolledBack}.`
      : `No weights of this run give a finite loss on a validation batch, not even those it started from (step ${kept.step}), which it keeps.`;
    throw new TrainingError(
      `Training stopped at step ${state.step}: the loss or gradient was NaN or infinite for ${state.nonFiniteStreak} steps in a row (last: ${problem}). `
      + `${keptText} Lower the learning rate (it was ${lr.toPrecision(3)}) or check the data for extreme values, then train again.`,
      'NonFinite',
    );
  }

  /**
   * Leaves the model with the latest good weights: finite, with a finite loss on a validation batch. Tries the current
   * ones (those after `lastGood`), then the latest checkpoint's, the best evaluation's and the start's, newest first.
   */
  private async keepGoodWeights(lastGood: number): Promise<{ step: number; good: boolean; reason?: string }> {
    const best = this.state.best && this.bestParameters ? { step: this.state.best.step, parameters: this.bestParameters } : undefined;
    const fallbacks = [this.checkpointPoint, best, this.startPoint]
      .filter((p): p is RestorePoint => p !== undefined && p.step <= lastGood)
      .sort((a, b) => b.step - a.step);
    const current = await readParameters(this.model);
    let reason = allFinite(current) ? await this.probeProblem() : 'are not all finite';
    if (!reason) return { step: lastGood, good: true };
    const firstReason = reason;
    for (const point of fallbacks) {
      writeParameters(this.model, point.parameters, 'restore point');
      reason = allFinite(point.parameters) ? await this.probeProblem() : 'are not all finite';
      if (!reason) {
        this.log('warn', `The weights after step ${lastGood} ${firstReason}: went back to those of step ${point.step}.`);
        return { step: point.step, good: true, reason: firstReason };
      }
    }
    const start = this.startPoint!;
    writeParameters(this.model, start.parameters, 'start weights');
    return { step: start.step, good: false, reason: firstReason };
  }

  /** The probe batch: the first validation batch, else the first training batch (whichever can be read now). */
  private async probe(): Promise<B | undefined> {
    for (const batches of [() => this.data.evalBatches?.(), () => this.data.trainBatches(0)]) {
      if (this.probeBatch) break;
      try {
        this.probeBatch = await firstOf(batches());
      } catch {
        // Unreadable now (the Hub is down): try the next source.
      }
    }
    return this.probeBatch;
  }

  /** Why the model's weights are not good on the probe batch (a non-finite loss), or undefined when they are. */
  private async probeProblem(): Promise<string | undefined> {
    const batch = await this.probe();
    if (!batch) return undefined;
    const loss = tf.tidy(() => meanLoss(this.model.logits(batch, { training: false, seed: 0 }), batch.labels, this.model.task));
    const value = (await loss.data())[0];
    loss.dispose();
    return Number.isFinite(value) ? undefined : `give a loss of ${value} on a validation batch`;
  }

  /** Evaluates unless this step already was; returns 'earlyStopped' / 'cancelled' when the run must stop. */
  private async evaluateNow(): Promise<StopReason | undefined> {
    const state = this.state;
    if (!this.data.evalBatches || state.lastEvalStep === state.step) return undefined;
    const started = performance.now();
    const metrics = await this.evaluateRetrying();
    if (!metrics) return 'cancelled';
    state.seconds += (performance.now() - started) / 1000;
    state.lastEvalStep = state.step;
    const record: EvalRecord = { step: state.step, epoch: this.epochsDone(), metrics };
    state.history.push(record);
    const value = metrics[this.metric];
    if (value === undefined) throw new RangeError(`The metric "${this.metric}" does not exist for ${this.model.task}; choose ${METRICS_OF[this.model.task]}.`);
    const best = improves(this.metric, value, state.best?.metrics[this.metric]);
    if (best) {
      state.best = record;
      state.evalsSinceBest = 0;
      this.bestParameters = await readParameters(this.model);
      await this.hooks.store?.save('best', { state: structuredClone(state), parameters: this.bestParameters, moments: [] });
    } else {
      state.evalsSinceBest += 1;
    }
    this.emit({ kind: 'eval', ...record, best });
    const patience = this.options.earlyStoppingPatience;
    if (patience !== undefined && state.evalsSinceBest >= patience) {
      this.log('info', `Early stopping at step ${state.step}: ${this.metric} has not improved for ${state.evalsSinceBest} evaluations (best ${state.best!.metrics[this.metric]} at step ${state.best!.step}).`);
      return 'earlyStopped';
    }
    return undefined;
  }

  /**
   * One evaluation pass with its progress; when the validation data's host cannot be reached, checkpoints (the weights
   * are kept), retries with a doubling wait, then pauses until the user resumes (and retries) or cancels (undefined).
   */
  private async evaluateRetrying(): Promise<EvalMetrics | undefined> {
    const policy = this.options.evalRetry ?? { attempts: 3, backoffMs: 10_000 };
    const step = this.state.step;
    for (let failures = 0; ;) {
      const started = performance.now();
      const total = this.evalBatchCount ?? this.data.evalBatchCount;
      let batches = 0;
      try {
        const metrics = await evaluate(this.model, this.data.evalBatches!(), {
          shouldStop: () => this.control.request === 'cancel',
          onBatch: (done, examples) => {
            batches = done;
            const left = total === undefined ? NaN : Math.max(0, total - done);
            this.emit({ kind: 'evalProgress', step, batches: done, ...(total === undefined ? {} : { totalBatches: Math.max(total, done) }), examples, etaSeconds: (left * (performance.now() - started)) / 1000 / done });
          },
        });
        if (metrics) this.evalBatchCount = batches;
        return metrics;
      } catch (err) {
        if (!isOutage(err)) throw err;
        if (failures === 0) await this.saveLatest('pause');
        let request: ControlRequest;
        if (failures < policy.attempts) {
          const wait = policy.backoffMs * 2 ** failures;
          failures += 1;
          this.log('warn', `The evaluation at step ${step} could not read the validation data: ${err.message} The weights are kept (checkpoint at step ${step}); trying again in ${Math.round(wait / 1000)} s (${failures} of ${policy.attempts}).`);
          request = await this.control.waitFor(wait);
          if (request === 'pause') request = await this.pausedUntilResumed();
        } else {
          failures = 0;
          this.control.pause();
          request = await this.pausedUntilResumed(`The evaluation at step ${step} could not read the validation data after ${policy.attempts + 1} tries: ${err.message} The weights are kept (checkpoint at step ${step}). Resume to try again once the Hub is reachable.`);
        }
        if (request === 'cancel') return undefined;
      }
    }
  }

  /** Waits out a pause (announced, with the reason when the run paused itself); resolves with what ended it. */
  private async pausedUntilResumed(reason?: string): Promise<'run' | 'cancel'> {
    this.emit({ kind: 'state', state: 'paused', ...(reason ? { reason } : {}) });
    const request = await this.control.untilResumed();
    if (request === 'run') {
      // The checkpoint interval counts training time, not the pause.
      this.checkpointedAt = performance.now();
      this.emit({ kind: 'state', state: 'running' });
    }
    return request;
  }

  private async saveLatest(reason: CheckpointEvent['reason']): Promise<void> {
    this.checkpointedAt = performance.now();
    const store = this.hooks.store;
    const [parameters, moments] = await Promise.all([readParameters(this.model), store ? this.optimizer.state() : []]);
    this.checkpointPoint = { step: this.state.step, parameters };
    if (!store) return;
    await store.save('latest', { state: structuredClone(this.state), parameters, moments } satisfies Checkpoint);
    this.emit({ kind: 'checkpoint', step: this.state.step, reason });
  }

  /** Loads the best weights when asked; returns whether the parameters hold them. */
  private finish(): boolean {
    const best = this.state.best;
    if (!best || !this.bestParameters || this.options.restoreBest === false) return false;
    if (best.step !== this.state.step) {
      writeParameters(this.model, this.bestParameters, 'best checkpoint');
      this.log('info', `Loaded the weights of step ${best.step}, the best by ${this.metric} (${best.metrics[this.metric]}).`);
    }
    return true;
  }

  private epochsDone(): number {
    return this.state.epoch + this.state.batchInEpoch / this.data.batchesPerEpoch;
  }

  private progress(loss: number, lr: number, gradNorm: number, skipped: boolean): TrainProgressEvent {
    const seconds = this.pace.reduce((s, p) => s + p.seconds, 0);
    const per = (key: 'samples' | 'tokens') => (seconds > 0 ? this.pace.reduce((s, p) => s + p[key], 0) / seconds : 0);
    const remaining = this.settings.totalSteps - this.state.step;
    return {
      kind: 'progress',
      step: this.state.step,
      totalSteps: this.settings.totalSteps,
      epoch: this.epochsDone(),
      loss,
      lr,
      gradNorm,
      skipped,
      samplesPerSecond: per('samples'),
      tokensPerSecond: per('tokens'),
      etaSeconds: this.pace.length ? (remaining * seconds) / this.pace.length : NaN,
    };
  }

  private log(level: 'info' | 'warn', message: string): void {
    this.emit({ kind: 'log', level, message });
  }
}

/** The first item of an async iterable (which is then closed), or undefined. */
async function firstOf<T>(items: AsyncIterable<T> | undefined): Promise<T | undefined> {
  if (!items) return undefined;
  for await (const item of items) return item;
  return undefined;
}

/**
 * Trains the model's parameters on `data`. Resolves with how the run ended (completed, early-stopped or
 * cancelled) and its best metrics; rejects with a TrainingError (e.g. code NonFinite, the weights then being the
 * last good step's) or the data's error. Every outcome is also reported through `hooks.onEvent`.
 */
export async function train<B extends BatchLike>(model: TrainableModel<B>, data: TrainingData<B>, options: TrainOptions = {}, hooks: TrainHooks = {}): Promise<TrainResult> {
  return new Run(model, data, options, hooks).run();
}
