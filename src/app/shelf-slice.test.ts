import { describe, expect, it } from 'vitest';
import type { ShelfItemInfo } from '../core/vocabulary/adapter.ts';
import { compositionProblem } from './shelf-slice.ts';

const item = (name: string, head = true): ShelfItemInfo => ({ name, method: 'seq_bn', origin: 'hub', source: `AdapterHub/${name}`, ...(head ? { head: { task: 'classification', labels: ['a', 'b'] } } : {}) });

describe('what the page says about a composition before asking the worker', () => {
  const shelf = [item('trec'), item('imdb'), item('bare', false)];
  it('needs two adapters on the shelf, and a head wherever the block predicts', () => {
    expect(compositionProblem(undefined, shelf)).toBeUndefined();
    expect(compositionProblem({ block: 'Parallel', adapters: ['trec', 'imdb'] }, shelf)).toBeUndefined();
    expect(compositionProblem({ block: 'Parallel', adapters: ['trec'] }, shelf)).toBe('Choose two adapters or more to compose.');
    expect(compositionProblem({ block: 'Stack', adapters: ['trec', 'gone'] }, shelf)).toBe('"gone" is not on the shelf.');
    expect(compositionProblem({ block: 'Parallel', adapters: ['trec', 'bare'] }, shelf)).toBe('"bare" has no prediction head, and Parallel predicts with it.');
    // Stack predicts with the last adapter's head only.
    expect(compositionProblem({ block: 'Stack', adapters: ['bare', 'imdb'] }, shelf)).toBeUndefined();
  });
});
