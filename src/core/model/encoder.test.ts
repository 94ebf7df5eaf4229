import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { linear } from '../ops.ts';
import { type EncoderHooks, encoderForward, uploadEncoderWeights } from './encoder.ts';
import { erf, referenceForward } from './testing/encoder-forward.reference.ts';
import { TEST_CONFIGS as CONFIGS, maxAbsDiff, randomWeights, runEncoder, testBatch } from './test-support.ts';
import type { EncodedBatch } from './tokenizer.ts';
import type { HostWeights } from './weights.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

const run = runEncoder;

describe('erf of the reference', () => {
  it('matches tabulated values to 1e-15', () => {
    // Abramowitz & Stegun table 7.1 / high-precision values.
    const table: [number, number][] = [[0, 0], [0.1, 0.1124629160182849], [0.5, 0.5204998778130465], [1, 0.8427007929497149],
      [1.5, 0.9661051464753108], [2, 0.9953222650189527], [2.5, 0.9995930479825550], [3, 0.9999779095030014], [4, 0.9999999845827421]];
    for (const [x, value] of table) {
      expect(Math.abs(erf(x) - value)).toBeLessThan(1e-15);
      expect(Math.abs(erf(-x) + value)).toBeLessThan(1e-15);
    }
  });
});

describe('encoderForward (tfjs cpu) against the float64 reference', () => {
  for (const [name, config] of Object.entries(CONFIGS)) {
    it(`${name}: last hidden state, first token and pooled agree within 1e-4`, () => {
      const host = randomWeights(config, 1234);
      const batch = testBatch(config);
      const got = run(config, host, batch);
      const want = referenceForward(config, host, batch);
      expect(got.shape).toEqual([2, 7, config.hiddenSize]);
      expect(maxAbsDiff(got.last, want.lastHiddenState)).toBeLessThan(1e-4);
      expect(maxAbsDiff(got.first, want.firstToken)).toBeLessThan(1e-4);
      expect(got.pooled === undefined).toBe(want.pooled === undefined);
      expect(got.pooled === undefined).toBe(!config.hasPooler);
      if (got.pooled && want.pooled) expect(maxAbsDiff(got.pooled, want.pooled)).toBeLessThan(1e-4);
      // Outputs must depend on the inputs: a changed token changes the first token's state.
      const changed = testBatch(config);
      changed.inputIds[1] = 10;
      expect(maxAbsDiff(run(config, host, changed).first.subarray(0, config.hiddenSize), got.first.subarray(0, config.hiddenSize))).toBeGreaterThan(1e-3);
    });
  }

  it('ignores padding: a padded sequence gives the same real-token states as the unpadded one', () => {
    const config = CONFIGS['roberta (padding-aware positions)'];
    const host = randomWeights(config, 99);
    const padded = testBatch(config);
    const alone: EncodedBatch = { inputIds: padded.inputIds.slice(7, 11), attentionMask: padded.attentionMask.slice(7, 11), tokenTypeIds: padded.tokenTypeIds.slice(7, 11), batch: 1, seq: 4 };
    const h = config.hiddenSize;
    expect(maxAbsDiff(run(config, host, padded).last.subarray(7 * h, 11 * h), run(config, host, alone).last)).toBeLessThan(1e-5);
  });

  it('rejects ids outside the vocabulary and sequences longer than the position table', () => {
    const config = CONFIGS['bert (gelu, pooler)'];
    const weights = uploadEncoderWeights(config, randomWeights(config, 1));
    const bad = testBatch(config);
    bad.inputIds[3] = 30;
    expect(() => encoderForward(weights, bad)).toThrow(/Token id 30 is outside the vocabulary \(0..29\)/);
    const long: EncodedBatch = { inputIds: new Int32Array(21), attentionMask: new Int32Array(21).fill(1), tokenTypeIds: new Int32Array(21), batch: 1, seq: 21 };
    expect(() => encoderForward(weights, long)).toThrow(/Sequences of 21 tokens exceed the 20 positions/);
    weights.dispose();
  });
});

describe('encoder hooks', () => {
  const config = CONFIGS['bert (gelu, pooler)'];
  const host = randomWeights(config, 7);
  const batch = testBatch(config);
  /** The host weights with `names` multiplied by `factor`. */
  const scaled = (factor: number, ...names: string[]) => {
    const copy: HostWeights = new Map(host);
    for (const name of names) copy.set(name, { shape: host.get(name)!.shape, data: host.get(name)!.data.map((x) => x * factor) });
    return copy;
  };

  it('a projection hook on layer 1 values equals scaling that Linear in the reference', () => {
    const hooks: EncoderHooks = {
      projection: (layer, name, x, w) => {
        const y = linear(x, w);
        return layer === 1 && name === 'v' ? y.mul(2) : y;
      },
    };
    const want = referenceForward(config, scaled(2, 'encoder.layer.1.attention.self.value.weight', 'encoder.layer.1.attention.self.value.bias'), batch);
    const got = run(config, host, batch, hooks);
    expect(maxAbsDiff(got.last, want.lastHiddenState)).toBeLessThan(1e-4);
    expect(maxAbsDiff(got.last, referenceForward(config, host, batch).lastHiddenState)).toBeGreaterThan(1e-2);
  });

  it('attentionOutput and ffnOutput hooks receive (h, x, ln) and replace ln(h + x)', () => {
    const seen: string[] = [];
    const hooks: EncoderHooks = {
      attentionOutput: (layer, h, x, ln) => { seen.push(`attn${layer}:${h.shape}:${x.shape}`); return layer === 0 ? ln(h.mul(0.5).add(x)) : ln(h.add(x)); },
      ffnOutput: (layer, h, x, ln) => { seen.push(`ffn${layer}`); return layer === 1 ? ln(h.mul(-1).add(x)) : ln(h.add(x)); },
    };
    const want = referenceForward(config, scaled(-1, 'encoder.layer.1.output.dense.weight', 'encoder.layer.1.output.dense.bias'), batch);
    const reference = referenceForward(config, scaled(0.5, 'encoder.layer.0.attention.output.dense.weight', 'encoder.layer.0.attention.output.dense.bias'), batch);
    // Both edits at once: build the reference weights with both scalings.
    const both = scaled(0.5, 'encoder.layer.0.attention.output.dense.weight', 'encoder.layer.0.attention.output.dense.bias');
    for (const name of ['encoder.layer.1.output.dense.weight', 'encoder.layer.1.output.dense.bias']) both.set(name, { shape: host.get(name)!.shape, data: host.get(name)!.data.map((x) => -x) });
    const got = run(config, host, batch, hooks);
    expect(maxAbsDiff(got.last, referenceForward(config, both, batch).lastHiddenState)).toBeLessThan(1e-4);
    expect(maxAbsDiff(got.last, want.lastHiddenState)).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(got.last, reference.lastHiddenState)).toBeGreaterThan(1e-3);
    expect(seen).toEqual(['attn0:2,7,16:2,7,16', 'ffn0', 'attn1:2,7,16:2,7,16', 'ffn1']);
  });

  it('attentionPrefix prepends keys and values every token attends to', () => {
    const length = 3;
    const h = config.hiddenSize;
    const values = (seed: number) => Float64Array.from({ length: length * h }, (_, i) => Math.sin(seed * 31 + i * 0.7));
    const prefixes = [{ key: values(1), value: values(2), length }, undefined];
    const keys = tf.tensor2d(Float32Array.from(prefixes[0]!.key), [length, h]);
    const vals = tf.tensor2d(Float32Array.from(prefixes[0]!.value), [length, h]);
    const got = run(config, host, batch, { attentionPrefix: (layer) => (layer === 0 ? { key: keys, value: vals } : undefined) });
    tf.dispose([keys, vals]);
    expect(maxAbsDiff(got.last, referenceForward(config, host, batch, { prefixes }).lastHiddenState)).toBeLessThan(1e-4);
    expect(maxAbsDiff(got.last, referenceForward(config, host, batch).lastHiddenState)).toBeGreaterThan(1e-3);
  });

  it('lets gradients flow to hook variables (a LoRA-style scale on the query projection)', () => {
    const weights = uploadEncoderWeights(config, host);
    const scale = tf.variable(tf.scalar(1.2));
    const loss = (s: tf.Scalar) => () => {
      const out = encoderForward(weights, batch, {
        projection: (layer, name, x, w) => {
          const y = linear(x, w);
          return name === 'q' && layer === 0 ? y.mul(s) : y;
        },
      });
      return out.lastHiddenState.mul(out.lastHiddenState).sum().add(out.pooled!.sum()) as tf.Scalar;
    };
    const before = tf.memory().numTensors;
    const { grads, value } = tf.variableGrads(loss(scale), [scale]);
    const analytic = grads[scale.name].dataSync()[0];
    tf.dispose([value, grads[scale.name]]);
    expect(tf.memory().numTensors).toBe(before);
    // Central difference in float64 through the reference (scaling q's weight and bias scales q).
    const at = (s: number) => {
      const w = scaled(s, 'encoder.layer.0.attention.self.query.weight', 'encoder.layer.0.attention.self.query.bias');
      const out = referenceForward(config, w, batch);
      return out.lastHiddenState.reduce((a, x) => a + x * x, 0) + out.pooled!.reduce((a, x) => a + x, 0);
    };
    const numeric = (at(1.2 + 1e-4) - at(1.2 - 1e-4)) / 2e-4;
    expect(Math.abs(numeric)).toBeGreaterThan(1e-3);
    expect(Math.abs(analytic - numeric)).toBeLessThan(1e-3 * Math.max(1, Math.abs(numeric)));
    scale.dispose();
    weights.dispose();
  });
});

describe('tensor lifetime', () => {
  it('uploads weights once and leaks nothing across repeated forwards', () => {
    const config = CONFIGS['electra (embedding 8 → hidden 16)'];
    const start = tf.memory().numTensors;
    const weights = uploadEncoderWeights(config, randomWeights(config, 5));
    const uploaded = tf.memory().numTensors - start;
    // embeddings: word, position, type, LN ×2, projection ×2; per layer 16 (6 Linears, 2 LayerNorms), each
    // once in its stored layout; no pooler.
    expect(uploaded).toBe(7 + 16 * config.numLayers);
    const batch = testBatch(config);
    for (let i = 0; i < 5; i++) {
      const out = encoderForward(weights, batch);
      tf.dispose(out as unknown as tf.TensorContainer);
      expect(tf.memory().numTensors).toBe(start + uploaded);
    }
    weights.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });
});
