import { describe, expect, it } from 'vitest';
import { isHeldOut, partTakesRow, planSplits } from './split-plan.ts';

const T = 'Dataset "x/y"';

describe('planSplits', () => {
  it('uses labelled validation and test splits as they are', () => {
    const plan = planSplits(T, [{ name: 'train', labelled: true }, { name: 'validation', labelled: true }, { name: 'test', labelled: true }], { caps: { train: 500 } });
    expect(plan.train).toEqual({ split: 'train', take: 'all', maxExamples: 500 });
    expect(plan.validation).toEqual({ split: 'validation', take: 'all' });
    expect(plan.test).toEqual({ split: 'test', take: 'all' });
  });

  it('holds validation out of train when the validation split is missing or unlabelled, and skips an unlabelled test', () => {
    const plan = planSplits(T, [{ name: 'train', labelled: true }, { name: 'dev', labelled: false }, { name: 'test', labelled: false }], { seed: 3, holdOutShare: 0.25 });
    expect(plan.validation).toEqual({ split: 'train', take: 'heldOut', holdOut: { seed: 3, share: 0.25 } });
    expect(plan.train).toEqual({ split: 'train', take: 'kept', holdOut: { seed: 3, share: 0.25 } });
    expect(plan.test).toBeUndefined();
    expect(plan.notes).toEqual([
      'Split "dev" has no labels: skipped.',
      'Validating on 25% of "train" held out with seed 3.',
      'Split "test" has no labels (e.g. all −1, as in GLUE): skipped.',
    ]);
  });

  it('warns when a small split has no row in its hold-out, and only then', () => {
    // Which rows fall in the hold-out is the seeded hash itself: count them the same way the trainer reads them.
    const heldOut = (rows: number) => Array.from({ length: rows }, (_, r) => r).filter((r) => isHeldOut(r, { seed: 42, share: 0.1 })).length;
    const empty = [2, 3, 4, 5, 6, 7, 8].find((rows) => heldOut(rows) === 0)!;
    const plan = planSplits(T, [{ name: 'train', labelled: true, numRows: empty }]);
    expect(plan.warnings).toEqual([`"train" has ${empty} rows and none falls in the 10% hold-out, so the run will have no validation metrics. Give a validation split or file, or use more rows.`]);
    const enough = [20, 50, 100].find((rows) => heldOut(rows) > 0)!;
    expect(planSplits(T, [{ name: 'train', labelled: true, numRows: enough }]).warnings).toBeUndefined();
    expect(planSplits(T, [{ name: 'train', labelled: true }]).warnings).toBeUndefined();
  });

  it('refuses a training split that does not exist and a share outside (0, 1)', () => {
    expect(() => planSplits(T, [{ name: 'train', labelled: true }], { trainSplit: 'full' }))
      .toThrow('Dataset "x/y" has no split "full"; splits are: train. Choose the training split.');
    expect(() => planSplits(T, [{ name: 'train', labelled: true }], { holdOutShare: 1 })).toThrow(RangeError);
  });
});

describe('isHeldOut', () => {
  it('holds out about the asked share, the complement of what train keeps, the same rows for the same seed', () => {
    const holdOut = { seed: 42, share: 0.1 };
    const n = 100_000;
    let held = 0;
    let overlaps = 0;
    for (let row = 0; row < n; row++) {
      const h = isHeldOut(row, holdOut);
      if (h) held += 1;
      if (partTakesRow({ split: 'train', take: 'kept', holdOut }, row) === h) overlaps += 1;
    }
    expect(overlaps).toBe(0);
    // Binomial(n, 0.1): standard deviation ≈ 95 rows; 5 sigma either side.
    expect(Math.abs(held - n * 0.1)).toBeLessThan(5 * Math.sqrt(n * 0.1 * 0.9));
    const other = Array.from({ length: 1000 }, (_, r) => isHeldOut(r, { seed: 43, share: 0.1 }));
    const same = Array.from({ length: 1000 }, (_, r) => isHeldOut(r, holdOut));
    expect(other).not.toEqual(same);
    expect(Array.from({ length: 1000 }, (_, r) => isHeldOut(r, holdOut))).toEqual(same);
  });
});
