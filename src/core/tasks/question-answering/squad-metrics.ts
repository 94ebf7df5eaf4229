/**
 * Exact match and F1 as the official SQuAD v1.1 evaluation script (evaluate-v1.1.py) computes them:
 * normalize_answer lower-cases, drops ASCII punctuation (string.punctuation), the articles a / an / the (as
 * whole words, Python's Unicode \b) and collapses whitespace; F1 is over the normalised answers' whitespace
 * tokens (a multiset intersection, Counter & Counter); each prediction scores its best gold answer; both are
 * reported as percentages of the questions.
 */

const PUNCTUATION = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');
/** Python's \b around a / an / the: \w is Unicode letters, digits and the underscore. */
const ARTICLES = /(?<![\p{L}\p{N}_])(a|an|the)(?![\p{L}\p{N}_])/gu;
/** What Python's str.split() splits on: Unicode whitespace and the ASCII separators \x1c–\x1f. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: \x1c–\x1f are whitespace to Python's str.split.
const WHITESPACE = /[\s\u001c-\u001f]+/u;

export function normalizeAnswer(text: string): string {
  let noPunctuation = '';
  for (const ch of text.toLowerCase()) if (!PUNCTUATION.has(ch)) noPunctuation += ch;
  return answerTokens(noPunctuation.replace(ARTICLES, ' ')).join(' ');
}

function answerTokens(text: string): string[] {
  return text.split(WHITESPACE).filter((t) => t !== '');
}

export function exactMatchScore(prediction: string, gold: string): number {
  return normalizeAnswer(prediction) === normalizeAnswer(gold) ? 1 : 0;
}

export function f1Score(prediction: string, gold: string): number {
  const predicted = answerTokens(normalizeAnswer(prediction));
  const expected = answerTokens(normalizeAnswer(gold));
  const counts = new Map<string, number>();
  for (const t of expected) counts.set(t, (counts.get(t) ?? 0) + 1);
  let same = 0;
  for (const t of predicted) {
    const left = counts.get(t) ?? 0;
    if (left > 0) {
      same++;
      counts.set(t, left - 1);
    }
  }
  if (same === 0) return 0;
  const precision = same / predicted.length;
  const recall = same / expected.length;
  return (2 * precision * recall) / (precision + recall);
}

/** One question's predicted answer and its gold answers (SQuAD keeps every annotator's). */
export interface ScoredAnswer {
  prediction: string;
  golds: readonly string[];
}

/** exact_match and f1 in percent over the questions, each the max over its gold answers (NaN for none). */
export function squadMetrics(answers: readonly ScoredAnswer[]): { exactMatch: number; f1: number } {
  if (answers.length === 0) return { exactMatch: NaN, f1: NaN };
  let exact = 0;
  let f1 = 0;
  for (const { prediction, golds } of answers) {
    if (golds.length === 0) throw new RangeError(`The question answered "${prediction}" has no gold answer to score it against.`);
    exact += Math.max(...golds.map((g) => exactMatchScore(prediction, g)));
    f1 += Math.max(...golds.map((g) => f1Score(prediction, g)));
  }
  return { exactMatch: (100 * exact) / answers.length, f1: (100 * f1) / answers.length };
}
