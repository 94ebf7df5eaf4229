import { describe, expect, it } from 'vitest';
import { DEFAULT_TRAINING_SETTINGS } from '../core/train/training-settings.ts';
import { HISTORY_POINTS, type SavedRun, atCheckpoint, historyUpTo, readSavedRun, resumeEpoch, runHistory, writeSavedRun } from './saved-run.ts';
import { memoryStorage } from './memory-storage.ts';

const run: SavedRun = {
  setup: {
    runId: 'r1', model: 'adapter-studio/tiny-bert', data: { kind: 'hub', dataset: 'adapter-studio/tiny-sentiment', maxTrainExamples: 160 },
    adapter: { kind: 'new', choice: { method: 'seq_bn' }, name: 'tiny-sentiment' }, settings: DEFAULT_TRAINING_SETTINGS,
  },
  hub: { kind: 'offline' }, step: 25, totalSteps: 60, epoch: 1.25, savedAt: 1,
};

describe('the run a reload can resume', () => {
  it('round-trips through storage, and is forgotten', () => {
    const storage = memoryStorage();
    expect(readSavedRun(storage)).toBeUndefined();
    writeSavedRun(run, storage);
    expect(readSavedRun(storage)).toEqual(run);
    writeSavedRun(undefined, storage);
    expect(readSavedRun(storage)).toBeUndefined();
  });

  it('ignores what it cannot read', () => {
    const storage = memoryStorage();
    storage.setItem('adapter-studio:saved-run', '{not json');
    expect(readSavedRun(storage)).toBeUndefined();
    storage.setItem('adapter-studio:saved-run', JSON.stringify({ step: 3 }));
    expect(readSavedRun(storage)).toBeUndefined();
  });

  it('continues in the epoch after the completed ones', () => {
    expect(resumeEpoch({ epoch: 0.4 })).toBe(1);
    expect(resumeEpoch({ epoch: 1 })).toBe(2);
    expect(resumeEpoch({ epoch: 1.25 })).toBe(2);
    // Float noise just under a whole epoch counts as the whole epoch.
    expect(resumeEpoch({ epoch: 1.9999999999999 })).toBe(3);
  });

  it('keeps the drawn curves with the checkpoint, thinned for storage, and resumes them up to its step', () => {
    const points = Array.from({ length: 1000 }, (_, i) => ({ step: i + 1, loss: 1 / (i + 1), lr: 1e-3 }));
    const evals = [250, 500, 750].map((step) => ({ kind: 'eval' as const, step, epoch: step / 250, metrics: { loss: 0.5, accuracy: 0.8, examples: 200 }, best: true }));
    const history = runHistory({ points, evals });
    expect(history.points.length).toBeLessThanOrEqual(HISTORY_POINTS + 1);
    expect(history.points[0]).toEqual(points[0]);
    expect(history.points.at(-1)).toEqual(points.at(-1));
    expect(history.evals).toEqual(evals);
    const storage = memoryStorage();
    writeSavedRun({ ...run, step: 600, history }, storage);
    const saved = readSavedRun(storage)!;
    // Steps drawn after the checkpoint are trained again after the reload, so they are not kept.
    const resumed = historyUpTo(saved)!;
    expect(Math.max(...resumed.points.map((p) => p.step))).toBeLessThanOrEqual(600);
    expect(resumed.points.length).toBeGreaterThanOrEqual(200);
    expect(resumed.evals.map((e) => e.step)).toEqual([250, 500]);
    expect(historyUpTo(run)).toBeUndefined();
  });

  it('moves to a newer checkpoint than the page heard of, taking its curve and evaluations from the checkpoint', () => {
    // The page recorded the checkpoint at step 25; a reload cut off its record of the one at step 40.
    const points = Array.from({ length: 25 }, (_, i) => ({ step: i + 1, loss: 1 / (i + 1), lr: 1e-3 }));
    const early = { kind: 'eval' as const, step: 20, epoch: 1, metrics: { loss: 0.6, accuracy: 0.7, examples: 200 }, best: true };
    const saved: SavedRun = { ...run, history: { points, evals: [early] } };
    const curve = Array.from({ length: 40 }, (_, i) => ({ step: i + 1, ...(i === 30 ? {} : { loss: 1 / (i + 1) }), lr: 1e-3 }));
    const late = { step: 40, epoch: 2, metrics: { loss: 0.5, accuracy: 0.8, examples: 200 } };
    const state = {
      settings: { ...DEFAULT_TRAINING_SETTINGS, learningRate: 1e-3, schedule: 'linear', warmupSteps: 0, totalSteps: 60, epochs: 3, gradientAccumulation: 1, batchesPerEpoch: 20 },
      step: 40, updates: 39, epoch: 2, batchInEpoch: 0, nonFiniteStreak: 0, best: late, evalsSinceBest: 0, lastEvalStep: 40,
      history: [{ step: 20, epoch: 1, metrics: early.metrics }, late], seconds: 9, curve,
    };
    const moved = atCheckpoint(saved, state as unknown as Parameters<typeof atCheckpoint>[1]);
    expect(moved).toMatchObject({ step: 40, totalSteps: 60, epoch: 2, setup: run.setup });
    expect(historyUpTo(moved)!.points).toEqual(curve);
    expect(moved.history!.evals).toEqual([early, { kind: 'eval', ...late, best: true }]);
    // A checkpoint written before curves were kept leaves the page's own points.
    const { curve: _, ...older } = state;
    expect(atCheckpoint(saved, older as unknown as Parameters<typeof atCheckpoint>[1]).history!.points).toEqual(points);
  });
});
