/** Helpers shared by this folder's tests: tiny odd-sized encoders, a padded pair batch, random adapter weights. */
import { type EncoderConfig, parseEncoderConfig } from '../model/config.ts';
import { normalSource, seededRandom } from '../random.ts';
import type { EncodedBatch } from '../model/tokenizer.ts';
import type { HostTensor } from '../model/weights.ts';
import type { AdapterModel } from './adapter.ts';

/** Hidden 12 (3 heads of 4), intermediate 20, 3 layers: sizes no kernel tiling hides errors behind. */
const tiny = { hidden_size: 12, num_hidden_layers: 3, num_attention_heads: 3, intermediate_size: 20, max_position_embeddings: 20, vocab_size: 30 };

export const TINY: Record<'bert' | 'roberta' | 'distilbert' | 'electra' | 'deberta-v3' | 'deberta-v2' | 'albert', EncoderConfig> = {
  bert: parseEncoderConfig({ model_type: 'bert', ...tiny, layer_norm_eps: 1e-12 }, 'test/bert'),
  roberta: parseEncoderConfig({ model_type: 'roberta', ...tiny, type_vocab_size: 1, pad_token_id: 1, layer_norm_eps: 1e-5 }, 'test/roberta'),
  distilbert: parseEncoderConfig({ model_type: 'distilbert', dim: 12, n_layers: 2, n_heads: 3, hidden_dim: 20, max_position_embeddings: 20, vocab_size: 30 }, 'test/distilbert'),
  electra: parseEncoderConfig({ model_type: 'electra', ...tiny, embedding_size: 8 }, 'test/electra'),
  // deberta-v3-base's options (log buckets reached within 7 tokens) and deberta-v2's own pos_key_proj / pos_query_proj.
  'deberta-v3': parseEncoderConfig({
    model_type: 'deberta-v2', ...tiny, relative_attention: true, pos_att_type: ['p2c', 'c2p'], position_buckets: 4, max_relative_positions: 12,
    share_att_key: true, norm_rel_ebd: 'layer_norm', position_biased_input: false,
  }, 'test/deberta-v3'),
  'deberta-v2': parseEncoderConfig({ model_type: 'deberta-v2', ...tiny, relative_attention: true, pos_att_type: 'c2p|p2c', max_relative_positions: 4, type_vocab_size: 2 }, 'test/deberta-v2'),
  // 3 layers over 2 groups of 2 shared modules: layers 0 and 1 run modules 0, 1; layer 2 runs modules 2, 3.
  albert: parseEncoderConfig({ model_type: 'albert', ...tiny, embedding_size: 8, num_hidden_groups: 2, inner_group_num: 2 }, 'test/albert'),
};

/** Two sequences of 7: a sentence pair (types 0 then 1) and a 4-token single text padded with 3 pads. */
export function testBatch(config: EncoderConfig): EncodedBatch {
  const pad = config.padTokenId;
  const ids = [5, 9, 13, 3, 21, 17, 3, 5, 11, 29, 3, pad, pad, pad];
  const mask = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0];
  const types = config.typeVocabSize > 1 ? [0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0] : new Array(14).fill(0);
  return { inputIds: Int32Array.from(ids), attentionMask: Int32Array.from(mask), tokenTypeIds: Int32Array.from(types), batch: 2, seq: 7 };
}

/**
 * Random values N(centre, scale²) for every adapter and head parameter (aliases get their parameter's values),
 * so that no term of a method hides behind a zero or one init.
 */
export function randomState(adapter: AdapterModel, seed: number, scale = 0.5): Map<string, HostTensor> {
  const random = seededRandom(seed);
  const normal = normalSource(random);
  const out = new Map<string, HostTensor>();
  for (const spec of [...adapter.plan.params, ...(adapter.head?.params ?? [])]) {
    // IA3 vectors and norm gains live around 1, everything else around 0.
    const centre = spec.init.kind === 'ones' ? 1 : 0;
    const data = Float32Array.from({ length: spec.shape.reduce((a, b) => a * b, 1) }, () => centre + scale * normal());
    for (const key of [spec.key, ...spec.aliases]) out.set(key, { shape: spec.shape, data });
  }
  return out;
}
