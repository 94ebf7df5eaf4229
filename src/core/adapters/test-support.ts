/** Helpers shared by this folder's tests: tiny odd-sized encoders, a padded pair batch, random adapter weights. */
import * as tf from '@tensorflow/tfjs';
import { type EncoderConfig, parseEncoderConfig } from '../model/config.ts';
import { uploadEncoderWeights } from '../model/encoder.ts';
import { normalSource, seededRandom } from '../random.ts';
import type { EncodedBatch } from '../model/tokenizer.ts';
import type { HostTensor, HostWeights } from '../model/weights.ts';
import { type AdapterModel, createAdapter } from './adapter.ts';
import type { HeadOptions } from './head.ts';
import { type ReferenceAdapter, type ReferenceHead, referenceLoss } from './testing/adapter-forward.reference.ts';

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

export interface GradientCheck {
  /** Largest |analytic − numeric| / max(|numeric|, 1e-3 · the largest gradient of the model). */
  worst: number;
  /** Entries compared. */
  entries: number;
  /** |tfjs loss − reference loss|. */
  lossError: number;
}

/**
 * tfjs's analytic gradients of the head loss for every trainable adapter and head variable of `spec` on (`config`,
 * `host`), against central differences (step 1e-5) of the oracle's loss, `referenceLogits`, at the same weights; the
 * largest-gradient entry and three random ones of each variable.
 */
export function gradientCheck(
  config: EncoderConfig, host: HostWeights, spec: string, head: HeadOptions, labels: number[],
  referenceLogits: (batch: EncodedBatch, adapter: ReferenceAdapter, head: ReferenceHead) => Float64Array,
): GradientCheck {
  const adapter = createAdapter(config, spec, { name: 'task', head });
  const weights = uploadEncoderWeights(config, host);
  const batch = testBatch(config);
  try {
    adapter.loadAdapterStateDict(new Map([...randomState(adapter, 8, 0.4)]));
    const variables = adapter.trainableVariables();
    const { value, grads } = tf.variableGrads(() => adapter.loss(weights, batch, labels), variables);
    const loss = value.dataSync()[0];
    const analytic = new Map(variables.map((v) => [v.name, grads[v.name].dataSync() as Float32Array]));
    tf.dispose([value, ...Object.values(grads)]);

    const kind = head.kind ?? 'classification';
    if (kind === 'questionAnswering' || kind === 'multipleChoice') throw new TypeError('The adapter oracle has sequence heads only; question answering and multiple choice are checked in their tasks/ folders.');
    if (kind === 'tagging') throw new TypeError('The adapter oracle has sequence heads only; tagging is checked in tasks/token-classification/tag-head.test.ts.');
    const refHead: ReferenceHead = { kind, numLabels: adapter.head!.config.num_labels! };
    const params = new Map<string, { shape: number[]; data: Float64Array }>();
    for (const [key, t] of [...adapter.adapterStateDict(), ...adapter.headStateDict()]) params.set(key, { shape: t.shape, data: Float64Array.from(t.data) });
    const referenceValue = () => referenceLoss(refHead, referenceLogits(batch, { name: 'task', config: adapter.config, params }, refHead), labels);
    const lossError = Math.abs(referenceValue() - loss);

    const largest = Math.max(...[...analytic.values()].map((g) => Math.max(...g.map(Math.abs))));
    const random = seededRandom(4);
    let worst = 0;
    let entries = 0;
    for (const spec of [...adapter.plan.params, ...adapter.head!.params]) {
      const g = analytic.get(spec.key)!;
      let top = 0;
      g.forEach((x, i) => { if (Math.abs(x) > Math.abs(g[top])) top = i; });
      const picks = new Set([top, ...Array.from({ length: 3 }, () => Math.floor(random() * g.length))]);
      for (const i of picks) {
        const at = (delta: number) => {
          const original = params.get(spec.key)!.data[i];
          for (const key of [spec.key, ...spec.aliases]) params.get(key)!.data[i] = original + delta;
          const result = referenceValue();
          for (const key of [spec.key, ...spec.aliases]) params.get(key)!.data[i] = original;
          return result;
        };
        const numeric = (at(1e-5) - at(-1e-5)) / 2e-5;
        worst = Math.max(worst, Math.abs(g[i] - numeric) / Math.max(Math.abs(numeric), 1e-3 * largest));
        entries++;
      }
    }
    return { worst, entries, lossError };
  } finally {
    weights.dispose();
    adapter.dispose();
  }
}
