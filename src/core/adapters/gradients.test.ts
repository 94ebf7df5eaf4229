/**
 * Gradient checks: tfjs's analytic gradients of the head loss with respect to every trainable adapter and head
 * variable, against central differences (step 1e-5) of the float64 oracle's loss at the same weights. A few
 * entries per variable (the largest-gradient one and three random ones) are checked.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { randomWeights } from '../model/test-support.ts';
import type { HeadOptions } from './head.ts';
import { referenceAdapterForward } from './testing/adapter-forward.reference.ts';
import { TINY, gradientCheck } from './test-support.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

const CLASSES: [HeadOptions, number[]] = [{ numLabels: 3 }, [2, 0]];
const CASES: [string, keyof typeof TINY, string, [HeadOptions, number[]], tolerance?: number][] = [
  ['seq_bn', 'bert', 'seq_bn[reduction_factor=4]', CLASSES],
  ['seq_bn: ln_before/after, gate, channel scaling, post_add', 'bert', "seq_bn[reduction_factor=3, ln_before=True, ln_after=True, use_gating=True, scaling='channel', residual_before_ln='post_add', non_linearity='gelu']", CLASSES],
  ['double_seq_bn', 'bert', 'double_seq_bn[reduction_factor=3]', CLASSES],
  ['par_bn', 'bert', 'par_bn[reduction_factor=4]', CLASSES],
  ['scaled_par_bn with gate and ln_after', 'bert', "scaled_par_bn[reduction_factor=4, use_gating=True, ln_after=True, non_linearity='tanh']", CLASSES],
  ['compacter', 'bert', 'compacter[reduction_factor=3]', CLASSES],
  ['compacter++ per-layer factorized rule, full W', 'bert', 'compacter++[reduction_factor=3, shared_phm_rule=False, factorized_phm_rule=True, factorized_phm_W=False, phm_dim=2]', CLASSES],
  ['compacter shared W rank 2', 'bert', 'compacter[reduction_factor=3, shared_W_phm=True, phm_rank=2]', CLASSES],
  ['lora (q, k, v, intermediate, output)', 'bert', "lora[r=2, alpha=4, attn_matrices=['q', 'k', 'v'], intermediate_lora=True, output_lora=True]", CLASSES],
  ['lora gated', 'bert', 'lora[r=2, use_gating=True]', CLASSES],
  ['ia3', 'bert', 'ia3', CLASSES],
  ['ia3 gated', 'bert', 'ia3[use_gating=True]', CLASSES],
  ['prefix_tuning', 'bert', 'prefix_tuning[prefix_length=3, bottleneck_size=5]', CLASSES],
  ['prefix_tuning_flat', 'bert', 'prefix_tuning_flat[prefix_length=2]', CLASSES],
  ['prefix_tuning gated (two gates)', 'bert', 'prefix_tuning[prefix_length=2, bottleneck_size=4, use_gating=True, shared_gating=False]', CLASSES],
  ['prompt_tuning', 'bert', 'prompt_tuning[prompt_length=3]', CLASSES],
  ['prompt_tuning after the first token', 'bert', "prompt_tuning[prompt_length=2, combine='prefix_after_bos']", CLASSES],
  ['mam', 'bert', 'prefix_tuning[prefix_length=3, bottleneck_size=6]|par_bn[reduction_factor=4]', CLASSES],
  ['unipelt', 'bert', 'unipelt[leave_out=[2]]', CLASSES],
  ['regression head (MSE) on seq_bn', 'bert', 'seq_bn[reduction_factor=4]', [{ kind: 'regression' }, [0.7, -1.3]]],
  ['multi-label head (BCE) on lora', 'bert', 'lora[r=2]', [{ kind: 'multilabel', numLabels: 3 }, [1, 0, 1, 0, 0, 1]]],
  ['distilbert: seq_bn + lora', 'distilbert', 'seq_bn[reduction_factor=4]|lora[r=2]', CLASSES],
  // ALBERT: a shared module's adapter gets the gradient of every layer that runs it.
  ['albert: seq_bn', 'albert', 'seq_bn[reduction_factor=4]', CLASSES],
  ['albert: double_seq_bn', 'albert', 'double_seq_bn[reduction_factor=3]', CLASSES],
  ['albert: scaled_par_bn with gate', 'albert', 'scaled_par_bn[reduction_factor=4, use_gating=True]', CLASSES],
  ['albert: compacter', 'albert', 'compacter[reduction_factor=3]', CLASSES],
  ['albert: lora (query, key, value, ffn, ffn_output)', 'albert', "lora[r=2, alpha=4, attn_matrices=['q', 'k', 'v'], intermediate_lora=True, output_lora=True]", CLASSES],
  ['albert: ia3 gated', 'albert', 'ia3[use_gating=True]', CLASSES],
  ['albert: prefix_tuning', 'albert', 'prefix_tuning[prefix_length=3, bottleneck_size=5]', CLASSES],
  ['albert: prefix_tuning gated, flat', 'albert', 'prefix_tuning_flat[prefix_length=2, use_gating=True]', CLASSES],
  ['albert: prompt_tuning', 'albert', 'prompt_tuning[prompt_length=3]', CLASSES],
  ['albert: unipelt, regression', 'albert', 'unipelt', [{ kind: 'regression' }, [0.7, -1.3]]],
  ['deberta-v3: double_seq_bn', 'deberta-v3', 'double_seq_bn[reduction_factor=3]', CLASSES],
  ['deberta-v3: compacter', 'deberta-v3', 'compacter[reduction_factor=3]', CLASSES],
  ['deberta-v3: seq_bn', 'deberta-v3', 'seq_bn[reduction_factor=4]', CLASSES],
  ['deberta-v3: scaled_par_bn with gate', 'deberta-v3', 'scaled_par_bn[reduction_factor=4, use_gating=True]', CLASSES],
  ['deberta-v3: compacter++ per-layer factorized rule', 'deberta-v3', 'compacter++[reduction_factor=3, shared_phm_rule=False, factorized_phm_rule=True, phm_dim=2]', CLASSES],
  ['deberta-v3: lora on query_proj / key_proj / value_proj (through the shared relative rows) + intermediate', 'deberta-v3', "lora[r=2, attn_matrices=['q', 'k', 'v'], intermediate_lora=True]", CLASSES],
  ['deberta-v3: ia3 gated', 'deberta-v3', 'ia3[use_gating=True]', CLASSES],
  ['deberta-v3: prefix_tuning gated', 'deberta-v3', 'prefix_tuning[prefix_length=2, bottleneck_size=4, use_gating=True]', CLASSES],
  ['deberta-v3: prefix_tuning_flat', 'deberta-v3', 'prefix_tuning_flat[prefix_length=2]', CLASSES],
  ['deberta-v3: unipelt, regression', 'deberta-v3', 'unipelt', [{ kind: 'regression' }, [0.7, -1.3]]],
  ['deberta-v3: prompt_tuning', 'deberta-v3', 'prompt_tuning[prompt_length=3]', CLASSES],
  ["deberta-v3: the seeds' demo union (prefix 20 + par_bn rf 4)", 'deberta-v3', 'prefix_tuning[prefix_length=20, bottleneck_size=8]|par_bn[reduction_factor=4]', CLASSES],
  // Its worst entries are layer 2's key_proj lora_B gradients, ~1/20,000 of the largest (through the position terms):
  // at the 1e-3 · largest floor they differ from the oracle by 5-7e-7 absolute, float32's rounding over this path,
  // which any change of operation order moves (8.3e-4 with the composed LayerNorm backward, 1.1e-3 with ops.ts's).
  ['deberta-v2 (pos_*_proj): seq_bn + lora', 'deberta-v2', "seq_bn[reduction_factor=4]|lora[r=2, attn_matrices=['q', 'k', 'v']]", CLASSES, 2e-3],
];

describe('analytic gradients (tfjs) vs central differences of the float64 oracle (relative error < 1e-3)', () => {
  const report: string[] = [];
  for (const [label, family, spec, [head, labels], tolerance = 1e-3] of CASES) {
    it(label, () => {
      const config = TINY[family];
      const host = randomWeights(config, 21);
      const { worst, entries, lossError } = gradientCheck(config, host, spec, head, labels, (batch, adapter, refHead) => referenceAdapterForward(config, host, batch, adapter, { head: refHead }).logits!);
      report.push(`${worst.toExponential(2)} over ${entries} entries, loss error ${lossError.toExponential(1)}  ${label}`);
      expect(lossError).toBeLessThan(1e-4);
      expect(worst).toBeLessThan(tolerance);
    });
  }
  it('report', () => {
    console.log(`gradient check, worst relative error:\n${report.join('\n')}`);
    expect(report.length).toBe(CASES.length);
  });
});
