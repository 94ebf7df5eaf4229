import { describe, expect, it } from 'vitest';
import { repoIdOf } from './repo-id.ts';

describe('pasted repo ids', () => {
  it('keeps ids and trims them', () => {
    expect(repoIdOf('  google-bert/bert-base-uncased ')).toBe('google-bert/bert-base-uncased');
    expect(repoIdOf('distilbert-base-uncased')).toBe('distilbert-base-uncased');
  });

  it('takes the id out of Hub page URLs', () => {
    expect(repoIdOf('https://huggingface.co/FacebookAI/roberta-base')).toBe('FacebookAI/roberta-base');
    expect(repoIdOf('https://huggingface.co/datasets/nyu-mll/glue/viewer/sst2/train?row=3')).toBe('nyu-mll/glue');
    expect(repoIdOf('https://huggingface.co/bert-base-uncased/tree/main')).toBe('bert-base-uncased');
  });
});
