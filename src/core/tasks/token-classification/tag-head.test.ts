/**
 * TaggingHead against an independent float64 transcription of heads/base.py (the 2-layer head: Dropout,
 * Linear(H, H), tanh, Dropout, Linear(H, L) per token; CrossEntropyLoss over the tokens whose label is not −100):
 * logits, loss, and gradients of the loss with respect to every head weight and the hidden states, the
 * reference's own derivatives taken by central finite differences; and the loss and its gradient against real torch's
 * CrossEntropyLoss on the same logits and −100 labels, as TaggingHead.forward calls it.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { headForward, headLoss, planHead } from '../../adapters/head.ts';
import { parseEncoderConfig } from '../../model/config.ts';
import type { EncoderOutput } from '../../model/encoder.ts';
import { findTorchPython, runPython } from '../../export/test-support.ts';
import { Prng } from '../../random.ts';
import { taggingExampleLosses, taggingLoss, taggingLossSums } from './tag-head.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const B = 2;
const S = 4;
const H = 3;
const L = 5;
const config = parseEncoderConfig({ model_type: 'bert', hidden_size: H, num_hidden_layers: 1, num_attention_heads: 1, intermediate_size: 8, vocab_size: 10, max_position_embeddings: 16, type_vocab_size: 2 }, 'test/tagging');

type Weights = { w1: number[]; b1: number[]; w2: number[]; b2: number[] };

/** logits[b][t] = W2 · tanh(W1 · x[b][t] + b1) + b2; loss = mean over labelled tokens of logsumexp − logit[label]. */
function reference(x: number[], p: Weights, labels: number[]): { logits: number[]; loss: number } {
  const logits: number[] = [];
  let sum = 0;
  let count = 0;
  for (let r = 0; r < B * S; r++) {
    const h = Array.from({ length: H }, (_, i) => Math.tanh(p.b1[i] + Array.from({ length: H }, (_, j) => p.w1[i * H + j] * x[r * H + j]).reduce((a, v) => a + v, 0)));
    const row = Array.from({ length: L }, (_, k) => p.b2[k] + h.reduce((a, v, j) => a + p.w2[k * H + j] * v, 0));
    logits.push(...row);
    if (labels[r] === -100) continue;
    const max = Math.max(...row);
    sum += max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0)) - row[labels[r]];
    count++;
  }
  return { logits, loss: sum / count };
}

describe('TaggingHead', () => {
  const rng = new Prng(11);
  const normal = (n: number) => Array.from({ length: n }, () => rng.normal());
  const x = normal(B * S * H);
  const weights: Weights = { w1: normal(H * H), b1: normal(H), w2: normal(L * H), b2: normal(L) };
  // [CLS] word word [SEP] / [CLS] word ##piece [SEP]: specials and continuations are −100.
  const labels = [-100, 3, 4, -100, -100, 0, -100, -100];

  it('writes the config add_tagging_head does (1 layer by default, label2id, no use_pooler / bias) and keys heads.NAME.1.*', () => {
    const plan = planHead(config, 'ner', { kind: 'tagging', numLabels: 3, id2label: ['O', 'B-PER', 'I-PER'] });
    expect(plan.config).toEqual({ head_type: 'tagging', num_labels: 3, layers: 1, activation_function: 'tanh', label2id: { O: 0, 'B-PER': 1, 'I-PER': 2 }, dropout_prob: null });
    expect(Object.keys(plan.config)).toEqual(['head_type', 'num_labels', 'layers', 'activation_function', 'label2id', 'dropout_prob']);
    expect(plan.params.map((p) => [p.key, p.shape])).toEqual([['heads.ner.1.weight', [3, H]], ['heads.ner.1.bias', [3]]]);
    expect(planHead(config, 'ner', { kind: 'tagging', numLabels: 3, layers: 2 }).params.map((p) => p.key)).toEqual(['heads.ner.1.weight', 'heads.ner.1.bias', 'heads.ner.4.weight', 'heads.ner.4.bias']);
  });

  it('matches the float64 reference: logits, loss and gradients (themselves checked by finite differences)', () => {
    const plan = planHead(config, 'ner', { kind: 'tagging', numLabels: L, layers: 2 });
    const vars = {
      'heads.ner.1.weight': tf.variable(tf.tensor2d(weights.w1, [H, H])), 'heads.ner.1.bias': tf.variable(tf.tensor1d(weights.b1)),
      'heads.ner.4.weight': tf.variable(tf.tensor2d(weights.w2, [L, H])), 'heads.ner.4.bias': tf.variable(tf.tensor1d(weights.b2)),
    };
    const hidden = tf.variable(tf.tensor3d(x, [B, S, H]));
    const encoded = (): EncoderOutput => ({ lastHiddenState: hidden, firstToken: tf.zeros([B, H]) });
    const tensor = (spec: { key: string }) => vars[spec.key as keyof typeof vars];
    const ref = reference(x, weights, labels);
    const logits = headForward(plan, encoded(), tensor);
    expect(logits.shape).toEqual([B, S * L]);
    const got = logits.dataSync();
    ref.logits.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
    expect(headLoss(plan, logits, labels).dataSync()[0]).toBeCloseTo(ref.loss, 5);

    const { grads } = tf.variableGrads(() => taggingLoss(headForward(plan, encoded(), tensor), labels), [...Object.values(vars), hidden]);
    const eps = 1e-6;
    const numeric = (values: number[], i: number, loss: (v: number[]) => number) => {
      const up = [...values];
      const down = [...values];
      up[i] += eps;
      down[i] -= eps;
      return (loss(up) - loss(down)) / (2 * eps);
    };
    const fields: [keyof typeof vars, keyof Weights][] = [['heads.ner.1.weight', 'w1'], ['heads.ner.1.bias', 'b1'], ['heads.ner.4.weight', 'w2'], ['heads.ner.4.bias', 'b2']];
    for (const [key, field] of fields) {
      const g = grads[vars[key].name].dataSync();
      weights[field].forEach((_, i) => expect(g[i], `${key}[${i}]`).toBeCloseTo(numeric(weights[field], i, (v) => reference(x, { ...weights, [field]: v }, labels).loss), 4));
    }
    const gx = grads[hidden.name].dataSync();
    x.forEach((_, i) => expect(gx[i]).toBeCloseTo(numeric(x, i, (v) => reference(v, weights, labels).loss), 4));
    // Ignored positions (specials, continuations) get no gradient.
    for (const r of [0, 3, 4, 6, 7]) for (let h = 0; h < H; h++) expect(gx[r * H + h]).toBe(0);
  });

  it('sums per example for the evaluation (sum, count) and refuses labels that are no tag id', () => {
    // Row 0: tokens 0 (label 1 of uniform 2 → ln 2) and 1 (label 0 of [2, 0] → ln(1 + e^−2)); row 1 ignored throughout.
    const logits = tf.tensor2d([[0, 0, 2, 0], [5, 1, 3, 3]], [2, 4]);
    const sums = taggingLossSums(logits, [1, 0, -100, -100]).arraySync();
    expect(sums[0][0]).toBeCloseTo(Math.log(2) + Math.log(1 + Math.exp(-2)), 6);
    expect(sums[0][1]).toBe(2);
    expect(sums[1]).toEqual([0, 0]);
    expect(taggingExampleLosses(logits, [1, 0, -100, -100]).arraySync()).toEqual([expect.closeTo((Math.log(2) + Math.log(1 + Math.exp(-2))) / 2, 6), 0]);
    expect(() => taggingLoss(logits, [2, 0, -100, -100])).toThrow(/neither −100 nor a tag id 0\.\.1/);
  });

  const python = findTorchPython();
  it.skipIf(!python)('equals torch.nn.CrossEntropyLoss (ignore_index −100) on the flattened logits, value and gradient', () => {
    const rng2 = new Prng(3);
    const [batch, seq, labelsPerToken] = [3, 5, 4];
    const values = Array.from({ length: batch * seq * labelsPerToken }, () => 2 * rng2.normal());
    const labels = Array.from({ length: batch * seq }, () => (rng2.chance(0.4) ? -100 : rng2.int(labelsPerToken)));
    const logits = tf.variable(tf.tensor2d(values, [batch, seq * labelsPerToken]));
    const { value, grads } = tf.variableGrads(() => taggingLoss(logits, labels), [logits]);
    const torch = runPython<{ loss: number; grad: number[] }>(python!, [
      'import json, sys, torch',
      'values, labels, n = json.loads(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3])',
      'logits = torch.tensor(values, dtype=torch.float64, requires_grad=True)',
      'loss = torch.nn.CrossEntropyLoss()(logits.view(-1, n), torch.tensor(labels).view(-1))',
      'loss.backward()',
      'print(json.dumps({"loss": loss.item(), "grad": logits.grad.tolist()}))',
    ].join('\n'), [JSON.stringify(values), JSON.stringify(labels), String(labelsPerToken)]);
    expect(value.dataSync()[0]).toBeCloseTo(torch.loss, 5);
    const grad = grads[logits.name].dataSync();
    torch.grad.forEach((g, i) => expect(grad[i]).toBeCloseTo(g, 6));
  });
});
