import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type EncoderConfig, describeInferredModelType, estimateMemory, estimateMemoryBytes, estimateParameters, parseEncoderConfig } from './config.ts';
import { ModelLoadError, UnsupportedModelError } from './errors.ts';

// config.json files of the reference checkpoints, as published on the Hub.
const BERT_BASE_UNCASED = {
  architectures: ['BertForMaskedLM'], attention_probs_dropout_prob: 0.1, gradient_checkpointing: false, hidden_act: 'gelu',
  hidden_dropout_prob: 0.1, hidden_size: 768, initializer_range: 0.02, intermediate_size: 3072, layer_norm_eps: 1e-12,
  max_position_embeddings: 512, model_type: 'bert', num_attention_heads: 12, num_hidden_layers: 12, pad_token_id: 0,
  position_embedding_type: 'absolute', transformers_version: '4.6.0.dev0', type_vocab_size: 2, use_cache: true, vocab_size: 30522,
};
const ROBERTA_BASE = {
  architectures: ['RobertaForMaskedLM'], attention_probs_dropout_prob: 0.1, bos_token_id: 0, eos_token_id: 2, hidden_act: 'gelu',
  hidden_dropout_prob: 0.1, hidden_size: 768, initializer_range: 0.02, intermediate_size: 3072, layer_norm_eps: 1e-5,
  max_position_embeddings: 514, model_type: 'roberta', num_attention_heads: 12, num_hidden_layers: 12, pad_token_id: 1,
  type_vocab_size: 1, vocab_size: 50265,
};
const DISTILBERT_BASE_UNCASED = {
  activation: 'gelu', architectures: ['DistilBertForMaskedLM'], attention_dropout: 0.1, dim: 768, dropout: 0.1, hidden_dim: 3072,
  initializer_range: 0.02, max_position_embeddings: 512, model_type: 'distilbert', n_heads: 12, n_layers: 6, pad_token_id: 0,
  qa_dropout: 0.1, seq_classif_dropout: 0.2, sinusoidal_pos_embds: false, tie_weights_: true, vocab_size: 30522,
};
const ELECTRA_SMALL_DISCRIMINATOR = {
  architectures: ['ElectraForPreTraining'], attention_probs_dropout_prob: 0.1, embedding_size: 128, hidden_act: 'gelu',
  hidden_dropout_prob: 0.1, hidden_size: 256, initializer_range: 0.02, intermediate_size: 1024, layer_norm_eps: 1e-12,
  max_position_embeddings: 512, model_type: 'electra', num_attention_heads: 4, num_hidden_layers: 12, pad_token_id: 0,
  type_vocab_size: 2, vocab_size: 30522,
};

describe('parseEncoderConfig', () => {
  it('normalises bert-base-uncased', () => {
    expect(parseEncoderConfig(BERT_BASE_UNCASED, 'google-bert/bert-base-uncased')).toEqual({
      repoId: 'google-bert/bert-base-uncased', modelType: 'bert', family: 'bert', weightPrefix: 'bert',
      hiddenSize: 768, numLayers: 12, numHeads: 12, intermediateSize: 3072, hiddenAct: 'gelu', layerNormEps: 1e-12,
      maxPositionEmbeddings: 512, typeVocabSize: 2, vocabSize: 30522, padTokenId: 0, positionOffset: 0,
      embeddingSize: 768, hasPooler: true, maxSequenceLength: 512,
    });
  });

  it('gives RoBERTa positions from padding_idx + 1 and 512 usable positions', () => {
    const c = parseEncoderConfig(ROBERTA_BASE, 'FacebookAI/roberta-base');
    expect(c).toMatchObject({ family: 'roberta', weightPrefix: 'roberta', padTokenId: 1, positionOffset: 2, maxSequenceLength: 512, typeVocabSize: 1, layerNormEps: 1e-5, hasPooler: false });
    expect(parseEncoderConfig({ ...ROBERTA_BASE, model_type: 'xlm-roberta', vocab_size: 250002 }, 'FacebookAI/xlm-roberta-base'))
      .toMatchObject({ modelType: 'xlm-roberta', family: 'roberta', weightPrefix: 'roberta', positionOffset: 2 });
    expect(parseEncoderConfig({ ...ROBERTA_BASE, model_type: 'camembert', vocab_size: 32005 }, 'almanach/camembert-base'))
      .toMatchObject({ modelType: 'camembert', family: 'roberta', weightPrefix: 'roberta' });
  });

  it('reads DistilBERT key names, with no token types and eps 1e-12', () => {
    expect(parseEncoderConfig(DISTILBERT_BASE_UNCASED, 'distilbert/distilbert-base-uncased')).toMatchObject({
      family: 'distilbert', weightPrefix: 'distilbert', hiddenSize: 768, numLayers: 6, numHeads: 12, intermediateSize: 3072,
      hiddenAct: 'gelu', layerNormEps: 1e-12, typeVocabSize: 0, embeddingSize: 768, hasPooler: false, positionOffset: 0,
    });
  });

  it('keeps ELECTRA embedding width apart from the hidden width', () => {
    expect(parseEncoderConfig(ELECTRA_SMALL_DISCRIMINATOR, 'google/electra-small-discriminator')).toMatchObject({
      family: 'electra', embeddingSize: 128, hiddenSize: 256, numHeads: 4, hasPooler: false,
    });
  });

  it('maps activation aliases to the function they compute', () => {
    const act = (hidden_act: string) => parseEncoderConfig({ ...BERT_BASE_UNCASED, hidden_act }, 'x/y').hiddenAct;
    expect(act('gelu_new')).toBe('gelu_new');
    expect(act('gelu_pytorch_tanh')).toBe('gelu_new');
    expect(act('swish')).toBe('silu');
    expect(act('relu')).toBe('relu');
    expect(() => act('mish')).toThrow(/uses activation "mish", which the studio's encoder does not implement/);
  });

  it('applies the transformers class defaults for missing keys', () => {
    expect(parseEncoderConfig({ model_type: 'bert' }, 'x/y')).toMatchObject({ hiddenSize: 768, numLayers: 12, layerNormEps: 1e-12, typeVocabSize: 2, padTokenId: 0 });
    expect(parseEncoderConfig({ model_type: 'roberta' }, 'x/y')).toMatchObject({ padTokenId: 1, positionOffset: 2 });
  });

  it('refuses unsupported model types and lists the supported ones', () => {
    const parse = () => parseEncoderConfig({ model_type: 'gpt2' }, 'openai-community/gpt2');
    expect(parse).toThrow(UnsupportedModelError);
    expect(parse).toThrow('Model "openai-community/gpt2" has model_type "gpt2", which the studio cannot train; supported model types: bert, roberta, xlm-roberta, camembert, distilbert, electra, deberta-v2, albert, deberta.');
    expect(() => parseEncoderConfig({ ...BERT_BASE_UNCASED, position_embedding_type: 'relative_key' }, 'x/y')).toThrow(/only "absolute" position embeddings/);
  });

  it('refuses inconsistent configs with the offending key', () => {
    expect(() => parseEncoderConfig({ ...BERT_BASE_UNCASED, num_attention_heads: 7 }, 'x/y')).toThrow(/hidden size 768, which is not a multiple of the 7 attention heads/);
    expect(() => parseEncoderConfig({ ...BERT_BASE_UNCASED, hidden_size: '768' }, 'x/y')).toThrow(ModelLoadError);
    expect(() => parseEncoderConfig({ ...BERT_BASE_UNCASED, hidden_size: '768' }, 'x/y')).toThrow(/hidden_size = "768", expected a positive integer/);
    expect(() => parseEncoderConfig([], 'x/y')).toThrow(/is not a JSON object/);
  });
});

describe('estimateParameters', () => {
  // Reference counts from the published safetensors headers (see shared/reference/hub-api.md §5).
  it('matches BertModel with pooler for bert-base-uncased: 109,482,240', () => {
    expect(estimateParameters(parseEncoderConfig(BERT_BASE_UNCASED, 'x/y'))).toBe(109_482_240);
  });

  it('matches RobertaModel without pooler for roberta-base: 124,055,040', () => {
    expect(estimateParameters(parseEncoderConfig(ROBERTA_BASE, 'x/y'))).toBe(124_055_040);
  });

  it('matches DistilBertModel for distilbert-base-uncased: 66,362,880', () => {
    expect(estimateParameters(parseEncoderConfig(DISTILBERT_BASE_UNCASED, 'x/y'))).toBe(66_362_880);
  });
});

describe('estimateMemoryBytes', () => {
  const bert = parseEncoderConfig(BERT_BASE_UNCASED, 'x/y');
  it('counts float32 weights plus activations that grow with batch, length and training', () => {
    // 109,482,240 float32 parameters, held once on every backend (no transposed or packed copies).
    const weights = 4 * 109_482_240;
    expect(estimateMemory(bert).weightBytes).toBe(weights);
    const one = estimateMemoryBytes(bert, { batchSize: 1, seqLength: 128 });
    expect(one).toBeGreaterThan(weights);
    expect(one).toBeLessThan(weights * 1.1);
    expect(estimateMemoryBytes(bert, { batchSize: 8, seqLength: 128 })).toBeGreaterThan(one);
    expect(estimateMemoryBytes(bert, { batchSize: 1, seqLength: 512 })).toBeGreaterThan(one);
    expect(estimateMemoryBytes(bert, { batchSize: 8, seqLength: 128, training: true }))
      .toBeGreaterThan(estimateMemoryBytes(bert, { batchSize: 8, seqLength: 128 }));
  });
});

describe('parseEncoderConfig on real config.json files (testdata/real/configs, origins in its README)', () => {
  const realConfig = (file: string) => JSON.parse(readFileSync(new URL(`./testdata/real/configs/${file}`, import.meta.url), 'utf8')) as unknown;
  // Numbers as each file states them; maxSequenceLength is max_position_embeddings minus the RoBERTa
  // family's padding_idx + 1 position offset (transformers' create_position_ids_from_input_ids).
  const cases: [file: string, repoId: string, facts: Partial<EncoderConfig>][] = [
    ['bert-base-uncased.json', 'google-bert/bert-base-uncased', { family: 'bert', modelType: 'bert', numLayers: 12, hiddenSize: 768, numHeads: 12, vocabSize: 30522, maxSequenceLength: 512 }],
    ['bert-base-cased.json', 'google-bert/bert-base-cased', { family: 'bert', numLayers: 12, hiddenSize: 768, numHeads: 12, vocabSize: 28996, maxSequenceLength: 512 }],
    ['bert-base-multilingual-cased.json', 'google-bert/bert-base-multilingual-cased', { family: 'bert', numLayers: 12, hiddenSize: 768, numHeads: 12, vocabSize: 119547, maxSequenceLength: 512, typeVocabSize: 2 }],
    ['roberta-base.json', 'FacebookAI/roberta-base', { family: 'roberta', modelType: 'roberta', numLayers: 12, hiddenSize: 768, numHeads: 12, vocabSize: 50265, maxSequenceLength: 512, padTokenId: 1, layerNormEps: 1e-5 }],
    ['distilbert-base-uncased.json', 'distilbert/distilbert-base-uncased', { family: 'distilbert', numLayers: 6, hiddenSize: 768, numHeads: 12, intermediateSize: 3072, vocabSize: 30522, maxSequenceLength: 512 }],
    ['xlm-roberta-base.json', 'FacebookAI/xlm-roberta-base', { family: 'roberta', modelType: 'xlm-roberta', numLayers: 12, hiddenSize: 768, numHeads: 12, vocabSize: 250002, maxSequenceLength: 512, typeVocabSize: 1 }],
    ['electra-small-discriminator.json', 'google/electra-small-discriminator', { family: 'electra', numLayers: 12, hiddenSize: 256, embeddingSize: 128, numHeads: 4, intermediateSize: 1024, vocabSize: 30522, maxSequenceLength: 512 }],
    ['camembert-base.json', 'almanach/camembert-base', { family: 'roberta', modelType: 'camembert', numLayers: 12, hiddenSize: 768, numHeads: 12, vocabSize: 32005, maxSequenceLength: 512, padTokenId: 1 }],
    // pad_token_id 0 in this copy: padding_idx 0, so positions start at 1 and 513 of the 514 rows are usable.
    ['camembert-base-pad0.json', 'camembert/camembert-base', { family: 'roberta', modelType: 'camembert', padTokenId: 0, positionOffset: 1, maxSequenceLength: 513, vocabSize: 32005 }],
    // DeBERTa v1: DebertaConfig's layer_norm_eps 1e-7, no token types, relative attention over max_position_embeddings rows.
    ['deberta-base-mnli.json', 'microsoft/deberta-base-mnli', { family: 'deberta', modelType: 'deberta', numLayers: 12, hiddenSize: 768, numHeads: 12, vocabSize: 50265, typeVocabSize: 0, layerNormEps: 1e-7, maxSequenceLength: 512, hasPooler: false }],
    ['multilingual-minilm-l12-h384.json', 'microsoft/Multilingual-MiniLM-L12-H384', { family: 'bert', numLayers: 12, hiddenSize: 384, numHeads: 12, intermediateSize: 1536, vocabSize: 250037, maxSequenceLength: 512 }],
    // ALBERT: 128-wide embeddings, all layers sharing one module (num_hidden_groups 1, inner_group_num 1).
    ['albert-base-v2.json', 'albert/albert-base-v2', { family: 'albert', modelType: 'albert', weightPrefix: 'albert', numLayers: 12, hiddenSize: 768, embeddingSize: 128, numHeads: 12, intermediateSize: 3072, vocabSize: 30000, maxSequenceLength: 512, hiddenAct: 'gelu_new', typeVocabSize: 2, hasPooler: true, layerSharing: { numHiddenGroups: 1, innerGroupNum: 1 } }],
    ['albert-large-v2.json', 'albert/albert-large-v2', { family: 'albert', numLayers: 24, hiddenSize: 1024, embeddingSize: 128, numHeads: 16, intermediateSize: 4096, vocabSize: 30000, maxSequenceLength: 512, hiddenAct: 'gelu_new', layerSharing: { numHiddenGroups: 1, innerGroupNum: 1 } }],
  ];
  for (const [file, repoId, facts] of cases) {
    it(`${file}: ${facts.family}, ${facts.numLayers ?? '?'} layers, hidden ${facts.hiddenSize ?? '?'}`, () => {
      const config = parseEncoderConfig(realConfig(file), repoId);
      expect(config).toMatchObject(facts);
      expect(config.inferredModelType).toBeUndefined();
    });
  }

  it('reads a 2019 roberta-base config without model_type or architectures as roberta, from the repository name', () => {
    const config = parseEncoderConfig(realConfig('roberta-base-2019.json'), 'FacebookAI/roberta-base');
    expect(config).toMatchObject({ modelType: 'roberta', family: 'roberta', numLayers: 12, vocabSize: 50265, padTokenId: 1, maxSequenceLength: 512 });
    expect(config.inferredModelType).toEqual({ modelType: 'roberta', from: 'repo name', evidence: 'FacebookAI/roberta-base' });
    expect(describeInferredModelType(config.inferredModelType!)).toBe('model_type missing from config.json; read as "roberta" from the repository name "FacebookAI/roberta-base"');
  });

  it("reads Google's original bert-base-chinese config as bert from the repository name", () => {
    const config = parseEncoderConfig(realConfig('bert-base-chinese-google.json'), 'google-bert/bert-base-chinese');
    expect(config).toMatchObject({ family: 'bert', numLayers: 12, hiddenSize: 768, vocabSize: 21128, maxSequenceLength: 512, padTokenId: 0 });
    expect(config.inferredModelType?.from).toBe('repo name');
  });

  it('reads an ALBERT config as ALBERT even in a folder named after DistilBERT (model_type wins over the name)', () => {
    const config = parseEncoderConfig(realConfig('albert-in-distilbert-folder.json'), 'someone/distilbert-base-uncased');
    expect(config).toMatchObject({ modelType: 'albert', family: 'albert', weightPrefix: 'albert', hiddenSize: 768, embeddingSize: 128, numLayers: 12 });
    expect(config.inferredModelType).toBeUndefined();
  });

  it("counts albert-base-v2's 11,683,584 parameters: its 12 layers share one layer module", () => {
    // By hand from the config: embeddings (30000 + 512 + 2) · 128 + LayerNorm 2 · 128, embedding_hidden_mapping_in
    // 128 · 768 + 768, one AlbertLayer (q, k, v, dense 4 · (768² + 768), ffn 768 · 3072 + 3072, ffn_output
    // 3072 · 768 + 768, 2 LayerNorms 4 · 768), pooler 768² + 768.
    const byHand = (30000 + 512 + 2) * 128 + 2 * 128 + (128 * 768 + 768) + 4 * (768 * 768 + 768) + (768 * 3072 + 3072) + (3072 * 768 + 768) + 4 * 768 + (768 * 768 + 768);
    expect(byHand).toBe(11_683_584);
    expect(estimateParameters(parseEncoderConfig(realConfig('albert-base-v2.json'), 'albert/albert-base-v2'))).toBe(byHand);
  });
});

describe('model type of a config.json without model_type', () => {
  // Each real config with its model_type removed (as in configs written before transformers 2.x).
  const without = (file: string) => {
    const { model_type: _, ...rest } = JSON.parse(readFileSync(new URL(`./testdata/real/configs/${file}`, import.meta.url), 'utf8')) as Record<string, unknown>;
    return rest;
  };
  const byArchitecture: [file: string, architecture: string, modelType: string][] = [
    ['bert-base-uncased.json', 'BertForMaskedLM', 'bert'],
    ['roberta-base.json', 'RobertaModel', 'roberta'],
    ['xlm-roberta-base.json', 'XLMRobertaForSequenceClassification', 'xlm-roberta'],
    ['distilbert-base-uncased.json', 'DistilBertForMaskedLM', 'distilbert'],
    ['electra-small-discriminator.json', 'ElectraForPreTraining', 'electra'],
    ['camembert-base-pad0.json', 'CamembertModel', 'camembert'],
    ['albert-base-v2.json', 'AlbertModel', 'albert'],
  ];
  for (const [file, architecture, modelType] of byArchitecture) {
    it(`reads ${architecture} as ${modelType}, whatever the repository is called`, () => {
      const config = parseEncoderConfig(without(file), 'someone/my-model');
      expect(config.modelType).toBe(modelType);
      expect(config.inferredModelType).toEqual({ modelType, from: 'architectures', evidence: [architecture] });
      expect(describeInferredModelType(config.inferredModelType!)).toBe(`model_type missing from config.json; read as "${modelType}" from architectures ["${architecture}"]`);
      expect(config).toEqual({ ...parseEncoderConfig(JSON.parse(readFileSync(new URL(`./testdata/real/configs/${file}`, import.meta.url), 'utf8')), 'someone/my-model'), inferredModelType: config.inferredModelType });
    });
  }

  it('prefers the longest model type in the repository name, as AutoConfig does', () => {
    const bare = { hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 128 };
    expect(parseEncoderConfig(bare, 'FacebookAI/xlm-roberta-base').modelType).toBe('xlm-roberta');
    expect(parseEncoderConfig(bare, 'distilbert/distilbert-base-uncased').modelType).toBe('distilbert');
    expect(parseEncoderConfig(bare, 'almanach/camembert-base').modelType).toBe('camembert');
  });

  it('refuses when architectures or the repository name point elsewhere, naming what it read', () => {
    expect(() => parseEncoderConfig({ architectures: ['MobileBertForMaskedLM'] }, 'someone/bert-like')).toThrow(
      'Model "someone/bert-like" has no model_type in its config.json, and its architectures ["MobileBertForMaskedLM"] are of no type the studio can train; supported model types: bert, roberta, xlm-roberta, camembert, distilbert, electra, deberta-v2, albert, deberta. If it is one of these, add "model_type" to its config.json.',
    );
    // Other architectures that share a prefix with a supported one.
    for (const architecture of ['RobertaPreLayerNormForMaskedLM', 'XLMRobertaXLModel', 'BertGenerationEncoder']) {
      expect(() => parseEncoderConfig({ architectures: [architecture] }, 'x/y')).toThrow(UnsupportedModelError);
    }
    expect(() => parseEncoderConfig({}, 'google/mobilebert-uncased')).toThrow(/and its repository name suggests "mobilebert", which the studio cannot train; supported/);
    expect(() => parseEncoderConfig({}, 'x/y')).toThrow(/has no model_type in its config.json, and neither its architectures nor its repository name say which model it is; supported/);
  });

  it("accepts DistilBERT's generic key names (its attribute_map)", () => {
    const config = parseEncoderConfig({ model_type: 'distilbert', hidden_size: 384, num_attention_heads: 6, num_hidden_layers: 3, hidden_dim: 1536 }, 'x/y');
    expect(config).toMatchObject({ hiddenSize: 384, embeddingSize: 384, numHeads: 6, numLayers: 3, intermediateSize: 1536 });
  });
});
