import { describe, expect, it } from 'vitest';
import { scheduleFactor, warmupStepsForRatio } from './schedule.ts';

// References: transformers optimization.py — linear: step/warmup, then (total − step)/(total − warmup);
// cosine (num_cycles 0.5): step/warmup, then ½(1 + cos(π · (step − warmup)/(total − warmup))).
describe('learning-rate schedules', () => {
  it('linear: warmup from 0, then down to 0 at the last step', () => {
    const s = { kind: 'linear' as const, warmupSteps: 10, totalSteps: 110 };
    expect(scheduleFactor(s, 0)).toBe(0);
    expect(scheduleFactor(s, 5)).toBe(0.5);
    expect(scheduleFactor(s, 10)).toBe(1);
    expect(scheduleFactor(s, 60)).toBe(0.5);
    expect(scheduleFactor(s, 85)).toBe(0.25);
    expect(scheduleFactor(s, 110)).toBe(0);
    expect(scheduleFactor(s, 130)).toBe(0);
  });

  it('linear without warmup starts at the full rate', () => {
    const s = { kind: 'linear' as const, warmupSteps: 0, totalSteps: 4 };
    expect([0, 1, 2, 3].map((k) => scheduleFactor(s, k))).toEqual([1, 0.75, 0.5, 0.25]);
  });

  it('cosine: half a cosine wave after warmup', () => {
    const s = { kind: 'cosine' as const, warmupSteps: 4, totalSteps: 104 };
    expect(scheduleFactor(s, 2)).toBe(0.5);
    expect(scheduleFactor(s, 4)).toBe(1);
    expect(scheduleFactor(s, 29)).toBeCloseTo(0.5 * (1 + Math.SQRT1_2), 12); // a quarter of the way: cos(π/4)
    expect(scheduleFactor(s, 54)).toBeCloseTo(0.5, 12);
    expect(scheduleFactor(s, 104)).toBeCloseTo(0, 12);
  });

  it('constant keeps the rate after warmup; the warmup ratio rounds up as TrainingArguments does', () => {
    expect(scheduleFactor({ kind: 'constant', warmupSteps: 2, totalSteps: 10 }, 1)).toBe(0.5);
    expect(scheduleFactor({ kind: 'constant', warmupSteps: 2, totalSteps: 10 }, 9)).toBe(1);
    expect(warmupStepsForRatio(95, 0.1)).toBe(10);
    expect(warmupStepsForRatio(100, 0.06)).toBe(6);
    expect(() => warmupStepsForRatio(10, 1.5)).toThrow(/between 0 and 1/);
  });
});
