/**
 * Composition blocks (compose.ts, tfjs cpu, float32) against the float64 oracle written from the library's
 * compose_* code (testing/composition.reference.ts): Stack, Parallel, Average and BatchSplit over bottleneck,
 * LoRA / IA3 and prefix-tuning adapters with random weights and heads of different sizes; and the setups the
 * library refuses.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { uploadEncoderWeights } from '../model/encoder.ts';
import { maxAbsDiff, randomWeights } from '../model/test-support.ts';
import { type AdapterModel, createAdapter } from './adapter.ts';
import { composedForward } from './compose.ts';
import type { CompositionSetup } from './composition.ts';
import type { BnConfig, LoRAConfig, PrefixTuningConfig } from './config.ts';
import { type ReferenceChild, type ReferenceSetup, referenceComposedForward } from './testing/composition.reference.ts';
import { TINY, randomState, testBatch } from './test-support.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

const config = TINY.bert;
const host = randomWeights(config, 11);

/** Adapters named a, b, c... with random weights and heads of 2, 3, 4... labels. */
function adapters(specs: string[]): AdapterModel[] {
  return specs.map((spec, i) => {
    const adapter = createAdapter(config, spec, { name: String.fromCharCode(97 + i), head: { numLabels: 2 + i } });
    adapter.loadAdapterStateDict(randomState(adapter, 5 + i, 0.4));
    return adapter;
  });
}

function referenceChild(adapter: AdapterModel): ReferenceChild {
  const c = adapter.config as unknown as { architecture?: string };
  const method = c.architecture === 'lora' ? { kind: 'lora' as const, config: adapter.config as LoRAConfig }
    : c.architecture === 'prefix_tuning' ? { kind: 'prefix' as const, config: adapter.config as PrefixTuningConfig }
      : { kind: 'bottleneck' as const, config: adapter.config as BnConfig };
  return { name: adapter.name, method, params: new Map([...adapter.adapterStateDict(), ...adapter.headStateDict()]), numLabels: adapter.head!.config.num_labels! };
}

/** The largest difference between the composed logits and the oracle's, over every predicting head. */
function compare(setup: Omit<CompositionSetup, 'adapters'>, specs: string[], reference: ReferenceSetup = { block: setup.block as ReferenceSetup['block'] }) {
  const models = adapters(specs);
  const weights = uploadEncoderWeights(config, host);
  const batch = testBatch(config);
  try {
    const got = composedForward(weights, batch, { ...setup, adapters: models.map((m) => m.name) }, models);
    const want = referenceComposedForward(config, host, batch, models.map(referenceChild), reference);
    expect(got.map((g) => [g.head, ...g.rows])).toEqual(want.map((r) => [models[r.child].name, r.from, r.to]));
    const error = Math.max(...got.map((g, i) => maxAbsDiff(g.logits.dataSync(), want[i].logits)));
    // The composition changes the outcome: not the first adapter's own prediction.
    const alone = models[models.length - 1].forward(weights, batch);
    const effect = got.length === 1 ? maxAbsDiff(alone.dataSync(), got[0].logits.dataSync()) : Infinity;
    tf.dispose([alone, ...got.map((g) => g.logits)]);
    return { error, effect, heads: got.length };
  } finally {
    weights.dispose();
    for (const m of models) m.dispose();
  }
}

describe('composition blocks against the float64 oracle', () => {
  const bn = ['seq_bn[reduction_factor=4]', "double_seq_bn[reduction_factor=3, non_linearity='relu']", 'par_bn[reduction_factor=3]'];
  it('Stack of a Pfeiffer, a Houlsby and a parallel bottleneck', () => {
    const { error, effect } = compare({ block: 'Stack' }, bn);
    expect(error).toBeLessThan(1e-4);
    expect(effect).toBeGreaterThan(1e-3);
  });
  it('Stack with post_add residual and no LN after', () => {
    expect(compare({ block: 'Stack' }, ["seq_bn[reduction_factor=4, residual_before_ln='post_add']", 'seq_bn[reduction_factor=2, original_ln_after=False]']).error).toBeLessThan(1e-4);
  });
  it('Parallel: each head on its own copy of the batch', () => {
    const { error, heads } = compare({ block: 'Parallel' }, ['seq_bn[reduction_factor=4]', 'seq_bn[reduction_factor=2]', 'seq_bn[reduction_factor=3]']);
    expect(heads).toBe(3);
    expect(error).toBeLessThan(1e-4);
  });
  it('Parallel of Houlsby adapters (both sub-blocks)', () => {
    expect(compare({ block: 'Parallel' }, ['double_seq_bn[reduction_factor=4]', 'double_seq_bn[reduction_factor=2]']).error).toBeLessThan(1e-4);
  });
  it('Average with weights (normalised; the library\'s mean over the weighted states)', () => {
    const weights = [1, 6, 3];
    const { error, effect } = compare({ block: 'Average', weights }, bn.slice(0, 1).concat(['seq_bn[reduction_factor=2]', 'seq_bn[reduction_factor=3]']), { block: 'Average', weights });
    expect(error).toBeLessThan(1e-4);
    expect(effect).toBeGreaterThan(1e-3);
  });
  it('BatchSplit: the first row through a, the second through b', () => {
    const { error, heads } = compare({ block: 'BatchSplit', batchSizes: [1, 1] }, ['double_seq_bn[reduction_factor=4]', 'double_seq_bn[reduction_factor=2]'], { block: 'BatchSplit', batchSizes: [1, 1] });
    expect(heads).toBe(2);
    expect(error).toBeLessThan(1e-4);
  });
  it('BatchSplit of 0 and 2 rows', () => {
    expect(compare({ block: 'BatchSplit', batchSizes: [0, 2] }, ['seq_bn[reduction_factor=4]', 'seq_bn[reduction_factor=2]'], { block: 'BatchSplit', batchSizes: [0, 2] }).error).toBeLessThan(1e-4);
  });

  const lora = ["lora[r=2, alpha=5, attn_matrices=['q', 'v'], intermediate_lora=True]", "lora[r=3, alpha=2, attn_matrices=['q', 'v'], intermediate_lora=True]"];
  it('LoRA Stack over different Linears', () => {
    expect(compare({ block: 'Stack' }, ["lora[r=2, alpha=5, attn_matrices=['q', 'v'], intermediate_lora=True]", "lora[r=3, alpha=2, attn_matrices=['q', 'k', 'v'], output_lora=True]"]).error).toBeLessThan(1e-4);
  });
  it('LoRA Stack: the second module reads the first one\'s state', () => {
    const { error, effect } = compare({ block: 'Stack' }, ["lora[r=2, alpha=5, attn_matrices=['q', 'v']]", "lora[r=3, alpha=2, attn_matrices=['q', 'k', 'v']]"]);
    expect(error).toBeLessThan(1e-4);
    expect(effect).toBeGreaterThan(1e-3);
  });
  it('LoRA Parallel and Average', () => {
    expect(compare({ block: 'Parallel' }, lora).error).toBeLessThan(1e-4);
    expect(compare({ block: 'Average', weights: [2, 1] }, lora, { block: 'Average', weights: [2, 1] }).error).toBeLessThan(1e-4);
  });
  it('IA3 Stack and BatchSplit', () => {
    expect(compare({ block: 'Stack' }, ['ia3', "ia3[alpha=2, attn_matrices=['q', 'k', 'v']]"]).error).toBeLessThan(1e-4);
    const ia3 = ['ia3', 'ia3[alpha=2]'];
    expect(compare({ block: 'BatchSplit', batchSizes: [1, 1] }, ia3, { block: 'BatchSplit', batchSizes: [1, 1] }).error).toBeLessThan(1e-4);
  });
  it('prefix tuning: Stack of two prefix lengths, Parallel and BatchSplit', () => {
    expect(compare({ block: 'Stack' }, ['prefix_tuning[prefix_length=2, bottleneck_size=5]', 'prefix_tuning[prefix_length=3, bottleneck_size=4, leave_out=[1]]']).error).toBeLessThan(1e-4);
    const same = ['prefix_tuning[prefix_length=2, bottleneck_size=5]', 'prefix_tuning[prefix_length=2, bottleneck_size=3]'];
    expect(compare({ block: 'Parallel' }, same).error).toBeLessThan(1e-4);
    expect(compare({ block: 'BatchSplit', batchSizes: [1, 1] }, same, { block: 'BatchSplit', batchSizes: [1, 1] }).error).toBeLessThan(1e-4);
  });
});

describe('setups the library refuses', () => {
  const lora = ['lora[intermediate_lora=True]', 'lora[intermediate_lora=True]'];
  const run = (setup: Omit<CompositionSetup, 'adapters'>, specs: string[]) => () => {
    const models = adapters(specs);
    const weights = uploadEncoderWeights(config, host);
    try {
      composedForward(weights, testBatch(config), { ...setup, adapters: models.map((m) => m.name) }, models);
    } finally {
      weights.dispose();
      for (const m of models) m.dispose();
    }
  };
  it('Average of prefixes, any block of prompt tuning, Fuse of LoRA', () => {
    expect(run({ block: 'Average' }, ['prefix_tuning', 'prefix_tuning'])).toThrow(/prefix_tuning, which the adapters library does not compose with Average \(it does with: Stack, Parallel, BatchSplit\)/);
    expect(run({ block: 'Stack' }, ['prompt_tuning', 'seq_bn'])).toThrow(/prompt_tuning.*no block/);
    expect(run({ block: 'Fuse' }, ['lora', 'lora'])).toThrow(/does not compose with Fuse/);
  });
  it('Parallel of different methods, prefixes of different lengths, BatchSplit sizes that miss the batch', () => {
    expect(run({ block: 'Parallel' }, ['seq_bn', 'lora'])).toThrow(/use different methods/);
    expect(run({ block: 'Parallel' }, ['prefix_tuning[prefix_length=2]', 'prefix_tuning[prefix_length=3]'])).toThrow(/different lengths \(2, 3\)/);
    expect(run({ block: 'BatchSplit', batchSizes: [1, 2] }, ['seq_bn', 'seq_bn'])).toThrow(/batch has a size of 2, which is not equal to the sum of batch_sizes \[1, 2\]/);
    expect(run({ block: 'Average', weights: [1] }, ['seq_bn', 'seq_bn'])).toThrow(/one finite weight a child \(2\)/);
    expect(run({ block: 'Parallel' }, ['seq_bn', 'double_seq_bn'])).toThrow(/only some children have a bottleneck adapter at layer 0 \(mh_adapter\)/);
    expect(run({ block: 'Parallel' }, ["lora[attn_matrices=['q']]", "lora[attn_matrices=['k']]"])).toThrow(/only some children have LoRA at layer 0 \(k\)/);
    expect(run({ block: 'Stack' }, lora)).toThrow(/stacked on layer 0's ffnIn Linear \(12 → 20\)/);
  });
  it('Fuse without a fusion layer says what is missing', () => {
    expect(run({ block: 'Fuse' }, ['seq_bn', 'seq_bn'])).toThrow(/no fusion layer at layer 0 \(output_adapter\)/);
  });
});
