/**
 * SQuAD v1.1's evaluate script on hand-made predictions: each expectation is worked out by hand from the
 * script's definitions (normalize_answer, token-multiset F1, max over gold answers, percentages).
 */
import { describe, expect, it } from 'vitest';
import { exactMatchScore, f1Score, normalizeAnswer, squadMetrics } from './squad-metrics.ts';

describe('normalize_answer', () => {
  it('lower-cases, drops ASCII punctuation, the articles a/an/the as whole words and extra whitespace', () => {
    expect(normalizeAnswer('The  Eiffel Tower!')).toBe('eiffel tower');
    expect(normalizeAnswer('an apple, a pear')).toBe('apple pear');
    // "theory" and "another" keep their letters: articles only as whole words.
    expect(normalizeAnswer('Theory of another')).toBe('theory of another');
    // Punctuation goes before articles: "the-end" becomes "theend", one word; "(a)" becomes "a", an article.
    expect(normalizeAnswer('the-end (a)')).toBe('theend');
    // Non-ASCII punctuation is not in string.punctuation and stays; Unicode letters count as word characters.
    expect(normalizeAnswer('«Déjà vu» thé')).toBe('«déjà vu» thé');
    expect(normalizeAnswer('\tA\u001fb\n')).toBe('b');
  });
});

describe('exact match and F1', () => {
  it('scores one prediction against one gold answer', () => {
    expect(exactMatchScore('the Denver Broncos', 'Denver Broncos')).toBe(1);
    expect(exactMatchScore('Denver', 'Denver Broncos')).toBe(0);
    // prediction "denver" (1 token) vs gold "denver broncos" (2): P = 1, R = 1/2, F1 = 2/3.
    expect(f1Score('Denver', 'Denver Broncos')).toBeCloseTo(2 / 3, 12);
    // "the cat sat on a mat" → [cat sat on mat]; gold "cat on cat" → [cat on cat]; common {cat:1, on:1} = 2:
    // P = 2/4, R = 2/3, F1 = 2·(1/2)(2/3)/(1/2 + 2/3) = 4/7.
    expect(f1Score('the cat sat on a mat', 'cat on cat')).toBeCloseTo(4 / 7, 12);
    expect(f1Score('nothing', 'Denver')).toBe(0);
    // Empty after normalisation: no common token, F1 0 (the script's num_same == 0).
    expect(f1Score('the', 'the')).toBe(0);
    expect(exactMatchScore('the', 'a')).toBe(1);
  });

  it('takes the best gold answer per question and reports percentages', () => {
    const metrics = squadMetrics([
      { prediction: 'Denver Broncos', golds: ['Denver Broncos', 'The Denver Broncos'] }, // EM 1, F1 1
      { prediction: 'Denver', golds: ['Carolina Panthers', 'Denver Broncos'] }, // EM 0, F1 max(0, 2/3)
      { prediction: 'Santa Clara, California', golds: ['Santa Clara'] }, // EM 0, P 2/3, R 1 → F1 0.8
    ]);
    expect(metrics.exactMatch).toBeCloseTo(100 / 3, 10);
    expect(metrics.f1).toBeCloseTo((100 * (1 + 2 / 3 + 0.8)) / 3, 10);
  });
});
