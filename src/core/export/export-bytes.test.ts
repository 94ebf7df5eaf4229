/**
 * The "same exported bytes" guard for refactors of the adapters and model code: for every method preset (and a
 * few config strings reaching the less common branches) on every exportable family, the adapter is built
 * seeded (createAdapter: its init values, keys and order) and exported to AdapterHub, to PEFT where PEFT can hold
 * it, and as the Python project; the SHA-256 of every file must equal testdata/export-bytes.golden.json, which
 * was written by this test from the code of commit 25a1e9c (before issue 17's refactors; the weight files of prefix
 * tuning and of unions with a prefix since issue 16, which adds the pool's per-layer copies). A difference means the
 * refactor changed what users download. Regenerate only for an intended format change:
 * UPDATE_GOLDEN=1 npx vitest run src/core/export/export-bytes.test.ts
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAdapter } from '../adapters/adapter.ts';
import { adapterHubFiles } from './adapterhub.ts';
import { adapterExportOf } from './from-adapter.ts';
import { peftFiles, peftSupport } from './peft.ts';
import { pythonProjectFiles } from './python-project.ts';
import { ENCODERS, TRAINING } from './test-support.ts';
import type { AdapterFiles } from './types.ts';

const GOLDEN = new URL('./testdata/export-bytes.golden.json', import.meta.url);

/** Every preset of ADAPTER_PRESETS at commit 25a1e9c; compacter's width 16/32 would not divide by phm_dim, hence the factor. */
const PRESETS = [
  'seq_bn', 'pfeiffer', 'double_seq_bn', 'houlsby', 'par_bn', 'parallel', 'scaled_par_bn', 'scaled_parallel',
  'compacter++[reduction_factor=4]', 'compacter[reduction_factor=4]', 'prefix_tuning', 'prefix_tuning_flat', 'prompt_tuning',
  'lora', 'ia3', 'mam', 'unipelt',
];

/** Config strings for the branches the presets leave at their defaults (exported without a head: PEFT's bare-encoder form). */
const VARIANTS = [
  "seq_bn[ln_before=True, ln_after=True, scaling='channel', use_gating=True, residual_before_ln='post_add', leave_out=[1]]",
  "double_seq_bn[init_weights='houlsby', use_gating=True, adapter_residual_before_ln=True, ln_after=True, non_linearity='gelu']",
  "par_bn[reduction_factor={'0': 4, 'default': 8}, scaling='channel', residual_before_ln=False]",
  "compacter[reduction_factor=4, shared_W_phm=True, factorized_phm_rule=True, phm_c_init='uniform', phm_bias=False]",
  'compacter++[reduction_factor=4, shared_phm_rule=False, factorized_phm_W=False, phm_dim=2]',
  "lora[r=3, alpha=6, intermediate_lora=True, output_lora=True, attn_matrices=['q', 'k', 'v'], init_weights='bert', leave_out=[0]]",
  'ia3[alpha=2.5, output_lora=True]',
  "prefix_tuning[prefix_length=3, bottleneck_size=5, use_gating=True, shared_gating=False, leave_out=[0], non_linearity='relu']",
  "prompt_tuning[prompt_length=4, combine='prefix_after_bos']",
  'prefix_tuning[prefix_length=2, bottleneck_size=6]|par_bn[reduction_factor=4]',
  'lora[init_weights_seed=3]|seq_bn[reduction_factor=4, init_weights_seed=5]',
];

/** The activation each family's ForSequenceClassification head uses, so that PEFT can hold the head. */
const HEAD_ACTIVATION: Record<keyof typeof ENCODERS, string> = { bert: 'tanh', roberta: 'tanh', 'xlm-roberta': 'tanh', distilbert: 'relu', electra: 'gelu' };

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const digests = (files: AdapterFiles) => Object.fromEntries([...files].map(([path, bytes]) => [path, sha256(bytes)]).sort(([a], [b]) => a.localeCompare(b)));

type Digests = Record<string, Record<string, string>>;

/** The digests of every file of every format for one method on one family. */
function exportDigests(family: keyof typeof ENCODERS, spec: string, withHead: boolean): Digests {
  const adapter = createAdapter(ENCODERS[family], spec, {
    name: 'sst2',
    seed: 17,
    ...(withHead ? { head: { numLabels: 2, id2label: ['negative', 'positive'], activationFunction: HEAD_ACTIVATION[family] } } : {}),
  });
  try {
    const exp = adapterExportOf(adapter, TRAINING);
    // The Python project needs the head it was trained with.
    const out: Digests = { adapterhub: digests(adapterHubFiles(exp)), ...(withHead ? { project: digests(pythonProjectFiles(exp)) } : {}) };
    if (peftSupport(exp.adapterConfig, { modelType: exp.modelType, head: exp.head?.config }).ok) out.peft = digests(peftFiles(exp));
    return out;
  } finally {
    adapter.dispose();
  }
}

function allDigests(): Record<string, Record<string, Digests>> {
  const out: Record<string, Record<string, Digests>> = {};
  for (const family of Object.keys(ENCODERS) as (keyof typeof ENCODERS)[]) {
    out[family] = {};
    for (const spec of PRESETS) out[family][spec] = exportDigests(family, spec, true);
    for (const spec of VARIANTS) out[family][spec] = exportDigests(family, spec, false);
  }
  return out;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('exported bytes', () => {
  it('stay those of the golden file for every method × family × format', () => {
    const actual = allDigests();
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, `${JSON.stringify(actual, null, 1)}\n`);
    const golden = JSON.parse(readFileSync(GOLDEN, 'utf8')) as typeof actual;
    // PEFT is written for LoRA and (IA)³ only: the guard must cover both formats.
    expect(Object.values(golden.bert).filter((d) => d.peft).length).toBeGreaterThanOrEqual(4);
    for (const family of Object.keys(golden)) {
      for (const spec of Object.keys(golden[family])) expect(actual[family]?.[spec], `${family} ${spec}`).toEqual(golden[family][spec]);
    }
    expect(Object.keys(actual)).toEqual(Object.keys(golden));
  });
});
