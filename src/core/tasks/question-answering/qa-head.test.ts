/**
 * QuestionAnsweringHead against an independent float64 transcription of heads/base.py (Linear(H, 2) per token,
 * split into start / end, CrossEntropyLoss(ignore_index = seq) after clamping): logits, loss, and gradients of the
 * loss with respect to the head's weights and the hidden states, the reference's own gradients checked by central
 * finite differences.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { planHead } from '../../adapters/head.ts';
import { parseEncoderConfig } from '../../model/config.ts';
import type { EncoderOutput } from '../../model/encoder.ts';
import { Prng } from '../../random.ts';
import { qaExampleLosses, qaLogits, qaLoss } from './qa-head.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const B = 3;
const S = 5;
const H = 4;
const config = parseEncoderConfig({ model_type: 'bert', hidden_size: H, num_hidden_layers: 1, num_attention_heads: 1, intermediate_size: 8, vocab_size: 10, max_position_embeddings: 16, type_vocab_size: 2 }, 'test/qa');

/** The reference: logits[b][k][t] = Σ_h x[b][t][h]·W[k][h] + bias[k]; loss as the library computes it. */
function referenceLoss(x: number[], w: number[], bias: number[], positions: number[]): { logits: number[]; loss: number } {
  const logits: number[] = [];
  for (let b = 0; b < B; b++) for (let k = 0; k < 2; k++) for (let t = 0; t < S; t++) {
    let v = bias[k];
    for (let h = 0; h < H; h++) v += x[(b * S + t) * H + h] * w[k * H + h];
    logits.push(v);
  }
  let total = 0;
  for (let k = 0; k < 2; k++) {
    let sum = 0;
    let count = 0;
    for (let b = 0; b < B; b++) {
      const p = Math.min(Math.max(positions[2 * b + k], 0), S);
      if (p === S) continue;
      const row = logits.slice((b * 2 + k) * S, (b * 2 + k + 1) * S);
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0));
      sum += lse - row[p];
      count++;
    }
    total += sum / count;
  }
  return { logits, loss: total / 2 };
}

describe('QuestionAnsweringHead', () => {
  const rng = new Prng(7);
  const x = Array.from({ length: B * S * H }, () => rng.normal());
  const w = Array.from({ length: 2 * H }, () => rng.normal());
  const bias = [0.3, -0.2];
  // Example 2's end (9) is clamped to S = 5 and ignored; example 1's start (−3) is clamped to 0.
  const positions = [1, 3, -3, 4, 2, 9];

  it('writes the config add_qa_head does and keys heads.NAME.1.{weight,bias}', () => {
    const plan = planHead(config, 'squad', { kind: 'questionAnswering' });
    expect(plan.config).toEqual({ head_type: 'question_answering', num_labels: 2, layers: 1, activation_function: 'tanh', label2id: null, dropout_prob: null });
    expect(plan.params.map((p) => [p.key, p.shape])).toEqual([['heads.squad.1.weight', [2, H]], ['heads.squad.1.bias', [2]]]);
    expect(() => planHead(config, 'squad', { kind: 'questionAnswering', numLabels: 3 })).toThrow(/2 outputs/);
  });

  it('matches the float64 reference: logits, loss and gradients (themselves checked by finite differences)', () => {
    const plan = planHead(config, 'squad', { kind: 'questionAnswering' });
    const vars = { weight: tf.variable(tf.tensor2d(w, [2, H])), bias: tf.variable(tf.tensor1d(bias)) };
    const hidden = tf.variable(tf.tensor3d(x, [B, S, H]));
    const encoded = (): EncoderOutput => ({ lastHiddenState: hidden, firstToken: tf.zeros([B, H]) });
    const tensor = (spec: { key: string }) => (spec.key.endsWith('weight') ? vars.weight : vars.bias);
    const reference = referenceLoss(x, w, bias, positions);
    const logits = qaLogits(plan, encoded(), tensor);
    expect(logits.shape).toEqual([B, 2 * S]);
    const got = logits.dataSync();
    reference.logits.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
    expect(qaLoss(logits, positions).dataSync()[0]).toBeCloseTo(reference.loss, 5);

    const { grads } = tf.variableGrads(() => qaLoss(qaLogits(plan, encoded(), tensor), positions), [vars.weight, vars.bias, hidden]);
    const eps = 1e-6;
    const numeric = (values: number[], i: number, loss: (v: number[]) => number) => {
      const up = [...values];
      const down = [...values];
      up[i] += eps;
      down[i] -= eps;
      return (loss(up) - loss(down)) / (2 * eps);
    };
    const gw = grads[vars.weight.name].dataSync();
    w.forEach((_, i) => expect(gw[i]).toBeCloseTo(numeric(w, i, (v) => referenceLoss(x, v, bias, positions).loss), 4));
    const gb = grads[vars.bias.name].dataSync();
    bias.forEach((_, i) => expect(gb[i]).toBeCloseTo(numeric(bias, i, (v) => referenceLoss(x, w, v, positions).loss), 4));
    const gx = grads[hidden.name].dataSync();
    x.forEach((_, i) => expect(gx[i]).toBeCloseTo(numeric(x, i, (v) => referenceLoss(v, w, bias, positions).loss), 4));
  });

  it('gives each example (start CE + end CE) / 2 for the evaluation loss, ignored terms 0', () => {
    const logits = tf.tensor2d([[0, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 2]], [2, 6]);
    const losses = qaExampleLosses(logits, [0, 2, 1, 3]).dataSync();
    // Row 0: uniform over 3 → (ln 3 + ln 3) / 2. Row 1: start 1 of [1, 0, 0], end ignored (3 = seq).
    expect(losses[0]).toBeCloseTo(Math.log(3), 6);
    expect(losses[1]).toBeCloseTo((Math.log(Math.E + 2) - 0) / 2, 6);
  });
});
