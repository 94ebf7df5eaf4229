/**
 * Evaluation of a token-classification model as run_ner's compute_metrics: the predicted tag of each word is the
 * argmax at its first token (the positions whose label is not −100), compared with the gold tags by seqeval
 * (seqeval.ts: entity precision / recall / F1, strict IOB2) and by token accuracy; the loss is the mean
 * cross-entropy over all labelled tokens.
 */
import * as tf from '@tensorflow/tfjs';
import type { EvaluateOptions } from '../../train/evaluate.ts';
import type { EvalMetrics } from '../../train/metrics.ts';
import type { BatchLike, TrainableModel } from '../../train/trainable-model.ts';
import { IGNORE } from './align.ts';
import { isIob2, seqevalScores } from './seqeval.ts';
import { taggingLossSums } from './tag-head.ts';

type TagBatch = BatchLike & { tagNames?: readonly string[] };

/** Gold and predicted tag ids of one row's labelled positions, from its logits [seq · numLabels]. */
export function rowTags(logits: ArrayLike<number>, labels: ArrayLike<number>, numLabels: number): { gold: number[]; predicted: number[] } {
  const gold: number[] = [];
  const predicted: number[] = [];
  for (let t = 0; t < labels.length; t++) {
    if (labels[t] === IGNORE) continue;
    let best = 0;
    for (let c = 1; c < numLabels; c++) if (logits[t * numLabels + c] > logits[t * numLabels + best]) best = c;
    gold.push(labels[t]);
    predicted.push(best);
  }
  return { gold, predicted };
}

export async function evaluateTokenClassification<B extends TagBatch>(model: TrainableModel<B>, batches: AsyncIterable<B>, options: EvaluateOptions = {}): Promise<EvalMetrics | undefined> {
  const gold: string[][] = [];
  const predicted: string[][] = [];
  let names: readonly string[] | undefined;
  let lossSum = 0;
  let tokens = 0;
  let done = 0;
  for await (const batch of batches) {
    if (options.shouldStop?.()) return undefined;
    names = batch.tagNames;
    if (!names) throw new TypeError('A token-classification evaluation needs batches that carry their tag names (tagBatches).');
    const [logits, sums] = tf.tidy(() => {
      const out = model.logits(batch, { training: false, seed: 0 });
      return [out, taggingLossSums(out, batch.labels)] as const;
    });
    try {
      const [values, sumValues] = await Promise.all([logits.data() as Promise<Float32Array>, sums.data() as Promise<Float32Array>]);
      const seq = batch.labels.length / batch.batch;
      const numLabels = logits.shape[1] / seq;
      for (let b = 0; b < batch.batch; b++) {
        const row = rowTags(values.subarray(b * seq * numLabels, (b + 1) * seq * numLabels), batch.labels.subarray(b * seq, (b + 1) * seq), numLabels);
        gold.push(row.gold.map((id) => names![id]));
        predicted.push(row.predicted.map((id) => names![id]));
        lossSum += sumValues[2 * b];
        tokens += sumValues[2 * b + 1];
      }
    } finally {
      logits.dispose();
      sums.dispose();
    }
    options.onBatch?.(++done, gold.length);
  }
  const scores = seqevalScores(gold, predicted, isIob2(names ?? []));
  return {
    loss: tokens === 0 ? NaN : lossSum / tokens,
    entityF1: scores.f1,
    entityPrecision: scores.precision,
    entityRecall: scores.recall,
    tokenAccuracy: scores.accuracy,
    examples: gold.length,
  };
}
