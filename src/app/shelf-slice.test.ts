import { describe, expect, it } from 'vitest';
import type { ShelfItemInfo } from '../core/vocabulary/adapter.ts';
import { compositionProblem, fusionProblem } from './shelf-slice.ts';

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

describe('what the page says about a fusion before training it', () => {
  const ready = { dataChosen: true, training: false };
  it('needs two adapters, a head not named like one of them, the data, and no other run', () => {
    expect(fusionProblem({ adapters: ['trec', 'imdb'], head: 'mood' }, ready)).toBeUndefined();
    expect(fusionProblem({ adapters: ['trec'], head: 'mood' }, ready)).toBe('Choose two adapters or more to fuse.');
    expect(fusionProblem({ adapters: ['trec', 'imdb'], head: '' }, ready)).toBe('Name the new head.');
    expect(fusionProblem({ adapters: ['trec', 'imdb'], head: 'imdb' }, ready)).toContain('cannot be named "imdb" like a fused adapter');
    expect(fusionProblem({ adapters: ['trec', 'imdb'], head: 'mood' }, { dataChosen: false, training: false })).toBe('Choose the data to train the fusion on in step 2.');
    expect(fusionProblem({ adapters: ['trec', 'imdb'], head: 'mood' }, { dataChosen: true, training: true })).toBe('A training is running: wait for it to end.');
  });
});
