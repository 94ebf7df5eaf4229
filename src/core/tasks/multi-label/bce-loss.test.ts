/**
 * The multi-label loss and its gradient against an independent float64 reference: BCE written from its definition,
 * −[y·ln σ(x) + (1 − y)·ln(1 − σ(x))] with σ(x) and 1 − σ(x) = σ(−x) computed directly, averaged over all entries
 * (torch's BCEWithLogitsLoss), and its gradient (σ(x) − y) / (batch · labels). Large logits (±30) check stability.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { headLoss, planHead } from '../../adapters/head.ts';
import { TINY } from '../../adapters/test-support.ts';
import { exampleLosses, meanLoss } from '../../train/losses.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const LOGITS = [[2, -1, 0, 0.25], [-30, 30, 0.5, -4]];
const TARGETS = [[1, 0, 1, 0], [0, 0, 1, 1]];

function referenceLoss(x: number, y: number): number {
  const p = 1 / (1 + Math.exp(-x));
  const q = 1 / (1 + Math.exp(x));
  return -(y * Math.log(p) + (1 - y) * Math.log(q));
}

describe('BCE with logits', () => {
  it('gives each example the mean of its labels\' losses, and the batch their mean', () => {
    const labels = Float32Array.from(TARGETS.flat());
    const logits = tf.tensor2d(LOGITS);
    const perExample = LOGITS.map((row, b) => row.reduce((s, x, l) => s + referenceLoss(x, TARGETS[b][l]), 0) / row.length);
    const got = exampleLosses(logits, labels, 'multiLabel').arraySync();
    got.forEach((v, b) => expect(v).toBeCloseTo(perExample[b], 5));
    const mean = (perExample[0] + perExample[1]) / 2;
    expect(meanLoss(logits, labels, 'multiLabel').arraySync()).toBeCloseTo(mean, 5);
    // The trainer's loss and the head module's BCE (heads.py's MultiLabelClassificationHead) agree.
    const plan = planHead(TINY.bert, 'h', { kind: 'multilabel', numLabels: 4 });
    expect(headLoss(plan, logits, Array.from(labels)).arraySync()).toBeCloseTo(mean, 5);
    // 30 logits of the wrong sign cost about 30 each, not Infinity.
    expect(referenceLoss(30, 0)).toBeCloseTo(30, 10);
    expect(Number.isFinite(got[1])).toBe(true);
  });

  it('has the gradient (σ(x) − y) / (batch · labels) with respect to the logits', () => {
    const labels = Float32Array.from(TARGETS.flat());
    const grad = tf.grad((x: tf.Tensor) => meanLoss(x as tf.Tensor2D, labels, 'multiLabel'))(tf.tensor2d(LOGITS)).arraySync() as number[][];
    const n = LOGITS.length * LOGITS[0].length;
    LOGITS.forEach((row, b) => row.forEach((x, l) => expect(grad[b][l]).toBeCloseTo((1 / (1 + Math.exp(-x)) - TARGETS[b][l]) / n, 6)));
  });

  it('refuses targets that do not fill the batch × labels matrix', () => {
    expect(() => exampleLosses(tf.tensor2d(LOGITS), new Float32Array(2), 'multiLabel')).toThrow(/needs 8 0\/1 targets, got 2/);
  });
});
