/**
 * The memory fit of a multiple-choice run counts every pair: a step of B examples with N choices is estimated as the
 * encoder's B · N sequences (estimateMemory), lowered to fewer examples a micro-batch when those do not fit, and
 * refused when one example's N sequences do not.
 */
import { describe, expect, it } from 'vitest';
import { estimateMemory, parseEncoderConfig } from '../../model/config.ts';
import { fitBatchToMemory, memoryCeilingOf } from '../../train/memory-fit.ts';

const BERT_BASE = parseEncoderConfig({
  model_type: 'bert', hidden_act: 'gelu', hidden_size: 768, intermediate_size: 3072, max_position_embeddings: 512,
  num_attention_heads: 12, num_hidden_layers: 12, type_vocab_size: 2, vocab_size: 30522,
}, 'google-bert/bert-base-uncased');
const wasm = memoryCeilingOf({ name: 'wasm' });
const bytesAt = (sequences: number, seq: number) => {
  const e = estimateMemory(BERT_BASE, { batchSize: sequences, seqLength: seq, training: true });
  return e.weightBytes + e.activationBytes;
};

describe('fitting a multiple-choice step to memory', () => {
  it('estimates B examples of N choices as B · N sequences and lowers the examples a micro-batch', () => {
    const plain = fitBatchToMemory(BERT_BASE, { batchSize: 4, gradientAccumulation: 1, maxLength: 384 }, wasm);
    expect(plain).toMatchObject({ batchSize: 4, estimatedBytes: bytesAt(4, 384) });
    // The same 4 examples with 4 choices are 16 sequences of 384 tokens: over the heap, so 2 examples (8 pairs) a micro-batch.
    const choices = fitBatchToMemory(BERT_BASE, { batchSize: 4, gradientAccumulation: 1, maxLength: 384, sequencesPerExample: 4 }, wasm);
    expect(bytesAt(16, 384)).toBeGreaterThan(choices.ceilingBytes!);
    expect(choices).toMatchObject({ batchSize: 2, gradientAccumulation: 2, estimatedBytes: bytesAt(8, 384) });
    expect(choices.note).toMatch(/A step at batch 4 \(16 sequences, 4 an example\) × 384 tokens needs about 4\.5 GiB.*micro-batches of 2 with gradient accumulation 2/);
    const large = fitBatchToMemory(BERT_BASE, { batchSize: 16, gradientAccumulation: 1, maxLength: 128, sequencesPerExample: 4 }, wasm);
    expect(large.batchSize * large.gradientAccumulation).toBe(16);
    expect(large.batchSize).toBeLessThan(16);
    expect(large.estimatedBytes).toBe(bytesAt(4 * large.batchSize, 128));
    expect(large.estimatedBytes).toBeLessThanOrEqual(large.ceilingBytes!);
  });

  it('refuses when one example\'s pairs do not fit, naming them', () => {
    expect(() => fitBatchToMemory(BERT_BASE, { batchSize: 1, gradientAccumulation: 1, maxLength: 512, sequencesPerExample: 64 }, wasm))
      .toThrow(/needs about [\d.]+ GiB to train even one example of 64 sequences of 512 tokens on wasm/);
  });
});
