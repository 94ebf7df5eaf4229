/** postprocess_qa_predictions on hand-made logits: the spans, scores and probabilities worked out by hand. */
import { describe, expect, it } from 'vitest';
import { answersOf, keepBest, windowCandidates } from './postprocess.ts';

// Context "Paris is in France" (code points): Paris 0–5, is 6–8, in 9–11, France 12–18. Positions 0–2 are
// [CLS] question [SEP] (outside the context), 3–6 the four words, 7 [SEP].
const context = 'Paris is in France';
const offsets = Int32Array.from([-1, -1, -1, -1, -1, -1, 0, 5, 6, 8, 9, 11, 12, 18, -1, -1]);

describe('windowCandidates', () => {
  it('pairs the best starts and ends inside the context, end ≥ start, within max_answer_length', () => {
    const start = [9, 0, 0, 5, 1, 0, 2, 0];
    const end = [9, 0, 0, 1, 0, 0, 4, 8];
    const spans = windowCandidates(start, end, offsets, { nBest: 3, maxAnswerLength: 30 });
    // Best starts: 0 (CLS, out), 3, 6; best ends: 0 (out), 7 ([SEP], out), 6. Kept: (3, 6) and (6, 6).
    expect(spans.map((s) => [s.start, s.end, s.score])).toEqual([[0, 18, 9], [12, 18, 6]]);
    // max_answer_length 2 drops (3, 6), 4 tokens long.
    expect(windowCandidates(start, end, offsets, { nBest: 3, maxAnswerLength: 2 }).map((s) => s.score)).toEqual([6]);
  });

  it('keeps the n best over windows and turns scores into a softmax over them', () => {
    const fromWindows = [
      { start: 12, end: 18, score: 6, startLogit: 2, endLogit: 4 },
      { start: 0, end: 5, score: 7, startLogit: 3, endLogit: 4 },
      { start: 0, end: 18, score: 4, startLogit: 2, endLogit: 2 },
    ];
    expect(keepBest(fromWindows, 2).map((c) => c.score)).toEqual([7, 6]);
    const answers = answersOf(fromWindows, context, { nBest: 2 });
    expect(answers.map((a) => a.text)).toEqual(['Paris', 'France']);
    // softmax([7, 6]) = [1/(1+e^-1), e^-1/(1+e^-1)].
    expect(answers[0].probability).toBeCloseTo(1 / (1 + Math.exp(-1)), 12);
    expect(answers[1].probability).toBeCloseTo(Math.exp(-1) / (1 + Math.exp(-1)), 12);
  });

  it('answers "empty" with score 0 when no span is kept, and counts code points', () => {
    expect(answersOf([], context)).toEqual([{ text: 'empty', start: 0, end: 0, score: 0, startLogit: 0, endLogit: 0, probability: 1 }]);
    expect(answersOf([{ start: 2, end: 4, score: 1, startLogit: 0, endLogit: 1 }], '😀 café')[0].text).toBe('ca');
  });
});
