/**
 * A reload can cut off the page's record of the newest checkpoint: the page heard of step 4's, the worker wrote
 * step 10's to IndexedDB just before. The resume offer moves to step 10 and takes the loss curve and evaluations
 * from that checkpoint, so a resumed run draws every step (e2e keep-work once drew 133 of 150). The checkpoint is
 * a real run's (the trainer on a softmax regression into fake-indexeddb), the localStorage record the page's own.
 */
import 'fake-indexeddb/auto';
// biome-ignore lint/style/noRestrictedImports: the test (not the page) runs the trainer in Node to write a real checkpoint.
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { IndexedDbCheckpointStore } from '../core/train/checkpoint.ts';
import type { TrainProgressEvent } from '../core/train/events.ts';
import { blobs, featureData, softmaxRegression } from '../core/train/test-support.ts';
import { train } from '../core/train/trainer.ts';
import { DEFAULT_TRAINING_SETTINGS } from '../core/train/training-settings.ts';
import { type SavedRun, historyUpTo, readSavedRun, writeSavedRun } from './saved-run.ts';
import { memoryStorage } from './memory-storage.ts';
import type { StoreContext, StudioState } from './store-state.ts';
import { createTrainingSlice } from './training-slice.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => tf.disposeVariables());

describe('the resume offer after a reload', () => {
  it('moves to the newest checkpoint in IndexedDB with its curve, so the resumed charts miss no step', async () => {
    globalThis.localStorage = memoryStorage();
    const runId = 'run-cut-off';
    const store = await IndexedDbCheckpointStore.open(runId);
    const progress: TrainProgressEvent[] = [];
    // 80 examples in batches of 8: one epoch of 10 steps, checkpointed at its end.
    await train(softmaxRegression(4, 2), featureData(blobs(2, 4, 40, 2), undefined, 8), { learningRate: 0.05, epochs: 1 }, {
      store, onEvent: (e) => { if (e.kind === 'progress') progress.push(e); },
    });
    store.close();
    const latest = progress.at(-1)!;
    expect(latest.step).toBe(10);

    // What the page had written at step 4's checkpoint, before the reload.
    const points = progress.slice(0, 4).map((p) => ({ step: p.step, loss: p.loss, lr: p.lr }));
    const record: SavedRun = {
      setup: {
        runId, model: 'adapter-studio/tiny-bert', data: { kind: 'hub', dataset: 'adapter-studio/tiny-sentiment' },
        adapter: { kind: 'new', choice: { method: 'seq_bn' }, name: 'tiny-sentiment' }, settings: DEFAULT_TRAINING_SETTINGS,
      },
      hub: { kind: 'offline' }, step: 4, totalSteps: latest.totalSteps, epoch: progress[3].epoch, savedAt: 1, history: { points, evals: [] },
    };
    writeSavedRun(record);

    let state = {} as StudioState;
    const ctx = { set: (partial: Partial<StudioState>) => { state = { ...state, ...partial }; }, get: () => state } as unknown as StoreContext;
    state = { ...state, ...createTrainingSlice(ctx) };
    state.restoreSavedRun();
    expect(state.savedRun?.step).toBe(4);
    await expect.poll(() => state.savedRun?.step).toBe(10);

    const offered = state.savedRun!;
    expect(readSavedRun()).toEqual(offered);
    expect(offered.epoch).toBeCloseTo(latest.epoch, 12);
    expect(historyUpTo(offered)!.points).toEqual(progress.map((p) => ({ step: p.step, loss: p.loss, lr: p.lr })));
  });
});
