/** Evaluation of a multi-label model: mean BCE, and micro / macro F1 of the labels each threshold predicts. */
import type * as tf from '@tensorflow/tfjs';
import { tidy } from '@tensorflow/tfjs';
import type { EvaluateOptions } from '../../train/evaluate.ts';
import type { EvalMetrics } from '../../train/metrics.ts';
import type { BatchLike, TrainableModel } from '../../train/trainable-model.ts';
import { bceExampleLosses } from './bce-loss.ts';
import { microF1, multiLabelMacroF1 } from './metrics.ts';
import { predictLabels, thresholdsOf } from './thresholds.ts';

export async function evaluateMultiLabel<B extends BatchLike>(model: TrainableModel<B>, batches: AsyncIterable<B>, options: EvaluateOptions = {}): Promise<EvalMetrics | undefined> {
  const predictions: number[] = [];
  const targets: number[] = [];
  let width = 0;
  let lossSum = 0;
  let examples = 0;
  let done = 0;
  for await (const batch of batches) {
    if (options.shouldStop?.()) return undefined;
    const [logits, losses] = tidy(() => {
      const out = model.logits(batch, { training: false, seed: 0 });
      return [out, bceExampleLosses(out, batch.labels)] as [tf.Tensor2D, tf.Tensor1D];
    });
    try {
      const [values, lossValues] = await Promise.all([logits.data() as Promise<Float32Array>, losses.data() as Promise<Float32Array>]);
      width = logits.shape[1];
      for (const p of predictLabels(values, thresholdsOf(width, options.thresholds))) predictions.push(p);
      for (const t of batch.labels) targets.push(t);
      for (const l of lossValues) lossSum += l;
      examples += batch.batch;
    } finally {
      logits.dispose();
      losses.dispose();
    }
    options.onBatch?.(++done, examples);
  }
  if (examples === 0) return { loss: NaN, microF1: NaN, macroF1: NaN, examples };
  const input = { predictions, targets, labels: width };
  return { loss: lossSum / examples, microF1: microF1(input), macroF1: multiLabelMacroF1(input), examples };
}
