/**
 * seqeval's definitions on hand-made predictions: the examples of seqeval's README (the default report and the
 * strict IOB2 one), other cases worked out by hand, and the IO reading of tags without prefixes.
 */
import { describe, expect, it } from 'vitest';
import { entitiesOf, isIob2, seqevalScores } from './seqeval.ts';

describe('entitiesOf (strict IOB2)', () => {
  it('takes B-X I-X* runs and starts nothing at a stray I-', () => {
    expect(entitiesOf(['B-PER', 'I-PER', 'O', 'B-LOC', 'B-LOC', 'I-LOC'])).toEqual([
      { type: 'PER', start: 0, end: 2 }, { type: 'LOC', start: 3, end: 4 }, { type: 'LOC', start: 4, end: 6 },
    ]);
    // I-LOC after B-PER ends the PER and is no entity of its own; a leading I- is none either.
    expect(entitiesOf(['I-PER', 'B-PER', 'I-LOC', 'I-LOC', 'O'], true)).toEqual([{ type: 'PER', start: 1, end: 2 }]);
    expect(entitiesOf(['O', 'O'], true)).toEqual([]);
  });

  it('reads tags without prefixes as IO runs', () => {
    expect(isIob2(['O', 'NOUN', 'VERB'])).toBe(false);
    expect(isIob2(['O', 'B-PER', 'I-PER'])).toBe(true);
    expect(entitiesOf(['NOUN', 'NOUN', 'VERB', 'O', 'NOUN'], false)).toEqual([
      { type: 'NOUN', start: 0, end: 2 }, { type: 'VERB', start: 2, end: 3 }, { type: 'NOUN', start: 4, end: 5 },
    ]);
  });
});

describe('seqevalScores', () => {
  it('seqeval README: MISC found one token early, PER right → precision = recall = F1 = 0.5, accuracy 0.8', () => {
    const gold = [['O', 'O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'O'], ['B-PER', 'I-PER', 'O']];
    const predicted = [['O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'I-MISC', 'O'], ['B-PER', 'I-PER', 'O']];
    expect(seqevalScores(gold, predicted, true)).toEqual({ precision: 0.5, recall: 0.5, f1: 0.5, accuracy: 0.8, entities: 2 });
  });

  it('seqeval README, mode="strict": an NP begun with I- is no entity, so the strict report scores 0', () => {
    expect(seqevalScores([['B-NP', 'I-NP', 'O']], [['I-NP', 'I-NP', 'O']], true)).toMatchObject({ precision: 0, recall: 0, f1: 0 });
  });

  it('a MISC one word short and a made-up LOC: P 1/3, R 1/2, worked by hand', () => {
    // Gold entities: MISC 3–6, PER 0–2 (sentence 2). Predicted: MISC 3–5, PER 0–2, LOC 6–7 → 1 of 3 right.
    const gold = [['O', 'O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'O'], ['B-PER', 'I-PER', 'O']];
    const predicted = [['O', 'O', 'O', 'B-MISC', 'I-MISC', 'O', 'B-LOC'], ['B-PER', 'I-PER', 'O']];
    const s = seqevalScores(gold, predicted, true);
    expect(s.precision).toBeCloseTo(1 / 3, 12);
    expect(s.recall).toBeCloseTo(1 / 2, 12);
    expect(s.f1).toBeCloseTo((2 * (1 / 3) * (1 / 2)) / (1 / 3 + 1 / 2), 12);
    expect(s.accuracy).toBeCloseTo(8 / 10, 12);
  });

  it('gives 0 for a denominator of 0 (zero_division) and refuses sentences of different lengths', () => {
    expect(seqevalScores([['O', 'O']], [['O', 'O']], true)).toEqual({ precision: 0, recall: 0, f1: 0, accuracy: 1, entities: 0 });
    expect(() => seqevalScores([['O']], [['O', 'O']], true)).toThrow(/1 gold tags but 2 predicted/);
  });
});
