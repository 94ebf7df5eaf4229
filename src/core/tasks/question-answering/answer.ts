/** Answering one question about one paragraph: its windows through the model, the best spans over them (postprocess.ts). */
import * as tf from '@tensorflow/tfjs';
import type { TrainableModel } from '../../train/trainable-model.ts';
import type { TokenBatch } from '../../train/adapter-trainable.ts';
import { type AnswerOptions, type PredictedAnswer, type SpanCandidate, answersOf, keepBest, windowCandidates } from './postprocess.ts';
import { questionBatches } from './qa-batches.ts';
import { splitLogits } from './qa-head.ts';
import { type QaTokenizer, defaultDocStride } from './windows.ts';

export interface QuestionOptions extends AnswerOptions {
  maxLength: number;
  /** Default: defaultDocStride(maxLength). */
  docStride?: number;
}

export interface AnswerResult {
  /** The n best answers, best first (text, code-point span in the context, score, probability). */
  answers: PredictedAnswer[];
  /** Windows the context took. */
  windows: number;
}

export async function answerQuestion(model: TrainableModel<TokenBatch>, tokenizer: QaTokenizer & { padTokenId: number }, question: string, context: string, options: QuestionOptions): Promise<AnswerResult> {
  if (question.trim() === '' || context.trim() === '') throw new RangeError('Give both a question and a paragraph to find its answer in.');
  const examples = (async function* () {
    yield { text: question, textPair: context, label: 0, row: 0 };
  })();
  let candidates: SpanCandidate[] = [];
  let windows = 0;
  const batchSize = 8;
  for await (const batch of questionBatches(examples, tokenizer, { batchSize, maxLength: options.maxLength, docStride: options.docStride ?? defaultDocStride(options.maxLength), bucketing: false })) {
    const logits = tf.tidy(() => model.logits(batch, { training: false, seed: 0 }));
    try {
      const values = await logits.data() as Float32Array;
      const seq = logits.shape[1] / 2;
      for (let i = 0; i < batch.batch; i++) {
        const { start, end } = splitLogits(values, i, seq);
        candidates = keepBest([...candidates, ...windowCandidates(start, end, batch.qa.offsets[i], options)], options.nBest);
      }
      windows += batch.batch;
    } finally {
      logits.dispose();
    }
  }
  return { answers: answersOf(candidates, context, options), windows };
}
