/**
 * From start / end logits back to answer text, as run_qa's utils_qa.postprocess_qa_predictions does (SQuAD v1,
 * no null answer): in each window the n_best largest start and end logits are paired, a pair kept when both
 * tokens lie in the context, end ≥ start and it spans at most max_answer_length tokens, scored start + end logit;
 * the example's n_best best pairs over all its windows are its candidates, their probabilities a softmax over
 * those scores, and the best one its answer ("empty" with score 0 when no pair is kept).
 */

export interface AnswerOptions {
  /** Start and end candidates per window, and answers kept per example (run_qa's n_best_size, 20). */
  nBest?: number;
  /** Longest answer in tokens (run_qa's max_answer_length, 30). */
  maxAnswerLength?: number;
}

export const DEFAULT_N_BEST = 20;
export const DEFAULT_MAX_ANSWER_LENGTH = 30;

/** One candidate span in code points of the context. */
export interface SpanCandidate {
  start: number;
  end: number;
  score: number;
  startLogit: number;
  endLogit: number;
}

export interface PredictedAnswer extends SpanCandidate {
  text: string;
  /** Softmax of the score over the example's kept candidates. */
  probability: number;
}

/** Indexes of the `n` largest values, largest first (ties: the earlier index first). */
function topIndexes(values: ArrayLike<number>, n: number): number[] {
  return Array.from({ length: values.length }, (_, i) => i).sort((a, b) => values[b] - values[a] || a - b).slice(0, n);
}

/**
 * The candidate spans of one window. `offsets`: [start, end) code points of each position in the context, −1
 * outside it (as windows.ts makes them).
 */
export function windowCandidates(startLogits: ArrayLike<number>, endLogits: ArrayLike<number>, offsets: Int32Array, options: AnswerOptions = {}): SpanCandidate[] {
  const nBest = options.nBest ?? DEFAULT_N_BEST;
  const maxAnswerLength = options.maxAnswerLength ?? DEFAULT_MAX_ANSWER_LENGTH;
  const positions = offsets.length / 2;
  const inContext = (i: number) => i < positions && offsets[2 * i] >= 0;
  const out: SpanCandidate[] = [];
  for (const s of topIndexes(startLogits, nBest)) {
    for (const e of topIndexes(endLogits, nBest)) {
      if (!inContext(s) || !inContext(e) || e < s || e - s + 1 > maxAnswerLength) continue;
      out.push({ start: offsets[2 * s], end: offsets[2 * e + 1], score: startLogits[s] + endLogits[e], startLogit: startLogits[s], endLogit: endLogits[e] });
    }
  }
  return out;
}

/** Keeps the `nBest` best of `candidates` (sorted, best first), as the example's candidates from window to window. */
export function keepBest(candidates: SpanCandidate[], nBest = DEFAULT_N_BEST): SpanCandidate[] {
  return [...candidates].sort((a, b) => b.score - a.score).slice(0, nBest);
}

/** The example's answers, best first, with text and probability; `context` is the text the offsets count in. */
export function answersOf(candidates: SpanCandidate[], context: string, options: AnswerOptions = {}): PredictedAnswer[] {
  const points = [...context];
  const kept: (SpanCandidate & { text: string })[] = keepBest(candidates, options.nBest).map((c) => ({ ...c, text: points.slice(c.start, c.end).join('') }));
  if (kept.length === 0 || (kept.length === 1 && kept[0].text === '')) kept.unshift({ text: 'empty', start: 0, end: 0, score: 0, startLogit: 0, endLogit: 0 });
  const max = Math.max(...kept.map((c) => c.score));
  const exps = kept.map((c) => Math.exp(c.score - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return kept.map((c, i) => ({ ...c, probability: exps[i] / sum }));
}
