import { describe, expect, it } from 'vitest';
import { DEFAULT_TRAINING_SETTINGS } from '../core/train/training-settings.ts';
import { type SavedRun, readSavedRun, resumeEpoch, writeSavedRun } from './saved-run.ts';

/** Storage's behaviour over a Map (the page uses localStorage). */
function memoryStorage(): Storage {
  const items = new Map<string, string>();
  return {
    get length() { return items.size; },
    clear: () => items.clear(),
    getItem: (key) => items.get(key) ?? null,
    key: (i) => [...items.keys()][i] ?? null,
    removeItem: (key) => { items.delete(key); },
    setItem: (key, value) => { items.set(key, String(value)); },
  };
}

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
});
