import { describe, expect, it } from 'vitest';
import { niceCeiling, shareRange, tickText, zeroBasedAxis } from './chart-axes.ts';

describe('the Train charts\' y axes', () => {
  it('round the top up to 1, 2 or 5 × a power of ten', () => {
    expect([0.37, 0.5, 0.51, 4.2, 7, 12, 0.0009].map(niceCeiling)).toEqual([0.5, 0.5, 1, 5, 10, 20, 0.001]);
  });

  it('give an all-zero curve the range 0–1, not 0–4', () => {
    const [low, high] = zeroBasedAxis;
    expect([low(0), high(0)]).toEqual([0, 1]);
    expect([low(0.2), high(0.69)]).toEqual([0, 1]);
    expect([low(-0.3), high(0.8)]).toEqual([-0.5, 1]);
  });

  it('show accuracy in whole tenths within 0–1, ticked at tenths, with room around a flat line', () => {
    expect(shareRange([0.9165, 0.9295])).toEqual({ domain: [0.9, 1], ticks: [0.9, 1] });
    expect(shareRange([0.71, 0.69, 0.845])).toEqual({ domain: [0.6, 0.9], ticks: [0.6, 0.7, 0.8, 0.9] });
    expect(shareRange([0.5, 0.5])).toEqual({ domain: [0.4, 0.6], ticks: [0.4, 0.5, 0.6] });
    expect(shareRange([0, 1])).toEqual({ domain: [0, 1], ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] });
    expect(shareRange([])).toEqual({ domain: [0, 1], ticks: [0, 0.5, 1] });
  });

  it('label ticks in three significant digits', () => {
    expect([0.9295, 0.9165, 1250, 0.000123, 0.1 + 0.2].map(tickText)).toEqual(['0.929', '0.916', '1250', '0.000123', '0.3']);
  });
});
