import 'fake-indexeddb/auto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CheckpointStore, IndexedDbCheckpointStore, MemoryCheckpointStore } from './checkpoint.ts';
import { TrainingControl } from './control.ts';
import { DirectoryCheckpointStore } from './directory-checkpoint-store.ts';
import { DataError } from '../data/errors.ts';
import { TrainingError } from './errors.ts';
import { evaluate } from './evaluate.ts';
import type { TrainEvent, TrainProgressEvent } from './events.ts';
import { scheduleFactor } from './schedule.ts';
import { type FeatureBatch, blobs, featureBatch, featureData, softmaxRegression } from './test-support.ts';
import { type TrainOptions, type TrainingData, train } from './trainer.ts';
import type { TrainableModel } from './trainable-model.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => tf.disposeVariables());

const progressOf = (events: TrainEvent[]) => events.filter((e): e is TrainProgressEvent => e.kind === 'progress');
const values = (v: tf.Variable) => Array.from(v.dataSync());

describe('train()', () => {
  it('learns separable blobs and reports progress, evaluations and the best metrics', async () => {
    const model = softmaxRegression(4, 3);
    const data = featureData(blobs(3, 4, 40, 1), blobs(3, 4, 20, 1), 8);
    const events: TrainEvent[] = [];
    const result = await train(model, data, { learningRate: 0.05, epochs: 3, warmupRatio: 0.1 }, { onEvent: (e) => events.push(e) });
    expect(result.stopReason).toBe('completed');
    expect(result.steps).toBe(45); // 120 examples / 8 = 15 batches × 3 epochs
    expect(result.best!.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(result.history.map((h) => h.step)).toEqual([15, 30, 45]);
    const progress = progressOf(events);
    expect(progress.map((p) => p.step)).toEqual(Array.from({ length: 45 }, (_, i) => i + 1));
    // lr of update k is 0.05 · λ(k) with 5 warmup steps (ceil(45 · 0.1)).
    for (const p of progress) expect(p.lr).toBeCloseTo(0.05 * scheduleFactor({ kind: 'linear', warmupSteps: 5, totalSteps: 45 }, p.step - 1), 12);
    expect(progress.at(-1)!.epoch).toBe(3);
    expect(progress[20].samplesPerSecond).toBeGreaterThan(0);
    expect(progress[20].etaSeconds).toBeGreaterThanOrEqual(0);
    expect(events.at(-1)).toMatchObject({ kind: 'done', stopReason: 'completed', bestStep: result.bestStep });
  });

  it('one step equals a hand-derived softmax-regression gradient, clipped and applied by AdamW', async () => {
    const model = softmaxRegression(2, 2);
    const w0 = values(model.weight);
    const batch = featureBatch([{ x: [1, 2], label: 0 }, { x: [-1, 0.5], label: 1 }, { x: [0.3, -2], label: 1 }]);
    const data: TrainingData<FeatureBatch> = { batchesPerEpoch: 1, async *trainBatches() { yield batch; } };
    await train(model, data, { learningRate: 0.01, maxSteps: 1, maxGradNorm: 0.1, adamW: { weightDecay: 0.2 } });
    // ∂CE/∂logits = softmax − onehot, averaged over the batch; ∂/∂W = Σ (p − y) xᵀ / n, ∂/∂b = Σ (p − y) / n (b starts at 0).
    const gW = [0, 0, 0, 0];
    const gB = [0, 0];
    for (let i = 0; i < 3; i++) {
      const x = [batch.features[2 * i], batch.features[2 * i + 1]];
      const z = [0, 1].map((c) => w0[2 * c] * x[0] + w0[2 * c + 1] * x[1]);
      const p = z.map((v) => Math.exp(v) / (Math.exp(z[0]) + Math.exp(z[1])));
      for (let c = 0; c < 2; c++) {
        const d = (p[c] - (batch.labels[i] === c ? 1 : 0)) / 3;
        gW[2 * c] += d * x[0];
        gW[2 * c + 1] += d * x[1];
        gB[c] += d;
      }
    }
    const norm = Math.hypot(...gW, ...gB);
    const clip = Math.min(1, 0.1 / (norm + 1e-6));
    expect(clip).toBeLessThan(1);
    // First AdamW step: θ(1 − lr·λ) − lr · ĝ/(|ĝ| + ε) with ĝ the clipped gradient; lr = 0.01 · λ(0) = 0.01 (no warmup).
    const stepOf = (theta: number, g: number, decay: number) => theta * (1 - 0.01 * decay) - (0.01 * g * clip) / (Math.abs(g * clip) + 1e-8);
    const expectedW = w0.map((theta, i) => stepOf(theta, gW[i], 0.2));
    const expectedB = gB.map((g) => stepOf(0, g, 0));
    values(model.weight).forEach((v, i) => expect(v).toBeCloseTo(expectedW[i], 6));
    values(model.bias).forEach((v, i) => expect(v).toBeCloseTo(expectedB[i], 6));
  });

  it('a regularization term joins every update\'s gradient after the first, outside the reported loss (AdapterTrainerCallback.on_step_end)', async () => {
    const batch = featureBatch([{ x: [1, 2], label: 0 }, { x: [-1, 0.5], label: 1 }]);
    const data: TrainingData<FeatureBatch> = { batchesPerEpoch: 1, async *trainBatches() { yield batch; } };
    const run = async (regularized: boolean, maxSteps: number) => {
      const model = softmaxRegression(2, 2, { seed: 3 });
      // Pulls the bias towards 5: a gradient the loss does not give.
      const trained = regularized ? { ...model, regularization: () => model.bias.sub(5).square().sum() as tf.Scalar } : model;
      const events: TrainEvent[] = [];
      await train(trained, data, { learningRate: 0.01, maxSteps, maxGradNorm: 0, adamW: { weightDecay: 0 } }, { onEvent: (e) => events.push(e) });
      const out = { bias: values(model.bias), losses: progressOf(events).map((e) => e.loss) };
      tf.disposeVariables();
      return out;
    };
    const [plain1, reg1, plain2, reg2] = [await run(false, 1), await run(true, 1), await run(false, 2), await run(true, 2)];
    expect(reg1.bias).toEqual(plain1.bias);
    expect(reg2.losses).toEqual(plain2.losses);
    reg2.bias.forEach((b, i) => expect(b).toBeGreaterThan(plain2.bias[i] + 1e-3));
  });

  it('accumulating two micro-batches equals one step on both together', async () => {
    const examples = blobs(2, 3, 4, 5).examples;
    const one = softmaxRegression(3, 2);
    const two = softmaxRegression(3, 2);
    const whole: TrainingData<FeatureBatch> = { batchesPerEpoch: 1, async *trainBatches() { yield featureBatch(examples); } };
    const halves: TrainingData<FeatureBatch> = {
      batchesPerEpoch: 2,
      async *trainBatches() {
        yield featureBatch(examples.slice(0, 4));
        yield featureBatch(examples.slice(4));
      },
    };
    const options: TrainOptions = { learningRate: 0.05, epochs: 1, maxGradNorm: 0.05 };
    await train(one, whole, options);
    const result = await train(two, halves, { ...options, gradientAccumulation: 2 });
    expect(result.steps).toBe(1);
    values(two.weight).forEach((v, i) => expect(v).toBeCloseTo(values(one.weight)[i], 6));
    values(two.bias).forEach((v, i) => expect(v).toBeCloseTo(values(one.bias)[i], 6));
  });

  it('keeps the best evaluation\'s weights and stops early after `patience` evaluations without a better one', async () => {
    // logits = [0, w·x₀ + x₁]: class 1 wins when w·x₀ + x₁ > 0. Training pushes w up steadily (its only example is
    // class 1 with x₀ = 1). On validation, class-1 rows turn right once w > −x₁ and class-0 rows turn wrong once
    // w > −x₁: accuracy rises to 1 for w in (−0.5, 1), then falls.
    const model: TrainableModel<FeatureBatch> & { w: tf.Variable } = (() => {
      const w = tf.variable(tf.scalar(-2.05), true);
      return {
        task: 'classification' as const,
        w,
        parameters: [{ name: 'gate.bias', variable: w }],
        logits: (batch: FeatureBatch) => tf.tidy(() => {
          const x = tf.tensor2d(batch.features, [batch.batch, 2]);
          const z = x.slice([0, 0], [batch.batch, 1]).mul(w).add(x.slice([0, 1], [batch.batch, 1]));
          return tf.concat([tf.zerosLike(z), z], 1) as tf.Tensor2D;
        }),
      };
    })();
    const validation = [
      ...[0.5, 1, 1.5, 2, 2.5].map((b) => ({ x: [1, b], label: 1 })),
      ...[-1, -1.5].map((b) => ({ x: [1, b], label: 0 })),
    ];
    const data: TrainingData<FeatureBatch> = {
      batchesPerEpoch: 1,
      async *trainBatches() { yield featureBatch([{ x: [1, 0], label: 1 }]); },
      async *evalBatches() { yield featureBatch(validation); },
    };
    const store = new MemoryCheckpointStore();
    const ws: number[] = [];
    // Constant rate, no decay: Adam moves w by ≈ 0.3 per step while the gradient keeps its sign.
    const result = await train(model, data, { learningRate: 0.3, schedule: 'constant', epochs: 30, maxGradNorm: 0, adamW: { weightDecay: 0 }, earlyStoppingPatience: 3 }, {
      store,
      onEvent: (e) => { if (e.kind === 'eval') ws.push(model.w.dataSync()[0]); },
    });
    const accuracies = result.history.map((h) => h.metrics.accuracy!);
    const bestIndex = accuracies.indexOf(Math.max(...accuracies));
    expect(Math.max(...accuracies)).toBe(1);
    expect(accuracies[0]).toBeLessThan(1);
    expect(result.stopReason).toBe('earlyStopped');
    expect(result.bestStep).toBe(result.history[bestIndex].step);
    expect(result.steps).toBe(result.bestStep! + 3);
    expect(result.restoredBest).toBe(true);
    expect(model.w.dataSync()[0]).toBe(ws[bestIndex]);
    expect((await evaluate(model, data.evalBatches!()))!.accuracy).toBe(1);
    const best = await store.load('best');
    expect(best!.parameters[0].data[0]).toBe(ws[bestIndex]);
    expect(best!.state.best!.step).toBe(result.bestStep);
  });

  it('pause, resume and cancel take effect before the next step', async () => {
    const model = softmaxRegression(4, 3);
    const data = featureData(blobs(3, 4, 40, 2), undefined, 8);
    const control = new TrainingControl();
    const events: TrainEvent[] = [];
    let resumedAt = -1;
    let pauseHeld = false;
    const run = train(model, data, { learningRate: 0.01, epochs: 3 }, {
      control,
      store: new MemoryCheckpointStore(),
      onEvent: (e) => {
        events.push(e);
        if (e.kind === 'progress' && e.step === 4) control.pause();
        if (e.kind === 'state' && e.state === 'paused') {
          const frozen = values(model.weight);
          setTimeout(() => {
            // Paused for a while: no step ran and the weights did not move.
            pauseHeld = progressOf(events).at(-1)!.step === 4 && values(model.weight).every((v, i) => v === frozen[i]);
            resumedAt = events.length;
            control.resume();
          }, 80);
        }
        if (e.kind === 'progress' && e.step === 9) control.cancel();
      },
    });
    const result = await run;
    expect(result.stopReason).toBe('cancelled');
    expect(result.steps).toBe(9);
    const kinds = events.map((e) => (e.kind === 'progress' ? `p${e.step}` : e.kind === 'state' ? e.state : e.kind));
    expect(kinds.slice(kinds.indexOf('p4'), kinds.indexOf('p4') + 4)).toEqual(['p4', 'checkpoint', 'paused', 'running']);
    expect(pauseHeld).toBe(true);
    expect(resumedAt).toBe(kinds.indexOf('paused') + 1);
    expect(kinds.at(-2)).toBe('p9');
    expect(kinds.at(-1)).toBe('done');

    // Cancelling while paused ends the run at once.
    const paused = new TrainingControl();
    const second = train(softmaxRegression(4, 3), data, { epochs: 1 }, {
      control: paused,
      onEvent: (e) => {
        if (e.kind === 'progress' && e.step === 2) paused.pause();
        if (e.kind === 'state' && e.state === 'paused') paused.cancel();
      },
    });
    expect(await second).toMatchObject({ stopReason: 'cancelled', steps: 2 });
  });

  it('skips a step whose loss is NaN without touching the weights, and stops after 3 in a row keeping the last good ones', async () => {
    /** The model's training forwards return NaN logits on the calls listed. */
    const poisoned = (nanCalls: (call: number) => boolean) => {
      const inner = softmaxRegression(4, 3);
      let calls = 0;
      return {
        ...inner,
        logits: (batch: FeatureBatch, options: { training: boolean; seed: number }) => {
          const out = inner.logits(batch, options);
          if (!options.training || !nanCalls(++calls)) return out;
          return tf.tidy(() => out.mul(NaN) as tf.Tensor2D);
        },
      };
    };
    const data = featureData(blobs(3, 4, 16, 3), undefined, 8);
    const snapshot = (model: { weight: tf.Variable; bias: tf.Variable }) => [...values(model.weight), ...values(model.bias)];

    const once = poisoned((call) => call === 3);
    const after: number[][] = [];
    const events: TrainEvent[] = [];
    const result = await train(once, data, { learningRate: 0.01, epochs: 2 }, { onEvent: (e) => {
      events.push(e);
      if (e.kind === 'progress') after[e.step] = snapshot(once);
    } });
    expect(result.stopReason).toBe('completed');
    const skipped = progressOf(events).filter((p) => p.skipped);
    expect(skipped.map((p) => p.step)).toEqual([3]);
    expect(skipped[0].loss).toBeNaN();
    expect(after[3]).toEqual(after[2]);
    expect(after[4]).not.toEqual(after[3]);
    expect(events.find((e) => e.kind === 'log' && e.level === 'warn')).toMatchObject({ message: expect.stringContaining('Step 3 skipped: the loss was NaN') });

    const always = poisoned((call) => call >= 4);
    const store = new MemoryCheckpointStore();
    const stopEvents: TrainEvent[] = [];
    let lastGood: number[] = [];
    const failure = await train(always, data, { learningRate: 0.01, epochs: 3 }, { store, onEvent: (e) => {
      stopEvents.push(e);
      if (e.kind === 'progress' && e.step === 3) lastGood = snapshot(always);
    } }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(TrainingError);
    expect(failure).toMatchObject({ code: 'NonFinite', message: expect.stringContaining('NaN or infinite for 3 steps in a row') });
    expect((failure as Error).message).toContain('The weights are those after step 3, the last good one.');
    expect(progressOf(stopEvents).map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(snapshot(always)).toEqual(lastGood);
    expect(stopEvents.at(-1)).toMatchObject({ kind: 'error', code: 'NonFinite' });
    const saved = await store.load('latest');
    expect([...saved!.parameters[0].data, ...saved!.parameters[1].data]).toEqual(lastGood);
  });

  it('holds the tensor count steady across steps and frees everything it made', async () => {
    const model = softmaxRegression(4, 3, { dropout: 0.1 });
    const data = featureData(blobs(3, 4, 40, 4), blobs(3, 4, 10, 4), 8);
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    await train(model, data, { epochs: 2, gradientAccumulation: 2, evalEverySteps: 3 }, {
      store: new MemoryCheckpointStore(),
      onEvent: (e) => { if (e.kind === 'progress') counts.push(tf.memory().numTensors); },
    });
    expect(new Set(counts).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('checkpoints', () => {
  const trainData = () => featureData(blobs(3, 4, 30, 6), blobs(3, 4, 10, 6), 8);
  // Dropout makes the trajectory depend on the per-step seeds as well as the weights, data order and moments.
  const options: TrainOptions = { learningRate: 0.02, epochs: 3, warmupSteps: 3, gradientAccumulation: 2, evalEverySteps: 5 };

  async function lossesOfUninterrupted(): Promise<{ losses: number[]; weight: number[] }> {
    const model = softmaxRegression(4, 3, { dropout: 0.2 });
    const losses: number[] = [];
    await train(model, trainData(), options, { onEvent: (e) => { if (e.kind === 'progress') losses[e.step] = e.loss; } });
    return { losses, weight: values(model.weight) };
  }

  /** Pauses at `pauseAt`, cancels there, then resumes in a fresh model (other initial weights) from the store. */
  async function lossesOfResumed(store: CheckpointStore, pauseAt: number): Promise<{ losses: number[]; weight: number[] }> {
    const losses: number[] = [];
    const control = new TrainingControl();
    const first = await train(softmaxRegression(4, 3, { dropout: 0.2 }), trainData(), options, {
      store,
      control,
      onEvent: (e) => {
        if (e.kind === 'progress') {
          losses[e.step] = e.loss;
          if (e.step === pauseAt) control.pause();
        }
        if (e.kind === 'state' && e.state === 'paused') control.cancel();
      },
    });
    expect(first).toMatchObject({ stopReason: 'cancelled', steps: pauseAt });
    const model = softmaxRegression(4, 3, { dropout: 0.2, seed: 99 });
    const second = await train(model, trainData(), options, { store, resume: true, onEvent: (e) => { if (e.kind === 'progress') losses[e.step] = e.loss; } });
    expect(second.stopReason).toBe('completed');
    return { losses, weight: values(model.weight) };
  }

  it('resuming mid-epoch or at an epoch boundary continues the exact loss trajectory (memory, directory, IndexedDB stores)', async () => {
    const reference = await lossesOfUninterrupted();
    expect(reference.losses.length).toBe(19); // 6 steps per epoch (12 batches / 2) × 3 epochs, 1-based
    const dir = mkdtempSync(join(tmpdir(), 'adapter-studio-ckpt-'));
    try {
      const stores: [CheckpointStore, number][] = [
        [new MemoryCheckpointStore(), 7],
        [new DirectoryCheckpointStore(dir), 12],
        [await IndexedDbCheckpointStore.open('run-a'), 17],
      ];
      for (const [store, pauseAt] of stores) {
        const resumed = await lossesOfResumed(store, pauseAt);
        expect(resumed.losses).toEqual(reference.losses);
        expect(resumed.weight).toEqual(reference.weight);
        // The checkpoint carries the loss curve across the resume: one point a step, the same losses.
        const curve = (await store.load('latest'))!.state.curve!;
        expect(curve.map((p) => p.step)).toEqual(reference.losses.map((_, step) => step).filter((step) => step > 0));
        expect(curve.map((p) => p.loss)).toEqual(reference.losses.slice(1));
      }
      expect(readdirSync(dir).sort()).toEqual(['best.safetensors', 'latest.safetensors']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a checkpoint made with other settings, and a resume without one', async () => {
    const store = new MemoryCheckpointStore();
    await train(softmaxRegression(4, 3), trainData(), { ...options, epochs: 1 }, { store });
    const error = await train(softmaxRegression(4, 3), trainData(), { ...options, epochs: 1, learningRate: 0.5 }, { store, resume: true }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CheckpointMismatch', message: expect.stringContaining('learningRate (0.02 then, 0.5 now)') });
    const none = await train(softmaxRegression(4, 3), trainData(), options, { store: new MemoryCheckpointStore(), resume: true }).catch((e: unknown) => e);
    expect(none).toMatchObject({ code: 'CheckpointMismatch', message: expect.stringContaining('no checkpoint to resume from') });
  });
});

describe('keeping trained work', () => {
  it('after diverging (lr 1e37) to weights that predict NaN, keeps the latest weights with a finite validation loss and names their step', async () => {
    // Adam moves each weight by ≈ lr a step: after a few steps the logits overflow float32 on some inputs, while the
    // training batches of the steps just before still gave a finite loss. Those weights predict NaN on validation.
    const model = softmaxRegression(4, 3);
    const data = featureData(blobs(3, 4, 16, 3), blobs(3, 4, 8, 3), 8);
    const weightsAfter: number[][] = [];
    const error = await train(model, data, { learningRate: 1e37, epochs: 5, schedule: 'constant', adamW: { weightDecay: 0 } }, {
      onEvent: (e) => { if (e.kind === 'progress') weightsAfter[e.step] = [...values(model.weight), ...values(model.bias)]; },
    }).catch((e: unknown) => e as TrainingError);
    expect(error).toMatchObject({ code: 'NonFinite', message: expect.stringContaining('NaN or infinite for 3 steps in a row') });
    const named = Number((error as Error).message.match(/The weights are those after step (\d+), the last good one/)![1]);
    const kept = [...values(model.weight), ...values(model.bias)];
    expect(kept).toEqual(weightsAfter[named]);
    expect(kept.every(Number.isFinite)).toBe(true);
    // A finite loss and finite logits on every validation example (the reference: the model's own forward, recomputed).
    const metrics = await evaluate(model, data.evalBatches!());
    expect(Number.isFinite(metrics!.loss)).toBe(true);
    const logits = model.logits(featureBatch(blobs(3, 4, 8, 3).examples), { training: false, seed: 0 });
    expect(Array.from(logits.dataSync()).every(Number.isFinite)).toBe(true);
    logits.dispose();
    // The weights the old guard called good (after the last step with a finite training loss) predict NaN.
    const lastFinite = Number((error as Error).message.match(/those after step (\d+) give a loss of NaN on a validation batch/)![1]);
    expect(lastFinite).toBeGreaterThan(named);
    model.weight.assign(tf.tensor2d(weightsAfter[lastFinite].slice(0, 12), [3, 4]));
    model.bias.assign(tf.tensor1d(weightsAfter[lastFinite].slice(12)));
    expect((await evaluate(model, data.evalBatches!()))!.loss).toBeNaN();
  });

  it('checkpoints by time as well as at epoch ends, so a run stopped mid-epoch without a pause resumes exactly', async () => {
    const data = () => featureData(blobs(3, 4, 30, 6), blobs(3, 4, 10, 6), 8);
    const options: TrainOptions = { learningRate: 0.02, epochs: 2, warmupSteps: 3 };
    const reference: number[] = [];
    const uninterrupted = softmaxRegression(4, 3, { dropout: 0.2 });
    const defaults: TrainEvent[] = [];
    await train(uninterrupted, data(), options, { store: new MemoryCheckpointStore(), onEvent: (e) => {
      defaults.push(e);
      if (e.kind === 'progress') reference[e.step] = e.loss;
    } });
    // The default interval (60 s) is longer than this run: only the epoch ends checkpoint.
    expect(defaults.filter((e) => e.kind === 'checkpoint').map((e) => (e as { reason: string }).reason)).toEqual(['epoch', 'epoch']);

    const store = new MemoryCheckpointStore();
    const control = new TrainingControl();
    const losses: number[] = [];
    const reasons: string[] = [];
    // A 1 µs interval: every step is followed by a time checkpoint. Step 7 is mid-epoch 1 (12 batches an epoch).
    const first = await train(softmaxRegression(4, 3, { dropout: 0.2 }), data(), { ...options, checkpointEverySeconds: 1e-6 }, { store, control, onEvent: (e) => {
      if (e.kind === 'progress') {
        losses[e.step] = e.loss;
        if (e.step === 7) control.cancel();
      }
      if (e.kind === 'checkpoint') reasons.push(`${e.reason}@${e.step}`);
    } });
    expect(first).toMatchObject({ stopReason: 'cancelled', steps: 7 });
    expect(reasons).toEqual(['time@1', 'time@2', 'time@3', 'time@4', 'time@5', 'time@6', 'time@7']);
    const resumed = softmaxRegression(4, 3, { dropout: 0.2, seed: 99 });
    const second = await train(resumed, data(), options, { store, resume: true, onEvent: (e) => { if (e.kind === 'progress') losses[e.step] = e.loss; } });
    expect(second.stopReason).toBe('completed');
    expect(losses).toEqual(reference);
    expect(values(resumed.weight)).toEqual(values(uninterrupted.weight));
  });

  it('reports each evaluation\'s own progress: batches done of all, examples, and its time left', async () => {
    // 30 validation examples in batches of 8: 4 batches. The data estimates 5 before the first pass.
    const data = { ...featureData(blobs(3, 4, 16, 8), blobs(3, 4, 10, 8), 8), evalBatchCount: 5 };
    const events: TrainEvent[] = [];
    await train(softmaxRegression(4, 3), data, { epochs: 2 }, { onEvent: (e) => events.push(e) });
    const kinds = events.map((e) => e.kind);
    const firstEval = kinds.indexOf('eval');
    expect(kinds.slice(firstEval - 5, firstEval)).toEqual(['progress', 'evalProgress', 'evalProgress', 'evalProgress', 'evalProgress']);
    const progress = events.filter((e): e is Extract<TrainEvent, { kind: 'evalProgress' }> => e.kind === 'evalProgress');
    expect(progress.map((p) => [p.step, p.batches, p.totalBatches, p.examples])).toEqual([
      [6, 1, 5, 8], [6, 2, 5, 16], [6, 3, 5, 24], [6, 4, 5, 30],
      [12, 1, 4, 8], [12, 2, 4, 16], [12, 3, 4, 24], [12, 4, 4, 30],
    ]);
    for (const p of progress) expect(p.etaSeconds).toBeGreaterThanOrEqual(0);
    expect(progress.at(-1)!.etaSeconds).toBe(0);
  });
});

describe('a Hub outage during evaluation', () => {
  /** Validation data whose reads fail with the data module's "Unreachable" error while `down()` says so. */
  function flakyValidation(down: () => boolean): TrainingData<FeatureBatch> {
    const data = featureData(blobs(3, 4, 16, 9), blobs(3, 4, 6, 9), 8);
    return {
      ...data,
      async *evalBatches() {
        let i = 0;
        for await (const batch of data.evalBatches!()) {
          if (i++ === 1 && down()) throw new DataError('Dataset "x/y" split "validation" could not be loaded from hub.example: fetch failed.', 'Unreachable', { resumeFromRow: 8 });
          yield batch;
        }
      },
    };
  }

  it('keeps the weights in a checkpoint and retries with a doubling wait, then finishes the run', async () => {
    let failures = 0;
    const data = flakyValidation(() => failures++ < 2);
    const events: TrainEvent[] = [];
    const store = new MemoryCheckpointStore();
    const started = performance.now();
    const result = await train(softmaxRegression(4, 3), data, { epochs: 2, evalRetry: { attempts: 3, backoffMs: 40 } }, { store, onEvent: (e) => events.push(e) });
    expect(result.stopReason).toBe('completed');
    expect(result.history.map((h) => h.step)).toEqual([6, 12]);
    // Waits of 40 and 80 ms.
    expect(performance.now() - started).toBeGreaterThanOrEqual(120);
    const warnings = events.filter((e) => e.kind === 'log' && e.level === 'warn').map((e) => (e as { message: string }).message);
    expect(warnings).toEqual([
      expect.stringMatching(/^The evaluation at step 6 could not read the validation data: .*fetch failed\. The weights are kept \(checkpoint at step 6\); trying again in 0 s \(1 of 3\)\.$/),
      expect.stringContaining('(2 of 3)'),
    ]);
    expect(events.find((e) => e.kind === 'checkpoint')).toMatchObject({ step: 6, reason: 'pause' });
  });

  it('pauses with the reason once the retries are spent, and continues when resumed (or from its checkpoint after a reload)', async () => {
    let down = true;
    const control = new TrainingControl();
    const store = new MemoryCheckpointStore();
    const events: TrainEvent[] = [];
    const model = softmaxRegression(4, 3);
    const run = train(model, flakyValidation(() => down), { epochs: 2, evalRetry: { attempts: 1, backoffMs: 1 } }, { store, control, onEvent: (e) => {
      events.push(e);
      if (e.kind === 'state' && e.state === 'paused') {
        down = false;
        control.resume();
      }
    } });
    const result = await run;
    expect(result.stopReason).toBe('completed');
    expect(result.history.map((h) => h.step)).toEqual([6, 12]);
    const paused = events.find((e) => e.kind === 'state' && e.state === 'paused');
    expect(paused).toMatchObject({ reason: expect.stringMatching(/^The evaluation at step 6 could not read the validation data after 2 tries: .* Resume to try again once the Hub is reachable\.$/) });
    expect(events.map((e) => e.kind).slice(events.indexOf(paused!) + 1, events.indexOf(paused!) + 2)).toEqual(['state']);

    // Cancelled while paused on the outage (a reload), then resumed from the checkpoint: the missed evaluation runs first.
    down = true;
    const second = new TrainingControl();
    const store2 = new MemoryCheckpointStore();
    const cancelled = await train(softmaxRegression(4, 3), flakyValidation(() => down), { epochs: 2, evalRetry: { attempts: 0, backoffMs: 1 } }, {
      store: store2, control: second, onEvent: (e) => { if (e.kind === 'state' && e.state === 'paused') second.cancel(); },
    });
    expect(cancelled).toMatchObject({ stopReason: 'cancelled', steps: 6 });
    down = false;
    const resumed = await train(softmaxRegression(4, 3), flakyValidation(() => down), { epochs: 2 }, { store: store2, resume: true });
    expect(resumed.history.map((h) => h.step)).toEqual([6, 12]);
    expect(resumed.history[0].metrics).toEqual(result.history[0].metrics);
  });
});
