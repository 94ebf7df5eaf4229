/**
 * MultipleChoiceHead against an independent float64 transcription of heads/base.py (Dropout, Linear(H, H), tanh,
 * Dropout, Linear(H, 1) on each pair's first token, `logits.view(-1, num_choices)`, CrossEntropyLoss): logits,
 * loss, and gradients of the loss with respect to the head's weights and the first-token states, compared with
 * central finite differences of the reference.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { headForward, headLoss, planHead } from '../../adapters/head.ts';
import { parseEncoderConfig } from '../../model/config.ts';
import type { EncoderOutput } from '../../model/encoder.ts';
import { Prng } from '../../random.ts';
import { exampleLosses } from '../../train/losses.ts';
import { choiceRows } from './mc-head.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const B = 2;
const N = 3;
const H = 4;
const config = parseEncoderConfig({ model_type: 'bert', hidden_size: H, num_hidden_layers: 1, num_attention_heads: 1, intermediate_size: 8, vocab_size: 10, max_position_embeddings: 16, type_vocab_size: 2 }, 'test/mc');

interface Weights { w1: number[]; b1: number[]; w2: number[]; b2: number[] }

/** The reference: score(pair) = w2 · tanh(W1 x + b1) + b2, logits[b][c] = score(pair b·N + c), loss = mean_b (lse − logit[label]). */
function reference(x: number[], p: Weights, labels: number[]): { logits: number[]; loss: number } {
  const logits: number[] = [];
  for (let r = 0; r < B * N; r++) {
    let score = p.b2[0];
    for (let j = 0; j < H; j++) {
      let pre = p.b1[j];
      for (let h = 0; h < H; h++) pre += p.w1[j * H + h] * x[r * H + h];
      score += p.w2[j] * Math.tanh(pre);
    }
    logits.push(score);
  }
  let loss = 0;
  for (let b = 0; b < B; b++) {
    const row = logits.slice(b * N, (b + 1) * N);
    const max = Math.max(...row);
    loss += max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0)) - row[labels[b]];
  }
  return { logits, loss: loss / B };
}

describe('MultipleChoiceHead', () => {
  const rng = new Prng(11);
  const normal = (n: number) => Array.from({ length: n }, () => rng.normal());
  const x = normal(B * N * H);
  const weights: Weights = { w1: normal(H * H), b1: normal(H), w2: normal(H), b2: [0.25] };
  const labels = [2, 0];

  it('writes the config add_multiple_choice_head does and keys heads.NAME.{1,4}.{weight,bias}', () => {
    const plan = planHead(config, 'swag', { kind: 'multipleChoice', numChoices: 4 });
    // MultipleChoiceHead.__init__: no num_labels (build() then makes the last Linear 1 wide), no bias key.
    expect(plan.config).toEqual({ head_type: 'multiple_choice', num_choices: 4, layers: 2, activation_function: 'tanh', label2id: null, use_pooler: false, dropout_prob: null });
    expect(plan.params.map((p) => [p.key, p.shape])).toEqual([
      ['heads.swag.1.weight', [H, H]], ['heads.swag.1.bias', [H]], ['heads.swag.4.weight', [1, H]], ['heads.swag.4.bias', [1]],
    ]);
    expect(() => planHead(config, 'swag', { kind: 'multipleChoice', numChoices: 1 })).toThrow(/2 to .* choices/);
    expect(() => planHead(config, 'swag', { kind: 'multipleChoice', numChoices: 2.5 })).toThrow(/numChoices/);
  });

  it('matches the float64 reference: logits, loss and gradients (checked by finite differences)', () => {
    const plan = planHead(config, 'swag', { kind: 'multipleChoice', numChoices: N });
    const vars = {
      w1: tf.variable(tf.tensor2d(weights.w1, [H, H])), b1: tf.variable(tf.tensor1d(weights.b1)),
      w2: tf.variable(tf.tensor2d(weights.w2, [1, H])), b2: tf.variable(tf.tensor1d(weights.b2)),
    };
    const byKey: Record<string, tf.Variable> = { 'heads.swag.1.weight': vars.w1, 'heads.swag.1.bias': vars.b1, 'heads.swag.4.weight': vars.w2, 'heads.swag.4.bias': vars.b2 };
    const first = tf.variable(tf.tensor2d(x, [B * N, H]));
    const encoded = (): EncoderOutput => ({ lastHiddenState: tf.zeros([B * N, 1, H]), firstToken: first });
    const tensor = (spec: { key: string }) => byKey[spec.key];
    const ref = reference(x, weights, labels);
    const logits = headForward(plan, encoded(), tensor);
    expect(logits.shape).toEqual([B, N]);
    const got = logits.dataSync();
    ref.logits.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
    expect(headLoss(plan, logits, labels).dataSync()[0]).toBeCloseTo(ref.loss, 5);
    // The trainer's and the evaluation's loss (classification's cross-entropy over the choices) agree.
    expect(exampleLosses(logits, Int32Array.from(labels), 'multipleChoice').mean().dataSync()[0]).toBeCloseTo(ref.loss, 5);

    const { grads } = tf.variableGrads(() => headLoss(plan, headForward(plan, encoded(), tensor), labels), [vars.w1, vars.b1, vars.w2, vars.b2, first]);
    const eps = 1e-6;
    const numeric = (values: number[], i: number, loss: (v: number[]) => number) => {
      const up = [...values];
      const down = [...values];
      up[i] += eps;
      down[i] -= eps;
      return (loss(up) - loss(down)) / (2 * eps);
    };
    for (const name of ['w1', 'b1', 'w2', 'b2'] as const) {
      const g = grads[vars[name].name].dataSync();
      weights[name].forEach((_, i) => expect(g[i]).toBeCloseTo(numeric(weights[name], i, (v) => reference(x, { ...weights, [name]: v }, labels).loss), 4));
    }
    const gx = grads[first.name].dataSync();
    x.forEach((_, i) => expect(gx[i]).toBeCloseTo(numeric(x, i, (v) => reference(v, weights, labels).loss), 4));
  });

  it('views pair scores as [examples, choices] and refuses batches that do not split', () => {
    const scores = tf.tensor2d([1, 2, 3, 4, 5, 6], [6, 1]);
    expect(choiceRows(scores, 3).arraySync()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(choiceRows(scores, 2).shape).toEqual([3, 2]);
    expect(() => choiceRows(scores, 4)).toThrow(/does not split into examples of 4/);
    expect(() => choiceRows(tf.zeros([4, 2]) as tf.Tensor2D, 2)).toThrow(/1 output/);
  });
});
