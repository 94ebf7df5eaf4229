/**
 * Evaluation of a question-answering model: the mean loss over windows, and SQuAD's exact match and F1 over
 * examples, each example's answer the best span over all its windows (postprocess.ts).
 */
import * as tf from '@tensorflow/tfjs';
import type { EvaluateOptions } from '../../train/evaluate.ts';
import type { EvalMetrics } from '../../train/metrics.ts';
import type { BatchLike, TrainableModel } from '../../train/trainable-model.ts';
import { type AnswerOptions, type SpanCandidate, answersOf, keepBest, windowCandidates } from './postprocess.ts';
import type { QaBatchInfo } from './qa-batches.ts';
import { qaExampleLosses, splitLogits } from './qa-head.ts';
import { squadMetrics } from './squad-metrics.ts';

type QaBatch = BatchLike & { qa?: QaBatchInfo };

export async function evaluateQuestionAnswering<B extends QaBatch>(model: TrainableModel<B>, batches: AsyncIterable<B>, options: EvaluateOptions & AnswerOptions = {}): Promise<EvalMetrics | undefined> {
  const byRow = new Map<number, { candidates: SpanCandidate[]; context: string; golds: string[] }>();
  let lossSum = 0;
  let windows = 0;
  let done = 0;
  for await (const batch of batches) {
    if (options.shouldStop?.()) return undefined;
    const qa = batch.qa;
    if (!qa) throw new TypeError('A question-answering evaluation needs batches with their windows (questionBatches).');
    const [logits, losses] = tf.tidy(() => {
      const out = model.logits(batch, { training: false, seed: 0 });
      return [out, qaExampleLosses(out, batch.labels)] as const;
    });
    try {
      const [values, lossValues] = await Promise.all([logits.data() as Promise<Float32Array>, losses.data() as Promise<Float32Array>]);
      const seq = logits.shape[1] / 2;
      for (let i = 0; i < batch.batch; i++) {
        const { start, end } = splitLogits(values, i, seq);
        const entry = byRow.get(qa.rows[i]) ?? { candidates: [], context: qa.contexts[i], golds: qa.golds[i] };
        entry.candidates = keepBest([...entry.candidates, ...windowCandidates(start, end, qa.offsets[i], options)], options.nBest);
        byRow.set(qa.rows[i], entry);
        lossSum += lossValues[i];
        windows++;
      }
    } finally {
      logits.dispose();
      losses.dispose();
    }
    options.onBatch?.(++done, windows);
  }
  const scored = [...byRow.values()].filter((e) => e.golds.length > 0)
    .map((e) => ({ prediction: answersOf(e.candidates, e.context, options)[0].text, golds: e.golds }));
  const { exactMatch, f1 } = squadMetrics(scored);
  return { loss: windows === 0 ? NaN : lossSum / windows, exactMatch, f1, examples: scored.length };
}
