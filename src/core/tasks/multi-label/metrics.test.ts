/**
 * Multi-label F1 against scikit-learn's definitions on hand-made indicator matrices: f1_score(y_true, y_pred,
 * average="micro") pools TP / FP / FN over all labels; average="macro" averages each label's F1 over every label,
 * a label with no true and no predicted example counting 0 (zero_division). The values below are worked out by hand.
 */
import { describe, expect, it } from 'vitest';
import { labelCounts, microF1, multiLabelMacroF1 } from './metrics.ts';
import { predictLabels, scoreLabels, thresholdsFromRecord, thresholdsOf } from './thresholds.ts';

// Three examples × three labels, row-major.
const TARGETS = [1, 0, 1, /**/ 0, 1, 0, /**/ 1, 0, 0];
const PREDICTIONS = [1, 1, 0, /**/ 0, 1, 0, /**/ 0, 0, 0];

describe('multi-label F1', () => {
  it('counts each label\'s TP, FP and FN', () => {
    // Label 0: e1 right, e3 missed. Label 1: e2 right, e1 predicted wrongly. Label 2: e1 missed.
    expect(labelCounts({ predictions: PREDICTIONS, targets: TARGETS, labels: 3 })).toEqual({ tp: [1, 1, 0], fp: [0, 1, 0], fn: [1, 0, 1] });
  });

  it('micro-F1 pools the counts: TP 2, FP 1, FN 2 → 2·2 / (2·2 + 1 + 2) = 4/7', () => {
    expect(microF1({ predictions: PREDICTIONS, targets: TARGETS, labels: 3 })).toBeCloseTo(4 / 7, 12);
  });

  it('macro-F1 averages per-label F1 (2/3, 2/3, 0) over all labels, an unused label counting 0', () => {
    expect(multiLabelMacroF1({ predictions: PREDICTIONS, targets: TARGETS, labels: 3 })).toBeCloseTo(4 / 9, 12);
    // A fourth label nobody has nor predicts: sklearn scores it 0 (zero_division=0), so the mean is (4/3) / 4.
    const widen = (m: number[]) => [0, 1, 2].flatMap((r) => [...m.slice(3 * r, 3 * r + 3), 0]);
    expect(multiLabelMacroF1({ predictions: widen(PREDICTIONS), targets: widen(TARGETS), labels: 4 })).toBeCloseTo(1 / 3, 12);
    // Micro-F1 does not see it.
    expect(microF1({ predictions: widen(PREDICTIONS), targets: widen(TARGETS), labels: 4 })).toBeCloseTo(4 / 7, 12);
  });

  it('is 1 for perfect predictions, 0 when nothing is predicted, NaN without examples; refuses ragged input', () => {
    expect(microF1({ predictions: TARGETS, targets: TARGETS, labels: 3 })).toBe(1);
    expect(multiLabelMacroF1({ predictions: TARGETS, targets: TARGETS, labels: 3 })).toBe(1);
    expect(microF1({ predictions: TARGETS.map(() => 0), targets: TARGETS, labels: 3 })).toBe(0);
    expect(microF1({ predictions: [], targets: [], labels: 3 })).toBeNaN();
    expect(() => microF1({ predictions: [1, 0], targets: [1, 0, 1], labels: 3 })).toThrow(/one prediction per target/);
    expect(() => microF1({ predictions: [1, 0], targets: [1, 0], labels: 3 })).toThrow(/rows of 3 labels/);
  });
});

describe('thresholds', () => {
  it('predict a label when its sigmoid probability reaches the label\'s threshold', () => {
    // Row 1: σ(0) = 0.5 meets 0.5; σ(1) ≈ 0.731 misses 0.8; σ(−1) ≈ 0.269 meets 0.25.
    // Row 2: σ(−3) ≈ 0.047 misses 0.5; σ(2) ≈ 0.881 meets 0.8; σ(−1.2) ≈ 0.231 misses 0.25.
    expect(Array.from(predictLabels([0, 1, -1, -3, 2, -1.2], [0.5, 0.8, 0.25]))).toEqual([1, 0, 1, 0, 1, 0]);
  });

  it('score every label, most probable first, marking those at or above their thresholds', () => {
    const scores = scoreLabels([1, -2, 3], ['a', 'b', 'c'], [0.5, 0.1, 0.99]);
    expect(scores.map((s) => [s.label, s.predicted])).toEqual([['c', false], ['a', true], ['b', true]]);
    expect(scores[1].probability).toBeCloseTo(1 / (1 + Math.exp(-1)), 12);
  });

  it('default to 0.5, refuse values outside (0, 1) and read head_config.json\'s record by label name', () => {
    expect(thresholdsOf(3)).toEqual([0.5, 0.5, 0.5]);
    expect(() => thresholdsOf(2, [0.5, 1])).toThrow(/strictly between 0 and 1/);
    expect(() => thresholdsOf(2, [0.5])).toThrow(/needs 2 thresholds/);
    expect(thresholdsFromRecord({ b: 0.3 }, ['a', 'b'], 'x')).toEqual([0.5, 0.3]);
    expect(thresholdsFromRecord(undefined, ['a', 'b'], 'x')).toBeUndefined();
    expect(() => thresholdsFromRecord({ z: 0.3 }, ['a', 'b'], 'x')).toThrow(/labels the head does not have: z/);
  });
});
