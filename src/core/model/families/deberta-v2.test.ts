import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { estimateMemoryBytes, parseEncoderConfig } from '../config.ts';
import { UnsupportedModelError } from '../errors.ts';
import { canonicalTensorName, expectedTensors } from '../weights.ts';

const realConfig = (file: string) => JSON.parse(readFileSync(new URL(`../testdata/real/configs/${file}`, import.meta.url), 'utf8')) as unknown;

describe('DeBERTa-v2 config.json (DebertaV2Config defaults, transformers configuration_deberta_v2.py)', () => {
  it('reads the real deberta-v3-base config (testdata/real/configs/README.md): 12 × 768, buckets 256, shared keys, LayerNorm on rel_embeddings', () => {
    const config = parseEncoderConfig(realConfig('deberta-v3-base.json'), 'microsoft/deberta-v3-base');
    expect(config).toMatchObject({
      family: 'deberta-v2', modelType: 'deberta-v2', weightPrefix: 'deberta', numLayers: 12, hiddenSize: 768, numHeads: 12, intermediateSize: 3072,
      vocabSize: 128100, typeVocabSize: 0, layerNormEps: 1e-7, maxSequenceLength: 512, embeddingSize: 768, hasPooler: false, padTokenId: 0,
    });
    expect(config.disentangled).toEqual({
      positionBiasedInput: false, relativeAttention: true, posAttTypes: ['c2p', 'p2c'], tableSpan: 256, positionBuckets: 256, maxRelativePositions: 512,
      spanFromSequence: false, shareAttKey: true, normRelEmbeddings: true, positionProjectionBias: { key: true, query: true },
    });
  });

  it('counts the position terms\' activations in the memory estimate: a v3 config needs more than the same one without relative attention', () => {
    const v3 = parseEncoderConfig(realConfig('deberta-v3-base.json'), 'microsoft/deberta-v3-base');
    const plain = parseEncoderConfig({ ...(realConfig('deberta-v3-base.json') as object), relative_attention: false }, 'acme/plain');
    const options = { batchSize: 8, seqLength: 128, training: true };
    // 12 layers × 2 terms × 5 × 8 × 12 heads × 128² floats, less the plain model's smaller weights (no rel_embeddings).
    expect(estimateMemoryBytes(v3, options) - estimateMemoryBytes(plain, options)).toBe(4 * (12 * 2 * 5 * 8 * 12 * 128 * 128 + 512 * 768 + 2 * 768));
  });

  it('takes the class defaults for missing keys: no relative attention, absolute positions, 1536 × 24, eps 1e-7, no segments', () => {
    const config = parseEncoderConfig({ model_type: 'deberta-v2' }, 'acme/deberta');
    expect(config).toMatchObject({ hiddenSize: 1536, numLayers: 24, numHeads: 24, intermediateSize: 6144, vocabSize: 128100, layerNormEps: 1e-7, typeVocabSize: 0 });
    expect(config.disentangled).toMatchObject({ positionBiasedInput: true, relativeAttention: false, posAttTypes: [], tableSpan: 512, positionBuckets: 0, shareAttKey: false, normRelEmbeddings: false });
  });

  it('reads pos_att_type as "p2c|c2p" too (DebertaV2Config splits strings) and max_relative_positions when set', () => {
    const config = parseEncoderConfig({ model_type: 'deberta-v2', relative_attention: true, pos_att_type: 'P2C | c2p', max_relative_positions: 128 }, 'acme/d');
    expect(config.disentangled).toMatchObject({ posAttTypes: ['c2p', 'p2c'], tableSpan: 128, maxRelativePositions: 128 });
  });

  it("refuses deberta-v2-xlarge's convolution layer (conv_kernel_size 3) and an attention_head_size other than hidden / heads", () => {
    const xlarge = { model_type: 'deberta-v2', hidden_size: 1536, num_attention_heads: 24, attention_head_size: 64, conv_kernel_size: 3, conv_act: 'gelu' };
    expect(() => parseEncoderConfig(xlarge, 'microsoft/deberta-v2-xlarge')).toThrow(UnsupportedModelError);
    expect(() => parseEncoderConfig(xlarge, 'microsoft/deberta-v2-xlarge')).toThrow(/conv_kernel_size 3/);
    expect(() => parseEncoderConfig({ ...xlarge, conv_kernel_size: 0 }, 'microsoft/deberta-v2-xlarge')).not.toThrow();
    expect(() => parseEncoderConfig({ ...xlarge, conv_kernel_size: 0, attention_head_size: 32 }, 'acme/d')).toThrow(/attention_head_size 32/);
  });

  it('maps DebertaV2ForMaskedLM key names to the canonical ones and expects the relative tensors, without a position table', () => {
    const config = parseEncoderConfig(realConfig('deberta-v3-base.json'), 'microsoft/deberta-v3-base');
    const names = [
      'deberta.embeddings.word_embeddings.weight', 'deberta.embeddings.LayerNorm.weight', 'deberta.encoder.rel_embeddings.weight', 'deberta.encoder.LayerNorm.bias',
      'deberta.encoder.layer.3.attention.self.query_proj.weight', 'deberta.encoder.layer.3.attention.self.key_proj.bias', 'deberta.encoder.layer.3.attention.self.value_proj.weight',
      'deberta.encoder.layer.3.attention.output.dense.weight', 'lm_predictions.lm_head.dense.weight', 'deberta.embeddings.position_ids', 'pooler.dense.weight',
    ];
    expect(names.map((n) => canonicalTensorName(n, config))).toEqual([
      'embeddings.word_embeddings.weight', 'embeddings.LayerNorm.weight', 'encoder.rel_embeddings.weight', 'encoder.LayerNorm.bias',
      'encoder.layer.3.attention.self.query.weight', 'encoder.layer.3.attention.self.key.bias', 'encoder.layer.3.attention.self.value.weight',
      'encoder.layer.3.attention.output.dense.weight', undefined, undefined, 'pooler.dense.weight',
    ]);
    const expected = new Map(expectedTensors(config).map((t) => [t.name, t.shape]));
    expect(expected.get('encoder.rel_embeddings.weight')).toEqual([512, 768]);
    expect(expected.get('encoder.LayerNorm.weight')).toEqual([768]);
    expect(expected.has('embeddings.position_embeddings.weight')).toBe(false);
    expect(expected.has('pooler.dense.weight')).toBe(false);
    expect([...expected.keys()].some((n) => n.includes('pos_key_proj'))).toBe(false);
  });

  it('expects pos_key_proj / pos_query_proj without share_att_key, and embed_proj (no bias) when embedding_size differs', () => {
    const config = parseEncoderConfig({ model_type: 'deberta-v2', hidden_size: 32, num_attention_heads: 4, num_hidden_layers: 1, intermediate_size: 37, embedding_size: 16, relative_attention: true, pos_att_type: 'c2p|p2c' }, 'acme/d');
    const expected = new Map(expectedTensors(config).map((t) => [t.name, t.shape]));
    expect(expected.get('encoder.layer.0.attention.self.pos_key_proj.weight')).toEqual([32, 32]);
    expect(expected.get('encoder.layer.0.attention.self.pos_query_proj.bias')).toEqual([32]);
    expect(expected.get('embeddings.embed_proj.weight')).toEqual([32, 16]);
    expect(expected.has('embeddings.embed_proj.bias')).toBe(false);
    expect(expected.get('embeddings.LayerNorm.weight')).toEqual([32]);
    expect(expected.get('embeddings.position_embeddings.weight')).toEqual([512, 16]);
  });
});
