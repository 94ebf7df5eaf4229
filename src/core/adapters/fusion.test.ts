/**
 * AdapterFusion against the library's code: the fusion forward (tfjs cpu, float32) against the float64 oracle written
 * from compose_fuse and BertFusion (testing/adapter-forward.reference.ts), finite-difference gradients of the fusion
 * layers' and the head's parameters, the regularization term, the parameters' keys, shapes and init, and the
 * library's refusals.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EncoderConfig } from '../model/config.ts';
import { uploadEncoderWeights } from '../model/encoder.ts';
import { maxAbsDiff, randomWeights } from '../model/test-support.ts';
import type { HostTensor } from '../model/weights.ts';
import { normalSource, seededRandom } from '../random.ts';
import { type AdapterModel, createAdapter } from './adapter.ts';
import { type FusionModel, createFusion } from './fusion.ts';
import { FUSION_PRESETS, resolveFusionConfig } from './methods/fusion.ts';
import { type ReferenceFusion, type ReferenceHead, referenceAdapterForward, referenceLoss } from './testing/adapter-forward.reference.ts';
import { TINY, randomState, testBatch } from './test-support.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

const live: { dispose(): void }[] = [];
afterEach(() => { while (live.length) live.pop()!.dispose(); });

function adapters(config: EncoderConfig, specs: string[], names = specs.map((_, i) => `a${i}`)): AdapterModel[] {
  return specs.map((spec, i) => {
    const adapter = createAdapter(config, spec, { name: names[i] });
    live.push(adapter);
    adapter.loadAdapterStateDict(randomState(adapter, 30 + i, 0.4));
    return adapter;
  });
}

/** Random N(0, scale²) fusion and head weights, so that no term hides behind the identity or zero init. */
function randomFusionState(fusion: FusionModel, seed: number, scale = 0.3): Map<string, HostTensor> {
  const normal = normalSource(seededRandom(seed));
  const out = new Map<string, HostTensor>();
  for (const spec of [...fusion.plan.params, ...(fusion.head?.params ?? [])]) {
    out.set(spec.key, { shape: spec.shape, data: Float32Array.from({ length: spec.shape.reduce((a, b) => a * b, 1) }, () => scale * normal()) });
  }
  return out;
}

function referenceOf(fusion: FusionModel, fused: AdapterModel[], params: ReferenceFusion['params'], temperature: number): ReferenceFusion {
  return {
    name: fusion.name,
    config: fusion.config,
    adapters: fused.map((a) => ({ name: a.name, config: a.config, params: a.adapterStateDict() })),
    params,
    headName: fusion.head?.name ?? '',
    temperature,
  };
}

const CASES: [string, keyof typeof TINY, string[], string][] = [
  ['dynamic over two seq_bn', 'bert', ['seq_bn[reduction_factor=4]', 'seq_bn[reduction_factor=3]'], 'dynamic'],
  ['static over three seq_bn', 'bert', ['seq_bn[reduction_factor=4]', 'seq_bn[reduction_factor=6]', 'seq_bn[reduction_factor=2]'], 'static'],
  ['dynamic, residual_before, value after the softmax, query before the LN', 'bert', ['seq_bn[reduction_factor=4]', "seq_bn[reduction_factor=3, ln_before=True, non_linearity='gelu']"], 'dynamic[residual_before=True, value_before_softmax=False, query_before_ln=True]'],
  ['temperature (T = 50 on the first pass)', 'bert', ['seq_bn[reduction_factor=4]', 'seq_bn[reduction_factor=3]'], 'dynamic[temperature=True]'],
  ['no query, key or value (dense only)', 'bert', ['seq_bn[reduction_factor=4]', 'seq_bn[reduction_factor=3]'], 'static[query=False, key=False]'],
  ['double_seq_bn: both sub-blocks, last adapter residual post_add', 'bert', ['double_seq_bn[reduction_factor=3]', "double_seq_bn[reduction_factor=4, original_ln_before=True, residual_before_ln='post_add']"], 'dynamic'],
  ['par_bn: the last adapter parallel', 'bert', ['seq_bn[reduction_factor=4]', 'par_bn[reduction_factor=3]'], 'dynamic'],
  ['compacter + double_seq_bn with scaling', 'bert', ['compacter[reduction_factor=3]', 'double_seq_bn[reduction_factor=4, scaling=0.5]'], 'dynamic'],
  ['roberta', 'roberta', ['seq_bn[reduction_factor=4]', 'seq_bn[reduction_factor=3]'], 'dynamic'],
  ['distilbert', 'distilbert', ['seq_bn[reduction_factor=4]', 'seq_bn[reduction_factor=3]'], 'static'],
];

describe('fusion forward vs the float64 oracle of compose_fuse + BertFusion', () => {
  for (const [label, family, specs, fusionSpec] of CASES) {
    it(label, () => {
      const config = TINY[family];
      const host = randomWeights(config, 11);
      const fused = adapters(config, specs);
      const fusion = createFusion(config, fused, { config: fusionSpec, head: { name: 'task', numLabels: 3 } });
      live.push(fusion);
      const params = randomFusionState(fusion, 5);
      fusion.loadStateDict(params);
      const weights = uploadEncoderWeights(config, host);
      live.push(weights);
      const batch = testBatch(config);
      const temperature = fusion.temperature;
      const got = tf.tidy(() => fusion.forward(weights, batch).dataSync() as Float32Array);
      const head: ReferenceHead = { kind: 'classification', numLabels: 3 };
      const want = referenceAdapterForward(config, host, batch, undefined, { head, fusion: referenceOf(fusion, fused, params, temperature) }).logits!;
      const plain = referenceAdapterForward(config, host, batch, undefined, { head, fusion: { ...referenceOf(fusion, fused, params, temperature), adapters: [] } }).logits!;
      expect(maxAbsDiff(got, want)).toBeLessThan(2e-5);
      // The fusion changes the output (the oracle without adapters differs).
      expect(maxAbsDiff(got, plain)).toBeGreaterThan(1e-2);
      if (fusion.config.temperature) expect(fusion.temperature).toBeCloseTo(49.95, 10);
    });
  }
});

describe('fusion gradients vs central differences of the oracle', () => {
  for (const [label, spec] of [['dynamic', 'dynamic'], ['static, residual before', 'static[residual_before=True]'], ['value after the softmax', 'dynamic[value_before_softmax=False]']] as const) {
    it(`${label}: every fusion and head parameter (relative error < 1e-3), adapters frozen`, () => {
      const config = TINY.bert;
      const host = randomWeights(config, 21);
      const fused = adapters(config, ['seq_bn[reduction_factor=4]', 'seq_bn[reduction_factor=3]']);
      const fusion = createFusion(config, fused, { config: spec, head: { name: 'task', numLabels: 3 } });
      live.push(fusion);
      const state = randomFusionState(fusion, 9, 0.3);
      fusion.loadStateDict(state);
      const weights = uploadEncoderWeights(config, host);
      live.push(weights);
      const batch = testBatch(config);
      const labels = [2, 0];
      const variables = fusion.trainableVariables();
      // Only the fusion layers and the head train.
      expect(variables.map((v) => v.name)).toEqual([...fusion.plan.params, ...fusion.head!.params].map((p) => p.key));
      const { value, grads } = tf.variableGrads(() => fusion.loss(weights, batch, labels), variables);
      const loss = value.dataSync()[0];
      const analytic = new Map(variables.map((v) => [v.name, grads[v.name].dataSync() as Float32Array]));
      tf.dispose([value, ...Object.values(grads)]);

      const params = new Map([...state].map(([k, t]) => [k, { shape: t.shape, data: Float64Array.from(t.data) }]));
      const head: ReferenceHead = { kind: 'classification', numLabels: 3 };
      const reference = referenceOf(fusion, fused, params, 1);
      const referenceValue = () => referenceLoss(head, referenceAdapterForward(config, host, batch, undefined, { head, fusion: reference }).logits!, labels);
      expect(Math.abs(referenceValue() - loss)).toBeLessThan(1e-5);
      const largest = Math.max(...[...analytic.values()].map((g) => Math.max(...g.map(Math.abs))));
      const random = seededRandom(4);
      let worst = 0;
      for (const p of [...fusion.plan.params, ...fusion.head!.params]) {
        const g = analytic.get(p.key)!;
        let top = 0;
        g.forEach((x, i) => { if (Math.abs(x) > Math.abs(g[top])) top = i; });
        for (const i of new Set([top, ...Array.from({ length: 3 }, () => Math.floor(random() * g.length))])) {
          const data = params.get(p.key)!.data;
          const original = data[i];
          data[i] = original + 1e-5;
          const up = referenceValue();
          data[i] = original - 1e-5;
          const down = referenceValue();
          data[i] = original;
          const numeric = (up - down) / 2e-5;
          worst = Math.max(worst, Math.abs(g[i] - numeric) / Math.max(Math.abs(numeric), 1e-3 * largest));
        }
      }
      expect(worst).toBeLessThan(1e-3);
    });
  }
});

describe('fusion layers as the library builds them', () => {
  it('keys, shapes and order of BertFusion at every output adapter (bottleneck.py add_fusion_layer, modeling.py BertFusion.__init__)', () => {
    const fused = adapters(TINY.bert, ['seq_bn', 'seq_bn']);
    const fusion = createFusion(TINY.bert, fused, { config: 'dynamic' });
    live.push(fusion);
    const H = TINY.bert.hiddenSize;
    const expected = [0, 1, 2].flatMap((l) => {
      const prefix = `bert.encoder.layer.${l}.output.adapter_fusion_layer.a0,a1`;
      return [[`${prefix}.query.weight`, [H, H]], [`${prefix}.query.bias`, [H]], [`${prefix}.key.weight`, [H, H]], [`${prefix}.key.bias`, [H]], [`${prefix}.value.weight`, [H, H]]];
    });
    expect([...fusion.fusionStateDict()].map(([k, t]) => [k, t.shape])).toEqual(expected);
    expect(fusion.name).toBe('a0,a1');
  });

  it('double_seq_bn fuses at attention.output and output; static has no value; none of q/k/v gives dense [1, H]', () => {
    const fused = adapters(TINY.bert, ['double_seq_bn', 'double_seq_bn']);
    const both = createFusion(TINY.bert, fused, { config: 'static' });
    live.push(both);
    expect([...both.fusionStateDict().keys()].slice(0, 8)).toEqual([
      'bert.encoder.layer.0.attention.output.adapter_fusion_layer.a0,a1.query.weight', 'bert.encoder.layer.0.attention.output.adapter_fusion_layer.a0,a1.query.bias',
      'bert.encoder.layer.0.attention.output.adapter_fusion_layer.a0,a1.key.weight', 'bert.encoder.layer.0.attention.output.adapter_fusion_layer.a0,a1.key.bias',
      'bert.encoder.layer.0.output.adapter_fusion_layer.a0,a1.query.weight', 'bert.encoder.layer.0.output.adapter_fusion_layer.a0,a1.query.bias',
      'bert.encoder.layer.0.output.adapter_fusion_layer.a0,a1.key.weight', 'bert.encoder.layer.0.output.adapter_fusion_layer.a0,a1.key.bias',
    ]);
    both.dispose();
    live.pop();
    const bare = createFusion(TINY.bert, fused, { config: 'static[query=False, key=False]' });
    live.push(bare);
    const state = bare.fusionStateDict();
    expect([...state.keys()].slice(0, 2)).toEqual(['bert.encoder.layer.0.attention.output.adapter_fusion_layer.a0,a1.dense.weight', 'bert.encoder.layer.0.attention.output.adapter_fusion_layer.a0,a1.dense.bias']);
    expect(state.get('bert.encoder.layer.0.attention.output.adapter_fusion_layer.a0,a1.dense.weight')!.shape).toEqual([1, TINY.bert.hiddenSize]);
  });

  it('init: value = identity with 1e-6 elsewhere (value_initialized), query/key N(0, 0.02) with zero bias, N(0, 0.02) value otherwise', () => {
    const fused = adapters(TINY.bert, ['seq_bn', 'seq_bn']);
    const H = TINY.bert.hiddenSize;
    const fusion = createFusion(TINY.bert, fused, { config: 'dynamic', seed: 3 });
    live.push(fusion);
    const state = fusion.fusionStateDict();
    const value = state.get('bert.encoder.layer.1.output.adapter_fusion_layer.a0,a1.value.weight')!.data;
    for (let i = 0; i < H; i++) for (let j = 0; j < H; j++) expect(value[i * H + j]).toBe(i === j ? 1 : Math.fround(1e-6));
    expect(state.get('bert.encoder.layer.1.output.adapter_fusion_layer.a0,a1.query.bias')!.data.every((x) => x === 0)).toBe(true);
    const q = state.get('bert.encoder.layer.1.output.adapter_fusion_layer.a0,a1.query.weight')!.data;
    const std = Math.sqrt(q.reduce((s, x) => s + x * x, 0) / q.length);
    expect(std).toBeGreaterThan(0.012);
    expect(std).toBeLessThan(0.028);
    live.pop()!.dispose();
    const noInit = createFusion(TINY.bert, fused, { config: 'dynamic[value_initialized=False]', seed: 3 });
    live.push(noInit);
    const v = noInit.fusionStateDict().get('bert.encoder.layer.1.output.adapter_fusion_layer.a0,a1.value.weight')!.data;
    expect(Math.max(...v.map(Math.abs))).toBeLessThan(0.15);
    expect(v[0]).not.toBe(1);
  });

  it('regularization: 0.01 · Σ ‖I − V‖² over the layers (get_fusion_regularization_loss); none for static', () => {
    const fused = adapters(TINY.bert, ['seq_bn', 'seq_bn']);
    const fusion = createFusion(TINY.bert, fused, { config: 'dynamic' });
    live.push(fusion);
    const state = randomFusionState(fusion, 2);
    fusion.loadStateDict(state);
    const H = TINY.bert.hiddenSize;
    let want = 0;
    for (const [key, t] of state) {
      if (!key.endsWith('.value.weight')) continue;
      t.data.forEach((x, i) => { want += 0.01 * ((Math.floor(i / H) === i % H ? 1 : 0) - x) ** 2; });
    }
    const got = fusion.regularizationLoss()!;
    expect(Math.abs(got.dataSync()[0] - want) / want).toBeLessThan(1e-5);
    got.dispose();
    live.pop()!.dispose();
    const staticFusion = createFusion(TINY.bert, fused, { config: 'static' });
    live.push(staticFusion);
    expect(staticFusion.regularizationLoss()).toBeUndefined();
  });

  it('attention: per layer, token and adapter, rows summing to 1', () => {
    const config = TINY.bert;
    const fused = adapters(config, ['seq_bn', 'seq_bn', 'seq_bn[reduction_factor=4]']);
    const fusion = createFusion(config, fused);
    live.push(fusion);
    fusion.loadStateDict(randomFusionState(fusion, 1));
    const weights = uploadEncoderWeights(config, randomWeights(config, 2));
    live.push(weights);
    const attention = fusion.attention(weights, testBatch(config));
    expect(attention.map((a) => a.layer)).toEqual([0, 1, 2]);
    for (const a of attention) {
      expect(a.weights.length).toBe(7);
      for (const row of a.weights) {
        expect(row.length).toBe(3);
        expect(Math.abs(row.reduce((s, x) => s + x, 0) - 1)).toBeLessThan(1e-6);
      }
    }
  });
});

describe('what the library refuses', () => {
  it('one adapter, adapters that differ in mh_adapter, non-bottleneck adapters, a head named like an adapter, an unknown preset', () => {
    const [a, b] = adapters(TINY.bert, ['seq_bn', 'double_seq_bn']);
    expect(() => createFusion(TINY.bert, [a])).toThrow(/at least two adapters/);
    expect(() => createFusion(TINY.bert, [a, b])).toThrow(/same value for config attribute mh_adapter/);
    const [lora] = adapters(TINY.bert, ['lora'], ['l']);
    expect(() => createFusion(TINY.bert, [a, lora])).toThrow(/not a bottleneck adapter/);
    const [c] = adapters(TINY.bert, ['seq_bn'], ['c']);
    expect(() => createFusion(TINY.bert, [a, c], { head: { name: 'a0' } })).toThrow(/cannot be named "a0"/);
    expect(() => resolveFusionConfig('fancy')).toThrow(/Invalid AdapterFusion config identifier "fancy"/);
    expect(() => resolveFusionConfig({ ...FUSION_PRESETS.dynamic, dropout_prob: 2 })).toThrow(/dropout_prob/);
  });
});
