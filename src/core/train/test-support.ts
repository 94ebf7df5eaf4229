/**
 * A small model and data set for the trainer's tests: softmax regression over dense features (optionally with
 * dropout), and Gaussian blobs one per class, batched in a seeded order per epoch.
 */
import * as tf from '@tensorflow/tfjs';
import { linear } from '../ops.ts';
import { Prng } from '../random.ts';
import type { TrainingData } from './trainer.ts';
import type { BatchLike, ForwardOptions, TrainableModel } from './trainable-model.ts';

/** A batch of dense feature vectors. */
export interface FeatureBatch extends BatchLike {
  /** [batch, features] row-major inputs. */
  features: Float32Array;
  labels: Int32Array;
}

export interface SoftmaxRegression extends TrainableModel<FeatureBatch> {
  /** [classes, features] weight (torch Linear layout). */
  weight: tf.Variable;
  /** [classes] bias. */
  bias: tf.Variable;
  dispose(): void;
}

/** logits = dropout(x) · Wᵀ + b, with W and b named like a torch Linear called "classifier". */
export function softmaxRegression(features: number, classes: number, options: { seed?: number; dropout?: number } = {}): SoftmaxRegression {
  const rng = new Prng(options.seed ?? 1);
  const weight = tf.tidy(() => tf.variable(tf.tensor2d(Array.from({ length: classes * features }, () => rng.normal() * 0.1), [classes, features]), true));
  const bias = tf.tidy(() => tf.variable(tf.zeros([classes]), true));
  const dropout = options.dropout ?? 0;
  return {
    task: 'classification',
    weight,
    bias,
    parameters: [{ name: 'classifier.weight', variable: weight }, { name: 'classifier.bias', variable: bias }],
    logits(batch: FeatureBatch, { training, seed }: ForwardOptions) {
      return tf.tidy(() => {
        let x: tf.Tensor2D = tf.tensor2d(batch.features, [batch.batch, features]);
        if (training && dropout > 0) x = tf.dropout(x, dropout, undefined, seed) as tf.Tensor2D;
        return linear(x, { weight: weight as tf.Tensor2D, bias: bias as tf.Tensor1D });
      });
    },
    dispose() {
      weight.dispose();
      bias.dispose();
    },
  };
}

export interface Blobs {
  features: number;
  classes: number;
  /** Examples as (features, label). */
  examples: { x: number[]; label: number }[];
}

/** `perClass` points around a random centre per class, with unit-variance noise. */
export function blobs(classes: number, features: number, perClass: number, seed: number, spread = 0.5): Blobs {
  const rng = new Prng(seed);
  const centres = Array.from({ length: classes }, () => Array.from({ length: features }, () => rng.normal() * 2));
  const examples = centres.flatMap((centre, label) =>
    Array.from({ length: perClass }, () => ({ x: centre.map((c) => c + rng.normal() * spread), label })));
  return { features, classes, examples };
}

/** Packs examples into one batch. */
export function featureBatch(examples: { x: number[]; label: number }[]): FeatureBatch {
  return {
    batch: examples.length,
    features: Float32Array.from(examples.flatMap((e) => e.x)),
    labels: Int32Array.from(examples.map((e) => e.label)),
  };
}

/** Training data over `train` shuffled by (seed, epoch) into batches of `batchSize`; validation in order. */
export function featureData(train: Blobs, validation: Blobs | undefined, batchSize: number, seed = 7): TrainingData<FeatureBatch> {
  const cut = (examples: Blobs['examples']) => {
    const batches: FeatureBatch[] = [];
    for (let i = 0; i < examples.length; i += batchSize) batches.push(featureBatch(examples.slice(i, i + batchSize)));
    return batches;
  };
  return {
    batchesPerEpoch: Math.ceil(train.examples.length / batchSize),
    async *trainBatches(epoch) {
      yield* cut(new Prng(seed * 1000 + epoch).shuffle(train.examples.slice()));
    },
    ...(validation ? { async *evalBatches() { yield* cut(validation.examples); } } : {}),
  };
}
