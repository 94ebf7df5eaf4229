import { describe, expect, it } from 'vitest';
import { accuracy, improves, macroF1, meanSquaredError, pearson } from './metrics.ts';

describe('metrics', () => {
  it('accuracy counts exact matches', () => {
    expect(accuracy([0, 1, 1, 2], [0, 1, 2, 2])).toBe(0.75);
    expect(() => accuracy([0], [0, 1])).toThrow(/one prediction per label/);
  });

  it('macro-F1 gives a class that is never predicted an F1 of 0 (sklearn zero_division=0)', () => {
    // class 0: P = 2/2, R = 2/2 → F1 1; class 1: P = 2/4, R = 2/2 → F1 2/3; class 2: never predicted → F1 0.
    expect(macroF1([0, 0, 1, 1, 1, 1], [0, 0, 1, 1, 2, 2])).toBeCloseTo((1 + 2 / 3 + 0) / 3, 12);
    // A class only predicted (never a label) counts too: class 1 has P 0, R undefined → F1 0.
    expect(macroF1([0, 1], [0, 0])).toBeCloseTo((2 / 3 + 0) / 2, 12);
    expect(macroF1([1, 0, 1, 0], [1, 0, 1, 0])).toBe(1);
  });

  it('MSE and Pearson r match hand-worked values', () => {
    expect(meanSquaredError([1, 2, 3], [1, 4, 0])).toBeCloseTo((0 + 4 + 9) / 3, 12);
    // x̄ = 2.5, ȳ = 5; Σdxdy = 11, Σdx² = 5, Σdy² = 26 → r = 11/√130.
    expect(pearson([1, 2, 3, 4], [2, 4, 5, 9])).toBeCloseTo(11 / Math.sqrt(130), 12);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNaN();
  });

  it('improvement: higher accuracy, lower loss; NaN never improves', () => {
    expect(improves('accuracy', 0.8, 0.7)).toBe(true);
    expect(improves('accuracy', 0.7, 0.7)).toBe(false);
    expect(improves('loss', 0.3, 0.4)).toBe(true);
    expect(improves('mse', 0.5, 0.4)).toBe(false);
    expect(improves('pearson', NaN, undefined)).toBe(false);
    expect(improves('pearson', 0.1, NaN)).toBe(true);
  });
});
