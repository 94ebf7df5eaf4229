import { describe, expect, it } from 'vitest';
import type { TrainEvent, TrainProgressEvent } from '../core/train/events.ts';
import { EMPTY_VIEW, MAX_POINTS, foldTraining, metricsPhrase } from './training-view.ts';

const progress = (step: number, loss: number, skipped = false): TrainProgressEvent => ({
  kind: 'progress', step, totalSteps: 4, epoch: step / 2, loss, lr: 1e-3 * (1 - step / 4), gradNorm: 1, skipped,
  samplesPerSecond: 10, tokensPerSecond: 100, etaSeconds: 4 - step,
});

describe('the Train step\'s view of a run', () => {
  it('folds progress, evaluations, checkpoints, pauses and the end into curves, figures and a log', () => {
    const events: TrainEvent[] = [
      progress(1, 0.7), progress(2, 0.6),
      { kind: 'eval', step: 2, epoch: 1, metrics: { loss: 0.55, accuracy: 0.8, macroF1: 0.79, examples: 200 }, best: true },
      { kind: 'checkpoint', step: 2, reason: 'epoch' },
      { kind: 'state', state: 'paused' },
      { kind: 'state', state: 'running' },
      progress(3, NaN, true),
      { kind: 'log', level: 'warn', message: 'Step 3 skipped: the loss was NaN.' },
      progress(4, 0.4),
      { kind: 'done', stopReason: 'completed', steps: 4, epochs: 2, history: [], seconds: 1.5, restoredBest: true },
    ];
    const view = foldTraining(EMPTY_VIEW, events);
    expect(view.points).toEqual([{ step: 1, loss: 0.7, lr: 7.5e-4 }, { step: 2, loss: 0.6, lr: 5e-4 }, { step: 3, lr: 2.5e-4 }, { step: 4, loss: 0.4, lr: 0 }]);
    expect(view.totalSteps).toBe(4);
    expect(view.latest?.step).toBe(4);
    expect(view.skipped).toBe(1);
    expect(view.checkpoint).toEqual({ kind: 'checkpoint', step: 2, reason: 'epoch', epoch: 1 });
    expect(view.paused).toBe(false);
    expect(view.result?.stopReason).toBe('completed');
    expect(view.log.map((l) => l.message)).toEqual([
      'Evaluation at step 2 (epoch 1.00): accuracy 80.0%, macro-F1 0.790, loss 0.5500 — best so far',
      'Checkpoint at step 2 (end of an epoch)',
      'Paused.',
      'Resumed.',
      'Step 3 skipped: the loss was NaN.',
      'Done: completed after 4 steps in 1.5 s.',
    ]);
    // Folding in two parts gives the same view as in one.
    expect(foldTraining(foldTraining(EMPTY_VIEW, events.slice(0, 5)), events.slice(5))).toEqual(view);
  });

  it('shows an evaluation\'s own progress until it ends, and why the run paused itself', () => {
    const during = foldTraining(EMPTY_VIEW, [
      progress(4, 0.4),
      { kind: 'evalProgress', step: 4, batches: 1, totalBatches: 13, examples: 16, etaSeconds: 24 },
      { kind: 'evalProgress', step: 4, batches: 2, totalBatches: 13, examples: 32, etaSeconds: 22 },
    ]);
    expect(during.evaluating).toMatchObject({ batches: 2, totalBatches: 13, etaSeconds: 22 });
    const paused = foldTraining(during, [{ kind: 'checkpoint', step: 4, reason: 'pause' }, { kind: 'state', state: 'paused', reason: 'The Hub could not be reached.' }]);
    expect(paused).toMatchObject({ paused: true, pauseReason: 'The Hub could not be reached.' });
    expect(paused.log.map((l) => l.message)).toEqual(['Checkpoint at step 4 (paused)', 'Paused: The Hub could not be reached.']);
    const after = foldTraining(paused, [
      { kind: 'state', state: 'running' },
      { kind: 'eval', step: 4, epoch: 2, metrics: { loss: 0.5, accuracy: 0.8, macroF1: 0.8, examples: 200 }, best: true },
      { kind: 'checkpoint', step: 5, reason: 'time' },
    ]);
    expect(after.evaluating).toBeUndefined();
    expect(after.pauseReason).toBeUndefined();
    expect(after.log.at(-1)!.message).toBe('Checkpoint at step 5 (timed)');
  });

  it('thins old curve points beyond MAX_POINTS, keeping the recent ones', () => {
    const many = Array.from({ length: MAX_POINTS + 2 }, (_, i) => progress(i + 1, 1));
    const view = foldTraining(EMPTY_VIEW, many);
    expect(view.points.length).toBeLessThanOrEqual(MAX_POINTS);
    expect(view.points.at(-1)!.step).toBe(MAX_POINTS + 2);
    const steps = view.points.map((p) => p.step);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
  });

  it('says regression metrics and empty validation plainly', () => {
    expect(metricsPhrase({ loss: 0.25, mse: 0.25, pearson: 0.9, examples: 10 })).toBe('MSE 0.2500, Pearson 0.900, loss 0.2500');
    expect(metricsPhrase({ loss: NaN, accuracy: NaN, macroF1: NaN, examples: 0 })).toBe('no validation examples (the split or hold-out is empty)');
  });
});
