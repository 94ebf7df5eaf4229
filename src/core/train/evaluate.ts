/** Evaluation of a model over a set of batches: mean loss and the task's metrics. */
import * as tf from '@tensorflow/tfjs';
import { evaluateMultiLabel } from '../tasks/multi-label/multi-label-evaluate.ts';
import { evaluateQuestionAnswering } from '../tasks/question-answering/qa-evaluate.ts';
import { evaluateTokenClassification } from '../tasks/token-classification/tag-evaluate.ts';
import { exampleLosses } from './losses.ts';
import { type EvalMetrics, accuracy, macroF1, meanSquaredError, pearson } from './metrics.ts';
import type { BatchLike, Task, TrainableModel } from './trainable-model.ts';

/** Index of the largest value of each row of a row-major [rows, width] array (the first on ties, as argmax). */
export function argmaxRows(values: Float32Array, width: number): Int32Array {
  const rows = values.length / width;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < width; c++) if (values[r * width + c] > values[r * width + best]) best = c;
    out[r] = best;
  }
  return out;
}

/** The metrics of a task from predictions (class ids or targets), labels and the summed example losses. */
export function taskMetrics(task: Task, predictions: ArrayLike<number>, labels: ArrayLike<number>, lossSum: number): EvalMetrics {
  const examples = labels.length;
  const loss = examples === 0 ? NaN : lossSum / examples;
  if (task === 'multipleChoice') return { loss, accuracy: accuracy(predictions, labels), examples };
  return task === 'classification'
    ? { loss, accuracy: accuracy(predictions, labels), macroF1: macroF1(predictions, labels), examples }
    : { loss, mse: meanSquaredError(predictions, labels), pearson: pearson(predictions, labels), examples };
}

export interface EvaluateOptions {
  /** Asked before each batch; true stops the evaluation (it then resolves undefined). */
  shouldStop?: () => boolean;
  /** Told after each batch: batches and examples done so far. */
  onBatch?: (batches: number, examples: number) => void;
  /** Multi-label: each label's threshold on its probability (default 0.5 each). */
  thresholds?: readonly number[];
}

/** Runs the model in inference mode over `batches` and computes the metrics; undefined when stopped early. */
export async function evaluate<B extends BatchLike>(model: TrainableModel<B>, batches: AsyncIterable<B>, options: EvaluateOptions = {}): Promise<EvalMetrics | undefined> {
  if (model.task === 'questionAnswering') return evaluateQuestionAnswering(model, batches, options);
  if (model.task === 'multiLabel') return evaluateMultiLabel(model, batches, options);
  if (model.task === 'tokenClassification') return evaluateTokenClassification(model, batches, options);
  const predictions: number[] = [];
  const labels: number[] = [];
  let lossSum = 0;
  let done = 0;
  for await (const batch of batches) {
    if (options.shouldStop?.()) return undefined;
    const [logits, losses] = tf.tidy(() => {
      const out = model.logits(batch, { training: false, seed: 0 });
      return [out, exampleLosses(out, batch.labels, model.task)] as const;
    });
    try {
      const [values, lossValues] = await Promise.all([logits.data() as Promise<Float32Array>, losses.data() as Promise<Float32Array>]);
      const predicted = model.task === 'regression' ? values : argmaxRows(values, logits.shape[1]);
      // One label per example (a multiple-choice batch holds choices × as many pairs as examples).
      for (let i = 0; i < batch.labels.length; i++) {
        predictions.push(predicted[i]);
        labels.push(batch.labels[i]);
        lossSum += lossValues[i];
      }
    } finally {
      logits.dispose();
      losses.dispose();
    }
    options.onBatch?.(++done, labels.length);
  }
  return taskMetrics(model.task, predictions, labels, lossSum);
}
