import { describe, expect, it } from 'vitest';
import { formatDuration, formatMetric, formatMetrics, formatPace, formatRate } from './format.ts';

describe('numbers as the page writes them', () => {
  it('writes a metric one way everywhere: accuracy as a percentage, F1 to 3 places, loss and MSE to 4', () => {
    expect(formatMetric('accuracy', 0.885)).toBe('88.5%');
    expect(formatMetric('macroF1', 0.88491)).toBe('0.885');
    const evaluation = { accuracy: 0.885, macroF1: 0.8849, loss: 0.30124, examples: 200 };
    expect(formatMetrics(evaluation)).toBe('accuracy 88.5%, macro-F1 0.885, loss 0.3012');
    expect(formatMetrics({ loss: 0.25, mse: 0.25, pearson: 0.9 })).toBe('MSE 0.2500, Pearson 0.900, loss 0.2500');
    // Tagging: seqeval's entity F1 as a 0–1 score, token accuracy as a percentage (precision and recall not shown).
    const tagging = { loss: 0.1912, entityF1: 0.83709, entityPrecision: 0.9, entityRecall: 0.78, tokenAccuracy: 0.94781, examples: 100 };
    expect(formatMetrics(tagging)).toBe('entity F1 0.837, token accuracy 94.8%, loss 0.1912');
  });

  it('says slow training in seconds per example and long waits in minutes or hours', () => {
    expect(formatPace(12.34)).toBe('12.3 examples/s');
    expect(formatPace(0.04)).toBe('25 s per example');
    expect(formatPace(0.4)).toBe('2.5 s per example');
    expect(formatPace(0)).toBe('…');
    expect(formatRate(0.42)).toBe('0.4');
    expect(formatRate(12_345.6)).toBe('12,346');
    expect([40, 185, 239.6, 7800, Infinity].map(formatDuration)).toEqual(['40 s', '3 min 5 s', '4 min 0 s', '2 h 10 min', '…']);
  });
});
